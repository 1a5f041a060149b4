"""The file backend (``mlruns`` folders), compared with the real ``MlflowClient``
on the same folder.

MLflow is the reference: reads are checked against ``MlflowClient`` on the
store built by ``tests/support/builders.py`` (``cached_store("file")``); every write is
made by mltui on one copy and by ``MlflowClient`` on a twin copy, and the files
must come out the same (timestamps aside, which must be "now" on both sides).

Documented differences from MLflow, asserted here:

- A metric line with 5 fields (``timestamp value step dataset digest``, MLflow 3
  with a dataset) is read with its step; MLflow's file store reads step 0 for
  such lines (``step = ... if len(parts) == 3 else 0``). mltui shows what was
  logged, as the SQL store does.
- A garbage metric line, an empty or corrupt ``meta.yaml``: MLflow raises (the
  whole search fails); mltui skips the line or the run and reports it.
- ``run_count`` counts the readable active runs of the experiment (the default view).
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
import time
from pathlib import Path

import mlflow
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, LoggedModelOutput
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

from mltui.store import open_store
from mltui.store.entities import ViewType
from mltui.store.errors import (
    ConflictError,
    InvalidSearch,
    InvalidValue,
    NotAnMlflowStore,
    ReadOnlyError,
    ResourceNotFound,
    StoreError,
    StoreNotFound,
)
from mltui.store.file.meta import dump_yaml, parse_meta
from support.builders import HOSTILE_TAG, LONG_VALUE, cached_store, copy_store
from support.registry_writes import REGISTRY_WRITES
from support.search_cases import INVALID_FILTERS, ORDER_BYS, VALID_FILTERS, resolve

VIEWS = {
    ViewType.ACTIVE: MlflowViewType.ACTIVE_ONLY,
    ViewType.DELETED: MlflowViewType.DELETED_ONLY,
    ViewType.ALL: MlflowViewType.ALL,
}


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def file_dir() -> Path:
    return cached_store("file")


@pytest.fixture(scope="module")
def file_uri(file_dir) -> str:
    return (file_dir / "mlruns").as_uri()


@pytest.fixture(scope="module", autouse=True)
def _global_tracking_uri(file_uri):
    """MLflow's file registry calls ``MlflowClient()`` with the global tracking URI
    (to look up logged models); without one it would create ``mlflow.db`` in the
    working folder. Point it at the cached store, which it only reads."""
    from mlflow.tracking._tracking_service import utils

    saved = utils._tracking_uri
    mlflow.set_tracking_uri(file_uri)
    yield
    utils._tracking_uri = saved


@pytest.fixture(scope="module")
def client(file_uri) -> MlflowClient:
    return MlflowClient(file_uri)


@pytest.fixture
def store(file_uri):
    s = open_store(file_uri)
    yield s
    s.close()


@pytest.fixture
def copy_uri(tmp_path) -> str:
    """A private copy of the cached store, free to modify."""
    return copy_store("file", tmp_path)


@pytest.fixture
def twins(tmp_path):
    """Two private copies of the cached store: (mltui's uri, MlflowClient's uri)."""
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    return copy_store("file", ours), copy_store("file", theirs)


def folder(uri: str) -> Path:
    return Path(uri[len("file://") :])


def all_ids(client: MlflowClient) -> list[str]:
    return [e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)]


def mlflow_runs(client, exp_ids, filter_string="", order_by=None, view=MlflowViewType.ALL):
    return list(
        client.search_runs(
            exp_ids, filter_string, run_view_type=view, max_results=50000, order_by=order_by
        )
    )


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def experiment_id(store, name: str) -> str:
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def tree_digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


# -- experiments ---------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(ViewType), ids=lambda v: v.value)
def test_experiments_match_mlflow_in_every_view(store, client, view):
    ours = {e.experiment_id: e for e in store.list_experiments(view)}
    theirs = {e.experiment_id: e for e in client.search_experiments(view_type=VIEWS[view])}
    assert set(ours) == set(theirs) and ours
    for eid, ref in theirs.items():
        exp = ours[eid]
        assert (exp.name, exp.lifecycle_stage, exp.artifact_location) == (
            ref.name,
            ref.lifecycle_stage,
            ref.artifact_location,
        )
        assert (exp.creation_time, exp.last_update_time) == (
            ref.creation_time,
            ref.last_update_time,
        )
        assert exp.tags == ref.tags
    assert [e.name for e in store.list_experiments(ViewType.DELETED)] == ["old-experiment"]


def test_run_counts_and_descriptions(store, client):
    for exp in store.list_experiments(ViewType.ALL):
        every = mlflow_runs(client, [exp.experiment_id], view=MlflowViewType.ACTIVE_ONLY)
        assert exp.run_count == len(every), exp.name
        starts = [r.info.start_time for r in every if r.info.start_time]
        assert exp.last_run_time == (max(starts) if starts else None)
        assert store.get_experiment(exp.experiment_id) == exp
        assert store.get_experiment_by_name(exp.name) == exp
    sweep = store.get_experiment_by_name("sweep")
    assert sweep.run_count == 8  # "deleted-run" is not counted
    assert sweep.description == "LR sweep\nsecond line"
    assert store.get_experiment_by_name("no such experiment") is None


@pytest.mark.parametrize("ref", ["999999", "abc", "", "1.5", "..", ".trash", "models", "../0"])
def test_unknown_experiment(store, ref):
    with pytest.raises(ResourceNotFound):
        store.get_experiment(ref)
    assert store.search_runs([ref]).runs == []


# -- runs ------------------------------------------------------------------------------------


def assert_run_matches(run, ref) -> None:
    info = ref.info
    assert (run.run_id, run.experiment_id, run.run_name, run.status) == (
        info.run_id,
        info.experiment_id,
        info.run_name,
        info.status,
    )
    assert (run.start_time, run.end_time, run.user_id) == (
        info.start_time,
        info.end_time,
        info.user_id,
    )
    assert (run.lifecycle_stage, run.artifact_uri) == (info.lifecycle_stage, info.artifact_uri)
    assert run.params == ref.data.params
    assert run.tags == ref.data.tags
    assert run.parent_run_id == ref.data.tags.get("mlflow.parentRunId")
    latest = {m.key: m for m in ref.data._metric_objs}
    assert set(run.metrics) == set(latest)
    for key, theirs in latest.items():
        ours = run.metrics[key]
        assert same_float(ours.value, theirs.value), key
        assert (ours.timestamp, ours.step) == (theirs.timestamp, theirs.step), key


def test_runs_match_mlflow_in_every_experiment(store, client):
    for eid in all_ids(client):
        theirs = mlflow_runs(client, [eid])
        page = store.search_runs([eid], view=ViewType.ALL, max_results=1000)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
        assert page.total == len(theirs) and page.next_page_token is None
        for run, ref in zip(page.runs, theirs, strict=True):
            assert_run_matches(run, ref)
            detail = store.get_run(run.run_id)
            assert_run_matches(detail.run, client.get_run(run.run_id))


def test_views_and_several_experiments(store, client):
    ids = all_ids(client)
    for view in ViewType:
        theirs = mlflow_runs(client, ids, view=VIEWS[view])
        page = store.search_runs(ids, view=view, max_results=1000)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
    assert store.search_runs([], max_results=10).runs == []
    # a repeated experiment id lists its runs once
    sweep = experiment_id(store, "sweep")
    assert store.search_runs([sweep, sweep]).total == 8


def test_odd_values_nan_and_inf(store):
    edge = experiment_id(store, "edge cases")
    runs = {r.run_name: r for r in store.search_runs([edge], max_results=100).runs}
    odd = runs["[red]odd[/] name"]
    assert odd.params["long"] == LONG_VALUE
    assert odd.params["path/like/key"] == "p"
    assert odd.params["ключ"] == "значение"
    assert odd.tags["hostile"] == HOSTILE_TAG
    assert runs["inf-run"].metric_value("score") == math.inf
    assert runs["neg-inf-run"].metric_value("score") == -math.inf
    assert math.isnan(runs["nan-run"].metric_value("score"))
    sweep = experiment_id(store, "sweep")
    child = next(r for r in store.search_runs([sweep]).runs if r.run_name == "child-0")
    assert {"val/loss", "train loss", "métrique"} <= set(child.metrics)


def test_get_run_datasets_and_unknown(store, client):
    edge = experiment_id(store, "edge cases")
    ref = next(r for r in mlflow_runs(client, [edge]) if r.info.run_name == "with-dataset")
    full = client.get_run(ref.info.run_id)
    detail = store.get_run(ref.info.run_id)
    assert len(detail.inputs) == len(full.inputs.dataset_inputs) == 1
    ours, theirs = detail.inputs[0], full.inputs.dataset_inputs[0]
    ds = theirs.dataset
    assert (ours.name, ours.digest, ours.source_type, ours.source, ours.schema, ours.profile) == (
        ds.name,
        ds.digest,
        ds.source_type,
        ds.source,
        ds.schema,
        ds.profile,
    )
    assert ours.tags == {t.key: t.value for t in theirs.tags}
    assert ours.context == "training"
    for bad in ["0" * 32, "../../etc", "", "a/b"]:
        with pytest.raises(ResourceNotFound):
            store.get_run(bad)


def test_get_run_model_inputs_and_outputs(copy_uri):
    uri = copy_uri
    client = MlflowClient(uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    rid = client.create_run(edge, run_name="producer").info.run_id
    produced = client.create_logged_model(edge, name="produced", source_run_id=rid)
    consumed = client.search_logged_models([edge])[-1]
    client.log_outputs(rid, [LoggedModelOutput(produced.model_id, step=7)])
    client.log_inputs(rid, models=[LoggedModelInput(consumed.model_id)])
    full = client.get_run(rid)
    with open_store(uri) as store:
        detail = store.get_run(rid)
        assert (
            [(o.model_id, o.step) for o in detail.outputs]
            == [(o.model_id, o.step) for o in full.outputs.model_outputs]
            == [(produced.model_id, 7)]
        )
        assert detail.model_inputs == [m.model_id for m in full.inputs.model_inputs]
        models = store.list_logged_models(edge)
        assert {m.name for m in models} == {"edge-model", "produced"}


def test_logged_models_match_mlflow(store, client):
    for eid in all_ids(client):
        ours = store.list_logged_models(eid)
        theirs = {m.model_id: m for m in client.search_logged_models([eid])}
        assert sorted(m.model_id for m in ours) == sorted(theirs)
        for model in ours:
            ref = theirs[model.model_id]
            assert (model.name, model.experiment_id, model.artifact_location) == (
                ref.name,
                ref.experiment_id,
                ref.artifact_location,
            )
            assert (model.creation_time, model.last_updated_time) == (
                ref.creation_timestamp,
                ref.last_updated_timestamp,
            )
            assert model.status == str(ref.status)
            assert model.source_run_id == (ref.source_run_id or "")
            assert (model.tags, model.params) == (ref.tags, ref.params)
    assert [m.status for m in store.list_logged_models(experiment_id(store, "edge cases"))] == [
        "PENDING"
    ]


def test_run_keys_match_mlflow(store, client):
    ids = all_ids(client)
    for scope in [ids, *([eid] for eid in ids)]:
        runs = mlflow_runs(client, scope)
        keys = store.run_keys(scope)
        assert keys.metrics == sorted({k for r in runs for k in r.data.metrics})
        assert keys.params == sorted({k for r in runs for k in r.data.params})
        assert keys.tags == sorted({k for r in runs for k in r.data.tags})


def test_child_counts_and_run_ids(store, client):
    sweep = experiment_id(store, "sweep")
    parent = mlflow_runs(client, [sweep], "tags.kind = 'parent'")[0].info.run_id
    assert store.child_counts([sweep], [parent, "nobody"]) == {parent: 6}
    assert store.child_counts([sweep], [parent], "params.optimizer = 'adam'") == {parent: 3}
    assert store.child_counts([sweep], []) == {}
    for filter_string in ["", "tags.kind = 'child'", "metrics.acc > 0.6"]:
        for view in ViewType:
            theirs = mlflow_runs(client, [sweep], filter_string, view=VIEWS[view])
            assert store.search_run_ids([sweep], filter_string, view) == [
                r.info.run_id for r in theirs
            ]


# -- search: the differential strings, against MLflow's file store ----------------------------


@pytest.fixture(scope="module")
def world(file_uri, client):
    ids = all_ids(client)
    everything = mlflow_runs(client, ids)
    names = {r.info.run_name: r.info.run_id for r in everything}
    store = open_store(file_uri)
    yield {"client": client, "store": store, "ids": ids, "names": names,
           "everything": everything}
    store.close()


# MLflow's file store evaluates these without complaint where its SQL store (and
# mltui, on every backend) refuses them: a list compared with "=", duplicate keys.
STRICTER_THAN_MLFLOW_FILE_STORE = {
    "run_id = ('a', 'b')",
    repr(["metrics.loss", "metrics.loss DESC"]),
    repr(["created", "start_time"]),
}


def _same_search(world, filter_string, order_by, view=ViewType.ALL):
    if filter_string in STRICTER_THAN_MLFLOW_FILE_STORE or (
        order_by and repr(order_by) in STRICTER_THAN_MLFLOW_FILE_STORE
    ):
        with pytest.raises(InvalidSearch):
            world["store"].search_runs(world["ids"], filter_string, order_by, view)
        return None
    filter_string = resolve(filter_string, world["everything"])
    try:
        expected = [
            r.info.run_id
            for r in mlflow_runs(
                world["client"], world["ids"], filter_string, order_by, VIEWS[view]
            )
        ]
    except (MlflowException, ValueError):  # MLflow's file store lets a ValueError through
        with pytest.raises(StoreError) as info:
            world["store"].search_runs(world["ids"], filter_string, order_by, view)
        assert "\n" not in str(info.value)
        return None
    page = world["store"].search_runs(world["ids"], filter_string, order_by, view, max_results=1000)
    by_id = {v: k for k, v in world["names"].items()}
    assert [by_id[r.run_id] for r in page.runs] == [by_id[i] for i in expected]
    assert page.total == len(expected)
    return expected


@pytest.mark.parametrize("filter_string", VALID_FILTERS, ids=repr)
def test_valid_filter_matches_mlflow(world, filter_string):
    assert _same_search(world, filter_string, []) is not None


@pytest.mark.parametrize("filter_string", INVALID_FILTERS, ids=repr)
def test_invalid_filter_is_rejected_like_mlflow(world, filter_string):
    assert _same_search(world, filter_string, []) is None
    with pytest.raises(InvalidSearch):
        world["store"].search_runs(world["ids"], filter_string)


@pytest.mark.parametrize("order_by", ORDER_BYS, ids=repr)
def test_order_by_matches_mlflow(world, order_by):
    _same_search(world, "", order_by)


@pytest.mark.parametrize("view", list(ViewType), ids=lambda v: v.value)
@pytest.mark.parametrize(
    "filter_string", ["", "metrics.acc > 0.6", "run_id IN ('{deleted-run}', '{old-run}')"]
)
def test_view_types_match_mlflow(world, filter_string, view):
    _same_search(world, filter_string, ["metrics.acc DESC"], view)


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", []),
        ("", ["metrics.score DESC", "attributes.run_name"]),
        ("metrics.loss < 1", ["params.lr", "metrics.acc DESC"]),
        ("params.lr IS NULL", []),
    ],
    ids=repr,
)
def test_pages_match_mlflow(world, filter_string, order_by):
    """Page by page, three runs at a time; MLflow's tokens continue in mltui."""
    client, store = world["client"], world["store"]
    token, pages, seen = None, 0, []
    while True:
        theirs = client.search_runs(
            world["ids"],
            filter_string,
            run_view_type=MlflowViewType.ALL,
            max_results=3,
            order_by=order_by,
            page_token=token,
        )
        ours = store.search_runs(
            world["ids"], filter_string, order_by, ViewType.ALL, max_results=3, page_token=token
        )
        assert [r.run_id for r in ours.runs] == [r.info.run_id for r in theirs]
        assert bool(ours.next_page_token) == bool(theirs.token)
        seen += [r.run_id for r in ours.runs]
        pages += 1
        if not theirs.token:
            break
        token = theirs.token
    by_offset = [
        r.run_id
        for off in range(0, len(seen), 3)
        for r in store.search_runs(
            world["ids"], filter_string, order_by, ViewType.ALL, max_results=3, offset=off
        ).runs
    ]
    assert by_offset == seen and pages > 1
    assert store.search_runs(world["ids"], count_total=False).total is None
    with pytest.raises(InvalidSearch):
        store.search_runs(world["ids"], page_token="garbage")


