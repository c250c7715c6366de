"""search: each field's entries in ranking order, and each field's stems indexed apart

ix_search_entry_ranking is (field, length(text), the text's first 64 characters in code-point
order, subject_type, subject_id): `search` reads a field's best-ranked entries from it when a
word matches too many to sort (registry.graphql.search.resolvers). On PostgreSQL, each field's
stems get a trigram index of their own, on `CASE WHEN field = '…' THEN terms END`
(registry.models.search.field_terms): besides serving a search of that field, it gives the
planner statistics of that field's words alone, so it reads the trigram index for a word that
is rare in names though common in citation excerpts. These replace the index on all the stems.
Autogenerate cannot compare expression indexes, so they are written here by hand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FIELDS = ["name", "alias", "description", "citation"]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    code_points = ' COLLATE "C"' if postgresql else ""  # SQLite compares code points already
    op.create_index("ix_search_entry_ranking", "search_entry",
                    ["field", sa.text("length(text)"), sa.text(f"substr(text, 1, 64){code_points}"),
                     "subject_type", "subject_id"])
    if postgresql:
        for field in _FIELDS:
            op.execute(f"CREATE INDEX ix_search_entry_{field}_terms ON search_entry "
                       f"USING gin ((CASE WHEN field = '{field}' THEN terms END) gin_trgm_ops)")
    op.drop_index("ix_search_entry_terms_trgm", table_name="search_entry")  # on SQLite, a B-tree of no use


def downgrade() -> None:
    op.create_index("ix_search_entry_terms_trgm", "search_entry", ["terms"], postgresql_using="gin",
                    postgresql_ops={"terms": "gin_trgm_ops"})
    if op.get_bind().dialect.name == "postgresql":
        for field in _FIELDS:
            op.drop_index(f"ix_search_entry_{field}_terms", table_name="search_entry")
    op.drop_index("ix_search_entry_ranking", table_name="search_entry")
