"""Taking part in something (a project, an event) as an organization, a person, or both."""

import uuid
from typing import TYPE_CHECKING, Annotated, ClassVar

import strawberry
from strawberry import Private

from .prefetch import One, lazy, related_field
from .types import Cited

if TYPE_CHECKING:
    from ..organizations.types import OrganizationType
    from ..people.types import PersonType

__all__ = ["Participation"]


@strawberry.interface(description="An organization and/or a person taking part, with the sources saying so")
class Participation(Cited):
    RELATED: ClassVar[dict] = {
        "organization": One(lazy("registry.graphql.organizations.types:OrganizationType"), "organization_id"),
        "person": One(lazy("registry.graphql.people.types:PersonType"), "person_id"),
    }

    organization_id: Private[uuid.UUID | None]
    person_id: Private[uuid.UUID | None]

    organization: Annotated["OrganizationType", strawberry.lazy("..organizations.types")] | None = (
        related_field()
    )
    person: Annotated["PersonType", strawberry.lazy("..people.types")] | None = related_field()
