"""``ctr-random-search``: a big flat experiment, 1,500 trials of one metric point each.

It is there for the runs table's size (sorting, filtering and paging over
thousands of runs) rather than for charts; about 3% of the trials failed.
"""

from __future__ import annotations

import math
import random

from ..builder import DemoBuilder
from ..curves import DAY, HOUR, SECOND


def ctr_search(demo: DemoBuilder) -> None:
    """Record ``ctr-random-search``, created 9 days ago, trials a few minutes apart."""
    created = demo.now - 9 * DAY
    exp = demo.experiment(
        "ctr-random-search",
        created,
        {
            "mlflow.note.content": "Random search for the click-through-rate model: 1,500 "
            "trials, one metric point each. Sort by `metrics.auc`.",
            "team": "ads",
        },
        user="dana",
        source="ctr/random_search.py",
    )
    rng = random.Random("ctr")
    t = created + 2 * HOUR
    for i in range(1500):
        t += rng.randint(60, 420) * SECOND
        lr = 10 ** rng.uniform(-4.5, -1.5)
        emb = rng.choice([8, 16, 32, 64])
        layers = rng.choice(["[256, 128]", "[512, 256, 128]", "[128, 64]", "[1024, 512]"])
        dropout = round(rng.uniform(0.0, 0.5), 2)
        failed = rng.random() < 0.03
        params = {
            "lr": f"{lr:.3g}",
            "embedding_dim": emb,
            "layers": layers,
            "dropout": dropout,
            "batch_size": rng.choice([1024, 2048, 4096]),
        }
        span = (t, t + rng.randint(40, 300) * SECOND)
        status = "FAILED" if failed else "FINISHED"
        run = demo.run(exp, f"rs-{i:04d}", rng, span, status, params)
        if failed:
            continue
        assert run.end is not None
        quality = -abs(math.log10(lr) + 3) * 0.01 - abs(dropout - 0.2) * 0.02 + emb * 0.0002
        auc = 0.775 + quality + rng.gauss(0, 0.004)
        ts = run.end - 2 * SECOND
        run.log("auc", [(0, ts, round(auc, 5))])
        run.log("logloss", [(0, ts, round(0.47 - (auc - 0.75) * 1.1, 5))])
        run.log("train time s", [(0, ts, round((run.end - run.start) / 1000 - 3, 1))])
