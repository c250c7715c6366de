"""GraphQL over HTTP's media types, content negotiation, error bodies and RFC 9110 entity tags."""

import math
import re

import orjson
from starlette.responses import Response

from ..graphql.core.error_codes import DATABASE_UNAVAILABLE

__all__ = [
    "GRAPHQL_RESPONSE_JSON", "JSON", "RETRY_AFTER_SECONDS", "error_response", "etag_matches",
    "response_media_type", "unavailable_response",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
RETRY_AFTER_SECONDS = 5  # how long a client should wait before retrying during a database outage

_STATUS_CODES = {
    400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 503: "SERVICE_UNAVAILABLE",
}
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')


def _quality(parameters: str) -> float:
    """The `q` weight of a media range's parameters; a malformed weight counts as 0 (refused)."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                quality = float(value.strip())
            except ValueError:
                return 0.0
            return quality if math.isfinite(quality) and 0 <= quality <= 1 else 0.0
    return 1.0


def response_media_type(accept: str | None) -> str | None:
    """The media type to answer with, from the Accept header; None when neither JSON type is acceptable.

    application/graphql-response+json is served when the client names it (preferred over
    application/json at equal weight); wildcards admit application/json, the type every client
    reads, and so does a missing Accept header, as the GraphQL-over-HTTP draft says.
    """
    if accept is None or not accept.strip():
        return JSON
    # per type, the weight of its most specific matching range (RFC 9110 §12.5.1)
    weights: dict[str, tuple[int, float]] = {}
    for media_range in accept.split(","):
        name, _, parameters = media_range.partition(";")
        name = name.strip().lower()
        offered, specificity = {
            GRAPHQL_RESPONSE_JSON: (GRAPHQL_RESPONSE_JSON, 2), JSON: (JSON, 2),
            "application/*": (JSON, 1), "*/*": (JSON, 0),
        }.get(name, (None, -1))
        if offered is not None and specificity >= weights.get(offered, (-1, 0.0))[0]:
            weights[offered] = (specificity, _quality(parameters))
    graphql_weight = weights.get(GRAPHQL_RESPONSE_JSON, (0, 0.0))[1]
    json_weight = weights.get(JSON, (0, 0.0))[1]
    if max(graphql_weight, json_weight) == 0:
        return None
    return GRAPHQL_RESPONSE_JSON if graphql_weight >= json_weight else JSON


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches `etag` (RFC 9110 §13.1.2): `*`, or any tag of the
    list by weak comparison (the opaque tags are equal, W/ prefixes aside)."""
    if if_none_match is None:
        return False
    if if_none_match.strip() == "*":
        return True
    opaque = _ENTITY_TAG.fullmatch(etag)
    return opaque is not None and opaque.group(1) in _ENTITY_TAG.findall(if_none_match)


def error_response(
    status: int, message: str, *, code: str | None = None, media_type: str = JSON,
    headers: dict[str, str] | None = None,
) -> Response:
    """A GraphQL-shaped error answer (no `data` entry) for a request refused before execution."""
    body = {"errors": [{"message": message, "extensions": {"code": code or _STATUS_CODES[status]}}]}
    return Response(orjson.dumps(body), status, headers=headers, media_type=media_type)


def unavailable_response(media_type: str = JSON) -> Response:
    return error_response(
        503, DATABASE_UNAVAILABLE, media_type=media_type,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
