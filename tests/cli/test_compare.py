"""`mltui compare`: the comparison screen's export printed for scripts, on the
builders' store made by the real mlflow client. Every value printed is parsed
back (csv.reader, json.loads, the Markdown cells) and compared with what
``MlflowClient`` reads; errors are one line on stderr with exit code 2."""

from __future__ import annotations

import csv
import io
import json
import math

import pytest
from test_cli import assert_one_line_error, metric, mlflow_runs, ok, run_cli

from support.builders import HOSTILE_TAG
from support.mlflow_match import mlflow_metric_value

RUNS = ("child-0", "child-1", "child-5")
"""lr 0.1 / 0.01 / 0.1, optimizer adam / adam / SGD, all FINISHED, all children."""
LOWER = {"loss", "val/loss", "train loss"}
"""The metrics of these runs that are best low (the others: acc best high,
métrique says nothing)."""


@pytest.fixture(scope="module")
def sweep(mlflow_client) -> dict:
    """The sweep's runs as MlflowClient reads them, by name."""
    return {r.info.run_name: r for r in mlflow_runs(mlflow_client, ["sweep"])}


def refs_of(sweep, names=RUNS) -> list:
    return [sweep[name] for name in names]


def compare(capsys, uri: str, *args: str) -> str:
    return ok(capsys, "compare", *args, "--uri", uri)


def history_extremes(client, run_id: str, key: str) -> tuple[float, float]:
    values = [mlflow_metric_value(m.value) for m in client.get_metric_history(run_id, key)]
    finite = [v for v in values if math.isfinite(v)]
    return min(finite), max(finite)


def best_of(values: list[float], lower: bool) -> set[int]:
    target = min(values) if lower else max(values)
    return set() if len(set(values)) == 1 else {i for i, v in enumerate(values) if v == target}


# -- the three formats --------------------------------------------------------------------


def test_csv_is_mlflows_values(capsys, sql_uri, sweep):
    refs = refs_of(sweep)
    out = compare(capsys, sql_uri, *[r.info.run_id for r in refs], "--format", "csv")
    table = list(csv.reader(io.StringIO(out)))
    assert table[0] == ["key", *[r.info.run_id for r in refs]]
    assert table[1] == ["run_name", *RUNS]
    data = {line[0]: line[1:] for line in table[2:]}
    assert len(data) == len(table) - 2
    assert data["status"] == [r.info.status for r in refs]
    assert data["duration_ms"] == [str(r.info.end_time - r.info.start_time) for r in refs]
    for key in ("lr", "optimizer", "batch_size"):
        assert data[f"params.{key}"] == [r.data.params[key] for r in refs]
    assert {k for k in data if k.startswith("params.")} == {
        f"params.{k}" for r in refs for k in r.data.params}
    for key in ("kind", "owner", "mlflow.parentRunId"):
        assert data[f"tags.{key}"] == [r.data.tags[key] for r in refs]
    assert "tags.mlflow.runName" not in data
    metrics = sorted({k for r in refs for k in r.data.metrics})
    assert [k for k in data if k.startswith("metrics.")] == [f"metrics.{k}" for k in metrics]
    for key in metrics:
        assert [float(v) for v in data[f"metrics.{key}"]] == [metric(r, key) for r in refs]


