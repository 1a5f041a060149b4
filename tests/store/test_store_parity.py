"""One store suite, run on every backend: sqlite, file (mlruns), REST, PostgreSQL and
MySQL (a MariaDB server).

Each backend holds the store ``tests/support/builders.py`` made with the real mlflow
client (``backend`` / ``writable_backend`` in ``conftest.py``). Every read is
compared with ``MlflowClient(backend.mlflow_uri)`` on the same data; every
write is made by mltui, read back with ``MlflowClient``, and compared with the
same write made by ``MlflowClient`` on a twin copy: same stages, aliases, tags
and descriptions, and each timestamp changed (to "now") or left alone exactly
as MLflow's own store for that backend does. The per-backend files
(``test_sql_store.py``, ``test_file_store.py``, ``test_rest_store.py``) go
deeper; this file is about the same tests passing everywhere.

Documented differences, asserted here rather than skipped:

- REST cannot count: ``Experiment.run_count`` and ``last_run_time`` are None,
  and ``RunPage.total`` is None except on a search's last page (where the
  count is known). ``Run.source_type`` / ``source_name`` are empty (not in the
  REST run info); ``Run.source`` still comes from the ``mlflow.source.name`` tag.
- Metric values: the SQL stores (and a server over one) keep +/-inf as
  +/-1.797e308, which ``MlflowClient`` returns; mltui shows +/-inf everywhere.
- Registry timestamps follow each backend's MLflow store (the twin comparison
  checks it write by write, the file store included).
- MySQL: the suite's databases are utf8mb4 with a binary (case-sensitive)
  collation. MariaDB's default collation (``utf8mb4_general_ci``) compares text
  case-insensitively where MLflow does not add ``BINARY``: experiment and model
  names, aliases. The searches and names are compared on such a copy too
  (``mysql_ci_world``), and mltui answers as MLflow does there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

from mltui.store.entities import ViewType
from mltui.store.errors import (
    ConflictError,
    InvalidSearch,
    InvalidValue,
    ReadOnlyError,
    ResourceNotFound,
    StoreError,
)
from mltui.store.shared import MAX_FLOAT
from support.mlflow_match import assert_model_matches, assert_version_matches
from support.registry_writes import REGISTRY_WRITES
from support.search_cases import INVALID_FILTERS, ORDER_BYS, VALID_FILTERS, resolve
from support.servers import PostgresServer, ServerError

VIEWS = {
    ViewType.ACTIVE: MlflowViewType.ACTIVE_ONLY,
    ViewType.DELETED: MlflowViewType.DELETED_ONLY,
    ViewType.ALL: MlflowViewType.ALL,
}


@pytest.fixture(scope="module", autouse=True)
def _no_client_retries():
    """MlflowClient retries HTTP 500 for minutes; the server answers some invalid
    searches with 500, and MLflow's verdict is wanted at once."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
        yield


def _restore_global_tracking_uri():
    """``Backend.client()`` sets MLflow's global tracking URI for the file store:
    put back what was there (per module, and per test for the private copies)."""
    from mlflow.tracking._tracking_service import utils

    saved = utils._tracking_uri
    yield
    utils._tracking_uri = saved


_module_tracking_uri = pytest.fixture(scope="module", autouse=True)(_restore_global_tracking_uri)
_test_tracking_uri = pytest.fixture(autouse=True)(_restore_global_tracking_uri)


def _id(value) -> str:
    return repr(value)


def same_float(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


def shown(value: float) -> float:
    """A value MlflowClient returned, as mltui shows it (+/-inf decoded)."""
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return value


def plain(obj):
    """Dataclasses as dicts with NaN made comparable (nan != nan)."""
    if dataclasses.is_dataclass(obj):
        obj = dataclasses.asdict(obj)
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    if isinstance(obj, float) and math.isnan(obj):
        return "NaN"
    return obj


def now_ms() -> int:
    return int(time.time() * 1000)


@contextlib.contextmanager
def open_world(backend):
    """An open mltui store, MlflowClient, experiment ids, run ids by name."""
    client = backend.client()
    experiment_ids = [
        e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)
    ]
    everything = client.search_runs(
        experiment_ids, run_view_type=MlflowViewType.ALL, max_results=1000
    )
    ids = {r.info.run_name: r.info.run_id for r in everything}
    assert len(ids) == len(everything) > 15
    store = backend.open()
    try:
        yield {
            "backend": backend,
            "client": client,
            "store": store,
            "experiment_ids": experiment_ids,
            "ids": ids,
            "everything": list(everything),
        }
    finally:
        store.close()


@pytest.fixture(scope="module")
def world(backend):
    """Per backend: see :func:`open_world`."""
    with open_world(backend) as opened:
        yield opened


# -- experiments -----------------------------------------------------------------------------


@pytest.mark.parametrize("view", list(ViewType), ids=lambda v: v.value)
def test_experiments_in_every_view(world, view):
    store, client = world["store"], world["client"]
    backend = world["backend"]
    ours = {e.experiment_id: e for e in store.list_experiments(view)}
    theirs = {e.experiment_id: e for e in client.search_experiments(view_type=VIEWS[view])}
    assert set(ours) == set(theirs) and ours
    for eid, ref in theirs.items():
        exp = ours[eid]
        assert (
            exp.name,
            exp.lifecycle_stage,
            exp.artifact_location,
            exp.creation_time,
            exp.last_update_time,
            exp.tags,
        ) == (
            ref.name,
            ref.lifecycle_stage,
            ref.artifact_location,
            ref.creation_time,
            ref.last_update_time,
            ref.tags,
        )
        assert exp.description == ref.tags.get("mlflow.note.content", "")
        if backend.kind == "rest":  # documented: the REST API has no counts
            assert exp.run_count is None and exp.last_run_time is None
        else:  # the active runs: what the default runs view shows
            runs = client.search_runs([eid], run_view_type=MlflowViewType.ACTIVE_ONLY,
                                      max_results=1000)
            assert exp.run_count == len(runs)
            starts = [r.info.start_time for r in runs if r.info.start_time]
            assert exp.last_run_time == (max(starts) if starts else None)
    if view is ViewType.DELETED:
        assert [e.name for e in ours.values()] == ["old-experiment"]


