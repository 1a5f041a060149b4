"""The demo store: built without mlflow, read the same by the real mlflow and by mltui."""

from __future__ import annotations

import json
import math
import os
import shutil
import struct
import subprocess
import sys
import threading
import time
import zlib
from pathlib import Path

import pytest
import yaml

from mltui.demo import build_demo_store, ensure_demo_store
from mltui.demo import folder as demo_folder_module
from mltui.demo.images import heatmap, line_chart, png
from mltui.store import open_store
from mltui.store.entities import STAGES, ViewType

MAX_FLOAT = 1.7976931348623157e308
NOW_MS = int(time.time() * 1000)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, float]:
    folder = tmp_path_factory.mktemp("demo")
    started = time.perf_counter()
    db = build_demo_store(folder, now_ms=NOW_MS)
    return db, time.perf_counter() - started


@pytest.fixture(scope="module")
def demo_uri(built) -> str:
    return f"sqlite:///{built[0]}"


@pytest.fixture(scope="module")
def client(demo_uri):
    from mlflow import MlflowClient

    return MlflowClient(demo_uri)


@pytest.fixture(scope="module")
def store(demo_uri):
    s = open_store(demo_uri)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def _no_stray_stores(monkeypatch, tmp_path, demo_uri):
    """Parts of mlflow use the global tracking URI (models:/ artifact repositories do);
    without this they create ./mlflow.db in the working directory."""
    monkeypatch.setenv("MLFLOW_TRACKING_URI", demo_uri)
    monkeypatch.chdir(tmp_path)


def _value(v: float):
    """A metric value comparable across both readers: mlflow returns +/-inf as the
    +/-max float it stores, mltui decodes it; NaN never equals itself."""
    if math.isnan(v):
        return "nan"
    if abs(v) >= MAX_FLOAT:
        return math.copysign(math.inf, v)
    return v


def _exp_id(store, name: str) -> str:
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def test_mlflow_accepts_the_schema(client, demo_uri):
    from mlflow.store.db.utils import _get_latest_schema_revision

    from mltui.demo import schema_revision

    # Opening ran mlflow's schema check (it raises on an out-of-date database).
    assert client.search_experiments()
    assert schema_revision() == _get_latest_schema_revision()


def test_experiments_match(client, store):
    from mlflow.entities import ViewType as MlflowViewType

    theirs = {
        e.experiment_id: (
            e.name,
            e.lifecycle_stage,
            e.artifact_location,
            e.tags,
            e.creation_time,
            e.last_update_time,
        )
        for e in client.search_experiments(view_type=MlflowViewType.ALL)
    }
    ours = {
        e.experiment_id: (
            e.name,
            e.lifecycle_stage,
            e.artifact_location,
            e.tags,
            e.creation_time,
            e.last_update_time,
        )
        for e in store.list_experiments(ViewType.ALL)
    }
    assert ours == theirs
    names = {v[0]: v for v in ours.values()}
    for name in ("fraud-detection", "churn-sweep", "llm-finetune", "quickstart"):
        assert names[name][1] == "active"
        assert names[name][3].get("mlflow.note.content"), name
    assert names["old-baselines"][1] == "deleted"
    assert names["Default"][2].endswith("/artifacts/0")


def _mlflow_runs(client, experiment_id: str) -> dict:
    from mlflow.entities import ViewType as MlflowViewType

    runs = client.search_runs([experiment_id], run_view_type=MlflowViewType.ALL, max_results=5000)
    return {
        r.info.run_id: (
            r.info.run_name,
            r.info.status,
            r.info.lifecycle_stage,
            r.info.start_time,
            r.info.end_time,
            r.info.user_id,
            r.info.artifact_uri,
            r.data.params,
            r.data.tags,
            {k: _value(v) for k, v in r.data.metrics.items()},
        )
        for r in runs
    }


def test_runs_match_in_every_experiment(client, store):
    for exp in store.list_experiments(ViewType.ALL):
        page = store.search_runs([exp.experiment_id], view=ViewType.ALL, max_results=5000)
        ours = {
            r.run_id: (
                r.run_name,
                r.status,
                r.lifecycle_stage,
                r.start_time,
                r.end_time,
                r.user_id,
                r.artifact_uri,
                r.params,
                r.tags,
                {k: _value(m.value) for k, m in r.metrics.items()},
            )
            for r in page.runs
        }
        assert page.total == len(ours)
        assert ours == _mlflow_runs(client, exp.experiment_id), exp.name


