"""Make ``tests/data/mlflow-2.9.2.db`` and its expected values with a real MLflow 2.x.

mltui must read databases written by older MLflow versions. This script makes
one for real, with the old MLflow in its own throwaway virtualenv, then reads
everything back with that same old ``MlflowClient`` and writes what it saw
to ``tests/data/mlflow-2.9.2.json``. ``tests/test_legacy_schema.py`` opens the
database with mltui and compares with the JSON.

How the committed files were made (python3.11, from the repo root)::

    python scripts/make_legacy_fixture.py

which does, step by step:

1. ``python -m venv /tmp/mlflow-2.9.2`` (unless it exists) and
   ``/tmp/mlflow-2.9.2/bin/pip install mlflow==2.9.2 'sqlalchemy<2.1'
   'alembic<1.14' 'numpy<2' 'pandas<2.2'`` (see ``PERIOD_PINS``; the JSON
   records the mlflow, sqlalchemy and alembic versions used);
2. re-runs this file with that venv's python and ``--inside OUTDIR``, which,
   in a fresh temporary folder, fills ``sqlite:///mlflow.db`` through the public
   MLflow 2.9.2 API (see :func:`fill`), reads it back (see :func:`dump`),
   VACUUMs the file and copies the .db and the .json to ``tests/data/``.

Options: ``--version`` (another 2.x), ``--venv`` (where the venv lives),
``--out`` (another folder). Run ids, times and uuids differ on each run; the
JSON always matches the .db beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VERSION = "2.9.2"
PERIOD_PINS = ["sqlalchemy<2.1", "alembic<1.14", "numpy<2", "pandas<2.2"]
"""MLflow 2.9 (Dec 2023) breaks with what pip picks today (sqlalchemy 2.1 dropped
``FallbackAsyncAdaptedQueuePool``); hold its dependencies to that era."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=DEFAULT_VERSION)
    parser.add_argument("--venv", help="virtualenv for the old mlflow (default /tmp/mlflow-VER)")
    parser.add_argument("--out", default=str(ROOT / "tests" / "data"))
    parser.add_argument("--inside", metavar="OUTDIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        make(Path(args.inside))
        return
    venv = Path(args.venv or f"/tmp/mlflow-{args.version}")
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"mlflow=={args.version}", *PERIOD_PINS],
        check=True,
    )
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(python), __file__, "--inside", str(out)], check=True)


# -- everything below runs inside the old mlflow's venv ---------------------------------


def make(out: Path) -> None:
    import mlflow

    version = mlflow.__version__
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)  # the Default experiment's artifact root is ./mlruns
        uri = "sqlite:///mlflow.db"
        fill(uri)
        expected = dump(uri)
        with sqlite3.connect("mlflow.db") as conn:
            conn.execute("VACUUM")
        shutil.copy("mlflow.db", out / f"mlflow-{version}.db")
    (out / f"mlflow-{version}.json").write_text(json.dumps(expected, indent=1, sort_keys=True))
    print(f"wrote {out}/mlflow-{version}.db and .json")


def fill(uri: str) -> None:
    """Experiments, nested runs, params/metrics/tags, NaN and inf, a dataset input,
    a deleted run and experiment, a registered model with versions in every stage,
    version tags and aliases (MLflow >= 2.3)."""
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    sweep = client.create_experiment(
        "legacy-sweep",
        artifact_location="file:///legacy/artifacts/sweep",
        tags={"mlflow.note.content": "Made by MLflow 2.x\nfor mltui's tests", "team": "ml"},
    )
    t0 = 1_600_000_000_000
    with mlflow.start_run(experiment_id=sweep, run_name="parent") as parent:
        mlflow.log_param("search", "grid")
        mlflow.set_tag("kind", "parent")
        for i, lr in enumerate(["0.1", "0.01", "0.001"]):
            with mlflow.start_run(experiment_id=sweep, run_name=f"child-{i}", nested=True) as run:
                rid = run.info.run_id
                client.log_batch(
                    rid,
                    metrics=[Metric("loss", 1.0 / (s + 1) + i, t0 + s * 1000, s) for s in range(20)]
                    + [
                        Metric("acc", 0.6 + i * 0.1, t0, 0),
                        Metric("val/loss", 0.5 - i * 0.1, t0, 0),
                    ],
                    params=[Param("lr", lr), Param("optimizer", "adam" if i % 2 else "sgd")],
                    tags=[RunTag("kind", "child")],
                )
        client.log_metric(parent.info.run_id, "best_acc", 0.8, timestamp=t0, step=0)
    edge = client.create_experiment(
        "legacy-edge", artifact_location="file:///legacy/artifacts/edge"
    )
    for name, value in [("nan-run", math.nan), ("inf-run", math.inf), ("neg-inf-run", -math.inf)]:
        run = client.create_run(edge, run_name=name)
        client.log_metric(run.info.run_id, "score", value, timestamp=t0, step=0)
        client.log_metric(run.info.run_id, "plain", 1.0, timestamp=t0, step=0)
        client.set_terminated(run.info.run_id, "FINISHED")
    failed = client.create_run(edge, run_name="failed-run", tags={"note": "it's [bold]odd[/]"})
    client.log_param(failed.info.run_id, "key with space", "x y")
    client.set_terminated(failed.info.run_id, "FAILED")
    gone = client.create_run(edge, run_name="deleted-run")
    client.log_metric(gone.info.run_id, "acc", 0.99, timestamp=t0, step=0)
    client.set_terminated(gone.info.run_id, "FINISHED")
    client.delete_run(gone.info.run_id)
    if hasattr(mlflow, "data"):
        dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2, 3]}), name="legacy-data")
        with mlflow.start_run(experiment_id=edge, run_name="with-dataset"):
            mlflow.log_input(dataset, context="training")
            mlflow.log_metric("plain", 2.0)
    old = client.create_experiment("legacy-deleted", artifact_location="file:///legacy/old")
    client.set_terminated(client.create_run(old, run_name="old-run").info.run_id)
    client.delete_experiment(old)

    children = client.search_runs([sweep], "tags.kind = 'child'", order_by=["attributes.run_name"])
    client.create_registered_model(
        "legacy-model", tags={"team": "risk"}, description="A model from MLflow 2.x"
    )
    for i, stage in enumerate(["Archived", "Production", "Staging", "None"]):
        run = children[i % len(children)]
        mv = client.create_model_version(
            "legacy-model",
            f"{run.info.artifact_uri}/model",
            run_id=run.info.run_id,
            tags={"validated": str(i % 2 == 0).lower()},
            description=f"version {i + 1}",
        )
        if stage != "None":
            client.transition_model_version_stage("legacy-model", mv.version, stage)
    if hasattr(client, "set_registered_model_alias"):
        client.set_registered_model_alias("legacy-model", "champion", "2")
        client.set_registered_model_alias("legacy-model", "challenger", "3")
    client.create_registered_model("empty-model")


