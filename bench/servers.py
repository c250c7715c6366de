"""Starting the measured servers as real processes, waiting for them, watching their memory, stopping them."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Self

from .databases import BENCH_DIR, POSTGRAPHILE_DIR, asyncpg_dsn

__all__ = ["ServerProcess", "floor_server", "free_port", "postgraphile_server", "registry_server"]

HOST = "127.0.0.1"  # loopback only
STARTUP_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0


# production refuses the default admin secret (registry/app.py)
BENCH_ADMIN_SECRET = "bench-admin-secret-" + "x" * 32  # production refuses the default; the bench never logs in


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class ServerProcess:
    """A uvicorn server (`workers` processes) in its own process group, logging to a file."""

    startup_line = "Application startup complete"  # logged once per worker

    def __init__(self, name: str, command: list[str], env: dict[str, str], workers: int, log_path: Path):
        self.name, self.command, self.env, self.workers, self.log_path = name, command, env, workers, log_path
        self.port = int(command[command.index("--port") + 1])
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Self:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "wb") as log:  # a file, not a pipe: a full pipe would stall the server
            self.process = subprocess.Popen(self.command, env=self.env, cwd=BENCH_DIR.parent, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        """Every worker has started its application, and /readyz answers 200."""
        deadline, answer = time.monotonic() + STARTUP_TIMEOUT, "no answer"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            started = self.log_path.read_text(errors="replace").count(self.startup_line)
            if started >= self.workers:
                ready, answer = self._readiness()
                if ready:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} was not ready within {STARTUP_TIMEOUT:.0f} s: "
                           f"its readiness probe said {answer}\n{self.log_tail()}")

    def _readiness(self) -> tuple[bool, str]:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/readyz", timeout=5) as response:
                return response.status == 200, response.read().decode(errors="replace")
        except urllib.error.HTTPError as error:  # 503 with the reason in the body
            return False, error.read().decode(errors="replace")
        except OSError as error:
            return False, str(error)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: the server itself, or the children uvicorn spawned."""
        if self.workers == 1:
            return [self.process.pid]
        return self._children(b"spawn_main")  # a worker, not multiprocessing's resource tracker

    def _children(self, marker: bytes) -> list[int]:
        """The server process's children whose command line holds `marker`."""
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue  # gone meanwhile
            if parent == self.process.pid and marker in command:
                children.append(int(entry.name))
        return sorted(children)

    def reset_peak_memory(self) -> None:
        """Make VmHWM start again from the current RSS (Linux: write 5 to clear_refs)."""
        for pid in self.worker_pids():
            Path(f"/proc/{pid}/clear_refs").write_text("5")

    def peak_memory_mb(self) -> list[float]:
        """Each worker's peak resident memory since the last reset."""
        peaks = []
        for pid in self.worker_pids():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(round(int(line.split()[1]) / 1024, 1))
        return peaks

    def cpu_seconds(self) -> list[float]:
        """Each worker's user + system CPU time so far."""
        ticks = os.sysconf("SC_CLK_TCK")
        times = []
        for pid in self.worker_pids():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            times.append((int(fields[11]) + int(fields[12])) / ticks)  # utime, stime
        return times

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        group = os.getpgid(self.process.pid)  # our own session: the server and its workers only
        os.killpg(group, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            self.process.wait(STOP_TIMEOUT)


class PostGraphileProcess(ServerProcess):
    """PostGraphile's CLI: one Node.js process, or a cluster primary forking `workers` processes."""

    startup_line = " listening on port "  # once per process serving requests

    def _readiness(self) -> tuple[bool, str]:
        # no /readyz: the smallest GraphQL request, which needs the introspected schema and the pool
        probe = urllib.request.Request(f"http://{HOST}:{self.port}/graphql", data=b'{"query":"{__typename}"}',
                                       headers={"content-type": "application/json"})
        try:
            with urllib.request.urlopen(probe, timeout=5) as response:
                body = response.read().decode(errors="replace")
                return response.status == 200 and '"errors"' not in body, body
        except urllib.error.HTTPError as error:
            return False, error.read().decode(errors="replace")
        except OSError as error:
            return False, str(error)

    def worker_pids(self) -> list[int]:
        if self.workers == 1:
            return [self.process.pid]
        return self._children(b"postgraphile")  # the cluster's forked workers


def _env(database_url: str) -> dict[str, str]:
    return {**os.environ, "REGISTRY_DATABASE_URL": database_url, "REGISTRY_ENV": "production",
            "REGISTRY_ADMIN_SECRET": BENCH_ADMIN_SECRET}


def registry_server(database_url: str, workers: int, log_dir: Path) -> ServerProcess:
    """`registry serve`, exactly as deployed."""
    registry = str(Path(sys.executable).with_name("registry"))
    command = [registry, "serve", "--host", HOST, "--port", str(free_port()), "--workers", str(workers)]
    log_path = log_dir / f"registry-w{workers}.log"
    return ServerProcess("registry", command, _env(database_url), workers, log_path)


def floor_server(database_url: str, workers: int, log_dir: Path) -> ServerProcess:
    """The SQL floor under the same uvicorn settings as `registry serve` in production (loop, parser,
    and no access log: `REGISTRY_ACCESS_LOG`'s production default)."""
    command = [sys.executable, "-m", "uvicorn", "bench.floor:create_app", "--factory", "--host", HOST,
               "--port", str(free_port()), "--workers", str(workers), "--log-level", "info", "--no-access-log"]
    return ServerProcess("floor", command, _env(database_url), workers, log_dir / f"floor-w{workers}.log")


def postgraphile_server(database_url: str, workers: int, log_dir: Path) -> ServerProcess:
    """PostGraphile 4 (bench/postgraphile, `npm ci` first) on the benchmark database, configured as a
    production deployment: read-only schema (no default mutations), no GraphiQL, no watch, no query
    log (as our servers run without an access log), the same 16 connections per process."""
    executable = POSTGRAPHILE_DIR / "node_modules" / ".bin" / "postgraphile"
    if not executable.exists():
        raise RuntimeError(f"PostGraphile is not installed: run `npm ci --prefix {POSTGRAPHILE_DIR}`")
    command = [str(executable), "--connection", asyncpg_dsn(database_url), "--schema", "public",
               "--host", HOST, "--port", str(free_port()), "--max-pool-size", "16",
               "--disable-default-mutations", "--simple-collections", "both", "--disable-graphiql",
               "--disable-query-log"]
    if workers > 1:
        command += ["--cluster-workers", str(workers)]
    env = {**os.environ, "NODE_ENV": "production"}
    log_path = log_dir / f"postgraphile-w{workers}.log"
    return PostGraphileProcess("postgraphile", command, env, workers, log_path)
