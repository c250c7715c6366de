"""The GraphQL schema: each domain's Query joined by inheritance, plus Relay's node lookups."""

import logging

import strawberry
from graphql import GraphQLError
from strawberry import relay
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.types import ExecutionContext

from .agreements.resolvers import AgreementQuery
from .core.error_codes import ErrorCodes, is_unexpected
from .core.execution import PlainFieldExecutor
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

MAX_DEPTH = 10
MAX_ALIASES = 30
MAX_TOKENS = 2_000


@strawberry.type
class Query(
    OrganizationQuery, PersonQuery, ProjectQuery, AgreementQuery, EventQuery, FigureQuery, SourceQuery,
    SearchQuery, TimelineQuery, FigureSeriesQuery,
):
    node: relay.Node | None = relay.node(description="Any record by its global id (null if none)")
    nodes: list[relay.Node | None] = relay.node(description="Records by global ids, in the same order")


# The depth and alias limits are validation rules. Each limiter instance makes its rule class
# anew, and the validation cache keys on the rule classes: made once here, so every request
# shares them and a repeated query is validated once, not on every request.
LIMIT_RULES = [
    *QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
]


logger = logging.getLogger("registry.graphql")


class RegistrySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Strawberry logs every error with a traceback; a client's bad input is not a server fault
        # and would bury the real ones, so only unexpected errors are logged as errors.
        for error in errors:
            if is_unexpected(error):
                logger.error("unexpected error in %s", error.path, exc_info=error.original_error)
            else:
                logger.debug("client error: %s", error.message)


schema = RegistrySchema(
    query=Query,
    execution_context_class=PlainFieldExecutor,
    # factories: a fresh extension per request (the parser and validation caches are module-wide)
    extensions=[
        ErrorCodes,  # first: its hooks close last, so it codes and masks every other extension's errors
        lambda: AddValidationRules(LIMIT_RULES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: ParserCache(maxsize=512),
        lambda: ValidationCache(maxsize=512),
    ],
)
