"""The floor must give the server's answers, or the ratio between them means nothing: compare them."""

import httpx

from .servers import HOST
from .workload import HttpRequest

__all__ = ["compare_answers"]


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
    problems = []
    with httpx.Client(timeout=60) as client:
        for name, requests in workload.items():
            for request in requests[:per_measurement]:
                server, floor = _answer(client, server_port, request), _answer(client, floor_port, request)
                if server != floor:
                    problems.append(f"the floor and the server disagree on {name}: "
                                    f"{request.body or request.target}\n"
                                    f"  server: {str(server)[:600]}\n  floor:  {str(floor)[:600]}")
                    break  # one example per measurement is enough
    return problems
