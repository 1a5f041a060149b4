"""The store of ``tests/store/test_rest_store.py``, logged through a real ``mlflow
server``: the builders' store (``builders.build``), then what only those tests
need: a proxied (``mlflow-artifacts:``) run, a 5000-step history and a model kept
for write tests.

:func:`build` logs it once (:func:`support.world_cache.cached_dir`); each test
process serves a copy of the server's database and artifacts.
"""

from __future__ import annotations

import math
import os
import random
from pathlib import Path

STEPS = 5000
SPIKES = {123: 1000.0, 124: -1000.0, 2500: 5e6, 2501: -7e6, 4000: math.nan, 4998: 777.0}
SOURCES = [Path(__file__), Path(__file__).with_name("builders.py")]
"""What decides the store's content (with the mlflow version): its key in the cache."""


def fill(uri: str, root: str) -> None:
    """Builders' store, then what only the REST tests need."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric as MlflowMetric

    from support.builders import build

    build(uri, os.path.join(root, "file-artifacts"))
    client = MlflowClient(uri)
    proxied = client.create_experiment("proxied")  # default root: mlflow-artifacts:
    run = client.create_run(proxied, run_name="proxied-run")
    src = Path(root, "_proxied")
    (src / "sub").mkdir(parents=True)
    (src / "notes.txt").write_text("hello from the server\n" * 3)
    (src / "sub" / "data.json").write_text('{"x": 1}')
    (src / "big.bin").write_bytes(bytes(range(256)) * 400)
    client.log_artifacts(run.info.run_id, str(src))
    client.set_terminated(run.info.run_id)

    long = client.create_run(proxied, run_name="long")
    rng = random.Random(42)
    t0 = 1_700_000_000_000
    points = [
        MlflowMetric(
            "wave", SPIKES.get(s, math.sin(s / 50) + rng.uniform(-0.1, 0.1)), t0 + s * 10, s
        )
        for s in range(STEPS)
    ]
    for i in range(0, STEPS, 1000):
        client.log_batch(long.info.run_id, metrics=points[i : i + 1000])
    client.set_terminated(long.info.run_id)

    writes = client.create_experiment("writes")
    for i in range(4):
        r = client.create_run(writes, run_name=f"w-{i}")
        client.log_metric(r.info.run_id, "m", float(i))
        client.set_terminated(r.info.run_id)
    client.create_registered_model("write-model", tags={"team": "a"}, description="start")
    for i in range(4):
        client.create_model_version(
            "write-model", f"s3://bucket/w{i}", run_id=None, tags={"n": str(i)}
        )
    client.transition_model_version_stage("write-model", "1", "Production")
    client.transition_model_version_stage("write-model", "2", "Staging")
    client.set_registered_model_alias("write-model", "champion", "1")


def build(folder: Path) -> None:
    """Log the store through a tracking server on ``folder``."""
    from support.world_cache import build_through_server

    def logged(url: str) -> dict:
        fill(url, str(folder))
        return {}

    build_through_server(folder, logged)
