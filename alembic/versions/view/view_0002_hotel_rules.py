"""view: the price lines and the policy a reservation was booked under, a cancellation's or a
no-show's fee and refund, the stay (checked in, left), and what the payment refunded and kept

Rows projected before this revision were booked at one flat price under the default policy (free
until the day before check-in), and every refund then gave everything back: they are filled so.

Revision ID: view_0002
Revises: view_0001
Create Date: 2026-12-04 16:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'view_0002'
down_revision: str | None = 'view_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_POLICY = {"kind": "free_until", "free_days": 1, "fee": "first_night", "percent": 100}


def upgrade() -> None:
    with op.batch_alter_table('view_reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('price_lines', sa.JSON(), server_default='[]', nullable=False))
        batch_op.add_column(sa.Column('policy', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('fee', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('refund_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('checked_in_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('left_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('refunded_amount', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('kept_amount', sa.BigInteger(), nullable=True))

    # The rows already there, as the events that made them meant it (a v1 ReservationPlaced, a
    # v1 PaymentRefunded). Written from Python: JSON is built the same way on every database.
    rows = sa.table(
        'view_reservations',
        sa.column('reservation_id', sa.Uuid()),
        sa.column('check_in', sa.Date()),
        sa.column('check_out', sa.Date()),
        sa.column('total_price', sa.BigInteger()),
        sa.column('payment_status', sa.String()),
        sa.column('price_lines', sa.JSON()),
        sa.column('policy', sa.JSON()),
        sa.column('refunded_amount', sa.BigInteger()),
        sa.column('kept_amount', sa.BigInteger()),
    )
    conn = op.get_bind()
    booked = conn.execute(
        sa.select(rows.c.reservation_id, rows.c.check_in, rows.c.check_out, rows.c.total_price).where(
            rows.c.check_in.is_not(None), rows.c.check_out.is_not(None)
        )
    ).all()
    if booked:
        lines = []
        for reservation_id, check_in, check_out, total in booked:
            nights = max((check_out - check_in).days, 1)
            lines.append(
                {
                    'b_id': reservation_id,
                    'price_lines': [{"kind": "base", "nights": nights, "price": total // nights}],
                    'policy': DEFAULT_POLICY,
                }
            )
        conn.execute(
            rows.update()
            .where(rows.c.reservation_id == sa.bindparam('b_id'))
            .values(price_lines=sa.bindparam('price_lines', type_=sa.JSON()), policy=sa.bindparam('policy', type_=sa.JSON())),
            lines,
        )
    conn.execute(
        rows.update()
        .where(rows.c.payment_status == 'refunded')
        .values(refunded_amount=rows.c.total_price, kept_amount=0)
    )


def downgrade() -> None:
    with op.batch_alter_table('view_reservations', schema=None) as batch_op:
        batch_op.drop_column('kept_amount')
        batch_op.drop_column('refunded_amount')
        batch_op.drop_column('left_on')
        batch_op.drop_column('checked_in_on')
        batch_op.drop_column('refund_amount')
        batch_op.drop_column('fee')
        batch_op.drop_column('policy')
        batch_op.drop_column('price_lines')
