import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, OrganizationFilter, OrganizationOrder, OrganizationOrderField
from .types import OrganizationType

__all__ = ["OrganizationQuery"]


@strawberry.type
class OrganizationQuery:
    organizations: Connection[OrganizationType] = record_list(
        OrganizationType, OrganizationFilter, OrganizationOrder, ORDER_COLUMNS, OrganizationOrderField.NAME,
        "Organizations (default order: name)",
    )