def test_get_experiment_by_id_and_name(world):
    store, client = world["store"], world["client"]
    listed = {e.experiment_id: e for e in store.list_experiments(ViewType.ALL)}
    for ref in client.search_experiments(view_type=MlflowViewType.ALL):
        assert store.get_experiment(ref.experiment_id) == listed[ref.experiment_id]
        assert store.get_experiment_by_name(ref.name) == listed[ref.experiment_id]
    assert store.get_experiment_by_name("no such experiment") is None
    for bad in ("999999", "abc", ""):
        with pytest.raises(ResourceNotFound):
            store.get_experiment(bad)


# -- run search: the differential strings ------------------------------------------------------


def _mlflow_search(world, filter_string, order_by, view):
    """MLflow's run ids, or the exception it raised (MlflowException; MLflow's file
    store lets a ValueError out for ``run_id IN (a)``)."""
    try:
        runs = world["client"].search_runs(
            world["experiment_ids"],
            filter_string,
            run_view_type=VIEWS[view],
            max_results=1000,
            order_by=order_by,
        )
    except (MlflowException, ValueError) as err:
        return err
    return [r.info.run_id for r in runs]


# Strings MLflow's SQL store refuses on sqlite (and so mltui, on every backend) but
# MLflow takes on other backends: its file store evaluates a list compared with "="
# and ignores duplicate sort keys; on PostgreSQL its SQL store sends the list to the
# database, which compares it with each run id and finds nothing.
MLFLOW_LENIENT = {
    "file": {
        "run_id = ('a', 'b')",
        repr(["metrics.loss", "metrics.loss DESC"]),
        repr(["created", "start_time"]),
    },
    "postgresql": {"run_id = ('a', 'b')"},
}


def assert_same_search(world, filter_string, order_by, view=ViewType.ALL):
    """Same runs in the same order as MlflowClient, or rejected where MLflow rejects."""
    lenient = MLFLOW_LENIENT.get(world["backend"].kind, set())
    stricter = filter_string in lenient or (order_by and repr(order_by) in lenient)
    filter_string = resolve(filter_string, world["everything"])
    expected = _mlflow_search(world, filter_string, order_by, view)
    store = world["store"]
    if stricter:  # documented: MLflow answers, mltui refuses as MLflow on sqlite does
        assert not isinstance(expected, Exception), expected
        with pytest.raises(InvalidSearch):
            store.search_runs(world["experiment_ids"], filter_string, order_by, view)
        return None
    if isinstance(expected, Exception):
        with pytest.raises(InvalidSearch) as info:
            store.search_runs(world["experiment_ids"], filter_string, order_by, view)
        assert str(info.value) and "\n" not in str(info.value)
        return None
    page = store.search_runs(
        world["experiment_ids"], filter_string, order_by, view, max_results=1000
    )
    names = {v: k for k, v in world["ids"].items()}
    assert [names[r.run_id] for r in page.runs] == [names[i] for i in expected]
    assert page.next_page_token is None
    assert page.total == len(expected)  # a search's last page knows its total, even on REST
    return expected


@pytest.mark.parametrize("filter_string", VALID_FILTERS, ids=_id)
def test_valid_filter(world, filter_string):
    assert assert_same_search(world, filter_string, []) is not None


@pytest.mark.parametrize("filter_string", INVALID_FILTERS, ids=_id)
def test_invalid_filter(world, filter_string):
    assert assert_same_search(world, filter_string, []) is None


@pytest.mark.parametrize("order_by", ORDER_BYS, ids=_id)
def test_order_by(world, order_by):
    assert_same_search(world, "", order_by)


@pytest.mark.parametrize(
    "filter_string",
    [
        "",
        "metrics.acc > 0.6",
        "run_id IN ('{deleted-run}', '{old-run}', '{bare}')",
        "attributes.run_name LIKE '%run%'",
    ],
    ids=_id,
)
@pytest.mark.parametrize("view", list(ViewType), ids=lambda v: v.value)
def test_views(world, filter_string, view):
    assert assert_same_search(world, filter_string, ["metrics.acc DESC"], view) is not None


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", []),
        ("", ["metrics.score DESC", "attributes.run_name"]),
        ("metrics.loss < 1", ["params.lr", "metrics.acc DESC"]),
        ("attributes.run_name LIKE '%-%'", ["tags.owner"]),
    ],
    ids=_id,
)
def test_pages_by_token(world, filter_string, order_by):
    """Three runs a page, following each side's own page tokens."""
    store, client, ids = world["store"], world["client"], world["experiment_ids"]
    every = client.search_runs(
        ids, filter_string, MlflowViewType.ALL, max_results=1000, order_by=order_by
    )
    mlflow_token = ours_token = None
    seen = []
    while True:
        theirs = client.search_runs(
            ids, filter_string, MlflowViewType.ALL, 3, order_by, mlflow_token
        )
        page = store.search_runs(
            ids, filter_string, order_by, ViewType.ALL, max_results=3, page_token=ours_token
        )
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
        assert bool(page.next_page_token) == bool(theirs.token)
        seen += [r.run_id for r in page.runs]
        if world["backend"].kind == "rest" and page.next_page_token:
            assert page.total is None  # documented: no count before the last page
        else:
            assert page.total == len(every)
        if not theirs.token:
            break
        mlflow_token, ours_token = theirs.token, page.next_page_token
    assert seen == [r.info.run_id for r in every] and len(seen) > 3


