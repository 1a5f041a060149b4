"""Metric values read exactly on every SQL dialect: sqlite, PostgreSQL and MariaDB.

MlflowClient logs values a float type finds hard (NaN, +/-inf, -0.0, the smallest
and largest doubles, values with 17 significant digits) into a new store on each
dialect; mltui must read each value exactly as MlflowClient reads it back: in
search results, a single run, metric histories, logged models' metrics, sorted and
filtered, and in ``mltui runs --format json``.

What "exactly" means, per MLflow's SQL store, asserted as such:

- NaN is stored as 0 with ``is_nan``; MlflowClient and mltui give NaN.
- +/-inf are stored as +/-1.7976931348623157e308 (the largest double), which
  MlflowClient returns; mltui shows +/-inf, so a logged 1.7976931348623157e308
  shows as inf too (the store cannot tell them apart).
- -0.0 keeps its sign where the database keeps it: PostgreSQL does; sqlite and
  MariaDB give 0.0 back (to MlflowClient too). Whatever MlflowClient reads back,
  sign included, mltui reads.

These tests caught MySQL's DOUBLE reflected as a 10-place Decimal
(``0.7692307692307693`` read as ``0.7692307692``, ``1e-300`` as ``0``).
"""

from __future__ import annotations

import json
import math
import uuid

import pytest
import sqlalchemy as sa
from mlflow import MlflowClient
from mlflow.entities import Metric as MlflowMetric

from conftest import _dispose_mlflow_engine
from mltui.cli import main
from mltui.store import open_store
from mltui.store.shared import MAX_FLOAT

DIALECTS = ("sqlite", "postgresql", "mysql")

SPECIAL = {
    "nan": math.nan,
    "inf": math.inf,
    "neg_inf": -math.inf,
    "neg_zero": -0.0,
    "zero": 0.0,
    "tiny": 1e-300,
    "neg_tiny": -1e-300,
    "subnormal": 5e-324,
    "max": MAX_FLOAT,
    "neg_max": -MAX_FLOAT,
    "thirteenth": 1 / 13,  # 0.07692307692307693: 17 significant digits
    "ratio": 0.7692307692307693,
    "big": 1.2345678901234567e300,
    "int_like": 9007199254740993.0,  # 2**53 + 1, as a double
    "pi": math.pi,
}
T0 = 1_700_000_000_000
EXPERIMENT = "floats"


def shown(value: float) -> float:
    """What mltui shows for a value MlflowClient read: +/-1.797e308 is +/-inf."""
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return value


def same(ours: float, expected: float) -> bool:
    """Bit for bit as a float: NaN is NaN, and -0.0 is not 0.0."""
    if math.isnan(expected):
        return isinstance(ours, float) and math.isnan(ours)
    return (
        isinstance(ours, float)
        and ours == expected
        and math.copysign(1, ours) == math.copysign(1, expected)
    )


def assert_same_values(ours: dict[str, float], theirs: dict[str, float], where: str) -> None:
    assert set(ours) == set(theirs), where
    wrong = {k: (ours[k], shown(v)) for k, v in theirs.items() if not same(ours[k], shown(v))}
    assert not wrong, f"{where}: (mltui, MlflowClient) differ for {wrong}"


def _fill(uri: str) -> dict:
    """One run per special value (metric ``x``), one run with them all (``m_<name>``,
    and the series ``s`` through every value, one step each), one logged model."""
    client = MlflowClient(uri)
    eid = client.create_experiment(EXPERIMENT)
    per_value = {}
    for n, (name, value) in enumerate(SPECIAL.items()):
        rid = client.create_run(eid, run_name=name, start_time=T0 + n).info.run_id
        client.log_metric(rid, "x", value, timestamp=T0, step=0)
        client.set_terminated(rid, "FINISHED", end_time=T0 + 100)
        per_value[name] = rid
    everything = client.create_run(eid, run_name="all", start_time=T0 - 1).info.run_id
    client.log_batch(everything, metrics=[
        *(MlflowMetric(f"m_{name}", value, T0, 0) for name, value in SPECIAL.items()),
        *(MlflowMetric("s", value, T0 + step, step)
          for step, value in enumerate(SPECIAL.values())),
    ])
    model = client.create_logged_model(eid, name="floats-model", source_run_id=everything)
    for name, value in SPECIAL.items():
        client.log_metric(everything, f"lm_{name}", value, timestamp=T0, step=0,
                          model_id=model.model_id)
    client.set_terminated(everything, "FINISHED", end_time=T0 + 100)
    return {"eid": eid, "per_value": per_value, "all": everything, "model": model.model_id}


