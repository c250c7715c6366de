"""Run the benchmark: generate data, start the real server and the SQL floor, load both, report.

    python -m bench.run                              # PostgreSQL, scale 1, 5 s warm-up + 20 s each
    python -m bench.run --quick --database sqlite    # the CI smoke test: tiny scale, short windows
    python -m bench.run --scale 10 --skip-generate   # reuse a database generated earlier
    python -m bench.run --postgraphile               # PostGraphile 4 too (`make bench-postgraphile`)

After the reads, the writes (bench/writes.py): W1-upsert and W2-bulk through the API with a key,
reported as rows per second, and Q2 once more while single upserts run beside it
(`Q2-beside-writes`: the server and the floor are both measured under that same write load).

For each worker count (1, then 2) the servers run side by side; each measurement loads the
server and the floor (and PostGraphile for Q1 and Q2 with --postgraphile) with the same requests,
one after the other, the order rotating from one measurement to the next, so `ratio = server rps /
floor rps` compares like with like in the same minute. Exits non-zero when something is broken
(a server does not start, a response is an error, the floor or PostGraphile and the server
disagree); missing a target is reported, not failed.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import asdict, dataclass

import sqlalchemy as sa

from registry.db import is_sqlite

from . import report
from .databases import RESULTS_DIR, bench_database_url
from .generate import generate
from .load import REQUEST_TIMEOUT, LoadSpec
from .parity import compare_answers, compare_mapped_answers
from .postgraphile_rival import normalised, postgraphile_requests, prepare_database
from .servers import HOST, ServerProcess, floor_server, postgraphile_server, registry_server
from .statements import count_statements
from .workload import MEASUREMENTS, HttpRequest, build_workload
from .writes import BULK_SIZE, WRITE_MEASUREMENTS, build_writes

BESIDE_WRITES = "Q2-beside-writes"
ALL_MEASUREMENTS = [*MEASUREMENTS, *WRITE_MEASUREMENTS, BESIDE_WRITES]
# Connections per write measurement: 16 single upserts as the issue asks; bulk batches of 500 are
# heavy enough that 4 keep the server busy; the writes beside Q2 are a steady background load.
WRITE_CONCURRENCY = {"W1-upsert": 16, "W2-bulk": 4, BESIDE_WRITES: 4}
ROWS_PER_REQUEST = {"W1-upsert": 1, "W2-bulk": BULK_SIZE}


@dataclass(frozen=True)
class Options:
    database_url: str
    scale: float
    generate: bool
    workers: list[int]
    measurements: list[str]
    warmup: float
    duration: float
    max_requests: int
    concurrency: int
    parity_checks: int
    postgraphile: bool


def _options() -> Options:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="scale 0.02, 0.3 s warm-up, 1 s windows")
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--database-url", help="an explicit SQLAlchemy async URL (overrides --database)")
    parser.add_argument("--scale", type=float, help="data scale (default 1, or 0.02 with --quick)")
    parser.add_argument("--skip-generate", action="store_true", help="measure the database as it is")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--measurements", nargs="+", choices=ALL_MEASUREMENTS, default=ALL_MEASUREMENTS,
                        help="only these (default: all)")
    parser.add_argument("--warmup", type=float, help="seconds of warm-up per measurement (default 5)")
    parser.add_argument("--duration", type=float, help="seconds measured per measurement (default 20)")
    parser.add_argument("--max-requests", type=int, default=200_000, help="cap per measured window")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--postgraphile", action="store_true",
                        help="PostgreSQL only: also load PostGraphile 4 (bench/postgraphile, `npm ci` first) "
                             "with Q1 and Q2, after checking its answers against ours")
    args = parser.parse_args()
    quick = args.quick
    database_url = bench_database_url(args.database, args.database_url)
    if args.postgraphile and is_sqlite(database_url):
        parser.error("--postgraphile needs PostgreSQL")
    return Options(
        database_url=database_url,
        scale=args.scale if args.scale is not None else (0.02 if quick else 1.0),
        generate=not args.skip_generate,
        workers=args.workers,
        measurements=args.measurements,
        warmup=args.warmup if args.warmup is not None else (0.3 if quick else 5.0),
        duration=args.duration if args.duration is not None else (1.0 if quick else 20.0),
        max_requests=args.max_requests,
        concurrency=args.concurrency,
        parity_checks=3 if quick else 20,
        postgraphile=args.postgraphile,
    )


@dataclass
class _LoadClient:
    process: subprocess.Popen
    spec_path: str
    server_name: str
    timeout: float

    def summary(self) -> dict:
        """Wait for the client to finish; its summary."""
        try:
            out, err = self.process.communicate(timeout=self.timeout)
        finally:
            os.unlink(self.spec_path)
        if self.process.returncode != 0:
            raise RuntimeError(f"the load client failed against {self.server_name}:\n{err[-2000:]}")
        return json.loads(out.strip().splitlines()[-1])


def _start_load(server: ServerProcess, requests: list[HttpRequest], options: Options, *,
                concurrency: int | None = None, duration: float | None = None) -> _LoadClient:
    """A load client in a process of its own, loading `server` while the caller goes on."""
    spec = LoadSpec(host=HOST, port=server.port, requests=[r.to_json() for r in requests],
                    concurrency=concurrency or options.concurrency, warmup=options.warmup,
                    duration=duration or options.duration, max_requests=options.max_requests)
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=RESULTS_DIR, delete=False) as spec_file:
        json.dump(asdict(spec), spec_file)
    process = subprocess.Popen([sys.executable, "-m", "bench.load", spec_file.name], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    return _LoadClient(process, spec_file.name, server.name, spec.warmup + spec.duration + REQUEST_TIMEOUT + 30)


def _drive(server: ServerProcess, requests: list[HttpRequest], options: Options, **load) -> dict:
    """Load `server` from a separate client process; returns the client's summary."""
    return _start_load(server, requests, options, **load).summary()


