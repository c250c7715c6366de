"""Who is calling: the API key of `Authorization: Bearer <key>`, checked before GraphQL runs.

A request without the header is anonymous (reads are public unless REGISTRY_REQUIRE_AUTH_FOR_READ
is set; mutations then answer UNAUTHENTICATED). A header that is malformed, or names a wrong or
revoked key, is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"` before the
request body is read: a client that means to authenticate and fails must hear it, not be
served as anonymous.
"""

import re
import uuid

from starlette.requests import Request
from starlette.responses import Response

from ..config import Settings
from ..db import is_database_outage
from ..graphql.context import Reads
from ..graphql.core.permissions import UNAUTHENTICATED
from ..models import ApiKey
from ..services.api_keys import authenticate
from .protocol import JSON, error_response, response_media_type, unavailable_response

__all__ = ["Refusal", "caller", "request_id"]

# A client's request id is kept when it is short and plain (it lands in the change log and logs).
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:/-]{1,100}")
_REALM = 'Bearer realm="registry"'


class Refusal(Exception):
    """The request is answered with `response` before GraphQL runs (see `create_app`)."""

    def __init__(self, response: Response):
        super().__init__(response.status_code)
        self.response = response


def request_id(request: Request) -> str:
    """The client's X-Request-Id when it is sane, else a new one."""
    given = request.headers.get("x-request-id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _unauthorized(request: Request, message: str, challenge: str) -> Refusal:
    media_type = response_media_type(request.headers.get("accept")) or JSON
    return Refusal(error_response(401, message, code=UNAUTHENTICATED, media_type=media_type,
                                  headers={"WWW-Authenticate": challenge}))


async def caller(request: Request, reads: Reads, settings: Settings) -> ApiKey | None:
    """The live API key the request carries; None when it carries none (and may read without).
    Looked up on `reads`, the connection the request then reads with."""
    header = request.headers.get("authorization")
    if header is None:
        if settings.require_auth_for_read:
            raise _unauthorized(request, "this registry needs an API key: send `Authorization: Bearer <key>`",
                                _REALM)
        return None
    scheme, _, token = header.partition(" ")
    invalid = f'{_REALM}, error="invalid_token"'
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthorized(request, "Authorization: must be `Bearer <key>`", invalid)
    try:
        key = await authenticate(reads.fetch_fixed, token.strip())
    except Exception as error:
        if not is_database_outage(error):
            raise
        raise Refusal(unavailable_response(response_media_type(request.headers.get("accept")) or JSON)) from error
    if key is None:
        raise _unauthorized(request, "the API key is wrong or revoked", invalid)
    return key
