"""Which version of the renderer made a comment's HTML (``comments.render_version``), so that comments written
before a change to it are drawn again as a newer Townhall draws them.

A comment's HTML is made once, when it is written (``townhall.service.render``), and kept beside its text. When the
renderer changes what it makes of some text (a link in quotes ended on ``"`` and showed a ``;`` nobody typed, until
it was mended; ``>`` lines became quotations), the comments written before kept the old HTML until edited. Each
comment now records the renderer's version (``RENDER_VERSION``); a background job (``comments.rerender``) renders the
older ones again from their text. The comments already there are 0 ("made by a Townhall before this column"), the
server default on both databases, so the job takes them all once; an index on the column finds the stale ones
without reading the table.

Revision ID: 0016_comment_render_version
Revises: 0015_site_announcement
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_comment_render_version"
down_revision = "0015_site_announcement"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("comments", sa.Column("render_version", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_comments_render_version", "comments", ["render_version"])


def downgrade() -> None:
    # The index first: SQLite's ALTER TABLE … DROP COLUMN (3.35+) refuses an indexed column. No batch copy of the
    # table: comments refer to comments, and decisions, reactions and reports to them. The HTML stays as it is.
    op.drop_index("ix_comments_render_version", "comments")
    op.drop_column("comments", "render_version")
