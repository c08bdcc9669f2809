"""hotel: each hotel's terms (prices, stay limits, times, cancellation policy), the admins'
defaults for new hotels, and where an approved stay is (checked in, checked out, no-show)

Revision ID: hotel_0003
Revises: hotel_0002
Create Date: 2026-12-04 17:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'hotel_0003'
down_revision: str | None = 'hotel_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('hotel_terms',
    sa.Column('hotel_id', sa.BigInteger(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('terms', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['hotel_id'], ['hotel_hotels.id'], name=op.f('fk_hotel_terms_hotel_id_hotel_hotels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('hotel_id', name=op.f('pk_hotel_terms'))
    )
    op.create_table('hotel_defaults',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_hotel_defaults'))
    )
    with op.batch_alter_table('hotel_approvals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stay', sa.String(length=16), server_default='expected', nullable=False))
        batch_op.add_column(sa.Column('stay_changed_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('hotel_approvals', schema=None) as batch_op:
        batch_op.drop_column('stay_changed_on')
        batch_op.drop_column('stay')
    op.drop_table('hotel_defaults')
    op.drop_table('hotel_terms')
