"""A deleted experiment: ``old-baselines``, two rule-based runs deleted with it.

It shows what the deleted view and restore act on: ``delete_experiment`` marks the
experiment and every one of its runs deleted at the same moment.
"""

from __future__ import annotations

import random

from ..builder import DemoBuilder
from ..curves import DAY, HOUR, MINUTE


def old_baselines(demo: DemoBuilder) -> None:
    """Record ``old-baselines``: created 16 days ago, deleted 12 days ago."""
    created = demo.now - 16 * DAY
    deleted_at = demo.now - 12 * DAY
    exp = demo.experiment(
        "old-baselines",
        created,
        {"mlflow.note.content": "Superseded by fraud-detection. Kept for reference."},
        user="alice",
        source="rules/evaluate.py",
        deleted_at=deleted_at,
    )
    for i, name in enumerate(("rules-v1", "rules-v2")):
        rng = random.Random(f"old-{name}")
        start = created + (i + 1) * HOUR
        params = {"threshold": 0.7 + i * 0.05, "rules": 12 + i * 5}
        run = demo.run(exp, name, rng, (start, start + 4 * MINUTE), "FINISHED", params)
        run.log("recall", [(0, start + 3 * MINUTE, round(0.41 + i * 0.07, 4))])
        run.log("precision", [(0, start + 3 * MINUTE, round(0.58 - i * 0.03, 4))])
        # delete_experiment marks every run deleted at the same moment
        run.deleted_time = deleted_at