@pytest.fixture(scope="module", params=DIALECTS)
def filled(request, tmp_path_factory):
    """A new store on one dialect, filled by MlflowClient; MlflowClient on it."""
    kind = request.param
    name = f"floats_{uuid.uuid4().hex[:10]}"
    if kind == "sqlite":
        uri = f"sqlite:///{tmp_path_factory.mktemp('floats') / 'mlflow.db'}"
        server = None
    else:
        server = request.getfixturevalue("postgres" if kind == "postgresql" else "mariadb")
        uri = server.create_database(name)
    try:
        ids = _fill(uri)
        yield {"kind": kind, "uri": uri, "client": MlflowClient(uri), **ids}
    finally:
        _dispose_mlflow_engine(uri)
        if server is not None:
            server.drop_database(name)


@pytest.fixture
def store(filled):
    with open_store(filled["uri"]) as s:
        yield s


def test_every_reflected_float_column_reads_as_float(filled, store):
    """Each floating column of MLflow's whole schema (metrics, latest_metrics,
    logged_model_metrics, traces' costs...) reads as a Python float, never as a
    rounded Decimal; and the schema has such columns to check."""
    floats = []
    for name in sorted(store.schema.table_names):
        table = store.schema.table(name)
        for column in table.c:
            # SQLAlchemy 2.1's Float is no Numeric any more; 2.0's is
            if isinstance(column.type, (sa.Float, sa.Numeric)):
                assert isinstance(column.type, sa.Float), (name, column.name, column.type)
                assert not column.type.asdecimal, (name, column.name, column.type)
                floats.append(f"{name}.{column.name}")
    assert {"metrics.value", "latest_metrics.value",
            "logged_model_metrics.metric_value"} <= set(floats)


def test_search_runs_and_get_run(filled, store):
    client = filled["client"]
    theirs = {r.info.run_id: r for r in client.search_runs([filled["eid"]], max_results=100)}
    page = store.search_runs([filled["eid"]], max_results=100)
    assert [r.run_id for r in page.runs] == list(theirs)
    for run in page.runs:
        ref = theirs[run.run_id]
        expected = {m.key: m.value for m in ref.data._metric_objs}
        ours = {k: m.value for k, m in run.metrics.items()}
        assert_same_values(ours, expected, f"search_runs {run.run_name}")
        detail = store.get_run(run.run_id).run
        full = client.get_run(run.run_id)
        assert_same_values({k: m.value for k, m in detail.metrics.items()},
                           {m.key: m.value for m in full.data._metric_objs},
                           f"get_run {run.run_name}")
    # the values themselves, where every dialect agrees with the logged float
    values = {r.run_name: r.metric_value("x") for r in page.runs if r.run_name in SPECIAL}
    for name in ("tiny", "neg_tiny", "subnormal", "thirteenth", "ratio", "big", "int_like", "pi"):
        assert same(values[name], SPECIAL[name]), name
    assert math.isnan(values["nan"])
    assert values["inf"] == values["max"] == math.inf
    assert values["neg_inf"] == values["neg_max"] == -math.inf
    assert math.copysign(1, values["neg_zero"]) == (-1 if filled["kind"] == "postgresql" else 1)


