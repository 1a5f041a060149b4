"""The SQL backend, compared with the real ``MlflowClient`` on the same database.

MLflow is the reference: every read is checked against what ``MlflowClient``
returns for the store built by ``tests/support/builders.py``; every write is read back
with ``MlflowClient`` and compared with the row MLflow itself writes.

Documented choices, asserted here:

- ``Experiment.run_count`` counts the active runs of the experiment, what the
  default runs view shows (MLflow has no count; its UI counts the same way).
  ``last_run_time`` is the newest start time among them.
- Metric values: MLflow stores +/-inf as +/-1.7976931348623157e308 and NaN
  as 0 with ``is_nan``; ``MlflowClient`` gives back the huge finite numbers
  for inf on sqlite. mltui decodes them to +/-inf on purpose (a chart or a
  table must show "inf", not 1.8e308).
- ``ModelVersion.aliases`` is filled on every read (``search_model_versions``
  leaves it empty in MLflow; ``get_model_version`` fills it). The reference is
  ``get_model_version``.

Every test that opens a store runs twice: on sqlite and on a real PostgreSQL
server (``postgres`` in ``conftest.py``; those skip only where PostgreSQL is not
installed). Tests about the sqlite file itself are marked :func:`sqlite_only`.
"""

from __future__ import annotations

import hashlib
import math
import random
import sqlite3
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from mlflow import MlflowClient
from mlflow.entities import LoggedModelInput, LoggedModelOutput
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import ViewType as MlflowViewType

from conftest import experiment_id
from mltui.store import open_store
from mltui.store.entities import ViewType
from mltui.store.errors import (
    InvalidSearch,
    NotAnMlflowStore,
    ReadOnlyError,
    ResourceNotFound,
    StoreError,
    StoreNotFound,
)
from mltui.store.shared import MAX_FLOAT
from support.builders import HOSTILE_TAG, LONG_VALUE, cached_store, copy_store
from support.mlflow_match import (
    assert_model_matches,
    assert_run_matches,
    assert_version_matches,
    same_float,
)

MLFLOW_VIEWS = {
    ViewType.ACTIVE: MlflowViewType.ACTIVE_ONLY,
    ViewType.DELETED: MlflowViewType.DELETED_ONLY,
    ViewType.ALL: MlflowViewType.ALL,
}


def sqlite_file(uri: str) -> Path:
    return Path(uri[len("sqlite:///") :])


# -- the databases: sqlite and PostgreSQL ----------------------------------------------

SQL_KINDS = ("sqlite", "postgresql")


def sqlite_only(reason: str):
    """Run a test on sqlite only; ``reason`` says why it means nothing elsewhere."""

    def mark(test):
        test.sqlite_only = reason
        return test

    return mark


def pytest_generate_tests(metafunc):
    if "sql_kind" in metafunc.fixturenames:
        only = getattr(metafunc.function, "sqlite_only", None)
        metafunc.parametrize("sql_kind", ["sqlite"] if only else list(SQL_KINDS), indirect=True)


@pytest.fixture(scope="module")
def sql_kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def sql_uri(sql_kind, request) -> str:
    """The builders' store, read only: the cached sqlite file or its PostgreSQL twin."""
    if sql_kind == "postgresql":
        return request.getfixturevalue("pg_read_uri")
    return f"sqlite:///{cached_store('sqlite') / 'mlflow.db'}"


@pytest.fixture(scope="module")
def mlflow_client(sql_uri) -> MlflowClient:
    return MlflowClient(sql_uri)


@pytest.fixture
def store(sql_uri):
    s = open_store(sql_uri)
    yield s
    s.close()


@pytest.fixture
def sql_copy(sql_kind, tmp_path, request):
    """Makes private copies of the builders' store on this test's database kind."""
    made: list[str] = []

    def make() -> str:
        if sql_kind == "postgresql":
            made.append(request.getfixturevalue("pg_stores").fresh_copy())
        else:
            dest = tmp_path / f"copy-{len(made)}"
            dest.mkdir()
            made.append(copy_store("sqlite", dest))
        return made[-1]

    yield make
    if sql_kind == "postgresql":
        for uri in made:
            request.getfixturevalue("pg_stores").drop(uri)


@pytest.fixture
def writable_sql_uri(sql_copy) -> str:
    """A private copy of the builders' store, free to modify."""
    return sql_copy()


def run_sql(uri: str, *statements: str) -> None:
    """Raw SQL on a test's own copy, in one transaction. On PostgreSQL foreign keys are
    not enforced for it (``session_replication_role``), as on sqlite."""
    engine = sa.create_engine(uri)
    try:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()


def all_experiment_ids(client: MlflowClient) -> list[str]:
    return [e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)]


def mlflow_runs(
    client: MlflowClient, exp_ids, filter_string="", order_by=None, view=MlflowViewType.ALL
):
    return list(
        client.search_runs(
            exp_ids, filter_string, run_view_type=view, max_results=50000, order_by=order_by
        )
    )


# -- experiments ---------------------------------------------------------------


@pytest.mark.parametrize("view", list(ViewType))
def test_experiments_match_mlflow_in_every_view(store, mlflow_client, view):
    ours = {e.experiment_id: e for e in store.list_experiments(view)}
    theirs = {
        e.experiment_id: e for e in mlflow_client.search_experiments(view_type=MLFLOW_VIEWS[view])
    }
    assert set(ours) == set(theirs)
    assert ours, "the builders' store has experiments in every view"
    for eid, ref in theirs.items():
        exp = ours[eid]
        assert exp.name == ref.name
        assert exp.lifecycle_stage == ref.lifecycle_stage
        assert exp.artifact_location == ref.artifact_location
        assert exp.creation_time == ref.creation_time
        assert exp.last_update_time == ref.last_update_time
        assert exp.tags == ref.tags
        assert exp.description == ref.tags.get("mlflow.note.content", "")


