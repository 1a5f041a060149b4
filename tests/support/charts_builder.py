"""A store of metric histories for the chart tests, built with the real mlflow client.

``python tests/support/charts_builder.py URI`` fills the store at URI. Tests get it
with ``cached_store("charts-sqlite")``. Experiment ``curves``:

- ``long``: ``loss`` over ``LONG_STEPS`` steps, a smooth decay with spikes at
  ``SPIKES`` (a downsampled chart must still show them);
- ``weird``: ``w`` = WEIRD_VALUES (NaN, ±inf, zero and negatives);
- ``single``: ``one`` logged once;
- ``a``, ``b``, ``c``: ``acc`` over ``SHORT_STEPS`` steps, and ``b`` also ``only_b``;
- ``empty``: no metric at all.

Everything is deterministic: values from formulas, timestamps from ``T0``.
"""

from __future__ import annotations

import math
import sys

LONG_STEPS = 3000
SPIKES = {1234: 100.0, 2500: -50.0}
SHORT_STEPS = 200
WEIRD_VALUES = [1.0, math.nan, 3.0, math.inf, -math.inf, 0.0, -2.0, 5.0]
T0 = 1_700_000_000_000


def long_value(step: int) -> float:
    return SPIKES.get(step, 2.0 * math.exp(-step / 600) + 0.1)


def acc_value(run: str, step: int) -> float:
    return {"a": 0.5, "b": 0.6, "c": 0.7}[run] * (1 - math.exp(-step / 50))


def build(uri: str, artifact_root: str) -> None:
    import os

    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(uri)
    os.makedirs(artifact_root, exist_ok=True)
    exp = client.create_experiment("curves", artifact_location=os.path.join(artifact_root, "c"))

    def run(name: str, metrics: list, start: int = T0) -> str:
        rid = client.create_run(exp, run_name=name, start_time=start).info.run_id
        for i in range(0, len(metrics), 1000):
            client.log_batch(rid, metrics=metrics[i : i + 1000])
        client.set_terminated(rid, "FINISHED", end_time=start + 3_600_000)
        return rid

    run("long", [Metric("loss", long_value(s), T0 + s * 1000, s) for s in range(LONG_STEPS)])
    run("weird", [Metric("w", v, T0 + s * 1000, s) for s, v in enumerate(WEIRD_VALUES)])
    run("single", [Metric("one", 42.0, T0, 7)])
    for name in ("a", "b", "c"):
        points = [Metric("acc", acc_value(name, s), T0 + s * 60_000, s)
                  for s in range(SHORT_STEPS)]
        if name == "b":
            points.append(Metric("only_b", 1.5, T0, 0))
        run(name, points)
    run("empty", [])


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
