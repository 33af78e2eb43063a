"""A reader's recent comments with how each was last judged: ``[history]`` (townhall.service.history).

One query on indexes that exist since 0001: the account's comments of the window by ``ix_comments_account``
(``account_id, created_at``), and each one's latest decision by ``ix_decisions_comment_id``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Connection, and_, case, func, select, type_coerce
from sqlalchemy.engine import RowMapping

from townhall.store.schema import DecisionSource, comments, decisions

__all__ = ["recent_judgements"]


def recent_judgements(conn: Connection, account_id: int, since: datetime, *, limit: int,
                      exclude: int | None = None) -> list[RowMapping]:
    """The account's latest ``limit`` comments written at ``since`` or later (newest first; ``exclude``: a comment
    left out, the one being judged again), each with its ``status`` and the ``source`` and ``verdict`` of its
    latest decision other than its author's deletion (null: none). ``hits`` are that decision's hits where the house
    rules refused the comment (a pipeline decision to reject), else null: only they are needed, and a published
    comment's hits (a classifier's reasons) would be read for nothing."""
    latest = (select(func.max(decisions.c.id))
              .where(decisions.c.comment_id == comments.c.id, decisions.c.source != DecisionSource.AUTHOR.value)
              .correlate(comments)
              .scalar_subquery())
    refused = and_(decisions.c.source == DecisionSource.PIPELINE.value, decisions.c.verdict == "reject")
    q = (select(comments.c.id, comments.c.status, decisions.c.source, decisions.c.verdict,
                type_coerce(case((refused, decisions.c.hits), else_=None), JSON).label("hits"))
         .select_from(comments.outerjoin(decisions, decisions.c.id == latest))
         .where(comments.c.account_id == account_id, comments.c.created_at >= since))
    if exclude is not None:
        q = q.where(comments.c.id != exclude)
    q = q.order_by(comments.c.created_at.desc(), comments.c.id.desc()).limit(limit)
    return list(conn.execute(q).mappings())