def test_experiment_views_partition(store):
    active = {e.experiment_id for e in store.list_experiments(ViewType.ACTIVE)}
    deleted = {e.experiment_id for e in store.list_experiments(ViewType.DELETED)}
    every = {e.experiment_id for e in store.list_experiments(ViewType.ALL)}
    assert active and deleted
    assert not active & deleted
    assert active | deleted == every
    assert [e.name for e in store.list_experiments(ViewType.DELETED)] == ["old-experiment"]


def test_experiment_description_and_tags(store):
    sweep = store.get_experiment_by_name("sweep")
    assert sweep.description == "LR sweep\nsecond line"
    assert sweep.tags["team"] == "ml"
    assert store.get_experiment_by_name("edge cases").description == ""


def test_run_counts_are_active_runs(store, mlflow_client):
    for exp in store.list_experiments(ViewType.ALL):
        every = mlflow_runs(mlflow_client, [exp.experiment_id], view=MlflowViewType.ACTIVE_ONLY)
        assert exp.run_count == len(every), exp.name
        starts = [r.info.start_time for r in every if r.info.start_time]
        assert exp.last_run_time == (max(starts) if starts else None)
        single = store.get_experiment(exp.experiment_id)
        assert (single.run_count, single.last_run_time) == (exp.run_count, exp.last_run_time)
    sweep = store.get_experiment_by_name("sweep")
    active = mlflow_runs(mlflow_client, [sweep.experiment_id], view=MlflowViewType.ACTIVE_ONLY)
    # 1 parent + 6 children + "bare" are active; "deleted-run" is not counted
    assert len(active) == 8
    assert sweep.run_count == 8
    assert sweep.last_activity == max(sweep.last_update_time, sweep.last_run_time)


def test_get_experiment_and_by_name_match_mlflow(store, mlflow_client):
    for ref in mlflow_client.search_experiments(view_type=MlflowViewType.ALL):
        by_id = store.get_experiment(ref.experiment_id)
        by_name = store.get_experiment_by_name(ref.name)
        assert by_id == by_name
        assert (by_id.experiment_id, by_id.name, by_id.tags) == (
            ref.experiment_id,
            ref.name,
            ref.tags,
        )


@pytest.mark.parametrize("ref", ["999999", "abc", "", "1.5"])
def test_unknown_experiment(store, ref):
    with pytest.raises(ResourceNotFound):
        store.get_experiment(ref)


def test_unknown_experiment_name(store):
    assert store.get_experiment_by_name("no such experiment") is None


# -- runs ----------------------------------------------------------------------


def test_runs_match_mlflow_in_every_experiment(store, mlflow_client):
    ids = all_experiment_ids(mlflow_client)
    for eid in ids:
        theirs = mlflow_runs(mlflow_client, [eid])
        page = store.search_runs([eid], view=ViewType.ALL, max_results=1000)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
        assert page.total == len(theirs)
        assert page.next_page_token is None
        for run, ref in zip(page.runs, theirs, strict=True):
            assert_run_matches(run, ref)


def test_runs_of_several_experiments(store, mlflow_client):
    ids = all_experiment_ids(mlflow_client)
    for view in ViewType:
        theirs = mlflow_runs(mlflow_client, ids, view=MLFLOW_VIEWS[view])
        page = store.search_runs(ids, view=view, max_results=1000)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
        assert page.total == len(theirs)
    assert store.search_runs([], max_results=10).runs == []


def test_parent_run_id_and_nested_runs(store):
    sweep = experiment_id(store, "sweep")
    runs = store.search_runs([sweep], max_results=100).runs
    parent = next(r for r in runs if r.run_name == "sweep-parent")
    children = [r for r in runs if r.run_name.startswith("child-")]
    assert len(children) == 6
    assert all(r.parent_run_id == parent.run_id for r in children)
    assert parent.parent_run_id is None


def test_nan_and_inf_are_decoded(store, mlflow_client):
    edge = experiment_id(store, "edge cases")
    ours = {r.run_name: r for r in store.search_runs([edge], max_results=100).runs}
    theirs = {r.info.run_name: r for r in mlflow_runs(mlflow_client, [edge])}
    # What MLflow gives back on sqlite: the clamped numbers it stored.
    assert theirs["inf-run"].data.metrics["score"] == MAX_FLOAT
    assert theirs["neg-inf-run"].data.metrics["score"] == -MAX_FLOAT
    assert math.isnan(theirs["nan-run"].data.metrics["score"])
    # What mltui shows: the values that were logged.
    assert ours["inf-run"].metric_value("score") == math.inf
    assert ours["neg-inf-run"].metric_value("score") == -math.inf
    assert math.isnan(ours["nan-run"].metric_value("score"))
    assert ours["zero-run"].metric_value("score") == 0.0
    assert ours["nan-run"].metric_value("plain") == 1.0


def test_odd_values_survive(store):
    edge = experiment_id(store, "edge cases")
    odd = next(
        r
        for r in store.search_runs([edge], max_results=100).runs
        if r.run_name == "[red]odd[/] name"
    )
    assert odd.params["long"] == LONG_VALUE
    assert odd.params["key with space"] == "x y"
    assert odd.params["ключ"] == "значение"
    assert odd.tags["hostile"] == HOSTILE_TAG


def test_get_run_matches_mlflow(store, mlflow_client):
    for eid in all_experiment_ids(mlflow_client):
        for ref in mlflow_runs(mlflow_client, [eid]):
            detail = store.get_run(ref.info.run_id)
            assert_run_matches(detail.run, ref)
            full = mlflow_client.get_run(ref.info.run_id)
            assert len(detail.inputs) == len(full.inputs.dataset_inputs)
            assert [o.model_id for o in detail.outputs] == [
                o.model_id for o in (full.outputs.model_outputs if full.outputs else [])
            ]


