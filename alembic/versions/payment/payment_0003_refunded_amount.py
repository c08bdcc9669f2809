"""payments: the amount a refund gave back (a cancellation fee may keep the rest)

Revision ID: payment_0003_refunded_amount
Revises: payment_0002_telegram_charge
Create Date: 2026-12-04 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'payment_0003_refunded_amount'
down_revision: str | None = 'payment_0002_telegram_charge'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_amount', sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment_payments', schema=None) as batch_op:
        batch_op.drop_column('refunded_amount')
