from ..models import Country, Organization
from ..models.enums import EntityType, OrganizationKind
from .entities import EntitySpec
from .inputs import EntityIn, PartialDateText, Slug, Text

__all__ = ["ORGANIZATION", "OrganizationIn"]


class OrganizationIn(EntityIn):
    name: Text
    kind: OrganizationKind
    country: str | None = None
    city: str | None = None
    parent: Slug | None = None
    founded: PartialDateText = None
    dissolved: PartialDateText = None
    description: str | None = None


ORGANIZATION = EntitySpec(
    model=Organization,
    entity_type=EntityType.ORGANIZATION,
    name_field="name",
    input=OrganizationIn,
    refs={"country": Country, "parent": Organization},
    partial_dates=("founded", "dissolved"),
)
