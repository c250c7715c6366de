"""Where one request's CPU goes, in-process: cProfile over the real app, grouped by phase.

    python -m bench.profile --database-url postgresql+asyncpg://…/registry_bench [--measurement Q2-uncached]

The app is the one `registry serve` runs (production settings); each request of the measurement's
list is sent straight to it as an ASGI call (`bench/asgi.py`: no HTTP server or client), once to
warm up, then again under cProfile with a CPU-time clock (time spent waiting for the database is
not counted). Printed: function calls and CPU µs per request, in total and for each phase (the
functions' own time, grouped by the module they are in; a builtin counts for its main caller's
phase), then the most expensive functions. Call counts are deterministic, times are not:
compare call counts between commits, and time only on an idle machine.
"""

import argparse
import asyncio
import cProfile
import io
import pstats
import time

from asgi_lifespan import LifespanManager

from registry.app import create_app
from registry.config import Environment, Settings

from .asgi import send_to_app
from .servers import BENCH_ADMIN_SECRET
from .workload import MEASUREMENTS, build_workload

__all__ = ["main"]

# Phase of a function, by the first of these path fragments its file's path contains (own time
# only: cumulative times of coroutines, resumed many times and nested, do not add up).
PHASES = [
    ("HTTP: uvicorn-free ASGI, Starlette, FastAPI, Strawberry's view, our router and middleware",
     ("/starlette/", "/fastapi/", "/strawberry/http/", "/strawberry/fastapi/", "/cross_web/", "/registry/http/",
      "/pydantic", "/anyio/")),
    ("context and loaders set up", ("/registry/graphql/context.py", "/registry/app.py")),
    ("parse/validation cache, limits, extensions, masking",
     ("/registry/graphql/core/limits.py", "/registry/graphql/core/error_codes.py",
      "/registry/graphql/core/argument_values.py", "/strawberry/extensions/", "/strawberry/schema/schema.py",
      "site-packages/graphql/validation/", "site-packages/graphql/language/")),
    ("execution: our fast executor", ("/registry/graphql/core/execution.py",)),
    ("statements: prefetch walk and loaders", ("/registry/graphql/core/prefetch.py",
                                              "/registry/graphql/core/dataloaders.py")),
    ("statements: building objects", ("/registry/graphql/core/types.py", "/registry/partial_date.py")),
    ("statements: driver (asyncpg, aiosqlite, SQLAlchemy)", ("/asyncpg/", "/aiosqlite/", "/sqlalchemy/",
                                                             "/greenlet", "/registry/db.py")),
    ("event loop and sockets", ("/asyncio/", "/selectors.py", "/socket")),
    ("serialization (orjson, json)", ("orjson", "/json/")),
    ("execution: graphql-core, Strawberry, our resolvers", ("site-packages/graphql/", "/strawberry/",
                                                           "/registry/graphql/")),
]


def _phase(filename: str, name: str) -> str:
    where = f"{filename}:{name}"
    for phase, fragments in PHASES:
        if any(fragment in where for fragment in fragments):
            return phase
    return "other (builtins, typing, logging…)"


def _by_phase(stats: pstats.Stats) -> dict[str, list[float]]:
    """phase -> [own CPU seconds, calls]."""
    totals: dict[str, list[float]] = {phase: [0.0, 0] for phase, _ in PHASES}
    for (filename, _line, name), (_primitive, calls, own, _cumulative, callers) in stats.stats.items():
        if filename == "~":  # a builtin: charged to the phase of the function that called it
            caller = max(callers, key=lambda c: callers[c][2]) if callers else None
            filename, name = (caller[0], caller[2]) if caller else ("~", name)
        entry = totals.setdefault(_phase(filename, name), [0.0, 0])
        entry[0] += own
        entry[1] += calls
    return totals


async def _profile(database_url: str, measurement: str, requests: int) -> None:
    workload = (await build_workload(database_url))[measurement][:requests]
    app = create_app(Settings(database_url=database_url, env=Environment.PRODUCTION, admin_secret=BENCH_ADMIN_SECRET))
    async with LifespanManager(app):
        for request in workload:
            status, body = await send_to_app(app, request)
            if status != 200 or b'"errors"' in body:
                raise SystemExit(f"{measurement}: HTTP {status}: {body[:300]!r}")
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for request in workload:
            await send_to_app(app, request)
        profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    count = len(workload)
    print(f"{measurement}: {count} requests, {stats.total_calls / count:,.0f} function calls and "
          f"{stats.total_tt / count * 1e6:,.0f} µs of CPU (under cProfile) per request")
    for phase, (seconds, calls) in sorted(_by_phase(stats).items(), key=lambda item: -item[1][0]):
        print(f"  {phase:<90} {calls / count:7,.0f} calls {seconds / count * 1e6:7,.0f} µs "
              f"{seconds / stats.total_tt:6.1%}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
    print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a benchmark database (bench/generate.py)")
    parser.add_argument("--measurement", choices=MEASUREMENTS, default="Q2-uncached")
    parser.add_argument("--requests", type=int, default=200, help="requests profiled (from the measurement's list)")
    arguments = parser.parse_args()
    asyncio.run(_profile(arguments.database_url, arguments.measurement, arguments.requests))


if __name__ == "__main__":
    main()