def test_get_run_dataset_inputs(store, mlflow_client):
    edge = experiment_id(store, "edge cases")
    ref = next(r for r in mlflow_runs(mlflow_client, [edge]) if r.info.run_name == "with-dataset")
    full = mlflow_client.get_run(ref.info.run_id)
    detail = store.get_run(ref.info.run_id)
    assert len(detail.inputs) == 1
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
    assert ours.name == "train-data"


def test_get_run_model_inputs_and_outputs(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    run = client.create_run(edge, run_name="producer")
    rid = run.info.run_id
    produced = client.create_logged_model(edge, name="produced", source_run_id=rid)
    consumed = client.search_logged_models([edge])[-1]
    client.log_outputs(rid, [LoggedModelOutput(produced.model_id, step=7)])
    client.log_inputs(rid, models=[LoggedModelInput(consumed.model_id)])
    full = client.get_run(rid)
    with open_store(writable_sql_uri) as store:
        detail = store.get_run(rid)
    assert [(o.model_id, o.step) for o in detail.outputs] == [
        (o.model_id, o.step) for o in full.outputs.model_outputs
    ]
    assert [(o.model_id, o.step) for o in detail.outputs] == [(produced.model_id, 7)]
    assert detail.model_inputs == [m.model_id for m in full.inputs.model_inputs]
    assert detail.model_inputs == [consumed.model_id]


def test_get_run_unknown(store):
    with pytest.raises(ResourceNotFound):
        store.get_run("0" * 32)


def test_get_runs_are_get_run(store, mlflow_client):
    """Every run of every view, asked together with unknown and repeated ids: the
    same runs as one get_run each, in the order asked, unknown ids left out."""
    ids = [r.info.run_id for r in mlflow_runs(mlflow_client, all_experiment_ids(mlflow_client))]
    asked = ["0" * 32, *reversed(ids), ids[0], "not-a-run"]
    found = store.get_runs(asked)
    assert list(found) == list(reversed(ids))
    assert found == {rid: store.get_run(rid).run for rid in ids}
    assert store.get_runs([]) == {}


def test_get_runs_reads_a_chunk_at_a_time(store, mlflow_client):
    """A few queries per 500 ids, not one per run; more than sqlite's 999
    parameters at once still works."""
    ids = [r.info.run_id for r in mlflow_runs(mlflow_client, all_experiment_ids(mlflow_client))]
    unknown = [f"{n:032x}" for n in range(1200)]
    store.get_runs(ids)  # reflects the tables first
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        assert list(store.get_runs(ids)) == ids
        few = len(statements)
        assert list(store.get_runs([*unknown, *ids])) == ids
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    assert few <= 4
    assert len(statements) - few <= 4 * 3


# -- metric history --------------------------------------------------------------


def child_runs(store) -> list:
    sweep = experiment_id(store, "sweep")
    return [
        r
        for r in store.search_runs([sweep], max_results=100).runs
        if r.run_name.startswith("child-")
    ]


def test_metric_history_matches_mlflow(store, mlflow_client):
    for run in child_runs(store):
        for key in run.metrics:
            ours = store.get_metric_history(run.run_id, key)
            theirs = sorted(
                mlflow_client.get_metric_history(run.run_id, key),
                key=lambda m: (m.step, m.timestamp),
            )
            assert [(m.key, m.value, m.timestamp, m.step) for m in ours] == [
                (m.key, m.value, m.timestamp, m.step) for m in theirs
            ]
    assert store.get_metric_history(run.run_id, "no such metric") == []


def test_metric_history_decodes_nan_and_inf(store):
    edge = experiment_id(store, "edge cases")
    runs = {r.run_name: r for r in store.search_runs([edge], max_results=100).runs}
    assert store.get_metric_history(runs["inf-run"].run_id, "score")[0].value == math.inf
    assert store.get_metric_history(runs["neg-inf-run"].run_id, "score")[0].value == -math.inf
    assert math.isnan(store.get_metric_history(runs["nan-run"].run_id, "score")[0].value)


def test_metric_history_step_range(store, mlflow_client):
    run = child_runs(store)[0]
    theirs = mlflow_client.get_metric_history(run.run_id, "loss")
    for lo, hi in [(10, 19), (0, 0), (None, 5), (45, None), (60, 70), (30, 20)]:
        ours = store.get_metric_history(run.run_id, "loss", min_step=lo, max_step=hi)
        expected = sorted(
            (m.step, m.value)
            for m in theirs
            if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)
        )
        assert [(m.step, m.value) for m in ours] == expected, (lo, hi)


STEPS = 5000
SPIKES = {
    123: 1000.0,  # a single high spike
    124: -1000.0,  # right next to a low one
    2500: 5e6,  # the global max
    2501: -7e6,  # the global min
    4000: math.nan,  # NaN never hides a bucket's real min or max
    4998: 777.0,
}


