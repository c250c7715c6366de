"""The README's "Syncing" walk-through, sent request by request to a freshly seeded registry:
each answer must match the one the README shows (`…` stands for any value)."""

import json
import re

import sqlalchemy as sa

from registry.config import REPO_ROOT
from registry.models import ChangeLog
from registry.services.api_keys import create_api_key
from tests.conftest import app_settings, asgi_client
from tests.graphql.conftest import _seed

SECTION = (REPO_ROOT / "README.md").read_text(encoding="utf-8").split("\n## Syncing\n")[1].split("\n## ")[0]
STEPS = re.findall(r"```http\n(.*?)```\s+```json\n(.*?)```", SECTION, re.S)


def _request(text: str, substitutions: dict[str, str]) -> tuple[str, dict[str, str], dict]:
    for placeholder, value in substitutions.items():
        text = text.replace(placeholder, value)
    head, _, body = text.partition("\n\n")
    request_line, *header_lines = head.splitlines()
    method, path = request_line.split()
    assert method == "POST", request_line
    headers = dict(line.split(": ", 1) for line in header_lines)
    return path, headers, json.loads(body)


def _matches(actual, expected, where: str = "") -> None:
    if expected == "…":
        return
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and actual.keys() == expected.keys(), f"{where}: {actual!r}"
        for key in expected:
            _matches(actual[key], expected[key], f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual!r}"
        for i, (a, e) in enumerate(zip(actual, expected, strict=True)):
            _matches(a, e, f"{where}[{i}]")
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def test_the_walk_through_has_its_steps():
    assert len(STEPS) == 4 and "registry apikey create --name partner-crm --scopes read,write" in SECTION


async def test_every_syncing_step_answers_as_the_readme_shows(database_url, sessions):
    await _seed(database_url)
    async with sessions() as session, session.begin():
        _, key = await create_api_key(session, "partner-crm", ["read", "write"])
    async with sessions() as session:
        last_seed_change = await session.scalar(sa.select(sa.func.max(ChangeLog.id)))
    substitutions = {"$KEY": key, "$LAST_SEED_CURSOR": str(last_seed_change)}
    answers = []
    async for client in asgi_client(app_settings(database_url)):
        for request, expected in STEPS:
            path, headers, body = _request(request, substitutions)
            response = await client.post(path, json=body, headers=headers)
            assert response.status_code == 200, response.text
            _matches(response.json(), json.loads(expected))
            answers.append(response)
    first, retry = answers[0], answers[1]
    assert retry.content == first.content and retry.headers["Idempotent-Replayed"] == "true"
