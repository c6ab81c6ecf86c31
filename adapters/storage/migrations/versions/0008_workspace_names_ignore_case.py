"""Workspace names are unique whatever their case: `Demo` and `demo` are one name.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.errors import Conflict

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = 'uq_workspaces_lower_name'


def upgrade() -> None:
    # Names that already clash would make the index fail with a bare integrity error: name them.
    clashes = op.get_bind().execute(sa.text(
        'SELECT lower(name) AS folded, count(*) AS n FROM workspaces '
        'GROUP BY lower(name) HAVING count(*) > 1 ORDER BY folded'
    )).all()
    if clashes:
        names = ', '.join(repr(row.folded) for row in clashes)
        raise Conflict(
            f'workspace names that differ only in case exist ({names}); workspace names now '
            'ignore case: rename all but one of each in the workspaces table, then run '
            '`setget-bot db upgrade` again'
        )
    op.create_index(INDEX, 'workspaces', [sa.text('lower(name)')], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name='workspaces')
