"""Statements and Python calls per write, in-process, with bench/writes.py's request shapes.

    python -m bench.write_profile [--database postgres|sqlite] [--url URL] [--bulk-size 500] [--cpu 200]

On a database it recreates (default: the benchmark's, emptied: run it before `make bench`, not
during), with one source and the seed's countries: a W1 single upsert that creates a record,
the same upsert again that updates it, and a W2 bulkUpsert of new organizations, each sent
straight to the app (`bench/asgi.py`) with an API key. Printed per request: SQL statements
(`registry.db.StatementLog`, counted on the app's engine, the API key check included) and
function calls under cProfile, each also per record. Both are deterministic: compare them
between commits; time only on an idle machine (`make bench`). `--cpu N` adds the process CPU time
per request over N W1 upserts (each key created, then updated) and N / 50 W2 batches, sent one
after another without the profiler: a rough figure (the database's CPU is not in it), for an
idle machine only.
"""

import argparse
import asyncio
import cProfile
import json
import pstats
import time

from asgi_lifespan import LifespanManager

from registry import migrate, services
from registry.app import create_app
from registry.config import REPO_ROOT, Environment, Settings
from registry.db import StatementLog, create_engine, create_sessionmaker
from registry.seeding import read_seed

from . import writes
from .asgi import send_to_app
from .databases import bench_database_url, recreate_database
from .load import WRITE_COUNT, WRITE_KEY
from .servers import BENCH_ADMIN_SECRET
from .workload import HttpRequest

__all__ = ["main"]

AUTHOR = services.Author("bench")


async def _prepare(url: str) -> None:
    data, problems = read_seed(REPO_ROOT / "seed")
    assert not problems, problems
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            for code, name in sorted(data.countries.items()):
                await services.save_country(session, code, name, author=AUTHOR)
            await services.save(session, services.SOURCE, "bench-source",
                                services.SourceIn(file="bench.txt", title="Benchmark"), author=AUTHOR)
    finally:
        await engine.dispose()


def _filled(request: HttpRequest, key: str, count: int) -> HttpRequest:
    body = request.body.replace(WRITE_KEY, key).replace(WRITE_COUNT, str(count))
    return HttpRequest(request.method, request.target, body, request.headers)


async def _measure(app, engine, request: HttpRequest) -> tuple[int, int]:
    """(statements, function calls) of one request, which must succeed."""
    profiler = cProfile.Profile()
    with StatementLog(engine) as log:
        profiler.enable()
        status, body = await send_to_app(app, request)
        profiler.disable()
        statements = len(await log.settled())
    if status != 200 or b'"errors"' in body or b'"userErrors":[{' in body:
        raise SystemExit(f"HTTP {status}: {body[:300]!r}")
    return statements, pstats.Stats(profiler).total_calls


async def _cpu_per_request(app, requests: list[HttpRequest]) -> float:
    """Milliseconds of this process's CPU per request, sent one after another."""
    started = time.process_time()
    for request in requests:
        status, body = await send_to_app(app, request)
        if status != 200 or b'"userErrors":[{' in body:
            raise SystemExit(f"HTTP {status}: {body[:300]!r}")
    return (time.process_time() - started) * 1000 / len(requests)


async def _profile(url: str, bulk_size: int, cpu_requests: int) -> None:
    await _prepare(url)
    requests = await writes.build_writes(url)
    single, bulk = requests["W1-upsert"][0], requests["W2-bulk"][0]
    app = create_app(Settings(database_url=url, env=Environment.PRODUCTION, admin_secret=BENCH_ADMIN_SECRET))
    async with LifespanManager(app):
        engine = app.state.engine
        await send_to_app(app, _filled(single, "warm", 0))  # first use: caches, prepared statements
        await send_to_app(app, _filled(bulk, "warm", 0))
        rows = [("W1-upsert, create", _filled(single, "a", 0), 1), ("W1-upsert, update", _filled(single, "a", 1), 1)]
        for size in sorted({10, bulk_size}):
            request = _filled(bulk, f"b{size}", 0)
            if size != writes.BULK_SIZE:
                request = _resized(request, size)
            rows.append((f"W2-bulk, {size} new", request, size))
        for name, request, records in rows:
            statements, calls = await _measure(app, engine, request)
            print(f"{name:<22} {statements:6,} statements ({statements / records:7.2f} a record), "
                  f"{calls:10,} calls ({calls / records:9,.0f} a record)")
        if cpu_requests:
            upserts = [_filled(single, f"cpu-{i // 2}", i) for i in range(cpu_requests)]
            batches = [_filled(bulk, f"cpu-{i}", 0) for i in range(max(1, cpu_requests // 50))]
            print(f"W1-upsert: {await _cpu_per_request(app, upserts):.1f} ms of CPU a request "
                  f"({len(upserts)} in turn); W2-bulk: {await _cpu_per_request(app, batches):.0f} ms a batch "
                  f"of {writes.BULK_SIZE} ({len(batches)} in turn)")


def _resized(request: HttpRequest, size: int) -> HttpRequest:
    body = json.loads(request.body)
    body["variables"]["records"] = body["variables"]["records"][:size]
    return HttpRequest(request.method, request.target, json.dumps(body), request.headers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--url", help="database URL (default: the benchmark's; it is recreated)")
    parser.add_argument("--bulk-size", type=int, default=writes.BULK_SIZE)
    parser.add_argument("--cpu", type=int, default=0, metavar="N", help="also time N upserts' CPU (idle machine)")
    options = parser.parse_args()
    url = bench_database_url(options.database, options.url)
    recreate_database(url)
    migrate.upgrade(url)
    asyncio.run(_profile(url, options.bulk_size, options.cpu))


if __name__ == "__main__":
    main()
