"""work items: projects, sprints and work items of each workspace

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 14:05:15.258010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('projects',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('key', sa.String(length=10), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('last_number', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_projects_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_projects')),
    sa.UniqueConstraint('workspace_id', 'key', name=op.f('uq_projects_workspace_id_key'))
    )
    op.create_table('sprints',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project', sa.String(length=10), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['workspace_id', 'project'], ['projects.workspace_id', 'projects.key'], name=op.f('fk_sprints_workspace_id_projects')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_sprints_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sprints')),
    sa.UniqueConstraint('workspace_id', 'project', 'name', name=op.f('uq_sprints_workspace_id_project_name'))
    )
    op.create_table('work_items',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('workspace_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('project', sa.String(length=10), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('priority', sa.String(length=16), nullable=False),
    sa.Column('assignee', sa.Text(), nullable=True),
    sa.Column('assignee_key', sa.Text(), nullable=True),
    sa.Column('labels', sa.Text(), nullable=False),
    sa.Column('estimate', sa.Integer(), nullable=True),
    sa.Column('sprint', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['workspace_id', 'project', 'sprint'], ['sprints.workspace_id', 'sprints.project', 'sprints.name'], name=op.f('fk_work_items_workspace_id_sprints')),
    sa.ForeignKeyConstraint(['workspace_id', 'project'], ['projects.workspace_id', 'projects.key'], name=op.f('fk_work_items_workspace_id_projects')),
    sa.ForeignKeyConstraint(['workspace_id'], ['workspaces.id'], name=op.f('fk_work_items_workspace_id_workspaces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items')),
    sa.UniqueConstraint('workspace_id', 'project', 'number', name=op.f('uq_work_items_workspace_id_project_number'))
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_items_workspace_id_assignee_key'), ['workspace_id', 'assignee_key'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_workspace_id_project_state'), ['workspace_id', 'project', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_items_workspace_id_project_state'))
        batch_op.drop_index(batch_op.f('ix_work_items_workspace_id_assignee_key'))

    op.drop_table('work_items')
    op.drop_table('sprints')
    op.drop_table('projects')
