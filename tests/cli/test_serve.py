"""`registry serve` as a real uvicorn server in a subprocess, on a free port."""

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from registry.config import Settings
from tests.cli.test_db_commands import REGISTRY
from tests.utils.servers import TEST_ADMIN_SECRET

LIVENESS = 60  # seconds for the server to start or a log line to appear; only a failure takes that long
REFUSING_DATABASE = "postgresql+asyncpg://registry:secret@127.0.0.1:1/registry"  # nothing listens on port 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, workers: int, log: Path, **environment: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        environment = {**os.environ, "REGISTRY_DATABASE_URL": REFUSING_DATABASE, "REGISTRY_ENV": "production",
                       "REGISTRY_DATABASE_CONNECT_TIMEOUT": "1", "REGISTRY_ADMIN_SECRET": TEST_ADMIN_SECRET,
                       **environment}
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [REGISTRY, "serve", "--port", str(self.port), "--workers", str(workers)],
                stdout=output, stderr=subprocess.STDOUT, env=environment, start_new_session=True,
            )

    def wait_for_log(self, text: str) -> str:
        deadline = time.monotonic() + LIVENESS
        while text not in (log := self.log.read_text()):
            assert self.process.poll() is None and time.monotonic() < deadline, log
            time.sleep(0.1)
        return log

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)  # the server and the workers it started
        self.process.wait(timeout=LIVENESS)


def _started(server: Server) -> Iterator[Server]:
    try:
        server.wait_for_log("Application startup complete")
        server.wait_for_log("Uvicorn running on")  # one process starts the app, then listens
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module", params=[1, 2], ids=["1 worker", "2 workers"])
def server(request, tmp_path_factory) -> Iterator[Server]:
    yield from _started(Server(request.param, tmp_path_factory.mktemp("serve") / "server.log"))


def test_production_writes_no_access_log_line(server):
    # uvicorn writes (and flushes) the access line when the response starts, before the client has it
    assert httpx.get(f"{server.url}/healthz?no-access-line", timeout=LIVENESS).status_code == 200
    log = server.log.read_text()
    assert "/healthz?no-access-line" not in log, log


def test_the_access_log_can_be_turned_on_in_production(tmp_path):
    for server in _started(Server(1, tmp_path / "server.log", REGISTRY_ACCESS_LOG="true")):
        assert httpx.get(f"{server.url}/healthz?access-line", timeout=LIVENESS).status_code == 200
        server.wait_for_log('"GET /healthz?access-line HTTP/1.1" 200')


@pytest.mark.parametrize(("env", "access_log", "logs_access"), [
    ("development", None, True), ("test", None, True), ("production", None, False),
    ("production", True, True), ("development", False, False),
])
def test_the_access_log_defaults_to_on_except_in_production(env, access_log, logs_access):
    assert Settings(env=env, access_log=access_log).logs_access is logs_access


def test_a_malformed_access_log_setting_is_refused_naming_it(monkeypatch):
    monkeypatch.setenv("REGISTRY_ACCESS_LOG", "sometimes")
    with pytest.raises(ValidationError, match="access_log"):
        Settings()


def test_responses_carry_no_server_header(server):
    response = httpx.get(f"{server.url}/healthz", timeout=LIVENESS)
    assert response.status_code == 200
    assert "server" not in response.headers, response.headers


def test_an_unreachable_database_is_one_warning_line_at_start_up(server):
    log = server.wait_for_log("unreachable at start-up")
    lines = [line for line in log.splitlines() if "unreachable at start-up" in line]
    assert lines and all(line.startswith("WARNING") for line in lines), log  # uvicorn's format
    assert "Traceback" not in log and "secret" not in log


def test_a_client_leaving_mid_request_is_logged_without_traceback(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=LIVENESS) as client:
        client.sendall(b"POST /graphql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                       b"Content-Length: 1000\r\n\r\n{\"query\": ")  # then leaves, 990 bytes short
    log = server.wait_for_log("client disconnected")
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log