def _num(value: float):
    """JSON has no NaN/inf: spell them as MLflow's REST API does."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def _version(mv, client) -> dict:
    full = client.get_model_version(mv.name, mv.version)
    return {
        "name": mv.name,
        "version": int(mv.version),
        "current_stage": mv.current_stage,
        "creation_timestamp": mv.creation_timestamp,
        "last_updated_timestamp": mv.last_updated_timestamp,
        "description": mv.description or "",
        "source": mv.source,
        "run_id": mv.run_id or "",
        "status": mv.status,
        "user_id": mv.user_id or "",
        "tags": dict(mv.tags),
        "aliases": sorted(getattr(full, "aliases", []) or []),
    }


def dump(uri: str) -> dict:
    """Everything mltui shows, as this MLflow's client reads it."""
    import importlib.metadata

    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client = MlflowClient(uri)
    with sqlite3.connect("mlflow.db") as conn:
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        tables = sorted(
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
    out: dict = {
        "made_by": {p: importlib.metadata.version(p) for p in ("mlflow", "sqlalchemy", "alembic")},
        "alembic_revision": revision,
        "tables": tables,
        "experiments": [],
        "runs": [],
        "metric_history": {},
        "registered_models": [],
        "model_versions": [],
    }
    exps = client.search_experiments(view_type=ViewType.ALL)
    for e in sorted(exps, key=lambda e: int(e.experiment_id)):
        out["experiments"].append(
            {
                "experiment_id": e.experiment_id,
                "name": e.name,
                "artifact_location": e.artifact_location,
                "lifecycle_stage": e.lifecycle_stage,
                "creation_time": e.creation_time,
                "last_update_time": e.last_update_time,
                "tags": dict(e.tags),
            }
        )
    ids = [e.experiment_id for e in exps]
    for run in client.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000):
        info, data = run.info, run.data
        full = client.get_run(info.run_id)
        inputs = []
        for di in getattr(getattr(full, "inputs", None), "dataset_inputs", None) or []:
            ds = di.dataset
            inputs.append(
                {
                    "name": ds.name,
                    "digest": ds.digest,
                    "source_type": ds.source_type,
                    "source": ds.source,
                    "schema": ds.schema,
                    "profile": ds.profile,
                    "tags": {t.key: t.value for t in di.tags},
                }
            )
        out["runs"].append(
            {
                "run_id": info.run_id,
                "experiment_id": info.experiment_id,
                "run_name": info.run_name,
                "status": info.status,
                "start_time": info.start_time,
                "end_time": info.end_time,
                "user_id": info.user_id,
                "lifecycle_stage": info.lifecycle_stage,
                "artifact_uri": info.artifact_uri,
                "metrics": {
                    m.key: {"value": _num(m.value), "timestamp": m.timestamp, "step": m.step}
                    for m in data._metric_objs
                },
                "params": dict(data.params),
                "tags": dict(data.tags),
                "inputs": inputs,
            }
        )
        for key in data.metrics:
            history = client.get_metric_history(info.run_id, key)
            out["metric_history"][f"{info.run_id}/{key}"] = [
                {"value": _num(m.value), "timestamp": m.timestamp, "step": m.step}
                for m in sorted(history, key=lambda m: (m.step, m.timestamp))
            ]
    for model in client.search_registered_models():
        full = client.get_registered_model(model.name)
        out["registered_models"].append(
            {
                "name": full.name,
                "description": full.description or "",
                "creation_timestamp": full.creation_timestamp,
                "last_updated_timestamp": full.last_updated_timestamp,
                "tags": dict(full.tags),
                "aliases": {a: int(v) for a, v in (getattr(full, "aliases", {}) or {}).items()},
                "latest_versions": [_version(mv, client) for mv in full.latest_versions],
            }
        )
        for mv in client.search_model_versions(f"name = '{model.name}'"):
            out["model_versions"].append(_version(mv, client))
    out["mlflow_version"] = mlflow.__version__
    return out


if __name__ == "__main__":
    main()
