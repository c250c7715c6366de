"""Strawberry's FastAPI router held to GraphQL over HTTP (the current draft).

- Answers `application/graphql-response+json` to clients that ask for it, with 400 and no `data`
  entry when the document does not parse or validate or the variables do not coerce;
  `application/json` otherwise (no Accept, `*/*`), with 200 for those, as the draft's legacy rules
  say; 406 when neither is acceptable.
- POST bodies must be `application/json` (415 otherwise) holding a JSON object; GET must not
  repeat a GraphQL parameter (the response cache keys on exactly what runs); every parameter of
  the wrong type is a 400 naming it. A mutation over GET is 405 with `Allow: POST`.
- A database outage is 503 with `Retry-After`; every refusal is a GraphQL error with a code.
- An authenticated POST with an `Idempotency-Key` runs at most once (registry/http/idempotency.py).
"""

from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.types import ExecutionResult

from ..graphql.core.compat import (
    UNSET,
    CannotGetOperationTypeError,
    HTTPException,
    InvalidOperationTypeError,
    OperationType,
)
from ..graphql.core.error_codes import INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE, VALIDATION_FAILED
from .idempotency import HEADER, run_once
from .protocol import (
    GRAPHQL_RESPONSE_JSON, JSON, RETRY_AFTER_SECONDS, content_media_type, error_response, response_media_type,
)

__all__ = ["GRAPHQL_PARAMETERS", "GraphQLHttpRouter"]

GRAPHQL_PARAMETERS = ("query", "variables", "operationName", "extensions")

# GraphiQL (development only) loads its scripts and styles from unpkg and runs an inline script.
GRAPHIQL_CSP = (
    "default-src 'none'; script-src 'unsafe-inline' https://unpkg.com; "
    "style-src 'unsafe-inline' https://unpkg.com; font-src https://unpkg.com data:; img-src data: https:; "
    "connect-src 'self'; frame-ancestors 'none'"
)


def _parameter(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if value is not None and not isinstance(value, kind):
        raise HTTPException(400, f"{name}: must be {'a string' if kind is str else 'an object'} or null")
    return value


class GraphQLHttpRouter(GraphQLRouter):
    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)  # several times faster than json.dumps on large nested lists

    def decode_json(self, data: str | bytes) -> object:
        # orjson refuses non-UTF-8 input and nesting deeper than 1024 with a JSONDecodeError, where
        # json.loads raises RecursionError (a 500) on arrays nested 10,000 deep
        return orjson.loads(data)

    def _json_parameter(self, name: str, text: str) -> object:
        try:
            return self.decode_json(text)
        except orjson.JSONDecodeError as error:
            raise HTTPException(400, f"{name}: not valid JSON ({error})") from error

    async def parse_http_body(self, request: Any) -> GraphQLRequestData:
        # Written out rather than extending Strawberry's: its version reads `data.get` from
        # whatever JSON the body holds (a string or number body is a 500), takes the last of
        # repeated GET parameters, and accepts any content type containing "application/json".
        if request.method == "GET":
            params = request.query_params
            for name in GRAPHQL_PARAMETERS:
                if len(params.getlist(name)) > 1:
                    raise HTTPException(400, f"{name}: given more than once")
            data: dict[str, Any] = dict(params)
            for name in ("variables", "extensions"):
                if name in data:
                    data[name] = self._json_parameter(name, data[name]) if data[name] else None
        else:
            content_type = content_media_type(request.content_type)
            if content_type != JSON:
                raise HTTPException(415, f"Content-Type: must be {JSON}, not {content_type or 'absent'}")
            body = await request.get_body()
            try:
                data = self.decode_json(body)
            except orjson.JSONDecodeError as error:
                raise HTTPException(400, f"request body: not valid JSON ({error})") from error
            if not isinstance(data, dict):
                raise HTTPException(400, "request body: must be a JSON object")
        return GraphQLRequestData(
            query=_parameter(data, "query", str),
            variables=_parameter(data, "variables", dict),
            operation_name=_parameter(data, "operationName", str),
            extensions=_parameter(data, "extensions", dict),
        )

    async def process_result(self, request: Request, result: ExecutionResult) -> GraphQLHTTPResponse:
        response = process_result(result)
        codes = {error.extensions.get("code") for error in result.errors or ()}
        status = 200
        if SERVICE_UNAVAILABLE in codes:
            status = 503
        elif result.data is None and result.errors and all(error.path is None for error in result.errors):
            # refused before execution (parse, validation, variables): no data entry at all
            del response["data"]
            if request.state.media_type == GRAPHQL_RESPONSE_JSON:
                status = 500 if INTERNAL_SERVER_ERROR in codes else 400
        request.state.graphql_status = status
        return response

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        page = await super().render_graphql_ide(request)
        page.headers["Content-Security-Policy"] = GRAPHIQL_CSP
        return page

    async def run(self, request: Any, context: Any = UNSET, root_value: Any = UNSET) -> Any:
        if self.is_websocket_request(request):
            return await super().run(request, context, root_value)
        media_type = response_media_type(request.headers.get("accept"))
        if media_type is None and not self.should_render_graphql_ide(request):
            return error_response(406, f"Accept: none of {GRAPHQL_RESPONSE_JSON}, {JSON} is acceptable")
        request.state.media_type = media_type
        principal = getattr(context, "principal", None)
        if HEADER in request.headers and request.method == "POST" and principal is not None:
            return await run_once(request, context, media_type or JSON,
                                  lambda: self._answer(request, context, root_value, media_type))
        return await self._answer(request, context, root_value, media_type)

    async def _answer(self, request: Request, context: Any, root_value: Any, media_type: str | None) -> Response:
        try:
            response = await super().run(request, context, root_value)
        except HTTPException as refusal:
            return self._refused(refusal, media_type or JSON)
        status = getattr(request.state, "graphql_status", None)
        if status is not None:  # a GraphQL result (not the GraphiQL page)
            response.status_code = status
            response.headers["Content-Type"] = media_type
            if status == 503:
                response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    @staticmethod
    def _refused(refusal: HTTPException, media_type: str) -> Response:
        # Strawberry raises these from the operation's type, found after parsing, before validation
        cause = refusal.__cause__
        if isinstance(cause, InvalidOperationTypeError) and cause.operation_type == OperationType.MUTATION:
            return error_response(
                405, "mutations are accepted over POST only", media_type=media_type, headers={"Allow": "POST"}
            )
        if isinstance(cause, CannotGetOperationTypeError):  # several operations and no operationName
            status = 400 if media_type == GRAPHQL_RESPONSE_JSON else 200  # as for any validation error
            return error_response(status, refusal.reason, code=VALIDATION_FAILED, media_type=media_type)
        return error_response(refusal.status_code, refusal.reason, media_type=media_type)
