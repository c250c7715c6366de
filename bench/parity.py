"""The floor and PostGraphile must give the server's answers, or the ratios between them mean nothing:
compare them."""

from collections.abc import Callable

import httpx

from .servers import HOST
from .workload import HttpRequest

__all__ = ["compare_answers", "compare_mapped_answers"]


def _answer(client: httpx.Client, port: int, request: HttpRequest) -> tuple[int, object]:
    headers = {"content-type": "application/json"} if request.body else {}
    response = client.request(request.method, f"http://{HOST}:{port}{request.target}", content=request.body,
                              headers=headers)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


def compare_answers(server_port: int, floor_port: int, workload: dict[str, list[HttpRequest]],
                    per_measurement: int) -> list[str]:
    """Differences between the server's and the floor's parsed JSON; empty when they agree."""
    sample = {name: requests[:per_measurement] for name, requests in workload.items()}
    return compare_mapped_answers(server_port, "the floor", floor_port, sample, sample,
                                  lambda _name, answer: answer)


def compare_mapped_answers(server_port: int, other: str, other_port: int,
                           workload: dict[str, list[HttpRequest]],
                           other_workload: dict[str, list[HttpRequest]],
                           normalised: Callable[[str, object], object]) -> list[str]:
    """Differences between the server's answers and another engine's, for every request of
    `other_workload` (the other engine's spelling of the same request of `workload`), once the other
    engine's answers are mapped to the server's shape by `normalised(measurement, parsed answer)`."""
    problems = []
    with httpx.Client(timeout=60) as client:
        for name, requests in other_workload.items():
            for ours, theirs in zip(workload[name], requests, strict=True):
                server = _answer(client, server_port, ours)
                status, answer = _answer(client, other_port, theirs)
                mapped = (status, normalised(name, answer))
                if server != mapped:
                    asked = "" if theirs == ours else f"\n  {other} was asked: {theirs.body or theirs.target}"
                    problems.append(f"{other} and the server disagree on {name}: "
                                    f"{ours.body or ours.target}{asked}\n"
                                    f"  server: {str(server)[:600]}\n  {other}:  {str(mapped)[:600]}")
                    break  # one example per measurement is enough
    return problems
