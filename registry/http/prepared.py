"""The prepared lane: a repeated node lookup answered without the GraphQL machinery around it.

Why it exists: a record's detail page (`node(id:)` with its nested relationships: the benchmark's
Q2) is one compiled SQL statement whose JSON is the whole response (`graphql/core/compiler.py`).
The database takes ~0.2 ms for it; the Python around it (FastAPI's routing and dependencies,
Strawberry's view, the parse and validation caches, the extensions, graphql-core's executor,
SQLAlchemy's execution layer) took ~0.8 ms more, and kept Q2 at a third of the rate the benchmark's
SQL floor reaches (bench/README.md). None of it changes the answer of a query text already served.

How: this pure ASGI middleware sits inside the security headers, trusted hosts and body limit, in
front of the app. For a POST to /graphql of a query text (and operationName) it holds a plan for
(`graphql/core/lookup_plans.py`: every root field is node(id:), nodes(ids:) or __typename), it
checks the variables as the normal path would, authenticates the caller the same way
(`auth.caller`: a wrong, revoked or missing-but-required key gets the same 401), runs each
lookup's compiled statement (on PostgreSQL prepared on asyncpg's own connection) and writes the
response the normal path writes: same status, body and headers.

Plans are made after the normal path has answered a text with 200 and no errors (so it parsed,
validated and ran), and kept by count (`REGISTRY_PREPARED_LANE_PLANS`); texts that are not lookups
are remembered as such, so they are examined once. Anything the lane does not answer exactly (a
record not found, an id of an unknown type or a malformed one, a null the schema forbids, a variable
of another shape, a database error, GET, Idempotency-Key, an unacceptable Accept header) goes to
the app untouched, the body it read fed to it again, and gets today's answer: errors with their
codes, 503 in an outage. `REGISTRY_PREPARED_LANE=false` leaves every request to the app.
"""

import logging
from typing import Any

import orjson
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..graphql.context import Reads
from ..graphql.core.limits import Limits
from ..graphql.core.lookup_plans import LookupPlan, LookupPlans, make_plan
from .auth import Refusal, caller
from .idempotency import HEADER
from .protocol import JSON, content_media_type, response_media_type

__all__ = ["PreparedLane"]

logger = logging.getLogger("registry.http.prepared")


class _Unanswered(Exception):
    """The lane does not answer this request: the app does."""


class PreparedLane:
    def __init__(self, app: ASGIApp, *, path: str, schema: Any, settings: Settings, plans: LookupPlans):
        self.app = app
        self.path = path
        self.schema = schema
        self.settings = settings
        self.limits = Limits.of(settings)
        self.plans = plans

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = response_media_type(headers.get("accept"))
        if media_type is None or content_media_type(headers.get("content-type")) != JSON or HEADER in headers:
            await self.app(scope, receive, send)
            return
        messages, body = await _read_body(receive)
        replay = _replaying(messages, receive)
        request = _graphql_request(body) if body is not None else None
        if request is None:
            await self.app(scope, replay, send)
            return
        query, operation_name, variables = request
        key = (query, operation_name)
        if key not in self.plans:
            await self._plan_after_the_app(key, scope, replay, send)
            return
        plan = self.plans.get(key)
        bound = plan.bind(variables, self.limits) if plan is not None else None
        if bound is None:
            await self.app(scope, replay, send)
            return
        try:
            body = await self._answer(scope, plan, bound)
        except Refusal as refusal:
            await refusal.response(scope, replay, send)  # as the app's context getter answers it
            return
        except _Unanswered:
            await self.app(scope, replay, send)
            return
        await _send_json(send, body, media_type)

    async def _answer(self, scope: Scope, plan: LookupPlan, bound: list) -> bytes:
        """The response body; raises `Refusal` for the caller's key as the app would."""
        state = scope["app"].state
        reads = Reads(state.engine)  # the key's look-up and the answer: one connection
        try:
            await caller(Request(scope), reads, self.settings)
            data = await plan.answer(bound, reads, state.engine.dialect)
        except Refusal:
            raise
        except Exception as error:  # a database error: the app answers it as it does (503…)
            logger.debug("prepared lane: left to the app: %r", error)
            raise _Unanswered from error
        finally:
            await reads.close()
        if data is None:
            raise _Unanswered
        self.plans.served += 1
        return orjson.dumps({"data": data})

    async def _plan_after_the_app(self, key: tuple[str, str | None], scope: Scope, receive: Receive, send: Send) -> None:
        """Let the app answer, and once it has answered the text cleanly, keep its plan (or None:
        not a lookup). Only then is the text known to parse and validate, which planning assumes."""
        status, chunks = 0, []

        async def watched_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, watched_send)
        if status != 200 or "errors" in orjson.loads(b"".join(chunks)):
            return  # refused or failed: the next request of this text asks the app again
        try:
            plan = make_plan(self.schema, *key, self.limits, self.settings.query_cache_bytes)
        except Exception:  # planning only saves time: its failure must not touch an answer
            logger.exception("prepared lane: no plan for a query the app answered")
            plan = None
        self.plans.put(key, plan)


async def _send_json(send: Send, body: bytes, media_type: str) -> None:
    """What `Response(body, 200, media_type=media_type)` sends (a JSON media type takes no charset),
    without building one: its header handling was ~4% of a node lookup's CPU."""
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", media_type.encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """The messages read, and the body they carry (None when the client left before its end)."""
    messages, parts = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(parts)


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    """`receive` that gives the messages already read first."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


def _graphql_request(body: bytes) -> tuple[str, str | None, dict[str, Any]] | None:
    """(query, operationName, variables) of a JSON body the router would read the same way; None
    for anything else (the router then refuses it or reads it its own way)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or data.get("extensions") is not None:
        return None
    query, operation_name, variables = data.get("query"), data.get("operationName"), data.get("variables")
    if type(query) is not str or not (operation_name is None or type(operation_name) is str):
        return None
    if variables is None:
        variables = {}
    elif type(variables) is not dict:
        return None
    return query, operation_name, variables