def test_json_with_the_highest_values(capsys, sql_uri, sweep, mlflow_client):
    refs = refs_of(sweep)
    ids = [r.info.run_id for r in refs]
    out = compare(capsys, sql_uri, *ids, "--format", "json", "--metric-value", "max")
    data = json.loads(out)
    assert data["metric_value"] == "max"
    assert data["runs"] == [{"run_id": r.info.run_id, "run_name": r.info.run_name,
                             "experiment_id": r.info.experiment_id} for r in refs]
    rows = {row["key"]: row for row in data["rows"]}
    for key in sorted({k for r in refs for k in r.data.metrics}):
        want = [history_extremes(mlflow_client, rid, key)[1] for rid in ids]
        assert list(rows[f"metrics.{key}"]["values"].values()) == want, key
        assert list(rows[f"metrics.{key}"]["values"]) == ids
        if key == "métrique":
            assert rows[f"metrics.{key}"]["direction"] is None
            assert rows[f"metrics.{key}"]["best"] == []
            continue
        lower = key in LOWER
        assert rows[f"metrics.{key}"]["direction"] == ("min" if lower else "max"), key
        assert rows[f"metrics.{key}"]["best"] == [ids[i] for i in sorted(best_of(want, lower))]
    # the loss history starts high and falls: its highest value is not its last
    assert rows["metrics.loss"]["values"][ids[0]] != metric(refs[0], "loss")
    assert rows["params.lr"]["values"] == {r.info.run_id: r.data.params["lr"] for r in refs}


def test_json_min_by_run_names(capsys, sql_uri, sweep, mlflow_client):
    refs = refs_of(sweep)
    out = compare(capsys, sql_uri, *RUNS, "-e", "sweep", "--format", "json",
                  "--metric-value", "min")
    data = json.loads(out)
    assert [r["run_id"] for r in data["runs"]] == [r.info.run_id for r in refs]
    rows = {row["key"]: row for row in data["rows"]}
    for key in ("loss", "acc", "val/loss"):
        assert rows[f"metrics.{key}"]["values"] == {
            r.info.run_id: history_extremes(mlflow_client, r.info.run_id, key)[0] for r in refs}


def md_table(out: str) -> dict[str, list[str]]:
    lines = out.splitlines()
    assert lines[1] == "|---|" + "---|" * len(RUNS)
    rows = {}
    for line in [lines[0], *lines[2:]]:
        assert line.startswith("| ") and line.endswith(" |") and "\\|" not in line
        cells = line[2:-2].split(" | ")
        assert len(cells) == len(RUNS) + 1, line
        rows[cells[0]] = cells[1:]
    return rows


def test_markdown_of_only_the_differences(capsys, sql_uri, sweep, mlflow_client):
    refs = refs_of(sweep)
    ids = [r.info.run_id for r in refs]
    every = md_table(compare(capsys, sql_uri, *ids))
    rows = md_table(compare(capsys, sql_uri, *ids, "--diff", "--metric-value", "max"))
    assert rows.pop("key") == [f"{r.info.run_name} ({r.info.run_id[:8]})" for r in refs]
    assert every.pop("key") == [f"{r.info.run_name} ({r.info.run_id[:8]})" for r in refs]

    def differs(values) -> bool:
        return len(set(values)) > 1

    params = {f"params.{k}" for r in refs for k in r.data.params
              if differs(r.data.params.get(k) for r in refs)}
    tags = {f"tags.{k}" for r in refs for k in r.data.tags
            if k != "mlflow.runName" and differs(r.data.tags.get(k) for r in refs)}
    metrics = {f"metrics.{k} (max)" for r in refs for k in r.data.metrics
               if differs(history_extremes(mlflow_client, r.info.run_id, k)[1] for r in refs)}
    assert params == {"params.lr", "params.optimizer", "params.batch_size"}
    assert "tags.owner" in tags and "tags.kind" not in tags
    assert set(rows) - {"start_time", "duration"} == params | tags | metrics
    assert "status" in every and "status" not in rows  # all FINISHED
    assert "tags.kind" in every and "params.lr" in every
    for key in ("lr", "optimizer"):
        assert rows[f"params.{key}"] == [r.data.params[key] for r in refs]
    for label in metrics:
        key = label.removeprefix("metrics.").removesuffix(" (max)")
        want = [history_extremes(mlflow_client, rid, key)[1] for rid in ids]
        cells = rows[label]
        bold = {i for i, c in enumerate(cells) if c.startswith("**")}
        if key != "métrique":
            assert bold == best_of(want, key in LOWER), label
        assert [float(c.strip("*")) for c in cells] == want, label


