import strawberry

from ..core.listing import record_list
from ..core.pagination import Connection
from .filters import ORDER_COLUMNS, ProjectFilter, ProjectOrder, ProjectOrderField
from .types import ProjectType

__all__ = ["ProjectQuery"]


@strawberry.type
class ProjectQuery:
    projects: Connection[ProjectType] = record_list(
        ProjectType, ProjectFilter, ProjectOrder, ORDER_COLUMNS, ProjectOrderField.TITLE,
        "Cooperation projects and initiatives (default order: title)",
    )
