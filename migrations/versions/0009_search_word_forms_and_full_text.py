"""search: entries for descriptions and citation excerpts, stems, the term dictionary

search_entry gains `field` (name, alias, description, citation; replacing is_primary) and
`terms` (the folded Snowball stems, ' mosir oil refineri '), and `folded` becomes a name's
folded words run together. search_term is the dictionary misspelled words are corrected
against. PostgreSQL indexes terms with pg_trgm; SQLite's FTS5 trigram table is remade over
(folded, terms), and search_term gets one of its own.

Existing name and alias entries are converted here; descriptions and excerpts are indexed when
their record is next written or by `registry seed` (which rebuilds the whole index).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

from registry.search_text import analyse, stems_text

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (trigger name, the statements it runs): external-content FTS5 tables are kept by hand
_FTS_TRIGGERS = [
    ("insert", "AFTER INSERT", "INSERT INTO {t}_fts(rowid, {cols}) VALUES (new.{rowid}, {new});"),
    ("delete", "AFTER DELETE", "INSERT INTO {t}_fts({t}_fts, rowid, {cols}) VALUES ('delete', old.{rowid}, {old});"),
    ("update", "AFTER UPDATE", "INSERT INTO {t}_fts({t}_fts, rowid, {cols}) VALUES ('delete', old.{rowid}, {old});"
                               " INSERT INTO {t}_fts(rowid, {cols}) VALUES (new.{rowid}, {new});"),
]


def _sqlite_fts(table: str, columns: list[str], rowid: str) -> None:
    """An external-content FTS5 trigram table mirroring `columns` of `table`, kept by triggers."""
    listed = ", ".join(columns)
    op.execute(f"CREATE VIRTUAL TABLE {table}_fts USING fts5({listed}, content='{table}', "
               f"content_rowid='{rowid}', tokenize='trigram')")
    values = dict(t=table, cols=listed, rowid=rowid, new=", ".join(f"new.{c}" for c in columns),
                  old=", ".join(f"old.{c}" for c in columns))
    for name, when, body in _FTS_TRIGGERS:
        op.execute(f"CREATE TRIGGER {table}_fts_{name} {when} ON {table} BEGIN {body.format(**values)} END")
    op.execute(f"INSERT INTO {table}_fts({table}_fts) VALUES ('rebuild')")


def _drop_sqlite_fts(table: str) -> None:
    for trigger in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS {table}_fts_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {table}_fts")


def _convert_names() -> None:
    """Give each existing name and alias entry its field, run-together folded form and stems."""
    bind = op.get_bind()
    entries = sa.table("search_entry", sa.column("id"), sa.column("text"), sa.column("is_primary"),
                       sa.column("field"), sa.column("folded"), sa.column("terms"))
    terms = sa.table("search_term", sa.column("term"), sa.column("ends"))
    updates, stems = [], set()
    for entry_id, text, primary in bind.execute(sa.select(entries.c.id, entries.c.text, entries.c.is_primary)):
        words = analyse(text)
        updates.append({"entry_id": entry_id, "field": "name" if primary else "alias",
                        "folded": "".join(w.folded for w in words), "terms": stems_text(words)})
        stems.update(w.stem for w in words if len(w.stem) <= 40)
    if updates:
        bind.execute(entries.update().where(entries.c.id == sa.bindparam("entry_id")).values(
            field=sa.bindparam("field"), folded=sa.bindparam("folded"), terms=sa.bindparam("terms")), updates)
    if stems:
        bind.execute(terms.insert(), [{"term": s, "ends": s[:2] + s[-2:]} for s in sorted(stems)])


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # the batch below remakes search_entry, which the FTS table and triggers follow
        _drop_sqlite_fts("search_entry")
    op.create_table("search_term",
    sa.Column("id", sa.Integer(), nullable=False),
    sa.Column("term", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column("ends", sqlmodel.sql.sqltypes.AutoString(length=4), nullable=False),
    sa.PrimaryKeyConstraint("id", name=op.f("pk_search_term")),
    sa.UniqueConstraint("term", name=op.f("uq_search_term_term"))
    )
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_term_ends"), ["ends"], unique=False)
        batch_op.create_index("ix_search_term_term_trgm", ["term"], unique=False, postgresql_using="gin",
                              postgresql_ops={"term": "gin_trgm_ops"})

    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("field", sa.Enum("name", "alias", "description", "citation",
                                                       name="search_field", native_enum=False,
                                                       create_constraint=True), nullable=True))
        batch_op.add_column(sa.Column("terms", sa.Text(), nullable=True))
        batch_op.alter_column("text", existing_type=sa.VARCHAR(length=500), type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column("folded", existing_type=sa.VARCHAR(length=500), type_=sa.Text(),
                              existing_nullable=False)
    _convert_names()
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.alter_column("field", existing_type=sa.Enum("name", "alias", "description", "citation",
                                                             name="search_field", native_enum=False,
                                                             create_constraint=True), nullable=False)
        batch_op.alter_column("terms", existing_type=sa.Text(), nullable=False)
        batch_op.create_index("ix_search_entry_terms_trgm", ["terms"], unique=False, postgresql_using="gin",
                              postgresql_ops={"terms": "gin_trgm_ops"})
        batch_op.drop_column("is_primary")
    if sqlite:
        _sqlite_fts("search_entry", ["folded", "terms"], "id")
        _sqlite_fts("search_term", ["term"], "id")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        _drop_sqlite_fts("search_term")
        _drop_sqlite_fts("search_entry")
    # Entries of descriptions and excerpts have no place in the old shape.
    op.execute("DELETE FROM search_entry WHERE field NOT IN ('name', 'alias')")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("is_primary", sa.BOOLEAN(), nullable=False, server_default=sa.false()))
    op.execute("UPDATE search_entry SET is_primary = (field = 'name')")
    with op.batch_alter_table("search_entry", schema=None) as batch_op:
        batch_op.alter_column("is_primary", existing_type=sa.BOOLEAN(), server_default=None)
        batch_op.drop_index("ix_search_entry_terms_trgm", postgresql_using="gin",
                            postgresql_ops={"terms": "gin_trgm_ops"})
        batch_op.alter_column("folded", existing_type=sa.Text(), type_=sa.VARCHAR(length=500), existing_nullable=False)
        batch_op.alter_column("text", existing_type=sa.Text(), type_=sa.VARCHAR(length=500), existing_nullable=False)
        batch_op.drop_column("terms")
        batch_op.drop_constraint(op.f("ck_search_entry_search_field"), type_="check")
        batch_op.drop_column("field")
    with op.batch_alter_table("search_term", schema=None) as batch_op:
        batch_op.drop_index("ix_search_term_term_trgm", postgresql_using="gin", postgresql_ops={"term": "gin_trgm_ops"})
        batch_op.drop_index(batch_op.f("ix_search_term_ends"))
    op.drop_table("search_term")
    if sqlite:
        _sqlite_fts("search_entry", ["folded"], "id")
