"""A reader's ignore list (as Coral's "Ignore user" and Disqus's "Block"): the accounts whose comments a reader
chose not to see. One row per (reader, ignored account); an index on the ignored account finds the readers who
ignore someone (an erasure of that account removes them).

Revision ID: 0010_ignored_accounts
Revises: 0009_featured_comments
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_ignored_accounts"
down_revision = "0009_featured_comments"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ignored_accounts",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("ignored_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_ignored_accounts_ignored", "ignored_accounts", ["ignored_id"])


def downgrade() -> None:
    op.drop_index("ix_ignored_accounts_ignored", "ignored_accounts")
    op.drop_table("ignored_accounts")
