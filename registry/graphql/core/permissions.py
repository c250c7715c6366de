"""Who may write: a live API key with the `write` scope, checked on every mutation field.

The key itself is checked before GraphQL runs (`registry/http/auth.py`): a wrong, malformed or
revoked one is answered 401 there. What reaches a field is either no key at all or a live one,
so a refusal here is UNAUTHENTICATED (no key) or FORBIDDEN (a key without the scope).
"""

from typing import Any

from graphql import GraphQLError
from strawberry import Info
from strawberry.permission import BasePermission

from ...models import ApiKeyScope

__all__ = ["FORBIDDEN", "UNAUTHENTICATED", "CanWrite"]

UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"


class CanWrite(BasePermission):
    message = "writing needs an API key with the write scope"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        if principal is None:
            raise GraphQLError(
                "writing needs an API key: send it as `Authorization: Bearer <key>`",
                extensions={"code": UNAUTHENTICATED},
            )
        if not principal.allows(ApiKeyScope.WRITE):
            raise GraphQLError(
                f"the API key {principal.name!r} may not write (its scopes: {', '.join(principal.scopes)})",
                extensions={"code": FORBIDDEN},
            )
        return True
