"""app: what the notifier told whom, claimed before each message is sent

Revision ID: app_0002
Revises: app_0001
Create Date: 2026-11-26 17:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'app_0002'
down_revision: str | None = 'app_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_notices',
    sa.Column('event_id', sa.Uuid(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('reservation_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('message_id', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('event_id', 'chat_id', name=op.f('pk_app_notices'))
    )
    with op.batch_alter_table('app_notices', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_notices_reservation_id'), ['reservation_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('app_notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_notices_reservation_id'))
    op.drop_table('app_notices')
