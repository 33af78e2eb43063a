"""Indexes for abuse signals (ban-evasion look-ups by device and network prefix).

Revision ID: 0003_signal_indexes
Revises: 0002_audit_append_only
"""

from __future__ import annotations

from alembic import op

revision = "0003_signal_indexes"
down_revision = "0002_audit_append_only"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_comments_device_hash", "comments", ["device_hash"])
    op.create_index("ix_comments_ip_hash", "comments", ["ip_hash", "created_at"])
    op.create_index("ix_accounts_site_state", "accounts", ["site_id", "state"])


def downgrade() -> None:
    op.drop_index("ix_accounts_site_state", "accounts")
    op.drop_index("ix_comments_ip_hash", "comments")
    op.drop_index("ix_comments_device_hash", "comments")
