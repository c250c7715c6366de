"""The registry served for real: the `registry` command in subprocesses, on a free port of 127.0.0.1."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.utils.databases import create_database, drop_database

REGISTRY = str(Path(sys.executable).with_name("registry"))
READY_WITHIN = 30  # seconds from start to a 200 from /readyz
STOP_WITHIN = 15  # seconds from SIGTERM to exit, before SIGKILL
LOG_TAIL = 4_000  # characters of the server's output quoted when it fails to start


class ServerFailed(RuntimeError):
    """The registry command failed or the server did not become ready; the message has its output."""


# production refuses the default admin secret (registry/app.py)
TEST_ADMIN_SECRET = "test-admin-secret-" + "x" * 32


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _environment(database_url: str) -> dict[str, str]:
    return {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_ENV": "production",
            "REGISTRY_ADMIN_SECRET": TEST_ADMIN_SECRET}


def run_registry(database_url: str, *arguments: str) -> None:
    """Run `registry ARGUMENTS` against the database; raise with its output when it fails."""
    done = subprocess.run([REGISTRY, *arguments], env=_environment(database_url),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise ServerFailed(f"`registry {' '.join(arguments)}` exited {done.returncode}:\n"
                           f"{done.stdout}{done.stderr}")


def _wait_until_ready(server: subprocess.Popen, base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            if httpx.get(f"{base_url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    state = "exited" if server.poll() is not None else f"was not ready within {READY_WITHIN} s"
    raise ServerFailed(f"`registry serve` {state}:\n{log_path.read_text(errors='replace')[-LOG_TAIL:]}")


@contextmanager
def registry_server(database_url: str, log_path: Path, workers: int = 1) -> Iterator[str]:
    """`registry serve` in production mode, its output in `log_path`; yields its base URL once ready."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    with log_path.open("wb") as log:
        server = subprocess.Popen([REGISTRY, "serve", "--port", str(port), "--workers", str(workers)],
                                  env=_environment(database_url), stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(server, base_url, log_path)
        yield base_url
    finally:
        server.terminate()
        try:
            server.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@contextmanager
def seeded_registry_server(backend: str, directory: Path) -> Iterator[str]:
    """A new database of `backend` migrated and seeded by the command line, served; dropped afterwards."""
    database_url = create_database(backend, directory)
    try:
        run_registry(database_url, "db", "upgrade")
        run_registry(database_url, "seed")
        with registry_server(database_url, directory / f"server-{backend}.log") as base_url:
            yield base_url
    finally:
        drop_database(database_url)
