"""What a run found: the machine and versions, a readable table, RESULT lines, the JSON file, the targets."""

import asyncio
import json
import os
import platform
import sqlite3
import subprocess
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import asyncpg

from registry.db import is_sqlite

from .databases import BENCH_DIR, RESULTS_DIR, asyncpg_dsn

__all__ = [
    "TARGETS", "describe_environment", "print_progress", "print_results", "print_summary", "result_lines",
    "target_checks", "write_results",
]

# The issues' targets (PostgreSQL only; SQLite is reported without targets): minimum server/floor
# ratios (#14: Q1 at least PostGraphile's ~0.18, Q2 ≥ 0.6), and rows per second of the writes.
TARGETS = {"Q1-uncached": 0.18, "Q2-uncached": 0.6, "Q1-cached": 1.0, "Q2-cached": 0.5}
WRITE_TARGETS = {"W1-upsert": 300, "W2-bulk": 3000}
MAX_RATIO_DROP_BESIDE_WRITES = 0.20  # Q2's ratio while writes run beside it, against Q2 alone
MAX_P99_OVER_P50 = 4.0
MAX_WORKER_RSS_MB = 200.0


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _memory_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 1024 / 1024, 1)
    return 0.0


async def _postgres_version(url: str) -> str:
    connection = await asyncpg.connect(asyncpg_dsn(url))
    try:
        return await connection.fetchval("SHOW server_version")
    finally:
        await connection.close()


def _commit() -> str:
    """The code measured: the commit, marked when the working tree differs from it."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=BENCH_DIR.parent, capture_output=True, text=True,
                              check=False)
        return done.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    return commit + (" (modified)" if git("status", "--porcelain", "--untracked-files=no") else "")


def describe_environment(database_url: str) -> dict:
    database = (f"SQLite {sqlite3.sqlite_version}" if is_sqlite(database_url)
                else f"PostgreSQL {asyncio.run(_postgres_version(database_url))}")
    packages = ["strawberry-graphql", "sqlalchemy", "asyncpg", "aiosqlite", "fastapi", "uvicorn"]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "machine": {"nproc": os.cpu_count(), "ram_gb": _memory_gb(), "cpu": _cpu_model()},
        "versions": {"python": platform.python_version(), "database": database,
                     **{name: version(name) for name in packages}},
    }


def _cell(value, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_results(measurements: list[dict]) -> None:
    header = (f"{'measurement':<17}{'workers':>8}{'rps':>9}{'floor rps':>10}{'ratio':>7}{'p50 ms':>8}"
              f"{'p99 ms':>8}{'stmts':>6}{'rss MB':>15}{'errors':>7}{'client cpu':>11}")
    print(header)
    print("-" * len(header))
    for m in measurements:
        rss = "/".join(f"{v:.0f}" for v in m["rss_mb_workers"])
        print(f"{m['name']:<17}{m['workers']:>8}{_cell(m['rps']):>9}{_cell(m['floor']['rps']):>10}"
              f"{_cell(m['ratio'], 2):>7}{_cell(m['p50_ms']):>8}{_cell(m['p99_ms']):>8}{m['statements']:>6}"
              f"{rss:>15}{m['errors']:>7}{_cell(m['client_cpu'], 2):>11}")


def print_progress(m: dict) -> None:
    """One line as each measurement ends."""
    rival = f"postgraphile {m['postgraphile']['rps']:8.1f} rps  " if "postgraphile" in m else ""
    floor = f"floor {m['floor']['rps']:8.1f} rps  " if m["floor"]["rps"] is not None else ""
    print(f"  workers={m['workers']} {m['name']:<16} {m['rps']:8.1f} rps  "
          f"{floor}{rival}errors {m['errors']}  "
          f"load average {m['load_average']:.1f}", flush=True)


def print_against_postgraphile(measurements: list[dict]) -> None:
    """Our rate against PostGraphile's, measured in the same run (and both against the floor)."""
    header = (f"{'measurement':<13}{'workers':>8}{'ours rps':>10}{'PG rps':>9}{'ours/PG':>9}{'PG/floor':>10}"
              f"{'PG p50':>8}{'PG p99':>8}{'PG rss MB':>11}{'PG errors':>10}")
    print("\nagainst PostGraphile 4 (PG), same requests and answers:")
    print(header)
    print("-" * len(header))
    for m in measurements:
        rival = m["postgraphile"]
        rss = "/".join(f"{v:.0f}" for v in rival["rss_mb_workers"])
        print(f"{m['name']:<13}{m['workers']:>8}{_cell(m['rps']):>10}{_cell(rival['rps']):>9}"
              f"{_cell(m['ratio_postgraphile'], 2):>9}{_cell(rival['ratio'], 2):>10}"
              f"{_cell(rival['p50_ms']):>8}{_cell(rival['p99_ms']):>8}{rss:>11}{rival['errors']:>10}")


