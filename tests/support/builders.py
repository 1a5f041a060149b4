"""Build tracking stores with the real ``mlflow`` client, for tests.

``python tests/support/builders.py URI`` fills the store at URI. Tests call
:func:`cached_store` which builds once per mlflow version and per content of
this file, then hands out copies.
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CACHE_ROOT = Path(os.environ.get("MLTUI_TEST_CACHE", Path(__file__).resolve().parents[2]
                                  / ".cache" / "test-stores"))

LONG_VALUE = "v" * 5000
HOSTILE_TAG = "[bold]x[/] \x1b[31mred\x1b[0m"


def _fingerprint(script: Path) -> str:
    import importlib.metadata

    text = script.read_bytes() + importlib.metadata.version("mlflow").encode()
    return hashlib.sha1(text).hexdigest()[:12]


def _builder(kind: str) -> tuple[Path, str]:
    """The script that fills a store of ``kind`` and the backend it is built on:
    'sqlite' / 'file' (this module's :func:`build`), 'pages-sqlite' / 'pages-file'
    (``pages_builder.py``: several pages of runs)."""
    content, _, backend = kind.rpartition("-")
    script = Path(__file__) if not content else Path(__file__).with_name(f"{content}_builder.py")
    return script, backend


def cached_store(kind: str) -> Path:
    """A folder holding a store built by :func:`build` (``mlflow.db`` + artifacts
    for kind 'sqlite', ``mlruns`` for kind 'file'; see :func:`_builder` for the
    others). Built once; never modify it."""
    script, backend = _builder(kind)
    target = CACHE_ROOT / f"{kind}-{_fingerprint(script)}"
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    lock = CACHE_ROOT / f"{kind}.lock"
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        if not (target / "done").exists():
            if target.exists():
                shutil.rmtree(target)
            target.mkdir(parents=True)
            env = dict(os.environ)
            env["MLFLOW_ALLOW_FILE_STORE"] = "true"
            # sqlite syncs every commit: build on a RAM disk when there is one
            scratch = Path("/dev/shm") if Path("/dev/shm").is_dir() else target
            work = Path(tempfile.mkdtemp(dir=scratch)) if backend == "sqlite" else target
            if backend == "sqlite":
                uri = f"sqlite:///{work / 'mlflow.db'}"
            else:
                uri = (target / "mlruns").as_uri()
            try:
                subprocess.run(
                    [sys.executable, str(script), uri, str(target / "artifacts")],
                    check=True,
                    env=env,
                    cwd=target,
                )
                if work != target:
                    shutil.move(str(work / "mlflow.db"), target / "mlflow.db")
            finally:
                if work != target:
                    shutil.rmtree(work, ignore_errors=True)
            (target / "done").write_text("ok")
    return target


def copy_store(kind: str, dest: Path) -> str:
    """Copy the cached store into ``dest`` and return its URI (for write tests)."""
    src = cached_store(kind)
    for item in src.iterdir():
        if item.is_dir():
            shutil.copytree(item, dest / item.name)
        else:
            shutil.copy2(item, dest / item.name)
    if _builder(kind)[1] == "sqlite":
        return f"sqlite:///{dest / 'mlflow.db'}"
    return (dest / "mlruns").as_uri()


def build(uri: str, artifact_root: str) -> None:
    """Fill an empty store with everything the tests look at."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    os.makedirs(artifact_root, exist_ok=True)

    def experiment(name: str, **tags: str) -> str:
        return client.create_experiment(
            name, artifact_location=Path(artifact_root, name.replace(" ", "_")).as_uri(),
            tags=tags or None,
        )

    # -- a sweep with nested runs -------------------------------------------
    sweep = experiment("sweep", **{"mlflow.note.content": "LR sweep\nsecond line", "team": "ml"})
    parent = client.create_run(sweep, run_name="sweep-parent", tags={"kind": "parent"})
    client.log_param(parent.info.run_id, "search", "grid")
    client.set_terminated(parent.info.run_id, "FINISHED")
    statuses = ["FINISHED", "FINISHED", "FAILED", "KILLED", "RUNNING", "FINISHED"]
    for i, (lr, opt) in enumerate(
        [(0.1, "adam"), (0.01, "adam"), (0.001, "sgd"), (0.01, "sgd"), (0.0001, "adam"),
         (0.1, "SGD")]
    ):
        run = client.create_run(
            sweep,
            run_name=f"child-{i}",
            tags={"mlflow.parentRunId": parent.info.run_id, "kind": "child",
                  "owner": "alice" if i % 2 else "Bob"},
        )
        rid = run.info.run_id
        ts = int(time.time() * 1000)
        metrics = [Metric("loss", 1.0 / (s + 1) + i * 0.01, ts + s, s) for s in range(50)]
        metrics.append(Metric("acc", 0.5 + i * 0.08, ts, 0))
        metrics.append(Metric("val/loss", 0.3 - i * 0.02, ts, 0))
        metrics.append(Metric("train loss", float(i), ts, 0))
        metrics.append(Metric("métrique", i * 1.5, ts, 0))
        params = [
            Param("lr", str(lr)), Param("optimizer", opt), Param("batch_size", str(32 * (i + 1)))
        ]
        client.log_batch(rid, metrics=metrics, params=params)
        if statuses[i] != "RUNNING":
            client.set_terminated(rid, statuses[i])
    # a run with no metrics at all, and one deleted run
    bare = client.create_run(sweep, run_name="bare")
    client.set_terminated(bare.info.run_id, "FINISHED")
    gone = client.create_run(sweep, run_name="deleted-run")
    client.log_metric(gone.info.run_id, "acc", 0.99)
    client.set_terminated(gone.info.run_id, "FINISHED")
    client.delete_run(gone.info.run_id)

    # -- edge cases ---------------------------------------------------------
    edge = experiment("edge cases")
    for name, value in [("nan-run", math.nan), ("inf-run", math.inf), ("neg-inf-run", -math.inf),
                        ("zero-run", 0.0)]:
        run = client.create_run(edge, run_name=name)
        client.log_metric(run.info.run_id, "score", value)
        client.log_metric(run.info.run_id, "plain", 1.0)
        client.set_terminated(run.info.run_id, "FINISHED")
    odd = client.create_run(edge, run_name="[red]odd[/] name")
    client.log_batch(
        odd.info.run_id,
        params=[Param("long", LONG_VALUE), Param("key with space", "x y"),
                Param("path/like/key", "p"), Param("ключ", "значение")],
        tags=[RunTag("hostile", HOSTILE_TAG), RunTag("quote", "it's")],
    )
    client.set_terminated(odd.info.run_id, "FINISHED")
    artifacts = client.create_run(edge, run_name="with-artifacts")
    rid = artifacts.info.run_id
    src = Path(artifact_root, "_src")
    src.mkdir(parents=True, exist_ok=True)
    (src / "log.txt").write_text("epoch 1 loss 0.5\nepoch 2 loss 0.4\n")
    (src / "confusion.json").write_text('{"tp": 5, "fp": 1}')
    client.log_artifact(rid, str(src / "log.txt"))
    client.log_artifact(rid, str(src / "confusion.json"), artifact_path="eval")
    client.set_terminated(rid, "FINISHED")

    # datasets
    import pandas as pd

    dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), name="train-data")
    with mlflow.start_run(experiment_id=edge, run_name="with-dataset") as active:
        mlflow.log_input(dataset, context="training")
        mlflow.log_metric("plain", 2.0)
        dataset_run = active.info.run_id

    # -- a deleted experiment -------------------------------------------------
    old = experiment("old-experiment")
    run = client.create_run(old, run_name="old-run")
    client.set_terminated(run.info.run_id, "FINISHED")
    client.delete_experiment(old)

    # -- registry -------------------------------------------------------------
    child_runs = client.search_runs(
        [sweep], "tags.kind = 'child'", order_by=["attributes.run_name"]
    )
    client.create_registered_model(
        "fraud-detector", tags={"team": "risk"},
        description="# Fraud detector\n\nGradient boosted trees.",
    )
    for i, stage in enumerate(["Archived", "Production", "Staging", "None"]):
        run_ = child_runs[i]
        mv = client.create_model_version(
            "fraud-detector", f"{run_.info.artifact_uri}/model", run_id=run_.info.run_id,
            tags={"validated": str(i % 2 == 0).lower()}, description=f"version {i + 1}",
        )
        if stage != "None":
            client.transition_model_version_stage("fraud-detector", mv.version, stage)
    client.set_registered_model_alias("fraud-detector", "champion", "2")
    client.set_registered_model_alias("fraud-detector", "challenger", "3")
    client.create_registered_model("churn-model")
    for _ in range(2):
        client.create_model_version("churn-model", "s3://bucket/churn", run_id=None)
    mlflow.genai.register_prompt(name="my-prompt", template="Hello {{name}}")
    client.create_logged_model(edge, name="edge-model", source_run_id=dataset_run)


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