def test_metric_histories_match(client, store):
    llm = store.search_runs([_exp_id(store, "llm-finetune")], max_results=50).runs
    by_name = {r.run_name: r for r in llm}
    run = by_name["llama3-8b-lora-r16"]
    churn = store.search_runs(
        [_exp_id(store, "churn-sweep")], filter_string="attributes.status = 'FAILED'"
    ).runs
    assert churn, "a diverged trial"
    cases = [
        (run.run_id, "train_loss"),
        (run.run_id, "val_loss"),
        (run.run_id, "tokens per second"),
        (churn[0].run_id, "train_loss"),
    ]
    for run_id, key in cases:
        ours = [
            (m.step, m.timestamp, _value(m.value)) for m in store.get_metric_history(run_id, key)
        ]
        theirs = sorted(
            (m.step, m.timestamp, _value(m.value)) for m in client.get_metric_history(run_id, key)
        )
        assert ours == theirs, key
    assert len(store.get_metric_history(run.run_id, "train_loss")) == 3000
    diverged = [_value(m.value) for m in store.get_metric_history(churn[0].run_id, "train_loss")]
    assert diverged[-2:] == [math.inf, "nan"]


def test_content_exercises_every_screen(store):
    runs = {}
    for exp in store.list_experiments(ViewType.ALL):
        for r in store.search_runs([exp.experiment_id], view=ViewType.ALL, max_results=5000).runs:
            runs[r.run_id] = (exp.name, r)
    statuses = {r.status for _, r in runs.values()}
    assert {"FINISHED", "FAILED", "KILLED", "RUNNING"} <= statuses
    for _, r in runs.values():
        assert NOW_MS - 17 * 86_400_000 < r.start_time <= NOW_MS
        if r.status == "RUNNING":
            assert r.end_time is None
        else:
            assert r.end_time is not None and r.end_time >= r.start_time, r.run_name
        for key in ("mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.runName"):
            assert r.tags.get(key), (r.run_name, key)
        assert r.tags["mlflow.runName"] == r.run_name
    # a sweep running now: trials that started minutes ago
    fresh = [
        r for _, r in runs.values() if r.status == "RUNNING" and NOW_MS - r.start_time < 30 * 60_000
    ]
    assert len(fresh) >= 3
    deleted = [
        r for name, r in runs.values() if r.lifecycle_stage == "deleted" and name != "old-baselines"
    ]
    assert deleted, "a deleted run in an active experiment"

    sweep = [r for name, r in runs.values() if name == "churn-sweep"]
    parents = [r for r in sweep if r.parent_run_id is None]
    assert len(parents) == 1
    children = [r for r in sweep if r.parent_run_id == parents[0].run_id]
    assert len(children) >= 25
    assert {"lr", "batch_size", "optimizer", "depth"} <= set(children[0].params)

    keys = store.run_keys([eid for eid in {r.experiment_id for _, r in runs.values()}])
    assert "val/loss" in keys.metrics
    assert any(" " in k for k in keys.metrics)
    assert any(len(v) > 500 for _, r in runs.values() for v in r.params.values())
    assert any(any(ord(c) > 0x3000 for c in v) for _, r in runs.values() for v in r.tags.values())


def _fraud_run(store, name: str):
    page = store.search_runs(
        [_exp_id(store, "fraud-detection")], filter_string=f"attributes.run_name = '{name}'"
    )
    assert page.runs, name
    return page.runs[0]


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, size = 8, None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        pos += 12 + length
    assert size is not None
    return size


def test_artifacts_are_where_mlflow_looks(client, store):
    run = _fraud_run(store, "xgb-depth6-final")
    listed = {f.path for f in client.list_artifacts(run.run_id)}
    assert {
        "train.log",
        "config.yaml",
        "predictions.csv",
        "README.md",
        "metrics",
        "plots",
        "model",
    } <= listed
    assert {f.path for f in client.list_artifacts(run.run_id, "model")} >= {
        "model/MLmodel",
        "model/requirements.txt",
        "model/conda.yaml",
    }
    root = Path(run.artifact_uri)
    assert root.is_absolute() and root.is_dir()
    mlmodel = yaml.safe_load((root / "model" / "MLmodel").read_text())
    assert {"python_function", "sklearn"} <= set(mlmodel["flavors"])
    assert mlmodel["run_id"] == run.run_id
    for key in ("signature", "model_uuid", "utc_time_created", "mlflow_version"):
        assert mlmodel[key], key
    confusion = json.loads((root / "metrics" / "confusion.json").read_text())
    assert len(confusion["matrix"]) == 2
    yaml.safe_load((root / "config.yaml").read_text())
    assert _png_size((root / "plots" / "loss_curve.png").read_bytes()) == (480, 300)
    header = (root / "predictions.csv").read_text().splitlines()[0]
    assert header.startswith("transaction_id,")


