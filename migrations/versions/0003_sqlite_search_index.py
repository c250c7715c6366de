"""SQLite full-text index over search_entry.folded (FTS5, trigram tokenizer)

PostgreSQL gets its trigram GIN index from the model (0002); SQLite has no such index
type, so an external-content FTS5 table mirrors search_entry through triggers.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATEMENTS = [
    """CREATE VIRTUAL TABLE search_entry_fts USING fts5(
        folded, content='search_entry', content_rowid='id', tokenize='trigram')""",
    """CREATE TRIGGER search_entry_fts_insert AFTER INSERT ON search_entry BEGIN
        INSERT INTO search_entry_fts(rowid, folded) VALUES (new.id, new.folded);
    END""",
    """CREATE TRIGGER search_entry_fts_delete AFTER DELETE ON search_entry BEGIN
        INSERT INTO search_entry_fts(search_entry_fts, rowid, folded) VALUES ('delete', old.id, old.folded);
    END""",
    """CREATE TRIGGER search_entry_fts_update AFTER UPDATE ON search_entry BEGIN
        INSERT INTO search_entry_fts(search_entry_fts, rowid, folded) VALUES ('delete', old.id, old.folded);
        INSERT INTO search_entry_fts(rowid, folded) VALUES (new.id, new.folded);
    END""",
    "INSERT INTO search_entry_fts(search_entry_fts) VALUES ('rebuild')",
]


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS search_entry_fts_{trigger}")
    op.execute("DROP TABLE IF EXISTS search_entry_fts")