@pytest.fixture(scope="module")
def long_history(sql_kind, tmp_path_factory, request):
    """A private copy with one run holding a 5000-step history with spikes."""
    if sql_kind == "postgresql":
        uri = request.getfixturevalue("pg_stores").fresh_copy()
    else:
        uri = copy_store("sqlite", tmp_path_factory.mktemp("long-history"))
    client = MlflowClient(uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    rid = client.create_run(edge, run_name="long").info.run_id
    rng = random.Random(42)
    t0 = 1_700_000_000_000
    points = [
        MlflowMetric(
            "wave", SPIKES.get(s, math.sin(s / 50) + rng.uniform(-0.1, 0.1)), t0 + s * 10, s
        )
        for s in range(STEPS)
    ]
    for i in range(0, STEPS, 1000):
        client.log_batch(rid, metrics=points[i : i + 1000])
    client.set_terminated(rid)
    full = sorted(client.get_metric_history(rid, "wave"), key=lambda m: m.step)
    yield uri, rid, full
    if sql_kind == "postgresql":
        request.getfixturevalue("pg_stores").drop(uri)


def check_downsampled(points, full, max_points, lo=None, hi=None):
    """Every promise of ``get_metric_history(max_points=...)``."""
    full = [m for m in full if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)]
    assert len(points) <= max_points + 2
    assert [m.step for m in points] == sorted(m.step for m in points)
    by_step = {m.step: m for m in full}
    for m in points:  # real points only, never averages
        assert same_float(m.value, by_step[m.step].value)
        assert m.timestamp == by_step[m.step].timestamp
    steps = {m.step for m in points}
    assert full[0].step in steps and full[-1].step in steps
    finite = [m for m in full if not math.isnan(m.value)]
    assert min(finite, key=lambda m: m.value).step in steps
    assert max(finite, key=lambda m: m.value).step in steps
    # every bucket keeps its min and max (the store's bucket formula)
    first, last = full[0].step, full[-1].step
    buckets = max(1, max_points // 2)
    grouped: dict[int, list] = {}
    for m in finite:
        grouped.setdefault((m.step - first) * buckets // (last - first + 1), []).append(m)
    assert len(grouped) == buckets
    for bucket in grouped.values():
        low = min(m.value for m in bucket)
        high = max(m.value for m in bucket)
        kept = [m.value for m in points if m.step in {b.step for b in bucket}]
        assert low in kept and high in kept


@pytest.mark.parametrize("max_points", [2, 3, 10, 100, 501, 1000])
def test_downsampled_history(long_history, max_points):
    uri, rid, full = long_history
    with open_store(uri) as store:
        points = store.get_metric_history(rid, "wave", max_points=max_points)
    check_downsampled(points, full, max_points)
    steps = {m.step for m in points}
    if max_points >= 10:
        # both spikes of a pair survive even when they share a bucket
        assert {123, 124, 2500, 2501} <= steps
    assert 4000 not in steps  # the NaN never wins over real values


def test_downsampled_history_in_a_step_range(long_history):
    uri, rid, full = long_history
    with open_store(uri) as store:
        points = store.get_metric_history(rid, "wave", min_step=100, max_step=2600, max_points=50)
    check_downsampled(points, full, 50, lo=100, hi=2600)
    assert points[0].step == 100 and points[-1].step == 2600


def test_downsampling_returns_everything_when_small(long_history):
    uri, rid, full = long_history
    with open_store(uri) as store:
        points = store.get_metric_history(rid, "wave", min_step=10, max_step=59, max_points=50)
        whole = store.get_metric_history(rid, "wave")
    assert [m.step for m in points] == list(range(10, 60))
    assert len(whole) == STEPS
    assert all(same_float(a.value, b.value) for a, b in zip(whole, full, strict=True))


def test_downsampling_is_fast(long_history):
    uri, rid, _ = long_history
    with open_store(uri) as store:
        start = time.perf_counter()
        store.get_metric_history(rid, "wave", max_points=200)
        assert time.perf_counter() - start < 2


# -- paging and search ----------------------------------------------------------------

FILTERS = [
    "",
    "metrics.acc > 0.6",
    "params.optimizer = 'adam'",
    "params.optimizer ILIKE 'sgd'",
    "tags.kind = 'child'",
    "attributes.status = 'FINISHED'",
    "metrics.score > 0",
    "metrics.score != 0",
    "metrics.`val/loss` < 0.25",
    "run_name LIKE 'child-%'",
    "attributes.run_id IN ('nope', 'nada')",
    "params.lr = '0.01' and metrics.acc >= 0.5",
]
ORDERS = [
    [],
    ["metrics.loss ASC"],
    ["params.lr DESC"],
    ["attributes.start_time ASC"],
    ["tags.owner"],
    ["metrics.score DESC"],
    ["metrics.acc DESC", "params.optimizer ASC"],
    ["attributes.run_name"],
]


@pytest.mark.parametrize("filter_string", FILTERS)
def test_filters_and_totals_match_mlflow(store, mlflow_client, filter_string):
    ids = all_experiment_ids(mlflow_client)
    for view in (ViewType.ACTIVE, ViewType.ALL):
        theirs = mlflow_runs(mlflow_client, ids, filter_string, view=MLFLOW_VIEWS[view])
        page = store.search_runs(ids, filter_string, view=view, max_results=2)
        assert page.total == len(theirs)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs[:2]]


@pytest.mark.parametrize("order_by", ORDERS)
def test_order_by_matches_mlflow(store, mlflow_client, order_by):
    ids = all_experiment_ids(mlflow_client)
    theirs = mlflow_runs(mlflow_client, ids, order_by=order_by)
    page = store.search_runs(ids, order_by=order_by, view=ViewType.ALL, max_results=1000)
    assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]


@pytest.mark.parametrize("filter_string", ["", "tags.kind = 'child'", "metrics.plain >= 1"])
def test_paging_gives_the_same_sequence(store, mlflow_client, filter_string):
    ids = all_experiment_ids(mlflow_client)
    order = ["metrics.loss DESC"]
    whole = store.search_runs(ids, filter_string, order, view=ViewType.ALL, max_results=1000)
    expected = [r.run_id for r in whole.runs]
    assert expected == [
        r.info.run_id for r in mlflow_runs(mlflow_client, ids, filter_string, order_by=order)
    ]
    for size in (1, 2, 3, 5):
        by_token, token, pages = [], None, 0
        while True:
            page = store.search_runs(
                ids, filter_string, order, view=ViewType.ALL, max_results=size, page_token=token
            )
            assert page.total == len(expected)
            assert len(page.runs) <= size
            by_token += [r.run_id for r in page.runs]
            pages += 1
            token = page.next_page_token
            if not token:
                break
        assert by_token == expected
        assert pages == max(1, math.ceil(len(expected) / size))
        by_offset = []
        for offset in range(0, len(expected), size):
            page = store.search_runs(
                ids, filter_string, order, view=ViewType.ALL, max_results=size, offset=offset
            )
            assert page.offset == offset
            by_offset += [r.run_id for r in page.runs]
        assert by_offset == expected


