"""What the API logs: client errors quietly, bugs with a traceback whose messages are capped."""

import logging

from registry.logs import MAX_LOGGED_BYTES, CappedTracebacks
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import gql_errors

# Every column of a project: SQLAlchemy's error repeats the whole statement, well past the cap.
WIDE_QUERY = "{ projects(first: 100) { edges { node { id title status description actual { value } } } } }"


def _formatted(record: logging.LogRecord) -> str:
    return logging.Formatter().format(record)


async def test_an_unexpected_errors_traceback_is_logged_with_its_sql_capped(empty_database, caplog):
    # an unmigrated database makes the query fail inside the server, with the SQL in the message
    async for client in asgi_client(app_settings(empty_database)):
        [error] = await gql_errors(client, WIDE_QUERY)
        assert error["message"] == "Unexpected error."
    [record] = [r for r in caplog.records if r.name == "registry.graphql"]
    assert record.levelname == "ERROR" and record.exc_info is not None
    text = _formatted(record)
    assert "Traceback (most recent call last)" in text
    assert "more bytes]" in text, text  # the statement was cut
    longest = max(len(line.encode()) for line in text.splitlines())
    assert longest <= MAX_LOGGED_BYTES + len("… [99999 more bytes]"), text


def test_a_long_message_is_capped_in_every_exception_of_a_chain():
    try:
        try:
            raise ValueError("é" * 5000)  # two bytes each: the cap counts bytes
        except ValueError as cause:
            raise RuntimeError("x" * 5000) from cause
    except RuntimeError as error:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", (), (type(error), error, None))
    CappedTracebacks().filter(record)
    text = _formatted(record)
    assert "ValueError" in text and "RuntimeError" in text and "direct cause" in text
    assert text.count("more bytes]") == 2
    assert len(text.encode()) < 3 * MAX_LOGGED_BYTES + 1000, text


async def test_a_clients_mistake_is_logged_at_debug_without_traceback(client, caplog):
    caplog.set_level(logging.DEBUG, logger="registry")
    await gql_errors(client, "{ projects(first: 1) { edges { node { nonsense" + "x" * 2000 + " } } } }")
    logged = [r for r in caplog.records if r.name == "registry.graphql"]
    assert logged and all(r.levelname == "DEBUG" and r.exc_info is None for r in logged), caplog.text
    assert all(len(r.getMessage().encode()) < MAX_LOGGED_BYTES + 100 for r in logged), caplog.text
