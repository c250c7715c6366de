"""Logging that stays small when things fail: an outage or a hostile request must not fill the disk.

SQLAlchemy's errors carry the whole SQL statement and its parameters in their message (an IN list
of a hundred ids is several kilobytes), and other messages may quote a client's input. So:
- `describe_failure` says what went wrong in one short line, without SQL or traceback, for
  failures that are expected now and then (an unreachable database);
- `CappedTracebacks` keeps a record's traceback but cuts each exception's message in it to
  `MAX_LOGGED_BYTES`;
- `UVICORN_LOG_CONFIG` is uvicorn's logging set-up with that filter on its handlers (its
  "Exception in ASGI application" tracebacks), and the registry's loggers at INFO beside uvicorn's.
"""

import copy
import logging
import traceback

import sqlalchemy as sa
from uvicorn.config import LOGGING_CONFIG

__all__ = ["MAX_LOGGED_BYTES", "UVICORN_LOG_CONFIG", "CappedTracebacks", "capped", "describe_failure"]

MAX_LOGGED_BYTES = 300


def capped(text: str, limit: int = MAX_LOGGED_BYTES) -> str:
    """`text` cut to `limit` bytes of UTF-8, saying how much was left out."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return f"{encoded[:limit].decode(errors='ignore')}… [{len(encoded) - limit} more bytes]"


def describe_failure(exc: BaseException) -> str:
    """One short line: the exception's type and message (the driver's own, without SQL)."""
    if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None:
        exc = exc.orig  # SQLAlchemy's message adds the statement and its parameters to the driver's
    words = " ".join(str(exc).split())
    return capped(f"{type(exc).__name__}: {words}" if words else type(exc).__name__)


class CappedTracebacks(logging.Filter):
    """Renders a record's traceback with every exception message in it capped.

    A formatter uses `record.exc_text` when it is set, so whichever handler formats the record
    writes this text. Frames are short already; only messages can be long."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = "".join(
                _capped_entry(entry) for entry in traceback.format_exception(record.exc_info[1])
            ).rstrip("\n")
        return True


def _capped_entry(entry: str) -> str:
    # format_exception gives each frame, and each exception's "Type: message", as one entry
    shortened = capped(entry)
    return shortened if shortened == entry else shortened + "\n"


def _uvicorn_log_config() -> dict:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"capped_tracebacks": {"()": CappedTracebacks}}
    for handler in config["handlers"].values():
        handler["filters"] = ["capped_tracebacks"]
    config["loggers"]["registry"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


UVICORN_LOG_CONFIG = _uvicorn_log_config()