def test_offsets_counts_and_ids(world):
    store, client, ids = world["store"], world["client"], world["experiment_ids"]
    every = [r.info.run_id for r in client.search_runs(ids, "", MlflowViewType.ALL, 1000)]
    for offset in (0, 4, len(every) - 2, len(every)):
        page = store.search_runs(ids, view=ViewType.ALL, max_results=5, offset=offset)
        assert [r.run_id for r in page.runs] == every[offset : offset + 5]
        assert page.offset == offset
    for text in ("", "tags.kind = 'child'", "metrics.acc > 0.6", "params.nope = 'x'"):
        for view in ViewType:
            expected = [r.info.run_id for r in client.search_runs(ids, text, VIEWS[view], 1000)]
            assert store.count_runs(ids, text, view) == len(expected)
            assert sorted(store.search_run_ids(ids, text, view)) == sorted(expected)
    assert store.search_runs([], max_results=10).runs == []
    sweep = store.get_experiment_by_name("sweep").experiment_id
    edge = store.get_experiment_by_name("edge cases").experiment_id
    assert store.has_nested_runs([sweep]) and not store.has_nested_runs([edge])
    assert store.capabilities.run_counts == (world["backend"].kind != "rest")


@pytest.mark.parametrize("view", list(ViewType), ids=lambda v: v.value)
def test_child_counts(world, view):
    store, client, ids = world["store"], world["client"], world["experiment_ids"]
    parents = list(world["ids"].values())
    for text in ("", "metrics.acc > 0.6", "params.optimizer = 'adam'"):
        expected: dict[str, int] = {}
        for run in client.search_runs(ids, text, VIEWS[view], 1000):
            parent = run.data.tags.get("mlflow.parentRunId")
            if parent:
                expected[parent] = expected.get(parent, 0) + 1
        assert store.child_counts(ids, parents, text, view) == expected
        assert expected or text or view is ViewType.DELETED


def test_run_keys(world):
    store, client, ids = world["store"], world["client"], world["experiment_ids"]
    for scope in [ids, *([eid] for eid in ids)]:
        runs = client.search_runs(scope, "", MlflowViewType.ALL, 1000)
        keys = store.run_keys(scope)
        assert keys.metrics == sorted({k for r in runs for k in r.data.metrics})
        assert keys.params == sorted({k for r in runs for k in r.data.params})
        assert keys.tags == sorted({k for r in runs for k in r.data.tags})
    assert store.run_keys([]).metrics == []


# -- runs -----------------------------------------------------------------------------------


def assert_run_matches(run, ref, kind: str) -> None:
    info = ref.info
    assert (
        run.run_id,
        run.experiment_id,
        run.run_name,
        run.status,
        run.start_time,
        run.end_time,
        run.user_id,
        run.lifecycle_stage,
        run.artifact_uri,
    ) == (
        info.run_id,
        info.experiment_id,
        info.run_name,
        info.status,
        info.start_time,
        info.end_time,
        info.user_id,
        info.lifecycle_stage,
        info.artifact_uri,
    )
    assert run.params == ref.data.params
    assert run.tags == ref.data.tags
    assert run.source == ref.data.tags.get("mlflow.source.name", "")
    assert run.parent_run_id == ref.data.tags.get("mlflow.parentRunId")
    if kind == "rest":  # documented: not in the REST run info
        assert (run.source_type, run.source_name) == ("", "")
    latest = {m.key: m for m in ref.data._metric_objs}
    assert set(run.metrics) == set(latest)
    for key, m in latest.items():
        ours = run.metrics[key]
        assert same_float(ours.value, shown(m.value)), key
        assert (ours.timestamp, ours.step) == (m.timestamp, m.step), key


def test_runs_in_search_and_get_run(world):
    store, client, kind = world["store"], world["client"], world["backend"].kind
    for eid in world["experiment_ids"]:
        refs = client.search_runs([eid], "", MlflowViewType.ALL, 1000)
        page = store.search_runs([eid], view=ViewType.ALL, max_results=1000)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in refs]
        for run, ref in zip(page.runs, refs, strict=True):
            assert_run_matches(run, ref, kind)
            full = client.get_run(ref.info.run_id)
            detail = store.get_run(ref.info.run_id)
            assert plain(detail.run) == plain(run)
            assert_run_matches(detail.run, full, kind)
            theirs = full.inputs.dataset_inputs if full.inputs else []
            assert [
                (d.name, d.digest, d.source_type, d.source, d.schema, d.profile, d.tags)
                for d in detail.inputs
            ] == [
                (
                    d.dataset.name,
                    d.dataset.digest,
                    d.dataset.source_type,
                    d.dataset.source,
                    d.dataset.schema,
                    d.dataset.profile,
                    {t.key: t.value for t in d.tags},
                )
                for d in theirs
            ]
            outputs = full.outputs.model_outputs if full.outputs else []
            assert [(o.model_id, o.step) for o in detail.outputs] == [
                (o.model_id, o.step) for o in outputs
            ]
    dataset = store.get_run(world["ids"]["with-dataset"])
    assert dataset.inputs[0].context == "training"
    with pytest.raises(ResourceNotFound):
        store.get_run("0" * 32)


def test_nan_and_inf(world):
    store = world["store"]
    edge = store.get_experiment_by_name("edge cases").experiment_id
    runs = {r.run_name: r for r in store.search_runs([edge], max_results=100).runs}
    assert runs["inf-run"].metric_value("score") == math.inf
    assert runs["neg-inf-run"].metric_value("score") == -math.inf
    assert math.isnan(runs["nan-run"].metric_value("score"))
    assert runs["zero-run"].metric_value("score") == 0.0
    rid = runs["inf-run"].run_id
    assert [m.value for m in store.get_metric_history(rid, "score")] == [math.inf]


# -- metric history ---------------------------------------------------------------------------


