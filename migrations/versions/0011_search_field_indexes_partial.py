"""search: each field's stem index holds that field's entries only

0010 indexed `CASE WHEN field = '…' THEN terms END` over every entry, so each of the four trigram
indexes took a NULL entry for the other three fields' rows: three of a new entry's four GIN
insertions were NULLs, over a third of the time its INSERT took (bench/README.md, results of
2026-12-04). Each index is now partial (`WHERE field = '…'`), and a row goes into its own field's
index only; a search of a field names that field beside the expression (text_search.entry_matches),
so the planner can use it.

PostgreSQL takes no statistics from a partial index's expression, and those per-field statistics
were why 0010 made the indexes (registry.models.search.field_terms). Each expression gets an
extended statistics object instead (PostgreSQL 14 or later), which ANALYZE fills from the same
sample as it did the index's; the migration runs ANALYZE so that the estimates are there at once.
PostgreSQL only, as 0010's indexes are.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELDS = ["name", "alias", "description", "citation"]


def _terms(field: str) -> str:
    return f"(CASE WHEN field = '{field}' THEN terms END)"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for field in _FIELDS:
        op.drop_index(f"ix_search_entry_{field}_terms", table_name="search_entry")
        op.execute(f"CREATE INDEX ix_search_entry_{field}_terms ON search_entry "
                   f"USING gin ({_terms(field)} gin_trgm_ops) WHERE field = '{field}'")
        op.execute(f"CREATE STATISTICS st_search_entry_{field}_terms ON {_terms(field)} FROM search_entry")
    op.execute("ANALYZE search_entry")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for field in _FIELDS:
        op.execute(f"DROP STATISTICS st_search_entry_{field}_terms")
        op.drop_index(f"ix_search_entry_{field}_terms", table_name="search_entry")
        op.execute(f"CREATE INDEX ix_search_entry_{field}_terms ON search_entry "
                   f"USING gin ({_terms(field)} gin_trgm_ops)")
    op.execute("ANALYZE search_entry")
