"""The README's example queries run and return seed data."""

import re

import pytest

from registry.config import REPO_ROOT
from tests.graphql.conftest import gql

EXAMPLES = re.findall(r"```graphql\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.S)


def _has_data(value) -> bool:
    if isinstance(value, dict):
        return any(_has_data(v) for v in value.values())
    if isinstance(value, list):
        return bool(value)
    return value is not None


def test_readme_has_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("query", EXAMPLES, ids=[f"example-{i}" for i in range(len(EXAMPLES))])
async def test_readme_example_returns_seed_data(api, query):
    data = await gql(api, query)
    for field, value in data.items():
        assert _has_data(value), f"{field} came back empty"
