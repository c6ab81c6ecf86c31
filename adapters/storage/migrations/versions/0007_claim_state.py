"""Platform event claims remember whether their answer finished.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Claims made before this revision were answered (or are long past answering): they
    # become finished claims whose lease ended when they arrived.
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.String(length=16), nullable=False, server_default='answered'))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('message', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reply', sa.String(length=64), nullable=True))
    op.execute('UPDATE platform_events SET claimed_until = received_at')
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.String(length=16), server_default=None)
        batch_op.alter_column('attempts', existing_type=sa.Integer(), server_default=None)
        batch_op.alter_column('claimed_until', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.create_index(batch_op.f('ix_platform_events_state_claimed_until'), ['state', 'claimed_until'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('platform_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_platform_events_state_claimed_until'))
        batch_op.drop_column('reply')
        batch_op.drop_column('message')
        batch_op.drop_column('claimed_until')
        batch_op.drop_column('attempts')
        batch_op.drop_column('state')
