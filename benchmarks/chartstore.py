"""A store with long metric histories, for the chart benchmark.

``python benchmarks/chartstore.py`` builds (or reuses) ``benchmarks/.data/charts.db``:
the experiment ``long-histories`` with the run ``million`` (metric ``loss``:
1,000,000 points, with spikes) and twenty runs ``r00`` .. ``r19`` (metric ``loss``:
100,000 points each). MLflow creates the schema, the experiment and the runs;
the metric rows are then inserted with ``sqlite3.executemany`` as MLflow's SQL
store lays them out (``metrics`` and the ``latest_metrics`` row), because
logging a million points through the client takes an hour.
"""

from __future__ import annotations

import math
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
PATH = DATA / "charts.db"
EXPERIMENT = "long-histories"
MILLION = 1_000_000
OVERLAY_RUNS = 20
OVERLAY_POINTS = 100_000
T0 = 1_750_000_000_000


def curve(n: int, seed: int) -> list[float]:
    """A noisy decaying loss with a few spikes (which downsampling must keep)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        value = 2.0 * math.exp(-i / (n / 5)) + 0.05 + rng.gauss(0, 0.02)
        if i in (n // 3, n // 3 + 1, (2 * n) // 3):
            value += 50.0
        out.append(value)
    return out


def build(path: Path = PATH) -> str:
    uri = f"sqlite:///{path}"
    if path.exists():
        return uri
    DATA.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    import logging

    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    client = MlflowClient(f"sqlite:///{tmp}")
    exp = client.create_experiment(EXPERIMENT, artifact_location=str(DATA / "charts-artifacts"))
    runs = {"million": client.create_run(exp, run_name="million", start_time=T0).info.run_id}
    for i in range(OVERLAY_RUNS):
        runs[f"r{i:02d}"] = client.create_run(exp, run_name=f"r{i:02d}",
                                              start_time=T0).info.run_id
    for rid in runs.values():
        client.set_terminated(rid, "FINISHED", end_time=T0 + 3_600_000)
    engine = getattr(client._tracking_client.store, "engine", None)
    if engine is not None:
        engine.dispose()
    conn = sqlite3.connect(tmp)
    with conn:
        for name, rid in runs.items():
            n = MILLION if name == "million" else OVERLAY_POINTS
            values = curve(n, hash(name) % 1000)
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES ('loss', ?, ?, ?, ?, 0)",
                ((v, T0 + step * 10, rid, step) for step, v in enumerate(values)),
            )
            conn.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES ('loss', ?, ?, ?, 0, ?)", (values[-1], T0 + (n - 1) * 10, n - 1, rid))
    conn.close()
    os.replace(tmp, path)
    return uri


if __name__ == "__main__":
    started = time.perf_counter()
    print(build(), f"({time.perf_counter() - started:.1f} s)", file=sys.stderr)
