"""Channel project bindings keyed by workspace.

A channel id is not unique across Slack organisations (a Slack Connect channel has one id in
all of them), so a binding is unique per (workspace, platform, channel), no longer per
(platform, channel). Existing rows keep their workspace. A downgrade keeps the oldest
binding of a channel that several workspaces bound.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 08:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('channel_projects', schema=None) as batch_op:
        batch_op.drop_constraint('uq_channel_projects_platform_channel_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_channel_projects_workspace_id_platform_channel_id'),
            ['workspace_id', 'platform', 'channel_id'],
        )


def downgrade() -> None:
    bindings = sa.table(
        'channel_projects',
        sa.column('id', sa.Integer()),
        sa.column('platform', sa.String()),
        sa.column('channel_id', sa.String()),
    )
    older = bindings.alias('older')
    op.execute(
        bindings.delete().where(
            sa.exists().where(
                older.c.platform == bindings.c.platform,
                older.c.channel_id == bindings.c.channel_id,
                older.c.id < bindings.c.id,
            )
        )
    )
    with op.batch_alter_table('channel_projects', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('uq_channel_projects_workspace_id_platform_channel_id'), type_='unique'
        )
        batch_op.create_unique_constraint(
            batch_op.f('uq_channel_projects_platform_channel_id'), ['platform', 'channel_id']
        )
