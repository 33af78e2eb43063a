"""Coordination (paid-troll) detection: accounts that act together beyond chance. Never opinions.

Pure: no database, HTTP, clock or global randomness; pass ``now`` and a seeded ``random.Random``.
"""

from townhall.trolls.config import DetectorConfig
from townhall.trolls.events import CommentEvent, EventFormatError, ReactionEvent, ReactionKind, comment_from_dict
from townhall.trolls.index import CoordinationIndex, analyse_events
from townhall.trolls.report import AccountResult, Cluster, ClusterState, Report, Signal
from townhall.trolls.text import jaccard, minhash

__all__ = [
    "AccountResult", "Cluster", "ClusterState", "CommentEvent", "CoordinationIndex", "DetectorConfig",
    "EventFormatError", "ReactionEvent", "ReactionKind", "Report", "Signal", "analyse_events", "comment_from_dict",
    "jaccard", "minhash",
]
