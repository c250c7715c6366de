"""Write throughput of the service layer: single upserts by identifier from concurrent connections.

    .venv/bin/python -m bench.service_writes [--connections 16] [--processes 1] [--seconds 20] [--url URL]

Each connection commits one upsert per transaction (half create a record, half partially
update one of its own), the way a partner's sync pushes records. Prints upserts per second and
latency percentiles. It measures what the change feed's commit lock (registry.services.changes)
costs: every write transaction takes it for its last INSERT and its COMMIT. Runs on a database it
recreates (default: the benchmark's PostgreSQL database, bench/databases.py).
"""

import argparse
import asyncio
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from registry import migrate, services
from registry.db import create_engine, create_sessionmaker

from .databases import bench_database_url, recreate_database

AUTHOR = services.Author("bench")
CITATION = [{"source": "bench-source", "excerpt": "a benchmark statement"}]


async def _connection(sessions, number: int, deadline: float, latencies: list[float]) -> None:
    write = 0
    while time.perf_counter() < deadline:
        key = f"{number}-{write // 2}"  # every key is created once, then updated once
        fields = {"name": f"Organization {key}", "kind": "company", "citations": CITATION,
                  "description": f"write {write}"}
        started = time.perf_counter()
        async with sessions() as session, session.begin():
            await services.upsert_by_identifier(session, services.ORGANIZATION, "bench", key,
                                                fields if write % 2 == 0 else {"description": f"write {write}"},
                                                author=AUTHOR)
        latencies.append(time.perf_counter() - started)
        write += 1


async def _setup(url: str) -> None:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session, session.begin():
            await services.save(session, services.SOURCE, "bench-source",
                                services.SourceIn(file="bench.txt", title="Benchmark"), author=AUTHOR)
    finally:
        await engine.dispose()


async def _connections(url: str, numbers: range, seconds: float) -> list[float]:
    engine = create_engine(url, pool_size=len(numbers))
    latencies: list[float] = []
    try:
        deadline = time.perf_counter() + seconds
        await asyncio.gather(*(_connection(create_sessionmaker(engine), n, deadline, latencies) for n in numbers))
    finally:
        await engine.dispose()
    return latencies


def _process(url: str, numbers: range, seconds: float) -> list[float]:
    return asyncio.run(_connections(url, numbers, seconds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1, help="share the connections among N processes")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--url", help="database URL (default: the benchmark's PostgreSQL database)")
    options = parser.parse_args()
    url = bench_database_url("postgres", options.url)
    recreate_database(url)
    migrate.upgrade(url)
    asyncio.run(_setup(url))
    shares = [range(p, options.connections, options.processes) for p in range(options.processes)]
    with ProcessPoolExecutor(options.processes) as pool:
        latencies = [t for part in pool.map(_process, [url] * len(shares), shares, [options.seconds] * len(shares))
                     for t in part]
    cuts = statistics.quantiles(latencies, n=100)
    print(f"{len(latencies)} upserts from {options.connections} connections in {options.processes} process(es), "
          f"{options.seconds:g} s: {len(latencies) / options.seconds:.0f}/s; "
          f"latency p50 {cuts[49] * 1000:.1f} ms, p99 {cuts[98] * 1000:.1f} ms")


if __name__ == "__main__":
    main()
