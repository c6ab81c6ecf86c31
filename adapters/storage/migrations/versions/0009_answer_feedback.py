"""Feedback on answers: one 👍 or 👎 per person and answered interaction.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 11:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'answer_feedback',
        sa.Column('id', ID, nullable=False),
        sa.Column('workspace_id', ID, nullable=False),
        sa.Column('event_id', sa.String(length=200), nullable=False),
        sa.Column('member_id', ID, nullable=False),
        sa.Column('positive', sa.Boolean(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['member_id'], ['members.id'], name=op.f('fk_answer_feedback_member_id_members')
        ),
        sa.ForeignKeyConstraint(
            ['workspace_id'],
            ['workspaces.id'],
            name=op.f('fk_answer_feedback_workspace_id_workspaces'),
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_feedback')),
        sa.UniqueConstraint(
            'workspace_id',
            'event_id',
            'member_id',
            name=op.f('uq_answer_feedback_workspace_id_event_id_member_id'),
        ),
    )
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_answer_feedback_workspace_id_at'), ['workspace_id', 'at'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('answer_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_answer_feedback_workspace_id_at'))
    op.drop_table('answer_feedback')