def _drive_watched(server: ServerProcess, requests: list[HttpRequest], options: Options) -> dict:
    """`_drive`, plus the server's peak memory, each worker's share of its CPU, and the load average."""
    server.reset_peak_memory()
    cpu_before = server.cpu_seconds()
    measured = _drive(server, requests, options)
    cpu_used = [after - before for before, after in zip(cpu_before, server.cpu_seconds(), strict=True)]
    rss = server.peak_memory_mb()
    return {
        **measured, "rss_mb": max(rss), "rss_mb_workers": rss,
        "worker_cpu_share": [round(c / sum(cpu_used), 2) if sum(cpu_used) else None for c in cpu_used],
        # The run itself keeps about 3 runnable (workers, PostgreSQL, client): much more means something
        # else was using the machine, and the numbers are not comparable.
        "load_average": os.getloadavg()[0],
    }


@dataclass(frozen=True)
class Contender:
    """A server loaded in a measurement, with its spelling of the measurement's requests."""

    role: str  # "server", "floor" or "postgraphile"
    process: ServerProcess
    requests: list[HttpRequest]


def _measure(name: str, contenders: list[Contender], statements: dict, options: Options, turn: int) -> dict:
    """Load each contender in turn, starting with the `turn`-th (so no one is always first or last)."""
    start = turn % len(contenders)
    order = contenders[start:] + contenders[:start]
    results = {}
    for contender in order:
        drive = _drive if contender.role == "floor" else _drive_watched
        results[contender.role] = drive(contender.process, contender.requests, options)
    measured, baseline = results["server"], results["floor"]
    measurement = {
        "name": name, "workers": contenders[0].process.workers, **measured,
        "ratio": measured["rps"] / baseline["rps"] if baseline["rps"] else None,
        "statements": statements[name]["statements"], "checkouts": statements[name]["checkouts"],
        "floor": baseline, "order": [c.role for c in order],
    }
    if rival := results.get("postgraphile"):
        rival_ratio = rival["rps"] / baseline["rps"] if baseline["rps"] else None
        measurement["postgraphile"] = rival | {"ratio": rival_ratio}
        measurement["ratio_postgraphile"] = measured["rps"] / rival["rps"] if rival["rps"] else None
    return measurement


def _check_postgraphile(server: ServerProcess, rival: ServerProcess, workload: dict[str, list[HttpRequest]],
                        rival_workload: dict[str, list[HttpRequest]]) -> None:
    """Every request of the lists, not a sample: PostGraphile's rate means nothing if one answer differs."""
    disagreements = compare_mapped_answers(server.port, "PostGraphile", rival.port, workload, rival_workload,
                                           normalised)
    if disagreements:
        raise RuntimeError("\n".join(disagreements))
    print(f"PostGraphile, workers={rival.workers}: the same answers as ours for all "
          f"{sum(map(len, rival_workload.values()))} requests", flush=True)


