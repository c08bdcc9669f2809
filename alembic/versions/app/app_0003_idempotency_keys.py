"""app: the HTTP API's Idempotency-Key of each booking request, with the answer given

Revision ID: app_0003
Revises: app_0002
Create Date: 2026-12-04 13:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'app_0003'
down_revision: str | None = 'app_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('app_idempotency_keys',
    sa.Column('principal', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('request_hash', sa.String(length=64), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('principal', 'key', name=op.f('pk_app_idempotency_keys'))
    )
    with op.batch_alter_table('app_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_app_idempotency_keys_created_at'), ['created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('app_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_app_idempotency_keys_created_at'))
    op.drop_table('app_idempotency_keys')
