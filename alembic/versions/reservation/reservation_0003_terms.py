"""reservation: the copy of each hotel's terms; a reservation's price lines, the policy it was
booked under, what a cancellation or no-show kept and gave back, the day a guest left; the
invoice's price lines

Revision ID: reservation_0003_terms
Revises: reservation_0002_checkouts
Create Date: 2026-12-04 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'reservation_0003_terms'
down_revision: str | None = 'reservation_0002_checkouts'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('reservation_hotel_terms',
    sa.Column('hotel_id', sa.BigInteger(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('hotel_id', name=op.f('pk_reservation_hotel_terms'))
    )
    with op.batch_alter_table('reservation_reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fee', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refund_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
    with op.batch_alter_table('reservation_checkouts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_lines', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('reservation_checkouts', schema=None) as batch_op:
        batch_op.drop_column('policy')
        batch_op.drop_column('price_lines')
    with op.batch_alter_table('reservation_reservations', schema=None) as batch_op:
        batch_op.drop_column('left_on')
        batch_op.drop_column('refund_amount')
        batch_op.drop_column('fee')
        batch_op.drop_column('policy')
        batch_op.drop_column('price_lines')
    op.drop_table('reservation_hotel_terms')
