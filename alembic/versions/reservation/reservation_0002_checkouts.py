"""checkouts: nights held for a Telegram Payments invoice

Revision ID: reservation_0002_checkouts
Revises: reservation_0001
Create Date: 2026-11-26 17:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'reservation_0002_checkouts'
down_revision: str | None = 'reservation_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reservation_checkouts',
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('guest_id', sa.BigInteger(), nullable=False),
    sa.Column('guest_name', sa.String(length=64), nullable=False),
    sa.Column('hotel_id', sa.BigInteger(), nullable=False),
    sa.Column('hotel_name', sa.String(length=64), nullable=False),
    sa.Column('room_id', sa.Uuid(), nullable=False),
    sa.Column('room_number', sa.String(length=16), nullable=False),
    sa.Column('check_in', sa.Date(), nullable=False),
    sa.Column('check_out', sa.Date(), nullable=False),
    sa.Column('guests', sa.Integer(), nullable=False),
    sa.Column('price_per_night', sa.BigInteger(), nullable=False),
    sa.Column('total_price', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=True),
    sa.Column('invoice_message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('reservation_id', name=op.f('pk_reservation_checkouts'))
    )
    with op.batch_alter_table('reservation_checkouts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reservation_checkouts_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('reservation_checkouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reservation_checkouts_status'))
    op.drop_table('reservation_checkouts')
