"""Small builders for hand-made coordination scenarios."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

from townhall.trolls.evaluate import Strength, campaign_mix
from townhall.trolls.events import CommentEvent
from townhall.trolls.sim_data import SimMaterial, load_material
from townhall.trolls.simulate import SimConfig, SimResult, simulate

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)

WORDS = ("budget council river harbour museum station bridge library orchestra festival tram school hospital "
         "market stadium airport tunnel election ferry garden theatre factory farm forest beach").split()


def sentence(rng: random.Random, n: int = 12) -> str:
    return " ".join(rng.choice(WORDS) + str(rng.randrange(500)) for _ in range(n))


def comment(i: int, account: str, thread: str, minutes: float, text: str, **kw: object) -> CommentEvent:
    return CommentEvent(id=f"e{i}", account=account, thread=thread, created_at=T0 + timedelta(minutes=minutes), text=text,
                        **kw)  # type: ignore[arg-type]


@lru_cache(maxsize=4)
def material(data_dir: Path | None) -> SimMaterial:
    return load_material(data_dir, random.Random(1))


def mixed_simulation(data_dir: Path | None, seed: int = 0, flip: bool = False, campaigns: int = 10,
                     accounts: int = 2000, comments: int = 22000) -> SimResult:
    """Half strong, half medium campaigns of 5-20 accounts with two or more signals, plus every hard negative."""
    rng = random.Random(100 + seed)
    specs = campaign_mix(Strength.STRONG, campaigns // 2, rng) + campaign_mix(Strength.MEDIUM, campaigns - campaigns // 2, rng, 1)
    cfg = SimConfig(seed=seed, organic_accounts=accounts, organic_comments=comments, campaigns=specs, flip_stance=flip,
                    friend_groups=10, crowds=2, crowd_size=20, nat_groups=2, nat_size=30, breaking=2, breaking_size=150)
    return simulate(cfg, data_dir, material(data_dir))