def reference_downsample(points, max_points, lo=None, hi=None):
    """The documented rule (``BaseStore.get_metric_history``), written out once more:
    ``max_points // 2`` step buckets keep their lowest and highest value (NaN only if
    nothing else; ties to the lower step), plus the first and last points."""
    pts = sorted(
        (m for m in points if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)),
        key=lambda m: (m.step, m.timestamp),
    )
    if max_points is None or len(pts) <= max_points or pts[-1].step <= pts[0].step:
        return pts
    first, last = pts[0].step, pts[-1].step
    buckets = max(1, max_points // 2)
    grouped: dict[int, list[int]] = {}
    for i, m in enumerate(pts):
        grouped.setdefault((m.step - first) * buckets // (last - first + 1), []).append(i)
    keep = {0, len(pts) - 1}
    for members in grouped.values():
        real = [i for i in members if not math.isnan(pts[i].value)]
        if not real:
            keep.add(min(members, key=lambda i: (pts[i].step, i)))
            continue
        keep.add(min(real, key=lambda i: (pts[i].value, pts[i].step, i)))
        keep.add(min(real, key=lambda i: (-pts[i].value, pts[i].step, i)))
    return [pts[i] for i in sorted(keep)]


def as_points(metrics) -> list[tuple]:
    return [
        (m.key, m.step, m.timestamp, "NaN" if math.isnan(m.value) else m.value) for m in metrics
    ]


def mlflow_history(client, run_id: str, key: str):
    from mltui.store.entities import Metric

    return sorted(
        (
            Metric(m.key, shown(m.value), m.timestamp, m.step)
            for m in client.get_metric_history(run_id, key)
        ),
        key=lambda m: (m.step, m.timestamp),
    )


def test_metric_history(world):
    store, client = world["store"], world["client"]
    for name in ("child-0", "child-3", "nan-run", "inf-run", "neg-inf-run", "with-dataset"):
        rid = world["ids"][name]
        for key in store.get_run(rid).run.metrics:
            full = mlflow_history(client, rid, key)
            assert full
            assert as_points(store.get_metric_history(rid, key)) == as_points(full)
            for lo, hi in [(10, 19), (0, 0), (None, 5), (45, None), (60, 70), (30, 20)]:
                assert as_points(store.get_metric_history(rid, key, lo, hi)) == as_points(
                    reference_downsample(full, None, lo, hi)
                )
    assert store.get_metric_history(world["ids"]["child-0"], "no such metric") == []


@pytest.mark.parametrize("max_points", [2, 3, 10, 20, 49, 50, 100])
def test_downsampled_history(world, max_points):
    store, client = world["store"], world["client"]
    rid = world["ids"]["child-2"]
    full = mlflow_history(client, rid, "loss")
    assert len(full) == 50
    for lo, hi in [(None, None), (5, 44), (40, None)]:
        ours = store.get_metric_history(rid, "loss", lo, hi, max_points=max_points)
        assert as_points(ours) == as_points(reference_downsample(full, max_points, lo, hi))
        assert len(ours) <= max_points + 2


def test_downsampled_long_history(writable_backend):
    """2,000 steps with spikes and NaN, logged by MlflowClient on each backend."""
    client = writable_backend.client()
    edge = client.get_experiment_by_name("edge cases").experiment_id
    rid = client.create_run(edge, run_name="long").info.run_id
    spikes = {123: 1000.0, 124: -1000.0, 1500: 5e6, 1501: -7e6, 1700: math.nan, 1998: 777.0}
    t0 = 1_700_000_000_000
    points = [
        MlflowMetric("wave", spikes.get(s, math.sin(s / 50)), t0 + s * 10, s) for s in range(2000)
    ]
    for i in range(0, len(points), 1000):
        client.log_batch(rid, metrics=points[i : i + 1000])
    client.set_terminated(rid)
    full = mlflow_history(client, rid, "wave")
    assert len(full) == 2000
    with writable_backend.open() as store:
        assert as_points(store.get_metric_history(rid, "wave")) == as_points(full)
        for max_points, lo, hi in [
            (10, None, None),
            (100, None, None),
            (501, None, None),
            (50, 100, 1600),
            (20, None, 300),
            (10, 1900, None),
            (10, 1000, 900),
        ]:
            ours = store.get_metric_history(rid, "wave", lo, hi, max_points)
            assert as_points(ours) == as_points(reference_downsample(full, max_points, lo, hi))
            if max_points >= 100:
                assert {123, 124, 1500, 1501} <= {m.step for m in ours}


# -- registry ---------------------------------------------------------------------------------


def test_registered_models(world):
    store, client = world["store"], world["client"]
    ours = store.search_registered_models()
    assert [m.name for m in ours] == sorted(m.name for m in client.search_registered_models())
    assert [m.name for m in ours] == ["churn-model", "fraud-detector"]
    for model in ours:
        ref = client.get_registered_model(model.name)
        assert_model_matches(model, ref)
        assert_model_matches(store.get_registered_model(model.name), ref)
    fraud = store.get_registered_model("fraud-detector")
    assert fraud.version_count == 4 and fraud.latest_version == 4
    assert fraud.stage_counts == {"Archived": 1, "Production": 1, "Staging": 1, "None": 1}
    assert fraud.aliases == {"champion": 2, "challenger": 3}
    prompts = [m for m in store.search_registered_models(include_prompts=True) if m.is_prompt]
    assert [m.name for m in prompts] == ["my-prompt"]
    assert {p.name for p in client.search_prompts()} == {"my-prompt"}


@pytest.mark.parametrize(
    "pattern", ["fraud%", "FRAUD%", "%model", "%-%", "nothing%", "churn_model", "x'y\"z"]
)
def test_model_name_search(world, pattern):
    store, client = world["store"], world["client"]
    escaped = pattern.replace("'", "\\'")
    assert [m.name for m in store.search_registered_models(pattern)] == sorted(
        m.name for m in client.search_registered_models(f"name ILIKE '{escaped}'")
    )


def test_model_versions(world):
    store, client = world["store"], world["client"]
    for name in ("fraud-detector", "churn-model"):
        ours = store.get_model_versions(name)
        theirs = sorted(
            client.search_model_versions(f"name = '{name}'"), key=lambda v: -int(v.version)
        )
        assert [mv.version for mv in ours] == [int(v.version) for v in theirs]
        for mv, ref in zip(ours, theirs, strict=True):
            assert_version_matches(mv, ref)
            assert mv.aliases == sorted(client.get_model_version(name, ref.version).aliases)
            assert store.get_model_version(name, mv.version) == mv
    assert [
        mv.version
        for mv in store.get_model_versions("fraud-detector", stages=["production", "Staging"])
    ] == [3, 2]
    assert store.get_model_versions("no-such-model") == []
    with pytest.raises(ResourceNotFound):
        store.get_registered_model("no-such-model")
    for version in (99, "x"):
        with pytest.raises(ResourceNotFound):
            store.get_model_version("fraud-detector", version)


@pytest.mark.parametrize("alias", ["champion", "challenger", "latest", "nobody"])
def test_model_version_by_alias(world, alias):
    store, client = world["store"], world["client"]
    try:
        ref = client.get_model_version_by_alias("fraud-detector", alias)
    except MlflowException:
        with pytest.raises(ResourceNotFound):
            store.get_model_version_by_alias("fraud-detector", alias)
        assert alias == "nobody"
        return
    ours = store.get_model_version_by_alias("fraud-detector", alias)
    assert_version_matches(ours, ref)
    assert ours.aliases == sorted(client.get_model_version("fraud-detector", ref.version).aliases)


def test_logged_models(world):
    store, client = world["store"], world["client"]
    for eid in world["experiment_ids"]:
        ours = store.list_logged_models(eid)
        theirs = {m.model_id: m for m in client.search_logged_models([eid])}
        assert sorted(m.model_id for m in ours) == sorted(theirs)
        for model in ours:
            ref = theirs[model.model_id]
            assert (
                model.name,
                model.experiment_id,
                model.artifact_location,
                model.creation_time,
                model.last_updated_time,
                model.status,
                model.source_run_id,
                model.model_type,
                model.tags,
                model.params,
            ) == (
                ref.name,
                ref.experiment_id,
                ref.artifact_location,
                ref.creation_timestamp,
                ref.last_updated_timestamp,
                str(ref.status),
                ref.source_run_id or "",
                ref.model_type or "",
                ref.tags,
                ref.params,
            )
    edge = store.get_experiment_by_name("edge cases").experiment_id
    assert [(m.name, m.status) for m in store.list_logged_models(edge)] == [
        ("edge-model", "PENDING")
    ]


# -- artifacts --------------------------------------------------------------------------------


def test_artifacts(world, tmp_path):
    store, client = world["store"], world["client"]
    rid = world["ids"]["with-artifacts"]
    for path in ("", "eval"):
        ours = store.list_artifacts(rid, path)
        theirs = client.list_artifacts(rid, path or None)
        assert sorted((e.path, e.is_dir, e.size) for e in ours) == sorted(
            (f.path, f.is_dir, f.file_size) for f in theirs
        )
        assert [e.is_dir for e in ours] == sorted((e.is_dir for e in ours), reverse=True)
    assert [e.path for e in store.list_artifacts(rid)] == ["eval", "log.txt"]
    for path in ("log.txt", "eval/confusion.json"):
        local = client.download_artifacts(rid, path, str(tmp_path))
        data = open(local, "rb").read()  # noqa: SIM115
        assert store.read_artifact(rid, path) == data
        assert store.read_artifact(rid, path, 5) == data[:5]
    assert store.list_artifacts(world["ids"]["bare"]) == []
    with pytest.raises(StoreError):
        store.read_artifact(rid, "no-such-file.txt")


# -- writes: mltui on one copy, MlflowClient on its twin -----------------------------------------

MODELS = ("fraud-detector", "churn-model")


def registry_state(client) -> dict:
    """What MlflowClient sees of the registry (timestamps included)."""
    state = {}
    for name in MODELS:
        model = client.get_registered_model(name)
        aliases = {alias: str(version) for alias, version in model.aliases.items()}
        versions = {}
        for mv in client.search_model_versions(f"name = '{name}'"):
            versions[int(mv.version)] = {
                "stage": mv.current_stage,
                "description": mv.description or "",
                "tags": dict(mv.tags),
                "aliases": sorted(a for a, v in aliases.items() if v == str(mv.version)),
                "status": mv.status,
                "source": mv.source,
                "run_id": mv.run_id or "",
                "creation_timestamp": mv.creation_timestamp,
                "last_updated_timestamp": mv.last_updated_timestamp,
            }
        state[name] = {
            "description": model.description or "",
            "tags": dict(model.tags),
            "aliases": aliases,
            "creation_timestamp": model.creation_timestamp,
            "last_updated_timestamp": model.last_updated_timestamp,
            "versions": versions,
        }
    return state


def runs_state(client) -> dict:
    exp_ids = [e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)]
    runs = client.search_runs(exp_ids, "", MlflowViewType.ALL, 1000)
    active = {r.info.run_id for r in client.search_runs(exp_ids, "", MlflowViewType.ACTIVE_ONLY)}
    return {
        r.info.run_id: {
            "lifecycle_stage": r.info.lifecycle_stage,
            "active": r.info.run_id in active,
            "status": r.info.status,
            "start_time": r.info.start_time,
            "end_time": r.info.end_time,
            "tags": r.data.tags,
        }
        for r in runs
    }


def changes(before, after, start: int, end: int):
    """``after`` with each timestamp marked "same" (as in ``before``) or "now" (changed,
    and within [start, end]); everything else as it is."""
    if isinstance(after, dict):
        out = {}
        for key, value in after.items():
            old = before.get(key) if isinstance(before, dict) else None
            if isinstance(key, str) and key.endswith("timestamp"):
                if value == old:
                    out[key] = "same"
                else:
                    assert start <= value <= end, (key, value, start, end)
                    out[key] = "now"
            else:
                out[key] = changes(old, value, start, end)
        return out
    return after


def replay(backend, steps, state) -> list:
    """Run each step and return, per step, what changed (timestamps marked) and
    whether anything changed at all."""
    results = []
    previous = state(backend.client())
    for what, step in steps:
        time.sleep(0.002)  # every write in its own millisecond
        start = now_ms()
        step()
        end = now_ms()
        current = state(backend.client())
        results.append((what, changes(previous, current, start, end), current != previous))
        previous = current
    return results


def twin_compare(writable_backend, ours_steps, theirs_steps, state) -> tuple:
    """The same writes by mltui (on the backend) and by MlflowClient (on its twin):
    every step must leave the same state and change the same timestamps."""
    before = state(writable_backend.client())
    with writable_backend.open() as store:
        ours = replay(writable_backend, [(w, lambda f=f: f(store)) for w, f in ours_steps], state)
    after_ours = state(writable_backend.client())
    twin = writable_backend.twin()
    client = twin.client()
    assert state(client) == before
    theirs = replay(twin, [(w, lambda f=f: f(client)) for w, f in theirs_steps], state)
    assert [w for w, *_ in ours] == [w for w, *_ in theirs]
    for (what, *got), (_, *expected) in zip(ours, theirs, strict=True):
        assert got == expected, what
    return before, after_ours, {what: changed for what, _, changed in ours}




def test_registry_writes_as_mlflow_makes_them(writable_backend):
    _, after, changed = twin_compare(
        writable_backend,
        [(what, op) for what, op, _ in REGISTRY_WRITES],
        [(what, op) for what, _, op in REGISTRY_WRITES],
        registry_state,
    )
    # every step was compared with MLflow's above; what MLflow reads back at the end:
    fraud, churn = after["fraud-detector"], after["churn-model"]
    assert {v: mv["stage"] for v, mv in fraud["versions"].items()} == {
        1: "Archived",
        2: "Archived",
        3: "Production",
        4: "Staging",
    }
    assert fraud["aliases"] == {"champion": "4"} and churn["aliases"] == {"best": "1"}
    assert fraud["description"] == "new: 'text'\n\nmore" and churn["description"] == ""
    assert "team" not in fraud["tags"] and churn["tags"] == {"owner/email": "a@b.c"}
    assert fraud["versions"][2]["tags"]["validated"] == "ünïcode\nvalue"
    assert "validated" not in fraud["versions"][1]["tags"]
    assert churn["versions"][2]["description"] == "second"
    assert churn["versions"][2]["stage"] == "None"
    # writes with nothing to do changed nothing, timestamps included; the others did.
    # Documented: MLflow's file store stamps the model's last_updated_timestamp on
    # every alias write, even one that leaves the alias where it was (and so does
    # mltui there: the twin comparison above checked it).
    idle = {"delete missing alias", "delete missing model tag"}
    if writable_backend.kind != "file":
        idle.add("same alias again")
    assert {what for what, did in changed.items() if not did} == idle


def test_writes_read_back_by_mltui(writable_backend):
    """After mltui's writes, mltui's reads agree with MlflowClient's."""
    client = writable_backend.client()
    with writable_backend.open() as store:
        mv = store.transition_stage("fraud-detector", 4, "Production", archive_existing=True)
        ref = client.get_model_version("fraud-detector", "4")
        assert (mv.version, mv.current_stage) == (4, "Production")
        assert_version_matches(mv, ref)
        model = store.get_registered_model("fraud-detector")
        assert model.last_updated_time == mv.last_updated_time
        store.set_alias("fraud-detector", "champion", 4)
        store.set_version_tag("fraud-detector", 4, "k", "v")
        for name in MODELS:
            ref = client.get_registered_model(name)
            assert_model_matches(store.get_registered_model(name), ref)
            for version in store.get_model_versions(name):
                ref = client.get_model_version(name, str(version.version))
                assert_version_matches(version, ref)
                assert version.aliases == sorted(ref.aliases)
        assert store.get_model_version_by_alias("fraud-detector", "champion").version == 4
        model = store.get_registered_model("fraud-detector")
        assert model.stage_counts == {"Archived": 2, "Production": 1, "Staging": 1}


def test_delete_and_restore_runs_as_mlflow_does(writable_backend):
    client = writable_backend.client()
    sweep = client.get_experiment_by_name("sweep").experiment_id
    children = [r.info.run_id for r in client.search_runs([sweep], "tags.kind = 'child'")][:3]
    deleted = [r.info.run_id for r in client.search_runs([sweep], "", MlflowViewType.DELETED_ONLY)]
    assert len(children) == 3 and len(deleted) == 1

    def ours_delete(s):
        s.delete_runs([*children, children[0]])  # a repeated id is fine
        assert not {r.run_id for r in s.search_runs([sweep]).runs} & set(children)

    def theirs_delete(c):
        for rid in children:
            c.delete_run(rid)

    def theirs_restore(c, ids):
        for rid in ids:
            c.restore_run(rid)

    steps = [
        ("delete", ours_delete, theirs_delete),
        ("nothing", lambda s: s.delete_runs([]), lambda c: None),
        (
            "restore two",
            lambda s: s.restore_runs(children[:2]),
            lambda c: theirs_restore(c, children[:2]),
        ),
        (
            "restore a run deleted by mlflow",
            lambda s: s.restore_runs(deleted),
            lambda c: theirs_restore(c, deleted),
        ),
    ]
    _, after, changed = twin_compare(
        writable_backend,
        [(w, o) for w, o, _ in steps],
        [(w, t) for w, _, t in steps],
        runs_state,
    )
    assert after[children[2]]["lifecycle_stage"] == "deleted"
    assert not after[children[2]]["active"]
    assert all(after[r]["lifecycle_stage"] == "active" for r in [*children[:2], *deleted])
    assert changed == {
        "delete": True,
        "nothing": False,
        "restore two": True,
        "restore a run deleted by mlflow": True,
    }


def test_unknown_run_changes_nothing(writable_backend):
    client = writable_backend.client()
    before = runs_state(client)
    rid = next(r for r, info in before.items() if info["active"])
    with writable_backend.open() as store, pytest.raises(ResourceNotFound):
        store.delete_runs([rid, "f" * 32])
    assert runs_state(client) == before


def test_read_only_refuses_every_write(writable_backend):
    client = writable_backend.client()
    registry, runs = registry_state(client), runs_state(client)
    active = next(r for r, info in runs.items() if info["active"])
    deleted = next(r for r, info in runs.items() if not info["active"])
    with writable_backend.open(read_only=True) as store:
        for write in (
            lambda: store.delete_runs([active]),
            lambda: store.restore_runs([deleted]),
            lambda: store.transition_stage("fraud-detector", 4, "Staging"),
            lambda: store.transition_stage("fraud-detector", 4, "Production", True),
            lambda: store.set_alias("fraud-detector", "ro", 1),
            lambda: store.set_alias("fraud-detector", "champion", 1),
            lambda: store.delete_alias("fraud-detector", "champion"),
            lambda: store.set_model_tag("fraud-detector", "k", "v"),
            lambda: store.delete_model_tag("fraud-detector", "team"),
            lambda: store.set_version_tag("fraud-detector", 1, "k", "v"),
            lambda: store.delete_version_tag("fraud-detector", 1, "validated"),
            lambda: store.update_model_description("fraud-detector", "x"),
            lambda: store.update_version_description("fraud-detector", 1, "x"),
        ):
            with pytest.raises(ReadOnlyError) as info:
                write()
            assert "\n" not in str(info.value)
        assert store.get_run(active).run.lifecycle_stage == "active"  # reads still work
    assert registry_state(client) == registry
    assert runs_state(client) == runs


def test_conflicts_write_nothing(writable_backend):
    """``expected_*`` from what the user saw: a changed row is refused, on every backend."""
    client = writable_backend.client()
    before = registry_state(client)
    with writable_backend.open() as store:
        mv = store.get_model_version("fraud-detector", 2)
        model = store.get_registered_model("fraud-detector")
        for conflict in (
            lambda: store.transition_stage(
                "fraud-detector", 2, "Archived", expected_last_updated=mv.last_updated_time - 1
            ),
            lambda: store.set_alias("fraud-detector", "champion", 4, expected_previous=3),
            lambda: store.set_alias("fraud-detector", "fresh", 4, expected_previous=2),
            lambda: store.set_alias("fraud-detector", "champion", 4, expected_previous=None),
            lambda: store.delete_alias("fraud-detector", "champion", expected_version=1),
            lambda: store.update_model_description(
                "fraud-detector", "x", expected_last_updated=model.last_updated_time + 1
            ),
            lambda: store.update_version_description(
                "fraud-detector", 2, "x", expected_last_updated=mv.last_updated_time - 1
            ),
        ):
            with pytest.raises(ConflictError) as info:
                conflict()
            assert "\n" not in str(info.value)
        assert registry_state(client) == before

        # somebody else (MLflow) moves the version after mltui showed it
        time.sleep(0.002)
        client.transition_model_version_stage("fraud-detector", "2", "Staging")
        changed = registry_state(client)
        assert changed != before
        with pytest.raises(ConflictError):
            store.transition_stage(
                "fraud-detector", 2, "Archived", expected_last_updated=mv.last_updated_time
            )
        client.set_registered_model_alias("fraud-detector", "champion", "1")
        with pytest.raises(ConflictError):
            store.set_alias("fraud-detector", "champion", 4, expected_previous=2)
        with pytest.raises(ConflictError):
            store.delete_alias("fraud-detector", "champion", expected_version=2)
        after_mlflow = registry_state(client)
        assert after_mlflow["fraud-detector"]["aliases"]["champion"] == "1"
        # what was shown now is the truth again: the same writes go through
        fresh = store.get_model_version("fraud-detector", 2)
        store.transition_stage(
            "fraud-detector", 2, "Archived", expected_last_updated=fresh.last_updated_time
        )
        store.set_alias("fraud-detector", "champion", 4, expected_previous=1)
    final = registry_state(client)
    assert final["fraud-detector"]["versions"][2]["stage"] == "Archived"
    assert final["fraud-detector"]["aliases"]["champion"] == "4"


def test_invalid_and_missing_write_nothing(writable_backend):
    client = writable_backend.client()
    before = registry_state(client)
    with writable_backend.open() as store:
        for bad in (
            lambda: store.set_alias("fraud-detector", "latest", 1),
            lambda: store.set_alias("fraud-detector", "v2", 1),
            lambda: store.set_alias("fraud-detector", "bad alias", 1),
            lambda: store.transition_stage("fraud-detector", 1, "Gone"),
            lambda: store.transition_stage("fraud-detector", 1, "Archived", archive_existing=True),
            lambda: store.set_model_tag("fraud-detector", "../x", "y"),
        ):
            with pytest.raises(InvalidValue):
                bad()
        for missing in (
            lambda: store.transition_stage("fraud-detector", 99, "Staging"),
            lambda: store.set_alias("fraud-detector", "x", 99),
            lambda: store.set_model_tag("no-model", "k", "v"),
            lambda: store.delete_model_tag("no-model", "k"),
            lambda: store.delete_alias("no-model", "x"),
            lambda: store.set_version_tag("fraud-detector", 99, "k", "v"),
            lambda: store.update_model_description("no-model", "x"),
            lambda: store.update_version_description("fraud-detector", 99, "x"),
        ):
            with pytest.raises(ResourceNotFound):
                missing()
    assert registry_state(client) == before


# -- MySQL with MariaDB's default, case-insensitive collation ---------------------------------

MYSQL_CI_COLLATION = "utf8mb4_general_ci"
"""What ``CREATE DATABASE mlflow`` gives on MariaDB (MySQL 8: utf8mb4_0900_ai_ci)."""


@pytest.fixture(scope="module")
def mysql_ci_world(request):
    """The builders' store on MariaDB, copied into tables of the default collation."""
    from conftest import Backend

    stores = request.getfixturevalue("mysql_stores")
    name = "mltui_built_ci"
    uri = stores.fresh_copy(name, collation=MYSQL_CI_COLLATION)
    try:
        with open_world(Backend("mysql", uri)) as opened:
            yield opened
    finally:
        stores.drop(name)


# where a case-insensitive comparison would find more than MLflow's BINARY twin does
MIXED_CASE_SEARCHES = [
    ("params.optimizer = 'sgd'", []),
    ("params.optimizer != 'SGD'", []),
    ("params.optimizer LIKE 'S%'", []),
    ("params.optimizer ILIKE 's%'", []),
    ("params.optimizer IN ('SGD', 'ADAM')", []),
    ("params.optimizer NOT IN ('sgd')", []),
    ("tags.owner = 'bob'", ["tags.owner"]),
    ("attributes.run_name = 'CHILD-1'", []),
    ("attributes.run_name LIKE 'Child%'", []),
    ("attributes.status = 'finished'", []),
    ("", ["params.optimizer", "attributes.run_name DESC"]),
    ("", ["tags.owner DESC", "params.optimizer"]),
]


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [*MIXED_CASE_SEARCHES, *((f, []) for f in VALID_FILTERS),
     *((f, []) for f in INVALID_FILTERS), *(("", o) for o in ORDER_BYS)],
    ids=_id,
)
def test_mysql_ci_search(mysql_ci_world, filter_string, order_by):
    assert_same_search(mysql_ci_world, filter_string, order_by)


