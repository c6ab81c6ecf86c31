"""Who has been told of each alert on each platform, kept in the database for every replica.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 13:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_recipients",
        sa.Column("alert_id", ID, nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("told_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name=op.f("fk_alert_recipients_alert_id_alerts")
        ),
        sa.PrimaryKeyConstraint(
            "alert_id", "platform", "recipient", name=op.f("pk_alert_recipients")
        ),
    )


def downgrade() -> None:
    op.drop_table("alert_recipients")
