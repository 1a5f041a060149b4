"""The two reads of the comparison screen, on every backend: ``metric_ranges`` (the
lowest and highest finite value of each metric's whole history, for min/max) and
``query_values`` (a few fields of every run of a query, for the scatter and
parallel coordinates).

SQL answers both in grouped queries of its own; the file store and REST use the
defaults of ``BaseStore``. Every answer is compared with what ``MlflowClient``
reads from the same store: ``get_metric_history`` for the ranges, ``search_runs``
for the values. The pages store (``pages_backend``) gives queries of a few
hundred runs, one of more than a 1,000-run search page, and more than one ``IN``
list's worth of ids (its ``pages-many`` experiment); the builders' store, with
runs added here by MlflowClient (``writable_backend``), gives histories of NaN,
infinities and repeated steps.
"""

from __future__ import annotations

import math

import pytest
from mlflow.entities import Metric as MlflowMetric
from mlflow.entities import ViewType as MlflowViewType
from test_store_parity import _restore_global_tracking_uri

from mltui.store.entities import ViewType
from mltui.store.query import RunQuery
from mltui.store.search import ATTRIBUTE, METRIC, PARAM, TAG
from support.mlflow_match import mlflow_metric_value, same_float

_module_tracking_uri = pytest.fixture(scope="module", autouse=True)(_restore_global_tracking_uri)
_test_tracking_uri = pytest.fixture(autouse=True)(_restore_global_tracking_uri)

FIELD_GROUPS = (
    [(METRIC, "acc"), (PARAM, "lr"), (TAG, "kind"), (ATTRIBUTE, "start_time"),
     (ATTRIBUTE, "end_time"), (ATTRIBUTE, "status")],
    [(METRIC, "loss"), (PARAM, "optimizer"), (TAG, "group"), (ATTRIBUTE, "run_name"),
     (ATTRIBUTE, "user_id"), (ATTRIBUTE, "run_id"), (METRIC, "nobody"), (PARAM, "nobody"),
     (TAG, "nobody")],
)
"""Every kind of field, in two reads (a scatter reads two to four, parallel
coordinates up to thirteen); ``kind`` is a tag of parents and children only, the
``nobody`` fields no run has."""
MLFLOW_VIEWS = {ViewType.ACTIVE: MlflowViewType.ACTIVE_ONLY,
                ViewType.DELETED: MlflowViewType.DELETED_ONLY, ViewType.ALL: MlflowViewType.ALL}
NAN, INF = math.nan, math.inf
HISTORIES = {
    # run name: {key: values at steps 0, 1, 2...}
    "mixed": {"w": [1.0, NAN, 3.0, INF, -INF, 0.0, -2.0, 5.0], "v": [7.0]},
    "nan-first": {"w": [NAN, 2.0, NAN, 1.0]},
    "only-nan": {"w": [NAN, NAN]},
    "only-inf": {"w": [INF, -INF], "v": [-INF]},
    "long": {"w": [50.0 if s == 70 else -10.0 if s == 150 else math.sin(s / 9)
                   for s in range(300)]},
    "negative": {"w": [-1e-300, -3.5, -0.0], "v": [-7.25, -7.5]},
}
FILTER = "tags.kind = 'child' and params.optimizer != 'sgd' and metrics.loss < 0.5"
"""Children of the sweep, by a tag, a param and a metric."""
SAME_STEP = [(0, 4.0), (0, -4.0), (0, 1.0)]
"""Three values at one step (MLflow keeps them all): ``repeat``'s ``w``."""


# -- what MLflow says --------------------------------------------------------------------


