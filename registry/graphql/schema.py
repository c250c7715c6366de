"""The GraphQL schema: each domain's Query and Mutation joined by inheritance, plus Relay's node lookups."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.types import ExecutionContext

from ..db import is_database_outage
from ..logs import CappedTracebacks, capped, describe_failure
from .agreements.mutations import AgreementMutation
from .agreements.resolvers import AgreementQuery
from .bulk.mutations import BulkMutation
from .changes.resolvers import ChangeQuery
from .core.argument_values import ArgumentValueChecks
from .core.error_codes import ErrorCodes, is_unexpected
from .core.execution import PlainFieldExecutor
from .core.limits import QueryLimits
from .core.node_lookup import UnknownTypesAsNull
from .events.mutations import EventMutation
from .events.resolvers import EventQuery
from .figures.mutations import FigureMutation
from .figures.resolvers import FigureQuery
from .figures.series import FigureSeriesQuery
from .organizations.mutations import OrganizationMutation
from .organizations.resolvers import OrganizationQuery
from .people.mutations import PersonMutation
from .people.resolvers import PersonQuery
from .projects.mutations import ProjectMutation
from .projects.resolvers import ProjectQuery
from .search.resolvers import SearchQuery
from .sources.mutations import SourceMutation
from .sources.resolvers import SourceQuery
from .timeline.resolvers import TimelineQuery

__all__ = ["schema"]


@strawberry.type
class Query(
    OrganizationQuery, PersonQuery, ProjectQuery, AgreementQuery, EventQuery, FigureQuery, SourceQuery,
    SearchQuery, TimelineQuery, FigureSeriesQuery, ChangeQuery,
):
    node: relay.Node | None = relay.node(description="Any record by its global id (null if none)",
                                         extensions=[UnknownTypesAsNull()])
    nodes: list[relay.Node | None] = relay.node(description="Records by global ids, in the same order",
                                                extensions=[UnknownTypesAsNull()])


@strawberry.type
class Mutation(
    OrganizationMutation, PersonMutation, ProjectMutation, AgreementMutation, EventMutation, FigureMutation,
    SourceMutation, BulkMutation,
):
    pass


logger = logging.getLogger("registry.graphql")
logger.addFilter(CappedTracebacks())  # SQLAlchemy's messages carry whole statements and parameters


class RegistrySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with a traceback. A client's bad input is not a server fault
        # and would bury the real ones: debug, no traceback. A database outage fails every request
        # alike: one warning line per request, no traceback, so a few seconds of outage cannot
        # write megabytes. Anything else is a bug: its traceback, once per request.
        outages, bugs = [], []
        for error in errors:
            if not is_unexpected(error):
                logger.debug("client error: %s", capped(error.message))
            elif is_database_outage(error.original_error):
                outages.append(error)
            else:
                bugs.append(error)
        if outages:
            logger.warning(
                "database unavailable (%d error(s) in this request): %s",
                len(outages), describe_failure(outages[0].original_error),
            )
        if bugs:
            more = f" (and {len(bugs) - 1} more in this request)" if len(bugs) > 1 else ""
            logger.error("unexpected error in %s%s", bugs[0].path, more, exc_info=bugs[0].original_error)


schema = RegistrySchema(
    query=Query,
    mutation=Mutation,
    execution_context_class=PlainFieldExecutor,
    # classes: a fresh extension per request (the document cache is module-wide)
    extensions=[
        ErrorCodes,  # first: its hooks close last, so it codes and masks every other extension's errors
        QueryLimits,
        ArgumentValueChecks,
    ],
)
