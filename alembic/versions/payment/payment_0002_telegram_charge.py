"""payments: Telegram's charge id, unique (a repeated successful_payment is one payment)

Revision ID: payment_0002_telegram_charge
Revises: payment_0001
Create Date: 2026-11-26 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'payment_0002_telegram_charge'
down_revision: str | None = 'payment_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('payment_payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_charge_id', sa.String(length=128), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_payment_payments_telegram_charge_id'), ['telegram_charge_id'])


def downgrade() -> None:
    with op.batch_alter_table('payment_payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_payment_payments_telegram_charge_id'), type_='unique')
        batch_op.drop_column('telegram_charge_id')
