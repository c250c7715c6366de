"""Errors clients can act on. Anything else is masked (see schema.py) so no internals leak."""

from graphql import GraphQLError

__all__ = ["bad_argument"]


def bad_argument(argument: str, message: str) -> GraphQLError:
    """A GraphQL error naming the argument (dotted path into inputs) and what is wrong with it."""
    return GraphQLError(
        f"{argument}: {message}", extensions={"code": "BAD_USER_INPUT", "argument": argument}
    )