def test_page_tokens_are_mlflows(store, mlflow_client):
    """A token from MLflow continues in mltui, and the other way round."""
    ids = all_experiment_ids(mlflow_client)
    first = mlflow_client.search_runs(ids, run_view_type=MlflowViewType.ALL, max_results=4)
    ours = store.search_runs(ids, view=ViewType.ALL, max_results=4, page_token=first.token)
    theirs = mlflow_client.search_runs(
        ids, run_view_type=MlflowViewType.ALL, max_results=4, page_token=first.token
    )
    assert [r.run_id for r in ours.runs] == [r.info.run_id for r in theirs]
    page = store.search_runs(ids, view=ViewType.ALL, max_results=4)
    again = mlflow_client.search_runs(
        ids, run_view_type=MlflowViewType.ALL, max_results=4, page_token=page.next_page_token
    )
    assert [r.info.run_id for r in again] == [r.info.run_id for r in theirs]


def test_count_total_can_be_skipped(store):
    sweep = experiment_id(store, "sweep")
    assert store.search_runs([sweep], count_total=False).total is None


@pytest.mark.parametrize(
    "bad",
    [
        "metrics.acc >",
        "params.lr = 0.1",  # params compare as strings
        "foo.bar = '1'",
        "metrics.acc > 1 or metrics.acc < 0",
        "attributes.nope = 'x'",
        "tags.kind = 'unterminated",
        "tags.owner IN ('alice', 'Bob')",  # MLflow allows IN on run_id only
        "attributes.status IN ('FAILED', 'KILLED')",
    ],
)
def test_malformed_filters_raise_invalid_search(store, mlflow_client, bad):
    from mlflow.exceptions import MlflowException

    sweep = experiment_id(store, "sweep")
    with pytest.raises(MlflowException):
        mlflow_client.search_runs([sweep], bad)
    with pytest.raises(InvalidSearch) as info:
        store.search_runs([sweep], bad)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("token", ["garbage", "eyJvZmZzZXQiOiAtMX0="])
def test_bad_page_token(store, token):
    with pytest.raises(InvalidSearch):
        store.search_runs([experiment_id(store, "sweep")], page_token=token)


def test_run_keys_match_mlflow(store, mlflow_client):
    ids = all_experiment_ids(mlflow_client)
    for scope in [ids, *([eid] for eid in ids)]:
        runs = mlflow_runs(mlflow_client, scope)
        keys = store.run_keys(scope)
        assert keys.metrics == sorted({k for r in runs for k in r.data.metrics})
        assert keys.params == sorted({k for r in runs for k in r.data.params})
        assert keys.tags == sorted({k for r in runs for k in r.data.tags})
    sweep = store.run_keys([experiment_id(store, "sweep")])
    assert {"val/loss", "train loss", "métrique"} <= set(sweep.metrics)


# -- registry ------------------------------------------------------------------


def test_registered_models_match_mlflow(store, mlflow_client):
    ours = store.search_registered_models()
    theirs = mlflow_client.search_registered_models()
    assert [m.name for m in ours] == sorted(m.name for m in theirs)
    assert [m.name for m in ours] == ["churn-model", "fraud-detector"]
    for model in ours:
        assert_model_matches(model, mlflow_client.get_registered_model(model.name))
        assert_model_matches(
            store.get_registered_model(model.name), mlflow_client.get_registered_model(model.name)
        )
    fraud = store.get_registered_model("fraud-detector")
    assert fraud.version_count == 4
    assert fraud.stage_counts == {"Archived": 1, "Production": 1, "Staging": 1, "None": 1}
    assert fraud.aliases == {"champion": 2, "challenger": 3}
    assert fraud.latest_version == 4
    assert fraud.description.startswith("# Fraud detector")


def test_prompts_hidden_unless_asked(store, mlflow_client):
    assert "my-prompt" not in {m.name for m in store.search_registered_models()}
    with_prompts = store.search_registered_models(include_prompts=True)
    prompts = [m for m in with_prompts if m.is_prompt]
    assert [m.name for m in prompts] == ["my-prompt"]
    assert {p.name for p in mlflow_client.search_prompts()} == {"my-prompt"}
    assert {m.name for m in with_prompts} == {"my-prompt"} | {
        m.name for m in mlflow_client.search_registered_models()
    }


@pytest.mark.parametrize(
    "pattern", ["fraud%", "FRAUD%", "%model", "%-%", "nothing%", "churn_model"]
)
def test_model_name_search_matches_mlflow(store, mlflow_client, pattern):
    ours = [m.name for m in store.search_registered_models(pattern)]
    theirs = sorted(
        m.name for m in mlflow_client.search_registered_models(f"name ILIKE '{pattern}'")
    )
    assert ours == theirs


def test_model_versions_match_mlflow(store, mlflow_client):
    for name in ("fraud-detector", "churn-model"):
        ours = store.get_model_versions(name)
        theirs = mlflow_client.search_model_versions(f"name = '{name}'")
        assert [mv.version for mv in ours] == sorted((int(v.version) for v in theirs), reverse=True)
        for mv, ref in zip(ours, sorted(theirs, key=lambda v: -int(v.version)), strict=True):
            assert_version_matches(mv, ref)
            full = mlflow_client.get_model_version(name, ref.version)
            assert mv.aliases == sorted(full.aliases)
            assert store.get_model_version(name, mv.version) == mv
    assert [
        mv.version
        for mv in store.get_model_versions("fraud-detector", stages=["production", "Staging"])
    ] == [3, 2]