def mlflow_search(client, experiment_ids, filter_string="", view=ViewType.ACTIVE) -> list:
    runs, token = [], None
    while True:
        page = client.search_runs(experiment_ids, filter_string, MLFLOW_VIEWS[view],
                                  max_results=1000, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def mlflow_field(ref, kind: str, key: str):
    if kind == METRIC:
        value = ref.data.metrics.get(key)
        return None if value is None else mlflow_metric_value(value)
    if kind == PARAM:
        return ref.data.params.get(key)
    if kind == TAG:
        return ref.data.tags.get(key)
    return getattr(ref.info, key)


def mlflow_extremes(client, run_id: str, key: str) -> tuple[float, float] | None:
    values = [mlflow_metric_value(m.value) for m in client.get_metric_history(run_id, key)]
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else None


def same_value(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return same_float(a, b)
    return a == b and type(a) is type(b)


def assert_values_match(got: list[tuple[str, tuple]], refs: list, fields) -> None:
    ours = dict(got)
    assert len(ours) == len(got), "a run read twice"
    assert set(ours) == {r.info.run_id for r in refs}
    for ref in refs:
        values = ours[ref.info.run_id]
        assert len(values) == len(fields)
        for value, (kind, key) in zip(values, fields, strict=True):
            want = mlflow_field(ref, kind, key)
            assert same_value(value, want), (ref.info.run_name, kind, key, value, want)


def experiment_ids(client, *names: str) -> list[str]:
    return [client.get_experiment_by_name(name).experiment_id for name in names]


# -- query_values over a few hundred runs ------------------------------------------------------


ALL_PAGES = ("pages", "pages-b", "pages-many")
"""More than one 1,000-run page of the searches the file store and REST make."""


@pytest.mark.parametrize(("filter_string", "view", "least", "experiments"), [
    ("", ViewType.ACTIVE, 1500, ALL_PAGES),
    ("metrics.acc > 0.8", ViewType.ACTIVE, 100, ("pages", "pages-b")),
    ("", ViewType.DELETED, 20, ("pages", "pages-b")),
])
def test_query_values_are_mlflows(pages_backend, filter_string, view, least, experiments):
    client = pages_backend.client()
    ids = experiment_ids(client, *experiments)
    refs = mlflow_search(client, ids, filter_string, view)
    assert len(refs) >= least
    with pages_backend.open() as store:
        got = [store.query_values(RunQuery.of(ids, filter_string, view=view), fields)
               for fields in FIELD_GROUPS]
    for values, fields in zip(got, FIELD_GROUPS, strict=True):
        assert_values_match(values, refs, fields)
    if not filter_string and view == ViewType.ACTIVE:  # some runs lack the tag, some have it
        kinds = {values[2] for _rid, values in got[0]}
        assert None in kinds and len(kinds) > 1


def test_query_values_limit_and_no_fields(pages_backend):
    client = pages_backend.client()
    ids = experiment_ids(client, "pages")
    refs = {r.info.run_id: r for r in mlflow_search(client, ids, "metrics.acc > 0.6")}
    with pages_backend.open() as store:
        query = RunQuery.of(ids, "metrics.acc > 0.6")
        some = store.query_values(query, [(METRIC, "acc"), (PARAM, "index")], limit=37)
        bare = store.query_values(query, [])
    assert len(some) == 37 and len(dict(some)) == 37
    assert_values_match(some, [refs[rid] for rid, _values in some],
                        [(METRIC, "acc"), (PARAM, "index")])
    assert sorted(bare) == sorted((rid, ()) for rid in refs)


# -- metric_ranges over more runs than one IN list ---------------------------------------------


def test_metric_ranges_of_many_runs(pages_backend):
    client = pages_backend.client()
    ids = experiment_ids(client, "pages-many")
    # SQL asks 500 runs at a time; the others read each history (MlflowClient too)
    count = 520 if pages_backend.kind in ("sqlite", "postgresql") else 150
    run_ids = [r.info.run_id for r in mlflow_search(client, ids)][:count]
    assert len(run_ids) == count
    keys = ["acc", "loss", "nobody"]
    with pages_backend.open() as store:
        got = store.metric_ranges(run_ids, keys)
    want = {}
    for rid in run_ids:
        for key in ("acc", "loss"):
            extremes = mlflow_extremes(client, rid, key)
            if extremes is not None:
                want[(rid, key)] = extremes
    assert len(want) == 2 * len(run_ids)
    assert got == want


# -- NaN, infinities, repeated steps: runs added by MlflowClient -----------------------------


def add_histories(client, experiment_id: str) -> dict[str, str]:
    """The runs of HISTORIES and ``repeat``, logged by MlflowClient; ids by name."""
    ids = {}
    t0 = 1_700_000_000_000
    for name, metrics in HISTORIES.items():
        rid = client.create_run(experiment_id, run_name=name, start_time=t0).info.run_id
        points = [MlflowMetric(key, value, t0 + 10 * step, step)
                  for key, values in metrics.items() for step, value in enumerate(values)]
        client.log_batch(rid, metrics=points)
        client.set_terminated(rid, "FINISHED", end_time=t0 + 10_000)
        ids[name] = rid
    rid = client.create_run(experiment_id, run_name="repeat", start_time=t0).info.run_id
    client.log_batch(rid, metrics=[MlflowMetric("w", value, t0 + i, step)
                                   for i, (step, value) in enumerate(SAME_STEP)])
    ids["repeat"] = rid
    return ids


def test_ranges_and_values_of_nan_inf_and_repeated_steps(writable_backend):
    client = writable_backend.client()
    exp = client.create_experiment("histories")
    added = add_histories(client, exp)
    ids = experiment_ids(client, "sweep", "edge cases", "histories")
    refs = mlflow_search(client, ids)
    run_ids = [r.info.run_id for r in refs]
    assert set(added.values()) <= set(run_ids)
    keys = sorted({k for r in refs for k in r.data.metrics} | {"nobody"})
    want = {}
    for rid in run_ids:
        for key in keys:
            extremes = mlflow_extremes(client, rid, key)
            if extremes is not None:
                want[(rid, key)] = extremes
    # the written-out answers MLflow's own must agree with
    assert want[(added["mixed"], "w")] == (-2.0, 5.0)
    assert want[(added["nan-first"], "w")] == (1.0, 2.0)
    assert want[(added["long"], "w")] == (-10.0, 50.0)
    assert want[(added["repeat"], "w")] == (-4.0, 4.0)
    assert (added["only-nan"], "w") not in want and (added["only-inf"], "w") not in want
    fields = [(METRIC, "w"), (METRIC, "v"), (METRIC, "loss"), (METRIC, "score"),
              (PARAM, "lr"), (TAG, "kind"), (ATTRIBUTE, "end_time"), (ATTRIBUTE, "run_name")]
    with writable_backend.open() as store:
        ranges = store.metric_ranges(run_ids, keys)
        values = store.query_values(RunQuery.of(ids), fields)
        filtered = store.query_values(RunQuery.of(ids, FILTER), fields)
    wrong = {pair: (ranges.get(pair), want.get(pair)) for pair in set(ranges) | set(want)
             if ranges.get(pair) != want.get(pair)}
    assert not wrong, f"{writable_backend.kind}: (ours, MLflow's) differ: {wrong}"
    assert_values_match(values, refs, fields)
    matched = mlflow_search(client, ids, FILTER)
    assert 0 < len(matched) < len(refs)
    assert_values_match(filtered, matched, fields)
    last = dict(values)
    assert math.isnan(last[added["only-nan"]][0])
    assert last[added["only-inf"]][1] == -INF
    assert last[added["negative"]][1] == -7.5
