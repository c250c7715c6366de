"""Every error leaves with `extensions.code`; internal errors are masked, outages said plainly.

Codes by phase: a document that does not parse is GRAPHQL_PARSE_FAILED, one that does not
validate GRAPHQL_VALIDATION_FAILED, variables that do not coerce BAD_USER_INPUT; a failure of
ours is masked as "Unexpected error." with INTERNAL_SERVER_ERROR, except that the database being
unreachable is SERVICE_UNAVAILABLE (the HTTP layer answers 503 with Retry-After). A code already
set (limits, argument checks) is never overwritten.
"""

from collections.abc import Iterable, Iterator

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import MaskErrors

from ...db import is_database_outage

__all__ = ["DATABASE_UNAVAILABLE", "ErrorCodes", "is_unexpected"]

PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
DATABASE_UNAVAILABLE = "the database is unavailable; retry later"


def is_unexpected(error: GraphQLError) -> bool:
    """Errors that did not come from us on purpose (bugs, database failures): never shown as raised."""
    return error.original_error is not None and not isinstance(error.original_error, GraphQLError)


def _set_final_code(errors: Iterable[GraphQLError] | None) -> None:
    # an error left uncoded is a syntax error, variables that do not coerce, or one raised on
    # purpose for the client
    for error in errors or ():
        code = PARSE_FAILED if isinstance(error, GraphQLSyntaxError) else BAD_USER_INPUT
        error.extensions.setdefault("code", code)


class ErrorCodes(MaskErrors):
    """MaskErrors that codes what it keeps and tells an outage from a bug.

    List it first among the schema's extensions: hooks close in reverse order, so its
    `on_operation` sees the errors every other extension has added."""

    def __init__(self) -> None:
        super().__init__(should_mask_error=is_unexpected)

    def on_validate(self) -> Iterator[None]:
        yield
        for error in self.execution_context.pre_execution_errors or ():
            error.extensions.setdefault("code", VALIDATION_FAILED)

    def on_operation(self) -> Iterator[None]:
        try:
            yield from super().on_operation()
        except GraphQLError as error:
            # raised from another extension's hook (ParserCache parses in its own): Strawberry makes
            # it the result only after every hook has closed, so it is coded on its way out
            _set_final_code([error])
            raise
        result = self.execution_context.result
        _set_final_code(result.errors if result is not None else None)

    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        outage = is_database_outage(error.original_error)
        return GraphQLError(
            DATABASE_UNAVAILABLE if outage else self.error_message,
            nodes=error.nodes, source=error.source, positions=error.positions, path=error.path,
            extensions={"code": SERVICE_UNAVAILABLE if outage else INTERNAL_SERVER_ERROR},
        )