def test_model_version_by_alias_matches_mlflow(store, mlflow_client):
    for alias in ("champion", "challenger"):
        ours = store.get_model_version_by_alias("fraud-detector", alias)
        theirs = mlflow_client.get_model_version_by_alias("fraud-detector", alias)
        assert_version_matches(ours, theirs)
        assert ours.aliases == sorted(theirs.aliases)
    with pytest.raises(ResourceNotFound):
        store.get_model_version_by_alias("fraud-detector", "nobody")


def test_unknown_models_and_versions(store):
    with pytest.raises(ResourceNotFound):
        store.get_registered_model("no-such-model")
    with pytest.raises(ResourceNotFound):
        store.get_model_version("fraud-detector", 99)
    with pytest.raises(ResourceNotFound):
        store.get_model_version("fraud-detector", "x")
    assert store.get_model_versions("no-such-model") == []


def test_logged_models_match_mlflow(store, mlflow_client):
    for eid in all_experiment_ids(mlflow_client):
        ours = store.list_logged_models(eid)
        theirs = mlflow_client.search_logged_models([eid])
        assert sorted(m.model_id for m in ours) == sorted(m.model_id for m in theirs)
        by_id = {m.model_id: m for m in theirs}
        for model in ours:
            ref = by_id[model.model_id]
            assert model.name == ref.name
            assert model.experiment_id == ref.experiment_id
            assert model.artifact_location == ref.artifact_location
            assert model.creation_time == ref.creation_timestamp
            assert model.last_updated_time == ref.last_updated_timestamp
            assert model.status == str(ref.status)
            assert model.source_run_id == (ref.source_run_id or "")
            assert model.model_type == (ref.model_type or "")
            assert model.tags == ref.tags
            assert model.params == ref.params
    edge = store.list_logged_models(experiment_id(store, "edge cases"))
    assert [m.name for m in edge] == ["edge-model"]
    assert edge[0].status == "PENDING"


# -- writes ------------------------------------------------------------------------


def runs_row(uri: str, run_id: str) -> dict:
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                sa.text("SELECT * FROM runs WHERE run_uuid = :rid"), {"rid": run_id}
            ).one()
            return dict(row._mapping)
    finally:
        engine.dispose()


def test_delete_and_restore_runs_as_mlflow_does(writable_sql_uri, sql_copy):
    twin_uri = sql_copy()
    ours_client, twin_client = MlflowClient(writable_sql_uri), MlflowClient(twin_uri)
    sweep = ours_client.get_experiment_by_name("sweep").experiment_id
    targets = [r.info.run_id for r in mlflow_runs(ours_client, [sweep], "tags.kind = 'child'")][:3]
    before = {rid: runs_row(writable_sql_uri, rid) for rid in targets}

    start = int(time.time() * 1000)
    with open_store(writable_sql_uri) as store:
        store.delete_runs([*targets, targets[0]])  # a repeated id is fine
        for rid in targets:
            twin_client.delete_run(rid)
        end = int(time.time() * 1000)
        for rid in targets:
            ours, theirs = runs_row(writable_sql_uri, rid), runs_row(twin_uri, rid)
            assert start <= ours["deleted_time"] <= end
            assert start <= theirs["deleted_time"] <= end
            assert {**ours, "deleted_time": None} == {**theirs, "deleted_time": None}
            assert ours["lifecycle_stage"] == "deleted"
            assert ours_client.get_run(rid).info.lifecycle_stage == "deleted"
        active = {
            r.info.run_id
            for r in mlflow_runs(ours_client, [sweep], view=MlflowViewType.ACTIVE_ONLY)
        }
        assert not active & set(targets)
        # the store's own reads see the change at once
        ours_active = store.search_runs([sweep], max_results=100).runs
        assert not {r.run_id for r in ours_active} & set(targets)

        store.restore_runs(targets)
        for rid in targets:
            twin_client.restore_run(rid)
            ours, theirs = runs_row(writable_sql_uri, rid), runs_row(twin_uri, rid)
            assert ours == theirs == before[rid]
            assert ours["deleted_time"] is None
            assert ours_client.get_run(rid).info.lifecycle_stage == "active"
        store.delete_runs([])
        store.restore_runs([])


