"""The GraphQL schema: each domain's Query joined by inheritance, plus Relay's node lookups."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import MaskErrors
from strawberry.types import ExecutionContext

from .agreements.resolvers import AgreementQuery
from .core.execution import PlainFieldExecutor
from .core.limits import QueryLimits
from .events.resolvers import EventQuery
from .figures.resolvers import FigureQuery
from .figures.series import FigureSeriesQuery
from .organizations.resolvers import OrganizationQuery
from .people.resolvers import PersonQuery
from .projects.resolvers import ProjectQuery
from .search.resolvers import SearchQuery
from .sources.resolvers import SourceQuery
from .timeline.resolvers import TimelineQuery

__all__ = ["schema"]


@strawberry.type
class Query(
    OrganizationQuery, PersonQuery, ProjectQuery, AgreementQuery, EventQuery, FigureQuery, SourceQuery,
    SearchQuery, TimelineQuery, FigureSeriesQuery,
):
    node: relay.Node | None = relay.node(description="Any record by its global id (null if none)")
    nodes: list[relay.Node | None] = relay.node(description="Records by global ids, in the same order")


def _unexpected(error: GraphQLError) -> bool:
    """Mask errors that did not come from us on purpose (bugs, database failures)."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


logger = logging.getLogger("registry.graphql")


class RegistrySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with a traceback; a client's bad input is not a server fault
        # and would bury the real ones, so only unexpected errors are logged as errors.
        for error in errors:
            if _unexpected(error):
                logger.error("unexpected error in %s", error.path, exc_info=error.original_error)
            else:
                logger.debug("client error: %s", error.message)


schema = RegistrySchema(
    query=Query,
    execution_context_class=PlainFieldExecutor,
    # classes: a fresh extension per request (the document cache is module-wide)
    extensions=[QueryLimits, lambda: MaskErrors(should_mask_error=_unexpected)],
)
