"""change feed: what changed, who asked, restore, countries

The change log records the changed fields (`changes`, each {"before", "after"}) and the HTTP
request that made the change (`request_id`); actions gain `restore`; the kinds of record it
covers become the seven record kinds and `country` (relationship rows never had rows of their
own). Rows written before this revision keep `changes` NULL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 20:55:26
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECORD_KINDS = ('source', 'organization', 'person', 'project', 'agreement', 'event', 'figure')
RELATION_KINDS = (
    'position', 'project_participant', 'project_agreement', 'project_event', 'agreement_party',
    'agreement_signatory', 'event_participant',
)


def _kinds(*values: str) -> sa.Enum:
    return sa.Enum(*values, name='change_entity_type', native_enum=False, create_constraint=True)


def _actions(*values: str) -> sa.Enum:
    return sa.Enum(*values, name='change_action', native_enum=False, create_constraint=True)


def _retype(kinds: sa.Enum, actions: sa.Enum) -> None:
    # The CHECK constraints come with the Enum types; PostgreSQL alters the table in place, so the
    # old ones are dropped first (SQLite's batch mode rebuilds the table with the new ones).
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_change_log_change_entity_type'), 'change_log', type_='check')
        op.drop_constraint(op.f('ck_change_log_change_action'), 'change_log', type_='check')
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.alter_column('entity_type', type_=kinds, existing_nullable=False)
        batch_op.alter_column('action', type_=actions, existing_nullable=False)


def upgrade() -> None:
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('changes', sa.JSON(), nullable=True))
    _retype(_kinds(*RECORD_KINDS, 'country'), _actions('create', 'update', 'delete', 'restore'))


def downgrade() -> None:
    # The old log has no place for countries, and knew a restore only as an update.
    op.execute("DELETE FROM change_log WHERE entity_type = 'country'")
    op.execute("UPDATE change_log SET action = 'update' WHERE action = 'restore'")
    _retype(_kinds(*RECORD_KINDS, *RELATION_KINDS), _actions('create', 'update', 'delete'))
    with op.batch_alter_table('change_log', schema=None) as batch_op:
        batch_op.drop_column('changes')
        batch_op.drop_column('request_id')