def _outcome(call):
    """What a call gave, or which kind of "not found" it raised (either side's)."""
    try:
        return call()
    except (ResourceNotFound, MlflowException):
        return "not found"


def test_mysql_ci_names(mysql_ci_world):
    """Names that differ only in case: found by MLflow on such a database, and so by
    mltui (neither adds BINARY to an exact name lookup)."""
    store, client = mysql_ci_world["store"], mysql_ci_world["client"]

    def exp(e):
        return None if e is None else e.experiment_id

    # the copy does compare case-insensitively (else this test would prove nothing)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    assert exp(client.get_experiment_by_name("SWEEP")) == sweep
    for name in ("sweep", "SWEEP", "Edge Cases", "nothing"):
        assert exp(store.get_experiment_by_name(name)) == exp(client.get_experiment_by_name(name))
    for name in ("fraud-detector", "FRAUD-DETECTOR", "Churn-Model"):
        ours = _outcome(lambda n=name: store.get_registered_model(n).name)
        assert ours == _outcome(lambda n=name: client.get_registered_model(n).name), name
        for alias in ("champion", "CHAMPION"):
            ours = _outcome(lambda n=name, a=alias: store.get_model_version_by_alias(n, a).version)
            theirs = _outcome(
                lambda n=name, a=alias: int(client.get_model_version_by_alias(n, a).version)
            )
            assert ours == theirs, (name, alias)
    for pattern in ("FRAUD%", "%MODEL", "fraud%"):
        assert [m.name for m in store.search_registered_models(pattern)] == sorted(
            m.name for m in client.search_registered_models(f"name ILIKE '{pattern}'")
        )
    ids = mysql_ci_world["experiment_ids"]
    for text in ("params.optimizer = 'sgd'", "tags.kind = 'CHILD'"):
        expected = client.search_runs(ids, text, MlflowViewType.ALL, 1000)
        assert store.count_runs(ids, text, ViewType.ALL) == len(expected)


