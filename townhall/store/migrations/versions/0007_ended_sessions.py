"""Dashboard sessions ended by signing out: a signed cookie copied before the sign-out no longer opens the
dashboard. A row is kept until the cookie would have run out.

Revision ID: 0007_ended_sessions
Revises: 0006_audit_no_replace
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_ended_sessions"
down_revision = "0006_audit_no_replace"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_sessions",
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("nonce"),
    )


def downgrade() -> None:
    op.drop_table("ended_sessions")
