"""The rows every model of a training run learns from and is scored on, assembled in one place.

The public sets (less the fit and calib rows of any left-out source) plus the counterfactual templates,
which join the fit split, partitioned so that no fit or calib row repeats a dev text. ``townhall train``,
the encoder's fine-tuning rows (:mod:`townhall.training.encoder_data`) and ``bench/crossset_encoder.py`` all
read them from :func:`training_splits`, so a change to how the templates join training is made here once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from townhall.training.counterfactual import counterfactual_examples
from townhall.training.data import Example, load_all, partition, without_sources


@dataclass(frozen=True)
class TrainingSplits:
    fit: list[Example]
    calib: list[Example]
    dev: list[Example]
    public_rows: int  # rows loaded from the public sets, before partitioning
    template_rows: int  # counterfactual training sentences offered to the fit split
    held_templates: list[Example]  # template sentences kept out of training, to score (see counterfactual.py)

    @property
    def dropped(self) -> int:
        """Rows left out by partitioning: unlabelled, or a fit/calib copy of a dev text."""
        return self.public_rows + self.template_rows - len(self.fit) - len(self.calib) - len(self.dev)


def training_splits(data: Path, seed: int, limit: int | None = None,
                    exclude: frozenset[str] = frozenset()) -> TrainingSplits:
    """The splits for ``seed``; ``limit`` rows per set at most; ``exclude``: sets whose fit and calib rows
    are left out (their dev rows stay, to score a model on a source it never trained on)."""
    examples = without_sources(load_all(data, seed, limit), exclude)
    templates, held = counterfactual_examples(seed)
    fit, calib, dev = partition(examples + templates)
    return TrainingSplits(fit, calib, dev, len(examples), len(templates), held)
