"""Request bodies over the limit are refused with 413: by Content-Length up front, or while read."""

import pytest

from tests.conftest import app_settings, asgi_client

LIMIT = 4096


@pytest.fixture
async def limited(database_url):
    async for client in asgi_client(app_settings(database_url, max_request_body_bytes=LIMIT)):
        yield client


def _query_of(size: int) -> bytes:
    body = b'{"query": "{ __typename }", "variables": {"pad": "'
    return body + b"x" * (size - len(body) - 3) + b'"}}'


async def test_a_body_within_the_limit_runs(limited):
    body = _query_of(LIMIT)
    assert len(body) == LIMIT
    response = await limited.post("/graphql", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text


async def test_a_declared_length_over_the_limit_is_refused_before_reading(limited):
    pulled = 0

    async def body():
        nonlocal pulled
        for _ in range(1024):  # 64 MB if it were all read
            pulled += 1
            yield b"x" * 65536

    response = await limited.post("/graphql", content=body(), headers={
        "Content-Type": "application/json", "Content-Length": str(64 << 20)})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    assert pulled <= 1


async def test_a_chunked_body_over_the_limit_is_refused_while_read(limited):
    pulled = 0

    async def body():
        nonlocal pulled
        for _ in range(1024):
            pulled += 1
            yield b"x" * 1024

    response = await limited.post("/graphql", content=body(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413
    assert f"larger than {LIMIT} bytes" in response.json()["errors"][0]["message"]
    assert pulled <= LIMIT // 1024 + 2  # stopped at the limit, not read to the end


async def test_a_body_longer_than_its_content_length_is_refused(limited):
    async def body():
        yield _query_of(LIMIT)
        yield b"x" * LIMIT

    response = await limited.post("/graphql", content=body(), headers={
        "Content-Type": "application/json", "Content-Length": "100"})
    assert response.status_code == 413


@pytest.mark.parametrize("length", ["-1", "12abc", "1e9", ""])
async def test_a_malformed_content_length_is_400(limited, length):
    response = await limited.post("/graphql", content=b'{"query": "{ __typename }"}', headers={
        "Content-Type": "application/json", "Content-Length": length})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Content-Length: not a number of bytes"


async def test_the_default_limit_refuses_64_megabytes(client):
    response = await client.post(
        "/graphql", content=b" " * (64 << 20), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