def _measure_writes(name: str, server: ServerProcess, requests: list[HttpRequest], options: Options) -> dict:
    """Writes have no floor: rows per second and latency, with the server's memory."""
    server.reset_peak_memory()
    concurrency = WRITE_CONCURRENCY[name]
    if is_sqlite(options.database_url) and name == "W2-bulk":
        # one writer at a time: a second batch would only queue for the lock, and a third could
        # wait past the 5 s lock timeout (a 503) behind two batches of 500
        concurrency = 1
    measured = _drive(server, requests, options, concurrency=concurrency)
    rss = server.peak_memory_mb()
    no_floor = {"rps": None, "errors": 0, "error_samples": []}
    return {
        "name": name, "workers": server.workers, **measured, "ratio": None,
        "rows_per_second": round(measured["rps"] * ROWS_PER_REQUEST[name], 1),
        "concurrency": concurrency, "statements": "-", "checkouts": None,
        "rss_mb": max(rss), "rss_mb_workers": rss, "load_average": os.getloadavg()[0], "floor": no_floor,
    }


def _measure_beside_writes(contenders: list[Contender], writes: list[HttpRequest], statements: dict,
                           options: Options, turn: int) -> dict:
    """Q2 on the server and on the floor, while single upserts load the server all along."""
    server = contenders[0].process
    window = 2 * (options.warmup + options.duration) + 5  # both read measurements, and some slack
    writer = _start_load(server, writes, options, concurrency=WRITE_CONCURRENCY[BESIDE_WRITES], duration=window)
    try:
        measurement = _measure("Q2-uncached", contenders, statements, options, turn)
    finally:
        beside = writer.summary()
    return {**measurement, "name": BESIDE_WRITES, "writes_beside": beside}


def main() -> int:
    options = _options()
    url = options.database_url
    database = "sqlite" if is_sqlite(url) else "postgresql"
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    if options.generate:
        generate(url, options.scale)
    environment = report.describe_environment(url)
    workload = asyncio.run(build_workload(url))
    writes = asyncio.run(build_writes(url))
    statements = asyncio.run(count_statements(url, workload))
    counts = ", ".join(f"{name}={count['statements']}" for name, count in statements.items())
    print(f"statements per request: {counts}", flush=True)

    rival_workload = {}
    if options.postgraphile:
        asyncio.run(prepare_database(url))
        rival_workload = {name: requests for name, requests in postgraphile_requests(workload).items()
                          if name in options.measurements}

    measurements = []
    problems = [f"{name} failed in-process: {count['error']}"
                for name, count in statements.items() if count["error"]]
    log_dir = RESULTS_DIR / "logs"
    for workers in options.workers:
        with ExitStack() as servers:
            server = servers.enter_context(registry_server(url, workers, log_dir))
            floor = servers.enter_context(floor_server(url, workers, log_dir))
            problems += compare_answers(server.port, floor.port, workload, options.parity_checks)
            rival = None
            if rival_workload:
                rival = servers.enter_context(postgraphile_server(url, workers, log_dir))
                _check_postgraphile(server, rival, workload, rival_workload)
            for name in options.measurements:
                turn = len(measurements)
                if name in WRITE_MEASUREMENTS:
                    measurement = _measure_writes(name, server, writes[name], options)
                elif name == BESIDE_WRITES:
                    reads = workload["Q2-uncached"]
                    measurement = _measure_beside_writes(
                        [Contender("server", server, reads), Contender("floor", floor, reads)],
                        writes["W1-upsert"], statements, options, turn)
                else:
                    contenders = [Contender("server", server, workload[name]),
                                  Contender("floor", floor, workload[name])]
                    if name in rival_workload:
                        contenders.append(Contender("postgraphile", rival, rival_workload[name]))
                    measurement = _measure(name, contenders, statements, options, turn)
                measurements.append(measurement)
                report.print_progress(measurement)

    checks = report.target_checks(measurements, statements) if database == "postgresql" else []
    for m in measurements:
        for role, result in (("server", m), ("floor", m["floor"]), ("postgraphile", m.get("postgraphile"))):
            if result and result["errors"]:
                problems.append(f"errors from the {role} in {m['name']} workers={m['workers']}: "
                                f"{result['error_samples']}")
    report.print_summary(measurements, checks, problems)
    path = report.write_results({
        **environment, "database": database, "scale": options.scale,
        "options": asdict(options) | {"database_url": sa.make_url(url).render_as_string(hide_password=True)},
        "statements": statements, "problems": problems, "targets": checks, "measurements": measurements,
    }, database, options.scale)
    print()
    for line in report.result_lines(measurements, database, options.scale):
        print(line)
    print(f"\nresults written to {path}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
