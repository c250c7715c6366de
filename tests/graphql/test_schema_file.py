from pathlib import Path

from registry.graphql.schema import schema

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "schema.graphql"


def test_committed_schema_matches_the_live_schema():
    committed = SCHEMA_FILE.read_text(encoding="utf-8")
    assert committed == schema.as_str() + "\n", "schema.graphql is stale: run `make schema` and commit it"
