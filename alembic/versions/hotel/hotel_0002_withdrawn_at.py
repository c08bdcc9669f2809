"""hotel: when the guest cancelled a request, decided or not

Revision ID: hotel_0002
Revises: hotel_0001
Create Date: 2026-11-26 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'hotel_0002'
down_revision: str | None = 'hotel_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('hotel_approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hotel_approvals', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