def test_delete_unknown_run_changes_nothing(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    rid = mlflow_runs(client, [sweep], view=MlflowViewType.ACTIVE_ONLY)[0].info.run_id
    with open_store(writable_sql_uri) as store, pytest.raises(ResourceNotFound):
        store.delete_runs([rid, "f" * 32])
    assert client.get_run(rid).info.lifecycle_stage == "active"


def fingerprint(uri: str):
    """The sqlite file's bytes; on a server, every row of the tables a write touches."""
    if uri.startswith("sqlite"):
        return hashlib.sha256(sqlite_file(uri).read_bytes()).hexdigest()
    engine = sa.create_engine(uri)
    try:
        with engine.connect() as conn:
            return {
                table: sorted(map(repr, conn.execute(sa.text(f"SELECT * FROM {table}")).all()))
                for table in (
                    "runs",
                    "model_versions",
                    "registered_models",
                    "registered_model_aliases",
                    "registered_model_tags",
                    "model_version_tags",
                )
            }
    finally:
        engine.dispose()


def test_read_only_store_refuses_writes(writable_sql_uri):
    digest = fingerprint(writable_sql_uri)
    client = MlflowClient(writable_sql_uri)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    rid = mlflow_runs(client, [sweep], view=MlflowViewType.ACTIVE_ONLY)[0].info.run_id
    deleted = mlflow_runs(client, [sweep], view=MlflowViewType.DELETED_ONLY)[0].info.run_id
    with open_store(writable_sql_uri, read_only=True) as store:
        with pytest.raises(ReadOnlyError) as info:
            store.delete_runs([rid])
        assert "\n" not in str(info.value)
        with pytest.raises(ReadOnlyError):
            store.restore_runs([deleted])
        assert store.search_runs([sweep], view=ViewType.ALL).total == 9
    assert client.get_run(rid).info.lifecycle_stage == "active"
    assert client.get_run(deleted).info.lifecycle_stage == "deleted"
    assert fingerprint(writable_sql_uri) == digest


@sqlite_only("about the sqlite file and its journal files")
def test_reading_never_modifies_the_file(writable_sql_uri):
    path = sqlite_file(writable_sql_uri)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with open_store(writable_sql_uri) as store:
        for exp in store.list_experiments(ViewType.ALL):
            store.search_runs([exp.experiment_id], view=ViewType.ALL)
        store.search_registered_models(include_prompts=True)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert sorted(p.name for p in path.parent.iterdir() if p.name.startswith("mlflow.db")) == [
        "mlflow.db"
    ]


# -- bad input ----------------------------------------------------------------------


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert text and "\n" not in text
    assert "Traceback" not in text
    return text


@pytest.mark.parametrize("read_only", [False, True])
def test_missing_sqlite_file_is_not_created(tmp_path, read_only):
    path = tmp_path / "missing.db"
    with pytest.raises(StoreNotFound) as info:
        open_store(f"sqlite:///{path}", read_only=read_only)
    assert str(path) in one_line(info.value)
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []
    nested = tmp_path / "no" / "such" / "dir.db"
    with pytest.raises(StoreNotFound):
        open_store(f"sqlite:///{nested}")
    assert not (tmp_path / "no").exists()


def test_text_file_is_not_a_store(tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("these are not the droids\n" * 50)
    with pytest.raises(StoreError) as info:
        open_store(f"sqlite:///{path}")
    assert isinstance(info.value, NotAnMlflowStore)
    one_line(info.value)
    assert path.read_text() == "these are not the droids\n" * 50


def test_unrelated_sqlite_database(tmp_path):
    path = tmp_path / "other.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("CREATE TABLE runs (id INTEGER)")  # a name clash is not enough
    with pytest.raises(NotAnMlflowStore) as info:
        open_store(f"sqlite:///{path}")
    assert "experiments" in one_line(info.value)


def test_empty_file_is_not_a_store(tmp_path):
    path = tmp_path / "empty.db"
    path.touch()
    with pytest.raises(NotAnMlflowStore):
        open_store(f"sqlite:///{path}")
    assert path.stat().st_size == 0


def test_directory_is_not_a_store(tmp_path):
    with pytest.raises(NotAnMlflowStore) as info:
        open_store(f"sqlite:///{tmp_path}")
    one_line(info.value)


@pytest.mark.parametrize("read_only", [False, True])
def test_empty_postgresql_database_is_not_a_store(pg_uri, read_only):
    """As an empty sqlite file: refused, and no table is created."""
    with pytest.raises(NotAnMlflowStore) as info:
        open_store(pg_uri, read_only=read_only)
    assert "not an MLflow tracking database" in one_line(info.value)
    engine = sa.create_engine(pg_uri)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


@pytest.mark.parametrize("server", ["postgres", "mariadb"])
@pytest.mark.parametrize("read_only", [False, True])
def test_unknown_database_on_a_server(request, server, read_only):
    """A database name the server does not know: one line naming it and the server
    (password hidden), not the driver's ``(1049, "Unknown database 'x'")``; and
    nothing is created."""
    db_server = request.getfixturevalue(server)
    uri = db_server.uri("no_such_db")
    with pytest.raises(NotAnMlflowStore) as info:
        open_store(uri, read_only=read_only)
    assert one_line(info.value) == (
        f"No database 'no_such_db' on {uri} (mltui never creates one)"
    )
    with pytest.raises(NotAnMlflowStore):  # still not there
        open_store(uri)


def test_unknown_newer_schema_still_reads(writable_sql_uri, sql_uri, mlflow_client):
    statements = [
        f"ALTER TABLE {table} ADD COLUMN future_col TEXT DEFAULT 'x'"
        for table in (
            "experiments",
            "runs",
            "latest_metrics",
            "metrics",
            "params",
            "tags",
            "registered_models",
            "model_versions",
            "logged_models",
            "datasets",
        )
    ]
    run_sql(
        writable_sql_uri,
        *statements,
        "CREATE TABLE future_things (id INTEGER PRIMARY KEY, payload TEXT)",
        "INSERT INTO future_things (id, payload) VALUES (1, 'hello')",
        "UPDATE alembic_version SET version_num = 'ffffffffffff'",
    )
    ids = all_experiment_ids(mlflow_client)
    with open_store(writable_sql_uri) as new, open_store(sql_uri) as old:
        assert new.list_experiments(ViewType.ALL) == old.list_experiments(ViewType.ALL)
        assert new.schema.alembic_revision == "ffffffffffff"
        new_page = new.search_runs(ids, "metrics.acc > 0.5", ["metrics.loss"], ViewType.ALL)
        old_page = old.search_runs(ids, "metrics.acc > 0.5", ["metrics.loss"], ViewType.ALL)
        assert new_page == old_page
        everything = old.search_runs(ids, view=ViewType.ALL, max_results=1000).runs
        for run in everything:
            assert new.get_run(run.run_id) == old.get_run(run.run_id)
            for key in run.metrics:
                assert new.get_metric_history(run.run_id, key) == old.get_metric_history(
                    run.run_id, key
                ) or math.isnan(run.metrics[key].value)
        assert new.run_keys(ids) == old.run_keys(ids)
        assert new.search_registered_models(include_prompts=True) == (
            old.search_registered_models(include_prompts=True)
        )
        assert new.get_model_versions("fraud-detector") == old.get_model_versions("fraud-detector")
        for eid in ids:
            assert new.list_logged_models(eid) == old.list_logged_models(eid)


def test_missing_optional_tables(writable_sql_uri, sql_uri):
    """Tables an older schema lacks are simply not there to read."""
    cascade = " CASCADE" if writable_sql_uri.startswith("postgresql") else ""  # foreign keys
    run_sql(
        writable_sql_uri,
        *(
            f"DROP TABLE {table}{cascade}"
            for table in (
                "registered_model_aliases",
                "logged_models",
                "input_tags",
                "inputs",
                "datasets",
                "experiment_tags",
            )
        ),
    )
    with open_store(writable_sql_uri) as store, open_store(sql_uri) as ref:
        edge = experiment_id(store, "edge cases")
        assert store.list_logged_models(edge) == []
        fraud = store.get_registered_model("fraud-detector")
        assert fraud.aliases == {}
        expected = ref.get_registered_model("fraud-detector").latest_versions
        assert [(mv.version, mv.current_stage) for mv in fraud.latest_versions] == [
            (mv.version, mv.current_stage) for mv in expected
        ]
        assert all(not mv.aliases for mv in fraud.latest_versions)
        with pytest.raises(ResourceNotFound):
            store.get_model_version_by_alias("fraud-detector", "champion")
        run = next(r for r in store.search_runs([edge]).runs if r.run_name == "with-dataset")
        assert store.get_run(run.run_id).inputs == []
        assert store.get_experiment_by_name("sweep").tags == {}


@sqlite_only("deletes the database file under an open store")
def test_vanishing_database_gives_a_store_error(writable_sql_uri):
    path = sqlite_file(writable_sql_uri)
    store = open_store(writable_sql_uri)
    try:
        store.close()
        path.unlink()
        with pytest.raises(StoreError) as info:
            store.list_experiments()
        one_line(info.value)
    finally:
        store.close()
    assert not path.exists()


# -- workspaces ------------------------------------------------------------------------


def move_to_workspace(uri: str, experiment: str, model: str) -> None:
    run_sql(
        uri,
        "INSERT INTO workspaces (name, description) VALUES ('other', 'x')",
        f"UPDATE experiments SET workspace = 'other' WHERE name = '{experiment}'",
        *(
            f"UPDATE {table} SET workspace = 'other' WHERE name = '{model}'"
            for table in (
                "registered_models",
                "model_versions",
                "registered_model_tags",
                "model_version_tags",
                "registered_model_aliases",
            )
        ),
    )


def test_workspace_columns(writable_sql_uri, monkeypatch):
    client = MlflowClient(writable_sql_uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    edge_runs = [r.info.run_id for r in mlflow_runs(client, [edge])]
    move_to_workspace(writable_sql_uri, "edge cases", "fraud-detector")

    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    with open_store(writable_sql_uri) as store:
        names = {e.name for e in store.list_experiments(ViewType.ALL)}
        assert "edge cases" not in names
        assert {"sweep", "Default", "old-experiment"} <= names
        assert store.get_experiment_by_name("edge cases") is None
        with pytest.raises(ResourceNotFound):
            store.get_experiment(edge)
        assert store.search_runs([edge]).runs == []
        assert store.search_runs([edge]).total == 0
        with pytest.raises(ResourceNotFound):
            store.get_run(edge_runs[0])
        assert store.list_logged_models(edge) == []
        assert [m.name for m in store.search_registered_models()] == ["churn-model"]
        with pytest.raises(ResourceNotFound):
            store.get_registered_model("fraud-detector")
        assert store.get_model_versions("fraud-detector") == []

    monkeypatch.setenv("MLFLOW_WORKSPACE", "other")
    with open_store(writable_sql_uri) as store:
        assert [e.name for e in store.list_experiments(ViewType.ALL)] == ["edge cases"]
        assert store.get_experiment(edge).name == "edge cases"
        page = store.search_runs([edge], max_results=100)
        assert sorted(r.run_id for r in page.runs) == sorted(edge_runs)
        assert store.get_run(edge_runs[0]).run.run_id == edge_runs[0]
        assert [m.name for m in store.list_logged_models(edge)] == ["edge-model"]
        fraud = store.get_registered_model("fraud-detector")
        assert fraud.aliases == {"champion": 2, "challenger": 3}
        assert [m.name for m in store.search_registered_models()] == ["fraud-detector"]


def test_get_runs_honour_workspaces(writable_sql_uri, monkeypatch):
    """As get_run: runs of an experiment in another workspace are not found."""
    client = MlflowClient(writable_sql_uri)
    edge = client.get_experiment_by_name("edge cases").experiment_id
    sweep = client.get_experiment_by_name("sweep").experiment_id
    edge_runs = [r.info.run_id for r in mlflow_runs(client, [edge])]
    sweep_runs = [r.info.run_id for r in mlflow_runs(client, [sweep])]
    move_to_workspace(writable_sql_uri, "edge cases", "fraud-detector")

    monkeypatch.delenv("MLFLOW_WORKSPACE", raising=False)
    with open_store(writable_sql_uri) as store:
        assert list(store.get_runs([*edge_runs, *sweep_runs])) == sweep_runs
    monkeypatch.setenv("MLFLOW_WORKSPACE", "other")
    with open_store(writable_sql_uri) as store:
        found = store.get_runs([*sweep_runs, *edge_runs])
        assert list(found) == edge_runs
        assert found == {rid: store.get_run(rid).run for rid in edge_runs}