def test_image_helpers_make_valid_pngs():
    """The artifact tests draw their pictures with these: sizes as documented."""
    assert _png_size(png(2, 1, b"\xff\x00\x00" * 2)) == (2, 1)
    spiky = [1.0, 0.5, math.inf, 0.25, math.nan, *[0.1] * 3000]
    assert _png_size(line_chart([spiky, [0.0, 1.0]], width=200, height=100)) == (200, 100)
    assert _png_size(heatmap([[5, 1, 0], [2, 7, 1]], cell=10)) == (30, 20)


def test_registry_matches(client, store):
    theirs = {m.name for m in client.search_registered_models()}
    ours = {m.name for m in store.search_registered_models()}
    assert ours == theirs
    assert {"fraud-detector", "churn-classifier"} <= ours
    prompts = {m.name for m in store.search_registered_models(include_prompts=True)} - ours
    assert prompts, "a prompt, hidden by default"
    assert prompts <= {p.name for p in client.search_prompts()}

    for name in ours:
        mine = {
            v.version: (
                v.current_stage,
                v.run_id,
                v.source,
                v.description,
                v.tags,
                sorted(v.aliases),
                v.creation_time,
                v.last_updated_time,
                v.status,
            )
            for v in store.get_model_versions(name)
        }
        # mlflow's search_model_versions leaves aliases empty; get_model_version fills them
        real = {
            int(v.version): (
                v.current_stage,
                v.run_id,
                v.source,
                v.description or "",
                v.tags,
                sorted(client.get_model_version(name, v.version).aliases),
                v.creation_timestamp,
                v.last_updated_timestamp,
                v.status,
            )
            for v in client.search_model_versions(f"name = '{name}'")
        }
        assert mine == real, name
        model = client.get_registered_model(name)
        assert model.description == store.get_registered_model(name).description
        assert model.aliases == store.get_registered_model(name).aliases

    fraud_stages = {v.current_stage for v in store.get_model_versions("fraud-detector")}
    assert set(STAGES) <= fraud_stages
    for alias in ("champion", "challenger"):
        real = client.get_model_version_by_alias("fraud-detector", alias)
        assert store.get_model_version_by_alias("fraud-detector", alias).version == int(
            real.version
        )
        # versions point at real demo runs with a model folder
        run = client.get_run(real.run_id)
        assert real.source == f"{run.info.artifact_uri}/model"
        assert Path(real.source, "MLmodel").is_file()


def test_logged_model_matches(client, store):
    eid = _exp_id(store, "fraud-detection")
    theirs = client.search_logged_models(experiment_ids=[eid])
    ours = store.list_logged_models(eid)
    assert [m.model_id for m in ours] == [m.model_id for m in theirs]
    assert ours[0].source_run_id == theirs[0].source_run_id
    assert ours[0].params == theirs[0].params
    assert Path(theirs[0].artifact_location, "MLmodel").is_file()


def test_mlflow_can_keep_writing_to_it(built, tmp_path):
    from mlflow import MlflowClient

    db = tmp_path / "mlflow.db"
    shutil.copy(built[0], db)
    client = MlflowClient(f"sqlite:///{db}")
    eid = client.create_experiment("new-one")
    assert int(eid) > 6
    running = client.search_runs(
        [client.get_experiment_by_name("churn-sweep").experiment_id],
        "attributes.status = 'RUNNING'",
    )
    client.log_metric(running[0].info.run_id, "val_loss", 0.123, step=10_000)
    assert client.get_run(running[0].info.run_id).data.metrics["val_loss"] == 0.123
    mv = client.create_model_version(
        "fraud-detector", running[0].info.artifact_uri + "/model", run_id=running[0].info.run_id
    )
    assert int(mv.version) == 6


def test_ensure_demo_store_builds_once(monkeypatch):
    builds = []
    real = demo_folder_module.build_demo_store

    def counting(*args, **kwargs):
        builds.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(demo_folder_module, "build_demo_store", counting)
    # two starts at once (flock works between threads: one open file each)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(ensure_demo_store())) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert len(builds) == 1
    uri = results[0]
    db = Path(uri.removeprefix("sqlite:///"))
    assert Path(os.environ["XDG_DATA_HOME"]) in db.parents
    mtime = db.stat().st_mtime_ns
    assert ensure_demo_store() == uri
    assert len(builds) == 1 and db.stat().st_mtime_ns == mtime
    # paths in the database point at the final folder, not the staging one
    with open_store(uri) as s:
        run = s.search_runs([_exp_id(s, "fraud-detection")], max_results=1).runs[0]
        assert Path(run.artifact_uri).is_relative_to(db.parent)
        assert Path(run.artifact_uri).is_dir()
    assert ensure_demo_store(rebuild=True) == uri
    assert len(builds) == 2 and db.stat().st_mtime_ns != mtime
    assert sorted(p.name for p in db.parent.parent.iterdir()) == [".demo.lock", "demo"]


