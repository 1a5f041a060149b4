"""``quickstart``: the MLflow tutorial as a newcomer runs it, in a notebook.

Tiny runs a first screen should handle: a run with one three-point metric, a run
with nothing logged at all, and four ElasticNet fits with one metric point each;
the best of them gets a model folder.
"""

from __future__ import annotations

import random

from ..builder import DemoBuilder, DemoRun
from ..curves import DAY, MINUTE, SECOND
from ..models import model_folder


def quickstart(demo: DemoBuilder) -> None:
    """Record ``quickstart``, created 15 days ago (source type NOTEBOOK, no git)."""
    created = demo.now - 15 * DAY
    exp = demo.experiment(
        "quickstart",
        created,
        {
            "mlflow.note.content": "The MLflow tutorial: ElasticNet on the UCI wine quality "
            "data set. Start here.",
            "project": "onboarding",
        },
        user="alice",
        source="quickstart.ipynb",
        notebook=True,
    )
    rng = random.Random("quickstart-first")
    start = created + 20 * MINUTE
    first = demo.run(
        exp, "my-first-run", rng, (start, start + 2 * SECOND), "FINISHED", {"param1": 5}
    )
    first.log("foo", [(s, start + 300 + s * 40, float(s * s)) for s in range(3)])
    rng = random.Random("quickstart-empty")
    t0 = start + 5 * MINUTE
    demo.run(exp, "empty-run", rng, (t0, t0 + 800), "FINISHED", {})
    best: DemoRun | None = None
    for i, (alpha, l1) in enumerate(((0.5, 0.5), (0.2, 0.2), (0.1, 0.9), (0.01, 0.5))):
        rng = random.Random(f"quickstart-wine-{i}")
        t0 = start + (10 + i * 6) * MINUTE
        span = (t0, t0 + rng.randint(3, 9) * SECOND)
        params = {"alpha": alpha, "l1_ratio": l1}
        run = demo.run(exp, f"wine-elasticnet-{i + 1}", rng, span, "FINISHED", params)
        rmse = 0.62 + alpha * 0.35 + l1 * 0.04 + rng.uniform(-0.01, 0.01)
        ts = t0 + 2 * SECOND
        run.log("rmse", [(0, ts, round(rmse, 6))])
        run.log("r2", [(0, ts, round(1 - rmse**2 / 0.65, 6))])
        run.log("mae", [(0, ts, round(rmse * 0.78, 6))])
        if best is None or rmse < best.last("rmse"):
            best = run
    assert best is not None
    model_folder(demo, best, random.Random("quickstart-model"), ["fixed acidity", "pH"])
