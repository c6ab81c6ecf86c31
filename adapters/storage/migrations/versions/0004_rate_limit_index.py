"""Index interactions by workspace and start time: rate limits count the last minute.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 14:40:20.768828
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interactions_workspace_id_created_at'), ['workspace_id', 'created_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interactions_workspace_id_created_at'))

