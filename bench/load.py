"""The load generator: a fixed number of keep-alive HTTP/1.1 connections, each sending requests back to back.

    python -m bench.load SPEC.json      (the orchestrator writes SPEC; prints one JSON line of results)

It runs in its own process, so its CPU use is not charged to the server. It is a small raw
asyncio client rather than httpx: on this 2-core machine the client shares the CPU with the
server and the database, and httpx spends several times more CPU per request (see README).
A response counts as an error when the status is not 200, the body holds GraphQL "errors", or
the request fails or times out; every response is checked, warm-up included. Latency (from
writing the request to reading the whole body) and throughput count the measured window only.
"""

import asyncio
import json
import random
import resource
import sys
import time
from dataclasses import dataclass, field

import uvloop  # installed with uvicorn[standard]: a cheaper event loop for the client too

__all__ = ["WRITE_COUNT", "WRITE_KEY", "LoadSpec", "run_load"]

REQUEST_TIMEOUT = 30.0
WRITE_KEY, WRITE_COUNT = "@WRITE_KEY@", "@WRITE_COUNT@"


@dataclass
class LoadSpec:
    host: str
    port: int
    requests: list[dict]  # {"method", "target", "body", "headers"} as bench.workload.HttpRequest.to_json writes them
    concurrency: int = 16
    warmup: float = 5.0
    duration: float = 20.0
    max_requests: int = 1_000_000
    seed: int = 1


@dataclass
class Tally:
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def record_error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 3:
            self.error_samples.append(what[:300])


def _encode(request: dict, host: str, port: int) -> bytes:
    body = request["body"].encode() if request.get("body") is not None else b""
    head = [f"{request['method']} {request['target']} HTTP/1.1", f"Host: {host}:{port}",
            "Accept: application/json", *request.get("headers", ())]
    if request["method"] == "POST":
        head += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    fields = (line.partition(":") for line in lines[1:] if line)
    headers = {name.strip().lower(): value.strip() for name, _, value in fields}
    if "content-length" in headers:
        return status, await reader.readexactly(int(headers["content-length"]))
    if headers.get("transfer-encoding") == "chunked":
        chunks = []
        while size := int((await reader.readline()).strip(), 16):
            chunks.append(await reader.readexactly(size))
            await reader.readline()
        await reader.readline()
        return status, b"".join(chunks)
    return status, b""  # 204/304: no body


class LoadRun:
    def __init__(self, spec: LoadSpec):
        self.spec = spec
        self.encoded = [_encode(r, spec.host, spec.port) for r in spec.requests]
        # Writes: a body holding WRITE_KEY is sent with it replaced by "<connection>-<n // 2>" and
        # WRITE_COUNT by n, the connection's n-th write: each key is created once, then updated once.
        self.templates = [r for r in spec.requests if WRITE_KEY in (r.get("body") or "")]
        self.tally = Tally()
        self.measuring = False
        self.stopped = False

    async def connection(self, index: int) -> None:
        rng = random.Random(self.spec.seed * 1000 + index)  # each connection its own reproducible sequence
        reader = writer = None
        # Open the connections one by one while the first ones are busy: with several workers sharing
        # the listening socket, one idle worker would otherwise accept all 16 at once and serve alone.
        await asyncio.sleep(index * min(0.05, self.spec.warmup / 2 / self.spec.concurrency))
        sent = 0
        while not self.stopped:
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
                if self.templates:
                    template = rng.choice(self.templates)
                    body = template["body"].replace(WRITE_KEY, f"{index}-{sent // 2}").replace(WRITE_COUNT, str(sent))
                    request = _encode({**template, "body": body}, self.spec.host, self.spec.port)
                    sent += 1
                else:
                    request = rng.choice(self.encoded)
                started = time.perf_counter_ns()
                writer.write(request)
                status, body = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
                elapsed = time.perf_counter_ns() - started
                # checked in warm-up too: any error, or a refused write, means broken
                if status != 200 or b'"errors"' in body or b'"userErrors":[{' in body:
                    self.tally.record_error(f"HTTP {status}: {body[:250].decode(errors='replace')}")
                elif self.measuring and not self.stopped:
                    self.tally.latencies_ns.append(elapsed)
                    if len(self.tally.latencies_ns) >= self.spec.max_requests:
                        self.stopped = True
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.tally.record_error(f"{type(exc).__name__}: {exc}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(0.1)  # a server that is down: do not spin
        if writer is not None:
            writer.close()

    async def run(self) -> dict:
        tasks = [asyncio.create_task(self.connection(i)) for i in range(self.spec.concurrency)]
        await asyncio.sleep(self.spec.warmup)
        self.measuring = True
        cpu_before, started = _cpu_seconds(), time.perf_counter()
        deadline = started + self.spec.duration
        while not self.stopped and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        self.stopped = True
        elapsed, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_before
        await asyncio.wait(tasks, timeout=REQUEST_TIMEOUT)
        return self.summary(elapsed, cpu)

    def summary(self, elapsed: float, cpu: float) -> dict:
        latencies = sorted(self.tally.latencies_ns)

        def percentile(fraction: float) -> float | None:
            if not latencies:
                return None
            return latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] / 1e6

        return {
            "requests": len(latencies), "errors": self.tally.errors,
            "error_samples": self.tally.error_samples,
            "seconds": round(elapsed, 3), "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": percentile(0.50), "p99_ms": percentile(0.99),
            "client_cpu": round(cpu / elapsed, 3),  # cores the client itself used during the window
        }


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_load(spec: LoadSpec) -> dict:
    return uvloop.run(LoadRun(spec).run())


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as file:
        spec = LoadSpec(**json.load(file))
    print(json.dumps(run_load(spec)), flush=True)


if __name__ == "__main__":
    main()