# -- metric history ------------------------------------------------------------------------


def test_metric_history_matches_mlflow(store, client):
    sweep = experiment_id(store, "sweep")
    for run in store.search_runs([sweep], "tags.kind = 'child'").runs:
        for key in run.metrics:
            ours = store.get_metric_history(run.run_id, key)
            theirs = sorted(
                client.get_metric_history(run.run_id, key), key=lambda m: (m.step, m.timestamp)
            )
            assert [(m.key, m.value, m.timestamp, m.step) for m in ours] == [
                (m.key, m.value, m.timestamp, m.step) for m in theirs
            ]
        for lo, hi in [(10, 19), (0, 0), (None, 5), (45, None), (30, 20)]:
            full = store.get_metric_history(run.run_id, "loss")
            part = store.get_metric_history(run.run_id, "loss", min_step=lo, max_step=hi)
            assert part == [
                m for m in full if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)
            ]
    assert store.get_metric_history(run.run_id, "no such metric") == []
    assert store.get_metric_history(run.run_id, "../meta.yaml") == []


def test_downsampled_history(copy_uri):
    uri = copy_uri
    client = MlflowClient(uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    rid = client.create_run(edge, run_name="long").info.run_id
    spikes = {123: 1000.0, 124: -1000.0, 2500: 5e6, 2501: -7e6, 4000: math.nan}
    points = [
        MlflowMetric("wave", spikes.get(s, math.sin(s / 50)), 1_700_000_000_000 + s, s)
        for s in range(5000)
    ]
    for i in range(0, 5000, 1000):
        client.log_batch(rid, metrics=points[i : i + 1000])
    with open_store(uri) as store:
        whole = store.get_metric_history(rid, "wave")
        assert len(whole) == 5000
        for max_points in (2, 10, 100, 1000):
            start = time.perf_counter()
            kept = store.get_metric_history(rid, "wave", max_points=max_points)
            assert time.perf_counter() - start < 1
            assert len(kept) <= max_points + 2
            steps = [m.step for m in kept]
            assert steps == sorted(steps) and {0, 4999} <= set(steps)
            assert {2500, 2501} <= set(steps) and 4000 not in steps
            if max_points >= 10:
                assert {123, 124} <= set(steps)
        ranged = store.get_metric_history(rid, "wave", min_step=100, max_step=2600, max_points=50)
        assert ranged[0].step == 100 and ranged[-1].step == 2600 and len(ranged) <= 52


# -- artifacts ---------------------------------------------------------------------------------


def test_artifacts_match_mlflow(store, client, copy_uri):
    edge = experiment_id(store, "edge cases")
    run = next(r for r in store.search_runs([edge]).runs if r.run_name == "with-artifacts")
    ours = store.list_artifacts(run.run_id)
    theirs = client.list_artifacts(run.run_id)
    assert [(a.path, a.is_dir) for a in ours] == [(a.path, a.is_dir) for a in theirs]
    assert store.read_artifact(run.run_id, "log.txt").startswith(b"epoch 1")
    assert [a.path for a in store.list_artifacts(run.run_id, "eval")] == ["eval/confusion.json"]
    # an mlruns folder moved from another machine: the file:// paths point nowhere,
    # the files are in the run's own artifacts folder
    uri = copy_uri
    moved = MlflowClient(uri)
    rid = moved.create_run("0", run_name="moved").info.run_id
    run_dir = folder(uri) / "0" / rid
    (run_dir / "artifacts" / "notes.txt").write_text("hello")
    meta = yaml.safe_load((run_dir / "meta.yaml").read_text())
    meta["artifact_uri"] = "file:///nonexistent/elsewhere/mlruns/0/" + rid + "/artifacts"
    (run_dir / "meta.yaml").write_text(yaml.safe_dump(meta))
    with open_store(uri) as moved_store:
        assert [a.path for a in moved_store.list_artifacts(rid)] == ["notes.txt"]
        assert moved_store.read_artifact(rid, "notes.txt") == b"hello"


# -- registry reads ----------------------------------------------------------------------------


def assert_version_matches(mv, ref) -> None:
    assert (mv.name, mv.version, mv.current_stage) == (
        ref.name,
        int(ref.version),
        ref.current_stage,
    )
    assert (mv.source, mv.run_id, mv.status) == (ref.source, ref.run_id or "", ref.status)
    assert (mv.creation_time, mv.last_updated_time) == (
        ref.creation_timestamp,
        ref.last_updated_timestamp,
    )
    assert (mv.description, mv.user_id) == (ref.description or "", ref.user_id or "")
    assert mv.tags == ref.tags


def assert_model_matches(model, ref) -> None:
    assert (model.name, model.description, model.tags) == (
        ref.name,
        ref.description or "",
        ref.tags,
    )
    assert model.aliases == {a: int(v) for a, v in ref.aliases.items()}
    assert (model.creation_time, model.last_updated_time) == (
        ref.creation_timestamp,
        ref.last_updated_timestamp,
    )
    ours = {mv.current_stage: mv for mv in model.latest_versions}
    theirs = {mv.current_stage: mv for mv in ref.latest_versions}
    assert set(ours) == set(theirs)
    for stage, mv in theirs.items():
        assert_version_matches(ours[stage], mv)


def test_registry_reads_match_mlflow(store, client):
    ours = store.search_registered_models()
    assert [m.name for m in ours] == sorted(m.name for m in client.search_registered_models())
    assert [m.name for m in ours] == ["churn-model", "fraud-detector"]
    for model in ours:
        ref = client.get_registered_model(model.name)
        assert_model_matches(model, ref)
        assert_model_matches(store.get_registered_model(model.name), ref)
        versions = store.get_model_versions(model.name)
        theirs = sorted(
            client.search_model_versions(f"name = '{model.name}'"), key=lambda v: -int(v.version)
        )
        assert [mv.version for mv in versions] == [int(v.version) for v in theirs]
        for mv, ref_mv in zip(versions, theirs, strict=True):
            assert_version_matches(mv, ref_mv)
            full = client.get_model_version(model.name, ref_mv.version)
            assert mv.aliases == sorted(full.aliases)
            assert store.get_model_version(model.name, mv.version) == mv
    fraud = store.get_registered_model("fraud-detector")
    assert fraud.version_count == 4 and fraud.latest_version == 4
    assert fraud.stage_counts == {"Archived": 1, "Production": 1, "Staging": 1, "None": 1}
    assert [
        mv.version
        for mv in store.get_model_versions("fraud-detector", stages=["production", "Staging"])
    ] == [3, 2]
    for alias in ("champion", "challenger", "latest"):
        assert_version_matches(
            store.get_model_version_by_alias("fraud-detector", alias),
            client.get_model_version_by_alias("fraud-detector", alias),
        )


def test_prompts_and_name_search(store, client):
    assert "my-prompt" not in {m.name for m in store.search_registered_models()}
    prompts = [m for m in store.search_registered_models(include_prompts=True) if m.is_prompt]
    assert [m.name for m in prompts] == ["my-prompt"]
    for pattern in ["fraud%", "FRAUD%", "%model", "%-%", "nothing%", "churn_model"]:
        assert [m.name for m in store.search_registered_models(pattern)] == sorted(
            m.name for m in client.search_registered_models(f"name ILIKE '{pattern}'")
        )


def test_unknown_models_and_versions(store):
    for name in ["no-such-model", "../0", "", "."]:
        with pytest.raises(ResourceNotFound):
            store.get_registered_model(name)
        assert store.get_model_versions(name) == []
    for version in [99, "x", 0]:
        with pytest.raises(ResourceNotFound):
            store.get_model_version("fraud-detector", version)
    for alias in ["nobody", "../meta.yaml"]:
        with pytest.raises(ResourceNotFound):
            store.get_model_version_by_alias("fraud-detector", alias)


# -- writes: mltui on one copy, MlflowClient on its twin ---------------------------------------

_STAMP = re.compile(rb"^(\s*(?:last_updated_timestamp|deleted_time): )(\d+)$", re.M)


def registry_files(uri: str) -> dict[str, bytes]:
    root = folder(uri) / "models"
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def normalise(files: dict[str, bytes], start: int, end: int, before: dict[str, bytes]):
    """Files with each timestamp that changed since ``before`` (it must be "now")
    replaced by a marker; unchanged timestamps stay as they are."""
    out = {}
    for path, data in files.items():
        old = dict(enumerate(_STAMP.findall(before.get(path, b""))))

        def sub(match, path=path, old=old):
            value = int(match.group(2))
            if (match.group(1), match.group(2)) in old.values():
                return match.group(0)
            assert start <= value <= end, (path, value)
            return match.group(1) + b"NOW"

        out[path] = _STAMP.sub(sub, data)
    return out


def assert_same_write(ours_uri, theirs_uri, ours_op, theirs_op):
    before_ours, before_theirs = registry_files(ours_uri), registry_files(theirs_uri)
    assert before_ours == before_theirs
    start = int(time.time() * 1000)
    with open_store(ours_uri) as store:
        ours_op(store)
    theirs_op(MlflowClient(theirs_uri))
    end = int(time.time() * 1000)
    after_ours = normalise(registry_files(ours_uri), start, end, before_ours)
    after_theirs = normalise(registry_files(theirs_uri), start, end, before_theirs)
    assert after_ours == after_theirs
    return after_ours != before_ours


def _sync(ours_uri, theirs_uri):
    """Make the twin's registry byte-identical to ours (timestamps included)."""
    shutil.rmtree(folder(theirs_uri) / "models")
    shutil.copytree(folder(ours_uri) / "models", folder(theirs_uri) / "models")




def test_registry_writes_leave_the_files_mlflow_leaves(twins):
    ours, theirs = twins
    _sync(ours, theirs)
    changed = {}
    for what, ours_op, theirs_op in REGISTRY_WRITES:
        changed[what] = assert_same_write(ours, theirs, ours_op, theirs_op)
        _sync(ours, theirs)
        time.sleep(0.002)  # a new millisecond for the next write
    assert not changed["delete missing alias"] and not changed["delete missing model tag"]
    assert all(v for k, v in changed.items() if "missing" not in k)
    # MLflow reads back what mltui wrote
    client = MlflowClient(ours)
    fraud = client.get_registered_model("fraud-detector")
    assert fraud.aliases == {"champion": "4"}
    assert fraud.description == "new: 'text'\n\nmore"
    assert "team" not in fraud.tags
    stages = {
        int(v.version): v.current_stage
        for v in client.search_model_versions("name = 'fraud-detector'")
    }
    assert stages == {1: "Archived", 2: "Archived", 3: "Production", 4: "Staging"}
    assert client.get_model_version("fraud-detector", "2").tags["validated"] == "ünïcode\nvalue"
    with open_store(ours) as store:
        assert_model_matches(store.get_registered_model("fraud-detector"), fraud)
        assert store.get_registered_model("churn-model").tags == {"owner/email": "a@b.c"}
    leftovers = [p for p in folder(ours).rglob("*") if p.name.startswith(".mltui-")]
    assert leftovers == []


def test_writes_on_an_older_registry_layout(twins):
    """Metas written by an older MLflow (no workspace, deployment job or storage
    location fields): mltui adds what MLflow 3 adds when it rewrites them."""
    ours, theirs = twins
    for meta in (folder(ours) / "models").rglob("meta.yaml"):
        data = yaml.safe_load(meta.read_text())
        for key in (
            "workspace",
            "deployment_job_id",
            "deployment_job_state",
            "aliases",
            "storage_location",
            "model_id",
            "run_link",
            "status_message",
        ):
            data.pop(key, None)
        meta.write_text(yaml.safe_dump(data))
    _sync(ours, theirs)
    for what, ours_op, theirs_op in REGISTRY_WRITES:
        if what in ("stage, archive existing", "move alias", "version description"):
            assert assert_same_write(ours, theirs, ours_op, theirs_op), what
            _sync(ours, theirs)


def test_transition_returns_the_version_and_archives(copy_uri):
    uri = copy_uri
    with open_store(uri) as store:
        mv = store.transition_stage("fraud-detector", 3, "Production", archive_existing=True)
        assert (mv.version, mv.current_stage) == (3, "Production")
        assert store.get_model_version("fraud-detector", 2).current_stage == "Archived"
        model = store.get_registered_model("fraud-detector")
        assert model.last_updated_time == mv.last_updated_time
        assert (
            store.get_model_version("fraud-detector", 2).last_updated_time == mv.last_updated_time
        )


def test_registry_conflicts_write_nothing(copy_uri):
    uri = copy_uri
    before = tree_digest(folder(uri))
    with open_store(uri) as store:
        mv = store.get_model_version("fraud-detector", 2)
        with pytest.raises(ConflictError):
            store.transition_stage(
                "fraud-detector", 2, "Archived", expected_last_updated=mv.last_updated_time - 1
            )
        with pytest.raises(ConflictError):
            store.set_alias("fraud-detector", "champion", 4, expected_previous=3)
        with pytest.raises(ConflictError):
            store.set_alias("fraud-detector", "fresh", 4, expected_previous=2)
        with pytest.raises(ConflictError):
            store.delete_alias("fraud-detector", "champion", expected_version=1)
        model = store.get_registered_model("fraud-detector")
        with pytest.raises(ConflictError):
            store.update_model_description(
                "fraud-detector", "x", expected_last_updated=model.last_updated_time + 1
            )
        with pytest.raises(ConflictError):
            store.update_version_description("fraud-detector", 2, "x", expected_last_updated=None)
        for bad in [
            lambda: store.set_alias("fraud-detector", "latest", 1),
            lambda: store.set_alias("fraud-detector", "v2", 1),
            lambda: store.set_alias("fraud-detector", "bad alias", 1),
            lambda: store.transition_stage("fraud-detector", 1, "Gone"),
            lambda: store.transition_stage("fraud-detector", 1, "Archived", archive_existing=True),
            lambda: store.set_model_tag("fraud-detector", "../x", "y"),
        ]:
            with pytest.raises(InvalidValue):
                bad()
        for missing in [
            lambda: store.transition_stage("fraud-detector", 99, "Staging"),
            lambda: store.set_alias("fraud-detector", "x", 99),
            lambda: store.set_model_tag("no-model", "k", "v"),
            lambda: store.delete_version_tag("fraud-detector", 99, "k"),
        ]:
            with pytest.raises(ResourceNotFound):
                missing()
    assert tree_digest(folder(uri)) == before


def test_read_only_refuses_every_write(copy_uri):
    uri = copy_uri
    before = tree_digest(folder(uri))
    client = MlflowClient(uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    rid = mlflow_runs(client, [sweep], view=MlflowViewType.ACTIVE_ONLY)[0].info.run_id
    writes = [
        lambda s: s.delete_runs([rid]),
        lambda s: s.restore_runs([rid]),
        lambda s: s.transition_stage("fraud-detector", 1, "Staging"),
        lambda s: s.set_alias("fraud-detector", "x", 1),
        lambda s: s.delete_alias("fraud-detector", "champion"),
        lambda s: s.set_model_tag("fraud-detector", "k", "v"),
        lambda s: s.delete_model_tag("fraud-detector", "team"),
        lambda s: s.set_version_tag("fraud-detector", 1, "k", "v"),
        lambda s: s.delete_version_tag("fraud-detector", 1, "validated"),
        lambda s: s.update_model_description("fraud-detector", "x"),
        lambda s: s.update_version_description("fraud-detector", 1, "x"),
    ]
    with open_store(uri, read_only=True) as store:
        for write in writes:
            with pytest.raises(ReadOnlyError) as info:
                write(store)
            assert "\n" not in str(info.value)
        store.delete_runs([])  # nothing asked, nothing refused
    assert tree_digest(folder(uri)) == before


def test_delete_and_restore_runs_as_mlflow_does(twins):
    ours_uri, theirs_uri = twins
    client = MlflowClient(theirs_uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    targets = [r.info.run_id for r in mlflow_runs(client, [sweep], "tags.kind = 'child'")][:3]
    paths = {rid: f"{sweep}/{rid}/meta.yaml" for rid in targets}

    def metas(uri):
        return {rid: (folder(uri) / p).read_bytes() for rid, p in paths.items()}

    start = int(time.time() * 1000)
    with open_store(ours_uri) as store:
        store.delete_runs([*targets, targets[0]])
        for rid in targets:
            client.delete_run(rid)
        end = int(time.time() * 1000)
        ours, theirs = metas(ours_uri), metas(theirs_uri)
        for rid in targets:
            for data in (ours[rid], theirs[rid]):
                (stamp,) = re.findall(rb"^deleted_time: (\d+)$", data, re.M)
                assert start <= int(stamp) <= end
            assert _STAMP.sub(rb"\1X", ours[rid]) == _STAMP.sub(rb"\1X", theirs[rid])
        assert MlflowClient(ours_uri).get_run(targets[0]).info.lifecycle_stage == "deleted"
        assert not {r.run_id for r in store.search_runs([sweep]).runs} & set(targets)
        store.restore_runs(targets)
        for rid in targets:
            client.restore_run(rid)
        assert metas(ours_uri) == metas(theirs_uri)
        assert b"deleted_time" not in metas(ours_uri)[targets[0]]
        assert {r.run_id for r in store.search_runs([sweep]).runs} >= set(targets)
        with pytest.raises(ResourceNotFound):
            store.delete_runs([targets[0], "f" * 32])
    assert MlflowClient(ours_uri).get_run(targets[0]).info.lifecycle_stage == "active"


def test_store_sees_changes_made_by_mlflow(copy_uri):
    uri = copy_uri
    client = MlflowClient(uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    with open_store(uri) as store:
        running = store.search_runs([sweep], "attributes.status = 'RUNNING'").runs
        assert len(running) == 1
        rid = running[0].run_id
        before = running[0].metrics["loss"]
        time.sleep(0.01)
        client.log_metric(rid, "loss", 0.001, step=100)
        client.set_terminated(rid, "FINISHED")
        run = store.search_runs([sweep], f"run_id = '{rid}'").runs[0]
        assert run.status == "FINISHED"
        assert (run.metrics["loss"].value, run.metrics["loss"].step) == (0.001, 100)
        assert before.step == 49
        ordered = store.search_runs([sweep], order_by=["metrics.loss"]).runs
        assert ordered[0].run_id == rid


# -- layouts and bad input ----------------------------------------------------------------------


def make_run(exp_dir: Path, run_id: str, meta: str, **files: dict[str, str]) -> Path:
    run_dir = exp_dir / run_id
    for sub in ("metrics", "params", "tags", "artifacts"):
        (run_dir / sub).mkdir(parents=True, exist_ok=True)
    (run_dir / "meta.yaml").write_text(meta)
    for sub, values in files.items():
        for key, value in values.items():
            path = run_dir / sub / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(value)
    return run_dir


def synthetic(tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "mlruns"
    exp = root / "7"
    exp.mkdir(parents=True)
    (root / ".trash").mkdir()
    (exp / "meta.yaml").write_text(
        "artifact_location: ./mlruns/7\nexperiment_id: 7\nlifecycle_stage: active\nname: legacy\n"
    )
    return root, exp


def run_meta(run_id: str, **extra) -> str:
    data = {
        "artifact_uri": f"./mlruns/7/{run_id}/artifacts",
        "end_time": 1600000001000,
        "experiment_id": "7",
        "lifecycle_stage": "active",
        "run_id": run_id,
        "run_name": run_id,
        "start_time": 1600000000000,
        "status": 3,
        "user_id": "me",
        "tags": [],
        **extra,
    }
    return dump_yaml({k: v for k, v in data.items() if v is not ...}).decode()


def test_legacy_layouts(tmp_path):
    root, exp = synthetic(tmp_path)
    # MLflow 1.x: int experiment id, run_uuid beside run_id, no run_name, no lifecycle
    make_run(
        exp,
        "a" * 32,
        run_meta("a" * 32, experiment_id=7, run_uuid="a" * 32, run_name=..., lifecycle_stage=...),
        metrics={"two": "1600000000000 0.5\n1600000000500 0.25\n"},
        tags={"mlflow.runName": "old name", "a/b/c": "nested"},
        params={"p/q": "1"},
    )
    make_run(
        exp,
        "b" * 32,
        run_meta("b" * 32),
        metrics={
            "five": "1600000000000 1.5 3 train 0a1b\n1600000000001 nan 4 train 0a1b\n"
            "1600000000002 inf 2 eval 9f9f\n"
        },
    )
    with open_store(str(root)) as store:
        runs = {r.run_id[0]: r for r in store.search_runs(["7"], max_results=10).runs}
        old = runs["a"]
        assert (old.run_name, old.lifecycle_stage, old.experiment_id) == ("old name", "active", "7")
        assert old.tags["a/b/c"] == "nested" and old.params == {"p/q": "1"}
        assert (old.metrics["two"].value, old.metrics["two"].step) == (0.25, 0)
        five = store.get_metric_history("b" * 32, "five")
        assert [(m.step, m.value) for m in five][:2] == [(2, math.inf), (3, 1.5)]
        assert math.isnan(runs["b"].metrics["five"].value) and runs["b"].metrics["five"].step == 4
        assert store.search_runs(["7"], "run_name = 'old name'").total == 1
        assert store.search_runs(["7"], "tags.`a/b/c` = 'nested'").total == 1
        assert store.run_keys(["7"]).tags == ["a/b/c", "mlflow.runName"]
        assert store.get_experiment("7").name == "legacy"
        assert store.unreadable == [] and store.warning is None
        twin = tmp_path / "twin"
        shutil.copytree(root, twin)
        for rid in ("a" * 32, "b" * 32):
            store.delete_runs([rid])
            MlflowClient(twin.as_uri()).delete_run(rid)
            ours = (exp / rid / "meta.yaml").read_bytes()
            theirs = (twin / "7" / rid / "meta.yaml").read_bytes()
            assert _STAMP.sub(rb"\1X", ours) == _STAMP.sub(rb"\1X", theirs)
            store.restore_runs([rid])
            MlflowClient(twin.as_uri()).restore_run(rid)
            assert (exp / rid / "meta.yaml").read_bytes() == (
                twin / "7" / rid / "meta.yaml"
            ).read_bytes()
        written = yaml.safe_load((exp / ("a" * 32) / "meta.yaml").read_text())
        assert written["experiment_id"] == "7" and written["lifecycle_stage"] == "active"
        assert written["run_name"] == "" and written["status"] == 3


def test_five_field_metric_lines_keep_their_step(copy_uri):
    """MLflow's file store reads step 0 for lines logged with a dataset; mltui the step."""
    uri = copy_uri
    client = MlflowClient(uri)
    rid = client.create_run("0", run_name="ds").info.run_id
    client.log_batch(
        rid,
        metrics=[
            MlflowMetric(
                "acc",
                0.5 + s / 10,
                1_700_000_000_000 + s,
                s,
                dataset_name="eval",
                dataset_digest="abc123",
            )
            for s in range(3)
        ],
    )
    theirs = client.get_metric_history(rid, "acc")
    assert [m.step for m in theirs] == [0, 0, 0]
    with open_store(uri) as store:
        ours = store.get_metric_history(rid, "acc")
        assert [(m.step, m.value, m.timestamp) for m in ours] == [
            (s, 0.5 + s / 10, 1_700_000_000_000 + s) for s in range(3)
        ]
        assert store.get_run(rid).run.metrics["acc"].step == 2


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"\n",
        b"{{{: [",
        b"- just\n- a list\n",
        b"run_id: x\n",
        b"\xff\xfe garbage",
        b"a: 'open\n",
        b"experiment_id: [1]\nstatus: {a: 1}\n",
    ],
)
def test_unreadable_run_meta_is_skipped_and_listed(copy_uri, content):
    uri = copy_uri
    client = MlflowClient(uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    victim = mlflow_runs(client, [sweep], "attributes.run_name = 'bare'")[0].info.run_id
    path = folder(uri) / sweep / victim / "meta.yaml"
    path.write_bytes(content)
    with open_store(uri) as store:
        page = store.search_runs([sweep], view=ViewType.ALL)
        assert page.total == 8 and victim not in {r.run_id for r in page.runs}
        assert store.unreadable == [str(path)]
        assert store.warning and "\n" not in store.warning and "1 unreadable" in store.warning
        assert store.get_experiment(sweep).run_count == 7  # 8 active, one unreadable
        with pytest.raises(ResourceNotFound):
            store.get_run(victim)
        path.write_text(run_meta(victim, experiment_id=sweep, run_name="bare"))
        assert store.search_runs([sweep], view=ViewType.ALL).total == 9
        assert store.unreadable == []


def test_unreadable_experiment_meta_is_skipped(copy_uri):
    uri = copy_uri
    with open_store(uri) as store:
        edge = experiment_id(store, "edge cases")
    path = folder(uri) / edge / "meta.yaml"
    path.write_text("")
    with open_store(uri) as store:
        assert "edge cases" not in {e.name for e in store.list_experiments(ViewType.ALL)}
        assert store.unreadable == [str(path)]
        with pytest.raises(ResourceNotFound):
            store.get_experiment(edge)


def test_garbage_metric_lines_are_skipped(copy_uri):
    uri = copy_uri
    client = MlflowClient(uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    run = mlflow_runs(client, [sweep], "attributes.run_name = 'child-0'")[0]
    rid = run.info.run_id
    path = folder(uri) / sweep / rid / "metrics" / "loss"
    lines = path.read_bytes().splitlines(keepends=True)
    lines[10:10] = [b"garbage\n", b"1 2 3 4\n", b"\n", b"x 0.5 3\n", b"\xff\xfe\n"]
    path.write_bytes(b"".join(lines))
    with pytest.raises((MlflowException, UnicodeDecodeError)):
        client.get_metric_history(rid, "loss")  # MLflow gives up on the whole file
    with open_store(uri) as store:
        history = store.get_metric_history(rid, "loss")
        assert [m.step for m in history] == list(range(50))
        assert store.get_run(rid).run.metrics["loss"].step == 49
        assert store.search_runs([sweep], "metrics.loss < 0.03").total >= 1
        assert list(store.problems) == [str(path)]
        assert "unreadable lines" in store.warning and store.unreadable == []
        # a half-written last line (no newline yet) is not taken for a 2-field line
        with open(path, "ab") as fh:
            fh.write(b"1999999999999 0.5")
        assert len(store.get_metric_history(rid, "loss")) == 50
        with open(path, "ab") as fh:
            fh.write(b" 50\n")
        assert store.get_metric_history(rid, "loss")[-1].step == 50
        assert store.get_run(rid).run.metrics["loss"].step == 50


@pytest.mark.parametrize("form", ["path", "uri"])
def test_missing_folder_is_not_created(tmp_path, form):
    target = tmp_path / "no" / "mlruns"
    with pytest.raises(StoreNotFound) as info:
        open_store(str(target) if form == "path" else target.as_uri())
    assert str(target) in str(info.value) and "\n" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_that_is_not_mlruns(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "main.py").write_text("print('hi')\n")
    (tmp_path / "notes.txt").write_text("hello")
    before = tree_digest(tmp_path)
    for target in (tmp_path, tmp_path / "src", tmp_path / "notes.txt"):
        with pytest.raises(NotAnMlflowStore) as info:
            open_store(str(target))
        assert "\n" not in str(info.value)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(NotAnMlflowStore):
        open_store(empty.as_uri())
    assert tree_digest(tmp_path) == before and list(empty.iterdir()) == []


def test_reading_changes_nothing(file_dir, file_uri):
    before = tree_digest(file_dir)
    with open_store(file_uri) as store:
        ids = [e.experiment_id for e in store.list_experiments(ViewType.ALL)]
        for run in store.search_runs(ids, view=ViewType.ALL, max_results=100).runs:
            store.get_run(run.run_id)
            for key in run.metrics:
                store.get_metric_history(run.run_id, key, max_points=10)
        store.search_registered_models(include_prompts=True)
        store.run_keys(ids)
    assert tree_digest(file_dir) == before


def test_only_the_page_is_read(tmp_path, monkeypatch):
    """300 runs: the first page reads param and tag folders of its own runs only, and
    sorting by a metric reads that one metric file per run."""
    import mltui.store.file.run_data as file_module

    root, exp = synthetic(tmp_path)
    for i in range(300):
        rid = f"{i:032x}"
        make_run(
            exp,
            rid,
            run_meta(rid, start_time=1600000000000 + i),
            metrics={f"m{k}": f"1600000000000 {(i * 7919 + k) % 300} 0\n" for k in range(3)},
            params={f"p{k}": str(i) for k in range(5)},
            tags={"t": str(i % 3)},
        )
    folders, metric_files = [], []
    real_read, real_latest = file_module.read_key_values, file_module.RunData.latest_metric
    monkeypatch.setattr(
        file_module, "read_key_values", lambda path: folders.append(path) or real_read(path)
    )

    def latest(self, run_dir, key):
        metric_files.append((run_dir, key))
        return real_latest(self, run_dir, key)

    monkeypatch.setattr(file_module.RunData, "latest_metric", latest)
    with open_store(str(root)) as store:
        page = store.search_runs(["7"], max_results=20)
        assert [r.start_time for r in page.runs] == [1600000000000 + i for i in range(299, 279, -1)]
        assert page.total == 300 and len(folders) == 40 and len(metric_files) == 60
        folders.clear()
        metric_files.clear()
        page = store.search_runs(["7"], "tags.t = '1'", ["metrics.m1 DESC"], max_results=20)
        assert page.total == 100 and len(folders) == 40
        assert len([f for f in metric_files if f[1] == "m1"]) == 100 + 20
        values = [r.metrics["m1"].value for r in page.runs]
        assert values == sorted(values, reverse=True)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
        st.one_of(
            st.none(),
            st.integers(-(10**15), 10**15),
            st.text(max_size=90),
            st.sampled_from(
                [
                    "yes",
                    "No",
                    "1e5",
                    "0123",
                    "-x",
                    "a: b",
                    "x #y",
                    "~",
                    "'q'",
                    "null",
                    "1.5",
                    ".inf",
                    "=",
                    "[]",
                    "file:///a b/c",
                    "it's",
                    "001a9dbca8",
                    "9f3c0e",
                    "0x1f",
                    "0xg1",
                    "0b12",
                    "0777",
                    "0789",
                    "0b101",
                    "12e3",
                    "1_000",
                    "2024-01-02",
                    "1:30",
                    "a\x85b",
                    "a\u2028b",
                    "\ufeffx",
                    "tab\there",
                ]
            ),
            st.lists(st.none(), max_size=0),
        ),
    )
)
def test_fast_meta_parser_agrees_with_yaml(data):
    dumped = dump_yaml(data)
    try:
        expected = yaml.safe_load(dumped.decode())
    except yaml.YAMLError:
        return
    if not expected:
        return
    assert parse_meta(dumped) == expected
