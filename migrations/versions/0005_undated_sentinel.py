"""undated rows sort at 9999-01-01, not 9999-12-31

asyncpg sends Python's date.max (9999-12-31) as PostgreSQL's 'infinity', so a keyset cursor
holding the old sentinel compared below every row and paging repeated the first page. The
ordering expression changes, so its expression indexes are built again on the new one.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


EXPRESSION_INDEXES = [
    ("ix_organization_founded_order", "organization", "founded_lower"),
    ("ix_project_date_order", "project", "actual_lower, planned_lower"),
    ("ix_agreement_signed_order", "agreement", "signed_lower"),
    ("ix_event_date_order", "event", "date_lower"),
    ("ix_figure_period_order", "figure", "period_lower"),
]


def _rebuild(sentinel: str) -> None:
    for name, table, columns in EXPRESSION_INDEXES:
        op.drop_index(name, table_name=table)
        op.create_index(name, table, [sa.text(f"coalesce({columns}, '{sentinel}')"), "id"])


def upgrade() -> None:
    _rebuild("9999-01-01")


def downgrade() -> None:
    _rebuild("9999-12-31")