def test_hostile_values_printed(capsys, sql_uri, mlflow_client):
    edge = {r.info.run_name: r for r in mlflow_runs(mlflow_client, ["edge cases"])}
    odd, nan = edge["[red]odd[/] name"], edge["nan-run"]
    ids = [odd.info.run_id, nan.info.run_id]
    md = compare(capsys, sql_uri, *ids)
    assert "\x1b" not in md and "[red]odd[/] name" in md
    assert "␛[31mred␛[0m" in md
    as_csv = list(csv.reader(io.StringIO(compare(capsys, sql_uri, *ids, "--format", "csv"))))
    data = {line[0]: line[1:] for line in as_csv}
    assert data["tags.hostile"] == [HOSTILE_TAG, ""]  # into a pipe: the value as it is
    assert data["params.long"] == [odd.data.params["long"], ""]
    assert data["metrics.score"] == ["", "NaN"]
    as_json = json.loads(compare(capsys, sql_uri, *ids, "--format", "json"))
    rows = {row["key"]: row for row in as_json["rows"]}
    assert rows["tags.hostile"]["values"] == {ids[0]: HOSTILE_TAG, ids[1]: None}
    assert rows["metrics.score"]["values"] == {ids[0]: None, ids[1]: "NaN"}
    assert rows["metrics.score"]["best"] == []


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "{child-0}"], "no run 'nope' (names need --experiment)"),
    (["{child-0}", "0123456789abcdef0123456789abcdef"],
     "no run '0123456789abcdef0123456789abcdef'"),
    (["child-0", "nope", "-e", "sweep"], "no run 'nope' in 'sweep'"),
    (["{child-0}"], "compare takes 2 to 50 runs, got 1"),
    (["{child-0}", "{child-0}"], "the same run is named twice"),
    (["{child-0}"] * 51, "compare takes 2 to 50 runs, got 51"),
    (["child-0", "child-1", "-e", "nosuch"], "No experiment named or numbered 'nosuch'"),
])
def test_errors_are_one_line(capsys, sql_uri, sweep, args, message):
    args = [a.format(**{n: r.info.run_id for n, r in sweep.items()}) if a.startswith("{")
            else a for a in args]
    line = assert_one_line_error(*run_cli(capsys, "compare", *args, "--uri", sql_uri))
    assert message in line, line


# -- non-finite values and control characters, as the other commands write them -------


def test_json_spells_infinities_as_mltui_runs_does_and_csv_escapes_on_request(
        capsys, writable_sql_uri):
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param

    client = MlflowClient(writable_sql_uri)
    exp = client.create_experiment("non-finite")
    ids = []
    for name, value, note in (("up", math.inf, "a\x1b]2;T\x07b"), ("down", -math.inf, "c")):
        rid = client.create_run(exp, run_name=name).info.run_id
        client.log_batch(rid, metrics=[Metric("m", value, 0, 0)], params=[Param("p", note)])
        ids.append(rid)
    data = json.loads(compare(capsys, writable_sql_uri, *ids, "--format", "json"))
    values = next(r for r in data["rows"] if r["key"] == "metrics.m")["values"]
    assert values == {ids[0]: "Infinity", ids[1]: "-Infinity"}
    runs = json.loads(ok(capsys, "runs", "non-finite", "--format", "json", "--uri",
                         writable_sql_uri))
    assert {r["metrics"]["m"] for r in runs} == {"Infinity", "-Infinity"}
    # a pipe gets the stored text; --safe shows the escape; --raw keeps it
    raw = compare(capsys, writable_sql_uri, *ids, "--format", "csv")
    assert "a\x1b]2;T\x07b" in raw
    assert raw == compare(capsys, writable_sql_uri, *ids, "--format", "csv", "--raw")
    safe = compare(capsys, writable_sql_uri, *ids, "--format", "csv", "--safe")
    assert "\x1b" not in safe and "\x07" not in safe and "a␛]2;T" in safe