def test_metric_history(filled, store):
    client = filled["client"]
    rid = filled["all"]
    theirs = sorted(client.get_metric_history(rid, "s"), key=lambda m: m.step)
    ours = store.get_metric_history(rid, "s")
    assert [(m.step, m.timestamp) for m in ours] == [(m.step, m.timestamp) for m in theirs]
    assert_same_values({str(m.step): m.value for m in ours},
                       {str(m.step): m.value for m in theirs}, "history")
    # downsampled (min and max per bucket in SQL): the points kept are exact too
    by_step = {m.step: m.value for m in theirs}
    for point in store.get_metric_history(rid, "s", max_points=4):
        assert same(point.value, shown(by_step[point.step])), point
    for name, value in SPECIAL.items():
        history = client.get_metric_history(filled["per_value"][name], "x")
        assert len(history) == 1
        [point] = store.get_metric_history(filled["per_value"][name], "x")
        assert same(point.value, shown(history[0].value)), (name, value)


def test_logged_model_metrics(filled, store):
    """mltui shows no logged-model metrics yet; the reflected table reads exactly what
    MlflowClient reads (raw: MLflow keeps no ``is_nan`` there, NaN is stored as 0)."""
    ref = filled["client"].get_logged_model(filled["model"])
    expected = {m.key: m.value for m in ref.metrics}
    table = store.schema["logged_model_metrics"]
    with store.engine.connect() as conn:
        rows = dict(conn.execute(
            sa.select(table.c.metric_name, table.c.metric_value)
            .where(table.c.model_id == filled["model"])
        ).all())
    assert len(rows) == len(SPECIAL)
    wrong = {k: (v, expected[k]) for k, v in rows.items() if not same(v, expected[k])}
    assert not wrong, f"(mltui, MlflowClient) differ for {wrong}"


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", ["metrics.x ASC"]),
        ("", ["metrics.x DESC"]),
        ("metrics.x > 0", ["metrics.x ASC"]),
        ("metrics.x < 1e-299", ["metrics.x DESC"]),
        ("metrics.x = 0", []),
        ("metrics.x != 0", ["metrics.x ASC"]),
        ("metrics.x >= 1.7976931348623157e308", []),
        ("metrics.x = 0.7692307692307693", []),
        ("metrics.x <= 5e-324 and metrics.x > 0", []),
    ],
)
def test_sorted_and_filtered_as_mlflow(filled, store, filter_string, order_by):
    """The database compares and sorts; both sides get the same runs, same order."""
    client, eid = filled["client"], filled["eid"]
    expected = [r.info.run_id for r in client.search_runs(
        [eid], filter_string, max_results=100, order_by=order_by)]
    ours = store.search_runs([eid], filter_string, order_by, max_results=100)
    assert [r.run_id for r in ours.runs] == expected
    assert ours.total == len(expected)


def test_cli_json(filled, capsys):
    """``mltui runs --format json`` writes each value so that float() reads it back
    exactly (NaN and infinities as MLflow's REST API spells them)."""
    client = filled["client"]
    code = main(["runs", EXPERIMENT, "--uri", filled["uri"], "--format", "json", "--max", "100"])
    out, err = capsys.readouterr()
    assert code == 0, err

    def refuse(token: str):
        raise AssertionError(f"bare {token} in JSON")

    records = {r["run_id"]: r for r in json.loads(out, parse_constant=refuse)}
    assert len(records) == len(SPECIAL) + 1
    for rid, record in records.items():
        ref = client.get_run(rid)
        for key, value in record["metrics"].items():
            assert isinstance(value, float | str), (key, value)
        assert_same_values({k: float(v) for k, v in record["metrics"].items()},
                           {m.key: m.value for m in ref.data._metric_objs},
                           f"json {record['run_name']}")
    columns = main(["runs", EXPERIMENT, "--uri", filled["uri"], "--format", "json",
                    "--columns", "run_name,metrics.x"])
    out, err = capsys.readouterr()
    assert columns == 0, err
    by_name = {r["run_name"]: r["metrics.x"] for r in json.loads(out, parse_constant=refuse)}
    for name, rid in filled["per_value"].items():
        [ref] = client.get_metric_history(rid, "x")
        assert same(float(by_name[name]), shown(ref.value)), name