# -- the test servers themselves -------------------------------------------------------------


def test_a_postgres_that_cannot_start_fails_loudly():
    """Binaries that are there but do not work: an error with their output, and the
    server's folder is gone afterwards (the fixture fails the tests; it never skips)."""
    bindir = Path(tempfile.mkdtemp(prefix="mltui-fake-pg-"))
    try:
        os.chmod(bindir, 0o755)
        for name in ("initdb", "postgres"):
            tool = bindir / name
            tool.write_text("#!/bin/sh\necho 'initdb: broken on purpose' >&2\nexit 3\n")
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        server = PostgresServer(bindir)
        with pytest.raises(ServerError, match="broken on purpose"), server:
            pass
        assert not server.root.exists()
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


def test_a_mariadb_that_cannot_start_fails_loudly():
    """As for PostgreSQL: broken binaries give an error with their output, and the
    server's folder is gone afterwards."""
    from support.servers import MariaDBBinaries, MariaDBServer

    bindir = Path(tempfile.mkdtemp(prefix="mltui-fake-mariadb-"))
    try:
        os.chmod(bindir, 0o755)
        for name in ("mariadb-install-db", "mariadbd"):
            tool = bindir / name
            tool.write_text("#!/bin/sh\necho 'mariadb: broken on purpose' >&2\nexit 3\n")
            tool.chmod(tool.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        server = MariaDBServer(MariaDBBinaries(bindir / "mariadbd", bindir / "mariadb-install-db"))
        with pytest.raises(ServerError, match="broken on purpose"), server:
            pass
        assert not server.root.exists()
    finally:
        shutil.rmtree(bindir, ignore_errors=True)


@pytest.mark.parametrize("ci", ["true", ""])
def test_missing_server_binaries_fail_under_ci(monkeypatch, ci):
    """No silent skips in CI: a server the tests need and cannot find fails them there."""
    from conftest import server_missing

    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="not found"):
        server_missing("MariaDB server binaries not found")