def test_building_does_not_import_mlflow(tmp_path):
    code = (
        "import sys\n"
        "from mltui.demo import ensure_demo_store\n"
        "from mltui.store import open_store\n"
        "with open_store(ensure_demo_store()) as s:\n"
        "    assert len(s.list_experiments()) >= 5\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('mlflow', 'textual'))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert (tmp_path / "data" / "mltui" / "demo" / "mlflow.db").is_file()
    # Once built, starting on the demo loads no scenario nor what only they need.
    code = (
        "import sys\n"
        "from mltui.demo import ensure_demo_store\n"
        "assert ensure_demo_store().endswith('mlflow.db')\n"
        "heavy = tuple(f'mltui.demo.{m}' for m in ('scenarios', 'files', 'models', 'images'))\n"
        "bad = sorted(m for m in sys.modules if m.startswith(heavy))\n"
        "assert not bad, bad\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_unwritable_data_dir_is_a_store_error(monkeypatch, tmp_path):
    from mltui.store.errors import StoreError

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    with pytest.raises(StoreError, match="Cannot build the demo store"):
        ensure_demo_store()


def test_genai_data_reads_back_with_mlflow(client, store):
    """The GenAI scenario as MLflow 3 reads it: logged models with params and metrics,
    versions registered from them, the three-version prompt and its aliases, traces
    with their spans (and the ones linked to a run)."""
    from mlflow import MlflowClient

    from mltui.views.logged_models import version_model_id
    from mltui.views.prompts import load_prompt_view

    eid = _exp_id(store, "support-agent")
    theirs = client.search_logged_models(experiment_ids=[eid])
    ours = store.list_logged_models(eid)
    assert [m.model_id for m in ours] == [m.model_id for m in theirs]
    assert {m.status for m in ours} == {"READY", "PENDING"}
    for mine, ref in zip(ours, theirs, strict=True):
        assert (mine.name, mine.source_run_id, mine.params, mine.tags, mine.model_type) == (
            ref.name, ref.source_run_id or "", ref.params, ref.tags, ref.model_type)
        assert sorted((m.key, m.value, m.step) for m in mine.metrics) == sorted(
            (m.key, m.value, m.step) for m in ref.metrics or [])
        if mine.status == "READY":
            assert mine.metrics and mine.params
            assert Path(ref.artifact_location, "MLmodel").is_file()
            assert store.get_logged_model(mine.model_id) == mine
    for mv in client.search_model_versions("name = 'support-agent'"):
        mine = store.get_model_version("support-agent", int(mv.version))
        assert version_model_id(mine) == mv.source.removeprefix("models:/")
        assert client.get_logged_model(version_model_id(mine)).source_run_id == mv.run_id

    # the registry named, not mlflow's global URI (another test module may have set it)
    registry = MlflowClient(store.uri, registry_uri=store.uri)
    view = load_prompt_view(store, "support-triage-prompt")
    assert [v.version for v in view.versions] == [3, 2, 1]
    for v in view.versions:
        ref = registry.load_prompt(f"prompts:/support-triage-prompt/{v.version}")
        template = ref.template if isinstance(ref.template, str) else json.dumps(ref.template)
        assert json.loads(v.template) == ref.template if v.kind == "chat" else (
            v.template == template)
        assert v.message == (ref.commit_message or "")
        assert sorted(v.aliases) == sorted(ref.aliases)
    assert view.aliases == {"production": 2, "staging": 3}

    refs = client.search_traces(locations=[eid])
    page = store.search_traces([eid], max_results=100)
    assert [t.trace_id for t in page.traces] == [t.info.trace_id for t in refs]
    assert {t.state for t in page.traces} == {"OK", "ERROR"}
    for ref in refs:
        spans = store.get_trace_spans(ref.info.trace_id)
        assert sorted(s.name for s in spans) == sorted(s.name for s in ref.data.spans)
    [run] = client.search_runs([eid], "attributes.run_name = 'agent-v2-eval'")
    linked = client.search_traces(locations=[eid], run_id=run.info.run_id)
    assert len(linked) == 3
