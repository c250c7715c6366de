"""Taking part in something (a project, an event) as an organization, a person, or both."""

import uuid
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import Info, Private

from .types import Cited, load_node

if TYPE_CHECKING:
    from ..organizations.types import OrganizationType
    from ..people.types import PersonType

__all__ = ["Participation"]


@strawberry.interface(description="An organization and/or a person taking part, with the sources saying so")
class Participation(Cited):
    organization_id: Private[uuid.UUID | None]
    person_id: Private[uuid.UUID | None]

    @strawberry.field
    def organization(
        self, info: Info
    ) -> Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None:
        from ..organizations.types import OrganizationType

        return load_node(info, OrganizationType, self.organization_id)

    @strawberry.field
    def person(self, info: Info) -> Annotated["PersonType", strawberry.lazy("..people.types")] | None:
        from ..people.types import PersonType

        return load_node(info, PersonType, self.person_id)
