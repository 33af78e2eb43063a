"""Tunable settings of the coordination detector, with the reasoning behind each default."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    # Memory bound: events older than ``now - horizon`` are dropped at each analysis.
    horizon: timedelta = timedelta(days=30)
    # Synchronised arrival: first comments of two accounts on one thread within this window.
    sync_window: timedelta = timedelta(minutes=10)
    # Posts from one device on one thread, each within this of the one before, are one person switching accounts (a
    # device passes between people, who read and write, more slowly); further apart they take turns (a family
    # tablet), which is the shared device's evidence, not arriving together.
    device_turn: timedelta = timedelta(seconds=60)
    # Crowds larger than this (breaking news) give no pair evidence; they still raise expectations.
    crowd_cap: int = 40
    # Reply/reaction brigade: two accounts replying to / reacting on the same comment within this window
    # (replies to one comment are rare, so the window can be wide).
    brigade_window: timedelta = timedelta(hours=24)
    # Pairs must co-occur on at least this many distinct threads / targets before a tail is computed.
    min_support: int = 3
    # Text reuse: near-duplicate when estimated Jaccard of content-word shingles >= this.
    text_jaccard: float = 0.5
    # A pair must share at least this many distinct texts (one famous quote is not a campaign).
    text_min_support: int = 2
    # Texts shared by more accounts than this are common phrases, not a campaign's talking point.
    text_group_cap: int = 60
    # Wording in circulation: a near-duplicate group in which at least this many ordinary readers (no evidence of
    # another kind with a member, no significant tie of another kind to anyone, no wording tie of
    # ``circulation_wording`` or more), and at least ``text_circulation_share`` of its writers, posted copies
    # (estimated Jaccard >= circulation_jaccard) of the members' texts is not the cluster's own. A share, not
    # a count against the members: how many readers use a side's slogans depends on how big the side is.
    text_circulation: int = 3
    text_circulation_share: float = 0.25
    circulation_jaccard: float = 0.8
    circulation_wording: float = 1.0
    # Device fingerprints / IP prefixes shared by more accounts than the cap are collisions or NAT.
    device_cap: int = 60
    ip_cap: int = 64
    # An IP prefix shared by more accounts than this is discounted in proportion (NAT, carriers).
    ip_common: int = 8
    # Creation burst: at least ``creation_min`` members created within ``creation_window``.
    creation_window: timedelta = timedelta(days=2)
    creation_min: int = 4
    # Significance: a pair's tail bits must exceed log10(number of account pairs) + margin.
    margin_bits: float = 1.0
    # A single kind of signal flags on its own only at this strength (2.0 = twice the bits needed).
    overwhelming: float = 2.0
    # Components larger than this are split with seeded Louvain.
    split_above: int = 40
    # Flag threshold on the 0..1 score; 0.8 is exactly "two independent kinds of significant signal".
    threshold: float = 0.8
    # Evidence detail kept per signal.
    evidence_items: int = 4
