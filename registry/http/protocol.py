"""GraphQL over HTTP's media types, content negotiation, error bodies and RFC 9110 entity tags."""

import functools
import math
import re
from collections.abc import Callable

import orjson
from starlette.responses import Response

from ..graphql.core.compat import parse_content_type
from ..graphql.core.error_codes import DATABASE_UNAVAILABLE

__all__ = [
    "GRAPHQL_RESPONSE_JSON", "JSON", "RETRY_AFTER_SECONDS", "content_media_type", "error_response",
    "etag_matches", "response_media_type", "unavailable_response",
]

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
JSON = "application/json"
RETRY_AFTER_SECONDS = 5  # how long a client should wait before retrying during a database outage

_STATUS_CODES = {
    400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 406: "NOT_ACCEPTABLE",
    413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 503: "SERVICE_UNAVAILABLE",
}
_ENTITY_TAG = re.compile(r'(?:W/)?("[^"]*")')
# Header values longer than this are parsed anew every time: remembering them would let a client
# fill memory with long distinct values; the values real clients send are far shorter.
REMEMBERED_HEADER_CHARS = 256
REMEMBERED_HEADER_VALUES = 64


def _remembered(parse: Callable[[str | None], str | None]) -> Callable[[str | None], str | None]:
    """`parse`, a pure function of one header value, remembered for the few short values clients
    send: parsing the same Accept and Content-Type on every request was ~5% of a node lookup."""
    remembered = functools.lru_cache(maxsize=REMEMBERED_HEADER_VALUES)(parse)

    @functools.wraps(parse)
    def parse_header(value: str | None) -> str | None:
        return remembered(value) if value is None or len(value) <= REMEMBERED_HEADER_CHARS else parse(value)

    parse_header.cache_info = remembered.cache_info  # type: ignore[attr-defined]
    return parse_header


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


@_remembered
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


@_remembered
def content_media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, as Strawberry's parser reads it ("" when absent)."""
    media_type, _ = parse_content_type(content_type or "")
    return media_type


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
