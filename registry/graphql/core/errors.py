"""Errors clients can act on. Anything else is masked (see schema.py) so no internals leak."""

from graphql import GraphQLError, Node

__all__ = ["bad_argument"]


def bad_argument(argument: str, message: str, node: Node | None = None) -> GraphQLError:
    """A GraphQL error naming the argument (dotted path into inputs) and what is wrong with it.

    `node`, the literal in the document, locates an error found while validating the document."""
    return GraphQLError(
        f"{argument}: {message}", node, extensions={"code": "BAD_USER_INPUT", "argument": argument}
    )