def print_summary(measurements: list[dict], checks: list[tuple[str, bool]], problems: list[str]) -> None:
    print()
    print_results(measurements)
    if against := [m for m in measurements if "postgraphile" in m]:
        print_against_postgraphile(against)
    if checks:
        print("\ntargets (from the issue):")
        for description, met in checks:
            print(f"  [{'met' if met else 'MISSED'}] {description}")
    for problem in problems:
        print(f"\nproblem: {problem}")


def result_lines(measurements: list[dict], database: str, scale: float) -> list[str]:
    """One machine-readable line per measurement."""
    lines = []
    for m in measurements:
        fields = {
            "name": m["name"], "workers": m["workers"], "rps": _cell(m["rps"]), "ratio": _cell(m["ratio"], 3),
            "p50_ms": _cell(m["p50_ms"], 2), "p99_ms": _cell(m["p99_ms"], 2), "statements": m["statements"],
            "rss_mb": _cell(m["rss_mb"]), "errors": m["errors"], "floor_rps": _cell(m["floor"]["rps"]),
            **({"rows_per_second": _cell(m["rows_per_second"])} if "rows_per_second" in m else {}),
            "floor_errors": m["floor"]["errors"], "database": database, "scale": scale,
        }
        if rival := m.get("postgraphile"):
            fields |= {"postgraphile_rps": _cell(rival["rps"]),
                       "vs_postgraphile": _cell(m["ratio_postgraphile"], 3),
                       "postgraphile_errors": rival["errors"]}
        lines.append("RESULT " + " ".join(f"{key}={value}" for key, value in fields.items()))
    return lines


def target_checks(measurements: list[dict], statements: dict) -> list[tuple[str, bool]]:
    """(description, met) for each of the issue's targets this run can judge."""
    checks = []
    for m in measurements:
        label = f"{m['name']} workers={m['workers']}"
        if m["name"] in TARGETS and m["ratio"] is not None:
            target = TARGETS[m["name"]]
            checks.append((f"{label}: ratio {m['ratio']:.2f} >= {target}", m["ratio"] >= target))
        if (rival := m.get("postgraphile")) and rival["rps"]:
            checks.append((f"{label}: {m['rps']:.1f} rps >= PostGraphile's {rival['rps']:.1f}",
                           m["rps"] >= rival["rps"]))
        if m["p50_ms"] and m["p99_ms"]:
            spread = m["p99_ms"] / m["p50_ms"]
            limit = MAX_P99_OVER_P50
            checks.append((f"{label}: p99/p50 {spread:.1f} <= {limit}", spread <= limit))
        if m["rss_mb"] is not None:
            checks.append((f"{label}: peak RSS per worker {m['rss_mb']:.0f} MB < {MAX_WORKER_RSS_MB:.0f}",
                           m["rss_mb"] < MAX_WORKER_RSS_MB))
        if m["name"] in WRITE_TARGETS and m["workers"] == 1:
            target = WRITE_TARGETS[m["name"]]
            checks.append((f"{label}: {m['rows_per_second']:.0f} rows/s >= {target}", m["rows_per_second"] >= target))
        alone = next((q for q in measurements if q["name"] == "Q2-uncached" and q["workers"] == m["workers"]), None)
        if m["name"] == "Q2-beside-writes" and alone and alone["ratio"] and m["ratio"] is not None:
            drop = 1 - m["ratio"] / alone["ratio"]
            checks.append((f"{label}: Q2 ratio {m['ratio']:.2f} beside writes vs {alone['ratio']:.2f} alone "
                           f"(drop {drop:.0%} <= {MAX_RATIO_DROP_BESIDE_WRITES:.0%})",
                           drop <= MAX_RATIO_DROP_BESIDE_WRITES))
    small, large = statements["Q1-first-5"]["statements"], statements["Q1-first-100"]["statements"]
    checks.append((f"Q1 statements at first=5: {small}, at first=100: {large} (equal)", small == large))
    return checks


def write_results(document: dict, database: str, scale: float) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS_DIR / f"{stamp}-{database}-scale{scale:g}.json"
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return path
