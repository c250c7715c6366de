"""The `Idempotency-Key` request header: a retried POST gets the first attempt's response, and its
mutations are written once (the store and its protocol: registry/services/idempotency.py).

Keys belong to the API key that sends them, so only authenticated requests use one; an anonymous
request may not write anyway. While a request holds its claim, all its mutations share one
transaction, and the response is stored in that same transaction: it is kept if and only if the
writes commit, so a crash between the two can neither lose a write's answer nor write twice.

Answers besides the request's own: the stored response again (with `Idempotent-Replayed: true`);
400 for a malformed header; 422 for a key first used with another body; 409 with `Retry-After`
while the first attempt still runs (after waiting for it up to REGISTRY_IDEMPOTENCY_WAIT_SECONDS).
"""

from collections.abc import Awaitable, Callable
from contextlib import suppress

from starlette.requests import Request
from starlette.responses import Response

from ..db import is_database_outage
from ..graphql.context import Context
from ..services import ServiceError
from ..services import idempotency as store
from .protocol import error_response, unavailable_response

__all__ = ["IDEMPOTENCY_KEY_IN_USE", "IDEMPOTENCY_KEY_REUSED", "HEADER", "run_once"]

HEADER = "idempotency-key"
IDEMPOTENCY_KEY_IN_USE = "IDEMPOTENCY_KEY_IN_USE"
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
RETRY_IN_PROGRESS_SECONDS = 1


def _in_progress(media_type: str, message: str) -> Response:
    return error_response(409, message, code=IDEMPOTENCY_KEY_IN_USE, media_type=media_type,
                          headers={"Retry-After": str(RETRY_IN_PROGRESS_SECONDS)})


async def run_once(
    request: Request, context: Context, media_type: str, answer: Callable[[], Awaitable[Response]]
) -> Response:
    """`answer()` the request at most once per (API key, Idempotency-Key)."""
    keys = request.headers.getlist(HEADER)
    if len(keys) != 1:
        return error_response(400, "Idempotency-Key: send it once", media_type=media_type)
    try:
        claim = await store.begin(
            context.sessions, api_key_id=context.principal.id, key=keys[0], request_body=await request.body(),
            policy=store.IdempotencyPolicy.from_settings(context.settings),
        )
    except ServiceError as refused:
        return error_response(400, str(refused.errors[0]), media_type=media_type)
    except Exception as error:
        if is_database_outage(error):
            return unavailable_response(media_type)
        raise
    match claim.outcome:
        case store.ClaimOutcome.REPLAY:
            return Response(claim.body, claim.status, media_type=media_type, headers={"Idempotent-Replayed": "true"})
        case store.ClaimOutcome.MISMATCH:
            return error_response(422, "Idempotency-Key: was first used with another request body; "
                                  "use a new key for a new request", code=IDEMPOTENCY_KEY_REUSED, media_type=media_type)
        case store.ClaimOutcome.IN_PROGRESS:
            return _in_progress(media_type, "Idempotency-Key: the first request with this key is still running; "
                                "retry later for its response")

    context.hold_writes(lambda session: store.confirm(session, claim))
    try:
        response = await answer()
        if response.status_code < 500:
            await context.finish_writes(
                lambda session: store.complete(session, claim, response.status_code, bytes(response.body)))
            return response
    except store.ClaimLost:
        await context.discard_writes()
        return _in_progress(media_type, "Idempotency-Key: a retry took this request's place; retry for its response")
    except BaseException as error:
        await _give_back(context, claim)
        if isinstance(error, Exception) and is_database_outage(error):
            return unavailable_response(media_type)
        raise
    await _give_back(context, claim)  # an outage or a bug answered: nothing to repeat
    return response


async def _give_back(context: Context, claim: store.Claim) -> None:
    """Roll the request's writes back and free its key for a retry."""
    await context.discard_writes()
    with suppress(Exception):  # during an outage the claim is left to expire or be taken over
        await store.release(context.sessions, claim)
