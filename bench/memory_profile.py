"""What a worker holds after each of the benchmark's reads, in-process (issue #14's 200 MB).

    python -m bench.memory_profile --url URL [--rounds 2] [--concurrency 16] [--tracemalloc]

Sends bench/workload.py's requests straight to the app (bench/asgi.py), `--concurrency` at once,
each measurement's list `--rounds` times, in bench/run.py's order, then W2's bulkUpserts (these
write: never on a database others measure). After each it prints the process's VmHWM (peak,
reset before each) and VmRSS, and VmRSS again after glibc's `malloc_trim(0)` on a copy run
(`--trim`): what trimming gives back is memory freed but kept by the allocator. With
`--tracemalloc`, the Python objects allocated and still alive after each measurement, by line.
"""

import argparse
import asyncio
import ctypes
import gc
import tracemalloc

from asgi_lifespan import LifespanManager

from registry.app import create_app
from registry.config import Environment, Settings

from . import writes
from .asgi import send_to_app
from .load import WRITE_COUNT, WRITE_KEY
from .servers import BENCH_ADMIN_SECRET
from .workload import MEASUREMENTS, HttpRequest, build_workload

__all__ = ["main"]


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as clear_refs:
        clear_refs.write("5")  # VmHWM back to VmRSS


async def _replay(app, requests: list[HttpRequest], concurrency: int) -> None:
    queue = list(reversed(requests))

    async def client() -> None:
        while queue:
            status, body = await send_to_app(app, queue.pop())
            if status != 200 or b'"errors"' in body:
                raise SystemExit(f"HTTP {status}: {body[:300]!r}")

    await asyncio.gather(*[client() for _ in range(concurrency)])


def _bulk_requests(request: HttpRequest, count: int) -> list[HttpRequest]:
    return [HttpRequest(request.method, request.target,
                        request.body.replace(WRITE_KEY, f"memory-{i}").replace(WRITE_COUNT, "0"), request.headers)
            for i in range(count)]


async def _profile(url: str, rounds: int, concurrency: int, trim: bool, traced: bool) -> None:
    workload = await build_workload(url)
    bulk = (await writes.build_writes(url))["W2-bulk"][0]
    workload["W2-bulk"] = _bulk_requests(bulk, 8)
    libc = ctypes.CDLL("libc.so.6")
    app = create_app(Settings(database_url=url, env=Environment.PRODUCTION, admin_secret=BENCH_ADMIN_SECRET))
    async with LifespanManager(app):
        print(f"{'started':<14} rss {_status_mb('VmRSS'):6.1f} MB")
        before = tracemalloc.take_snapshot() if traced else None
        for name in [*MEASUREMENTS, "W2-bulk"]:
            _reset_peak()
            clients = 2 if name == "W2-bulk" else concurrency
            for _ in range(1 if name == "W2-bulk" else rounds):
                await _replay(app, workload[name], clients)
            gc.collect()
            line = f"{name:<14} peak {_status_mb('VmHWM'):6.1f} MB, rss {_status_mb('VmRSS'):6.1f} MB"
            if trim:
                libc.malloc_trim(0)
                line += f", after malloc_trim {_status_mb('VmRSS'):6.1f} MB"
            if traced:
                traced_now, traced_peak = tracemalloc.get_traced_memory()
                line += f", traced {traced_now / 2**20:6.1f} MB (peak {traced_peak / 2**20:6.1f})"
                tracemalloc.reset_peak()
            print(line, flush=True)
            if traced:
                after = tracemalloc.take_snapshot()
                for stat in after.compare_to(before, "lineno")[:12]:
                    print(f"    {stat.size_diff / 2**20:+7.2f} MB {stat.count_diff:+8,} {stat.traceback[0]}")
                before = after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="database URL (W2 writes into it)")
    parser.add_argument("--rounds", type=int, default=2, help="times each read measurement's requests are sent")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--trim", action="store_true", help="malloc_trim(0) after each measurement")
    parser.add_argument("--tracemalloc", action="store_true", help="Python allocations alive after each")
    options = parser.parse_args()
    if options.tracemalloc:
        tracemalloc.start(1)
    asyncio.run(_profile(options.url, options.rounds, options.concurrency, options.trim, options.tracemalloc))


if __name__ == "__main__":
    main()
