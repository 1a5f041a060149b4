"""The non-interactive command line: ``mltui experiments|runs|models|model|stage|alias``.

Outputs are parsed (csv, json) and compared with what MLflow's own
``MlflowClient`` reads from the same store (never with mltui's store, which
would check mltui against itself); errors are one line on stderr with exit
code 2. Writes and ``--read-only`` run on private copies of the store, read
back with ``MlflowClient``; the store is chosen from real sqlite files and
mlruns folders that the real mlflow made.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import math
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import ViewType as MlflowViewType

from mltui import __version__
from mltui.cli import COMMANDS, main
from mltui.store.entities import RunKeys
from support.builders import HOSTILE_TAG, copy_store
from support.clihelp import ok, run_cli
from support.clihelp import one_line_error as assert_one_line_error
from support.mlflow_match import mlflow_metric_value

ESC = "\x1b"





def table_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


# -- what MlflowClient reads: the reference ----------------------------------------------------

MLFLOW_VIEWS = {
    "active": MlflowViewType.ACTIVE_ONLY,
    "deleted": MlflowViewType.DELETED_ONLY,
    "all": MlflowViewType.ALL,
}
NOTE_TAG = "mlflow.note.content"
"""Where MLflow keeps an experiment's description."""
MANY = 1000
"""Larger than any experiment of the test stores: one search sees every run."""


def mlflow_experiment_id(client: MlflowClient, name: str) -> str:
    exp = client.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def mlflow_runs(client: MlflowClient, names: list[str], filter_string: str = "",
                order_by: list[str] | None = None, view: str = "active",
                max_results: int = MANY) -> list:
    """``MlflowClient.search_runs`` over experiments given by name, in MLflow's order."""
    ids = [mlflow_experiment_id(client, name) for name in names]
    runs = client.search_runs(ids, filter_string, MLFLOW_VIEWS[view], max_results,
                              order_by or None)
    assert len(runs) < MANY  # never cut: the expectation is every matching run
    return list(runs)


def mlflow_experiments(client: MlflowClient, view: str = "active") -> list:
    """MLflow's experiments in ``view``, in the CLI's order (by id)."""
    return list(client.search_experiments(view_type=MLFLOW_VIEWS[view],
                                          order_by=["experiment_id ASC"]))


def active_run_count(client: MlflowClient, experiment_id: str) -> int:
    """MLflow has no run count: the CLI's ``runs`` is the number of active runs."""
    runs = client.search_runs([experiment_id], run_view_type=MlflowViewType.ACTIVE_ONLY,
                              max_results=MANY)
    assert len(runs) < MANY
    return len(runs)


def metric(ref, key: str) -> float | None:
    """A run's latest value of ``key`` as MlflowClient read it, with MLflow's SQL
    spelling of infinities (+/-1.7976931348623157e308) decoded."""
    value = ref.data.metrics.get(key)
    return None if value is None else mlflow_metric_value(value)


def in_json(value):
    """How the CLI's JSON writes a metric value: NaN and infinities as MLflow's REST
    API spells them (spelled out here, not taken from mltui)."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if value == math.inf:
        return "Infinity"
    if value == -math.inf:
        return "-Infinity"
    return value


def iso_seconds(ms: int | None) -> str:
    """An MLflow time (ms since the epoch) as the CLI's JSON and CSV write it."""
    if not ms:
        return ""
    return datetime.fromtimestamp(ms // 1000, tz=timezone.utc).isoformat()


# -- version and help ----------------------------------------------------------------


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"mltui {__version__}"


def test_command_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["runs", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for option in ("--filter", "--order-by", "--max", "--columns", "--format"):
        assert option in out


def help_text(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*args, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_help_promises_only_what_exists(capsys):
    out = help_text(capsys)
    # every capability the description names has its screen and its command
    promised = {"chart": ("charts", "plot"), "compare": ("compare", "compare"),
                "artifact": ("artifacts", "artifacts")}
    for word, (screen, command) in promised.items():
        if word in out.lower():
            assert importlib.util.find_spec(f"mltui.screens.{screen}"), word
            assert command in COMMANDS, word
    listed = out.split("commands (", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in listed if line.strip()] == list(COMMANDS)
    for command in COMMANDS:  # each one listed answers its own --help
        assert f"usage: mltui {command}" in help_text(capsys, command)


def test_format_help_says_how_nan_and_infinity_are_written(capsys):
    out = " ".join(help_text(capsys, "runs").split())
    assert "NaN, Infinity and -Infinity in all three" in out


# -- experiments ------------------------------------------------------------------------


def test_experiments_table(capsys, sql_uri, mlflow_client):
    out = ok(capsys, "experiments", "--uri", sql_uri)
    lines = table_lines(out)
    assert lines[0].split() == ["id", "name", "runs", "last_activity", "lifecycle", "description"]
    exps = mlflow_experiments(mlflow_client)
    assert [line.split()[:2] for line in lines[1:]] == [[e.experiment_id, e.name.split()[0]]
                                                         for e in exps]
    assert "old-experiment" not in out
    sweep = next(line for line in lines if " sweep " in line)
    assert "LR sweep" in sweep and "second line" not in sweep  # first line of the description
    assert "old-experiment" in ok(capsys, "experiments", "--uri", sql_uri, "--view", "all")
    deleted = table_lines(ok(capsys, "experiments", "--uri", sql_uri, "--view", "deleted"))
    assert [line.split()[1] for line in deleted[1:]] == [
        e.name for e in mlflow_experiments(mlflow_client, "deleted")
    ] == ["old-experiment"]


@pytest.mark.parametrize("view", ["active", "deleted", "all"])
def test_experiments_json(capsys, sql_uri, mlflow_client, view):
    records = json.loads(
        ok(capsys, "experiments", "--uri", sql_uri, "--format", "json", "--view", view)
    )
    exps = mlflow_experiments(mlflow_client, view)
    assert exps
    assert [r["id"] for r in records] == [e.experiment_id for e in exps]
    for record, exp in zip(records, exps, strict=True):
        assert record["name"] == exp.name
        assert record["runs"] == active_run_count(mlflow_client, exp.experiment_id)
        assert record["lifecycle"] == exp.lifecycle_stage
        assert record["description"] == exp.tags.get(NOTE_TAG, "")
        assert record["tags"] == exp.tags
        assert record["artifact_location"] == exp.artifact_location
        # last activity: the experiment's last update or its newest active run's start
        starts = [r.info.start_time for r in mlflow_client.search_runs(
            [exp.experiment_id], run_view_type=MlflowViewType.ACTIVE_ONLY, max_results=MANY)]
        assert record["last_activity"] == iso_seconds(max([exp.last_update_time, *starts]))
    if view != "deleted":
        sweep = next(r for r in records if r["name"] == "sweep")
        assert sweep["runs"] > 0 and sweep["description"]  # compared with something


def test_experiments_csv(capsys, sql_uri, mlflow_client):
    rows = list(
        csv.DictReader(io.StringIO(ok(capsys, "experiments", "--uri", sql_uri, "--format", "csv")))
    )
    exps = mlflow_experiments(mlflow_client)
    assert [r["id"] for r in rows] == [e.experiment_id for e in exps]
    assert [r["name"] for r in rows] == [e.name for e in exps]
    assert [int(r["runs"]) for r in rows] == [
        active_run_count(mlflow_client, e.experiment_id) for e in exps
    ]
    sweep = next(r for r in rows if r["name"] == "sweep")
    assert sweep["description"] == "LR sweep\nsecond line"


# -- runs ---------------------------------------------------------------------------------

COLUMNS = "run_id,run_name,status,metrics.acc,metrics.`val/loss`,metrics.`train loss`,params.lr"
KEYS = [
    "run_id",
    "run_name",
    "status",
    "metrics.acc",
    "metrics.`val/loss`",
    "metrics.`train loss`",
    "params.lr",
]


def runs_json(capsys, sql_uri, *args):
    return json.loads(ok(capsys, "runs", *args, "--uri", sql_uri, "--format", "json"))


def test_runs_table_default(capsys, sql_uri, mlflow_client):
    runs = mlflow_runs(mlflow_client, ["sweep"])
    lines = table_lines(ok(capsys, "runs", "sweep", "--uri", sql_uri))
    header = lines[0].split()
    assert header[:3] == ["run_id", "status", "run_name"]
    assert "metrics.acc" in header and "params.lr" in header
    assert len(lines) == 1 + len(runs)
    assert [line.split()[0] for line in lines[1:]] == [r.info.run_id for r in runs]
    assert "deleted-run" not in "\n".join(lines)


def test_runs_max_and_footer(capsys, sql_uri, mlflow_client):
    runs = mlflow_runs(mlflow_client, ["sweep"])
    assert len(runs) > 3
    lines = table_lines(ok(capsys, "runs", "sweep", "--uri", sql_uri, "--max", "3"))
    assert [line.split()[0] for line in lines[1:-1]] == [r.info.run_id for r in runs[:3]]
    assert lines[-1] == f"(3 of {len(runs)} runs; raise --max to see more)"


@pytest.mark.parametrize(
    ("filter_string", "order_by"),
    [
        ("", []),
        ("metrics.acc > 0.6", ["metrics.acc DESC"]),
        ("params.optimizer = 'adam'", ["params.lr ASC"]),
        ("tags.kind = 'child' and metrics.`val/loss` < 0.28", ["metrics.`train loss` DESC"]),
        ("attributes.status != 'FINISHED'", ["attributes.run_name", "metrics.acc"]),
    ],
)
def test_runs_json_matches_mlflow(capsys, sql_uri, mlflow_client, filter_string, order_by):
    expected = mlflow_runs(mlflow_client, ["sweep"], filter_string, order_by)
    everything = mlflow_runs(mlflow_client, ["sweep"])
    # each filter selects some runs but not all: the comparison could fail
    assert expected and (not filter_string or len(expected) < len(everything))
    args = ["sweep", "--filter", filter_string, "--columns", COLUMNS]
    for order in order_by:
        args += ["--order-by", order]
    records = runs_json(capsys, sql_uri, *args)
    assert [r["run_id"] for r in records] == [r.info.run_id for r in expected]
    for record, run in zip(records, expected, strict=True):
        assert list(record) == KEYS
        assert record["run_name"] == run.info.run_name
        assert record["status"] == run.info.status
        assert record["metrics.acc"] == in_json(metric(run, "acc"))
        assert record["metrics.`val/loss`"] == in_json(metric(run, "val/loss"))
        assert record["metrics.`train loss`"] == in_json(metric(run, "train loss"))
        assert record["params.lr"] == run.data.params.get("lr")


def test_runs_max_cuts_the_json(capsys, sql_uri, mlflow_client):
    expected = mlflow_runs(mlflow_client, ["sweep"], order_by=["metrics.loss ASC"], max_results=2)
    records = runs_json(capsys, sql_uri, "sweep", "--order-by", "metrics.loss ASC", "--max", "2")
    assert [r["run_id"] for r in records] == [r.info.run_id for r in expected]
    assert len(records) == 2


def test_runs_default_json_record(capsys, sql_uri, mlflow_client):
    edge = mlflow_experiment_id(mlflow_client, "edge cases")
    runs = {r.info.run_id: r for r in mlflow_runs(mlflow_client, ["edge cases"])}
    records = runs_json(capsys, sql_uri, "edge cases")
    assert [r["run_id"] for r in records] == list(runs)  # in MLflow's order
    for record in records:
        ref = runs[record["run_id"]]
        info = ref.info
        assert record["run_name"] == info.run_name
        assert record["experiment_id"] == info.experiment_id == edge
        assert record["status"] == info.status
        assert record["start_time"] == iso_seconds(info.start_time)
        assert record["end_time"] == iso_seconds(info.end_time)
        assert record["duration_ms"] == info.end_time - info.start_time
        assert record["user_id"] == info.user_id
        assert record["source"] == ref.data.tags.get("mlflow.source.name", "")
        assert record["artifact_uri"] == info.artifact_uri
        assert record["lifecycle_stage"] == info.lifecycle_stage == "active"
        assert record["params"] == ref.data.params
        assert record["tags"] == ref.data.tags
        assert record["parent_run_id"] == ref.data.tags.get("mlflow.parentRunId")
        assert record["metrics"] == {k: in_json(metric(ref, k)) for k in ref.data.metrics}
    by_name = {r["run_name"]: r for r in records}
    # JSON has no NaN or inf: they are spelled out as MLflow's REST API spells them
    assert by_name["nan-run"]["metrics"]["score"] == "NaN"
    assert by_name["inf-run"]["metrics"]["score"] == "Infinity"
    assert by_name["neg-inf-run"]["metrics"]["score"] == "-Infinity"
    assert by_name["zero-run"]["metrics"]["score"] == 0.0
    assert by_name["[red]odd[/] name"]["tags"]["hostile"] == HOSTILE_TAG
    assert by_name["[red]odd[/] name"]["params"]  # params were compared, not two empty dicts


def test_runs_csv_matches_mlflow(capsys, sql_uri, mlflow_client):
    expected = mlflow_runs(mlflow_client, ["sweep"], order_by=["metrics.acc DESC"])
    out = ok(
        capsys,
        "runs",
        "sweep",
        "--uri",
        sql_uri,
        "--format",
        "csv",
        "--columns",
        COLUMNS,
        "--order-by",
        "metrics.acc DESC",
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == KEYS
    assert [r["run_id"] for r in rows] == [r.info.run_id for r in expected]
    filled = 0
    for row, run in zip(rows, expected, strict=True):
        for spec, key in [
            ("metrics.acc", "acc"),
            ("metrics.`val/loss`", "val/loss"),
            ("metrics.`train loss`", "train loss"),
        ]:
            value = metric(run, key)
            assert row[spec] == ("" if value is None else str(value))
            if value is not None:
                assert float(row[spec]) == value
                filled += 1
        assert row["params.lr"] == run.data.params.get("lr", "")
    assert filled  # some cells hold values, not only blanks


def test_runs_csv_default_columns_are_filled(capsys, sql_uri, mlflow_client):
    """Without --columns the csv has the table's columns, each with its values."""
    expected = {r.info.run_id: r for r in mlflow_runs(mlflow_client, ["sweep"])}
    rows = list(
        csv.DictReader(
            io.StringIO(ok(capsys, "runs", "sweep", "--uri", sql_uri, "--format", "csv"))
        )
    )
    assert [r["run_id"] for r in rows] == list(expected)
    header = list(rows[0])

    def keys_of(kind: str) -> list[str]:
        return [h.split(".", 1)[1].strip("`") for h in header if h.startswith(f"{kind}.")]

    # the first six metric and param keys (sorted) of the runs MLflow returns
    metric_keys = sorted({k for r in expected.values() for k in r.data.metrics})[:6]
    param_keys = sorted({k for r in expected.values() for k in r.data.params})[:6]
    assert keys_of("metrics") == metric_keys and metric_keys
    assert keys_of("params") == param_keys and param_keys
    metric_specs = [h for h in header if h.startswith("metrics.")]
    param_specs = [h for h in header if h.startswith("params.")]
    for row in rows:
        ref = expected[row["run_id"]]
        assert row["run_name"] == ref.info.run_name
        assert row["status"] == ref.info.status
        assert row["created"] == iso_seconds(ref.info.start_time)  # ISO, never "3m ago"
        for spec, key in zip(metric_specs, metric_keys, strict=True):
            value = metric(ref, key)
            assert row[spec] == ("" if value is None else str(value)), (spec, row["run_name"])
        for spec, key in zip(param_specs, param_keys, strict=True):
            assert row[spec] == ref.data.params.get(key, ""), (spec, row["run_name"])


def test_runs_csv_nan_and_inf(capsys, sql_uri):
    out = ok(
        capsys,
        "runs",
        "edge cases",
        "--uri",
        sql_uri,
        "--format",
        "csv",
        "--columns",
        "run_name,metrics.score",
    )
    rows = {r["run_name"]: r["metrics.score"] for r in csv.DictReader(io.StringIO(out))}
    assert math.isnan(float(rows["nan-run"]))
    assert float(rows["inf-run"]) == math.inf
    assert float(rows["neg-inf-run"]) == -math.inf
    assert rows["with-artifacts"] == ""


NONFINITE = {"nan-run": "NaN", "inf-run": "Infinity", "neg-inf-run": "-Infinity"}


def strict_json(text: str):
    """json.loads that refuses the bare NaN / Infinity strict parsers (jq, JS) reject."""

    def refuse(token: str):
        raise AssertionError(f"bare {token} in JSON")

    return json.loads(text, parse_constant=refuse)


def test_nan_and_inf_are_written_alike_in_every_format(capsys, sql_uri, mlflow_client):
    held = {r.info.run_name: metric(r, "score") for r in mlflow_runs(mlflow_client, ["edge cases"])}
    args = ["runs", "edge cases", "--uri", sql_uri, "--columns", "run_name,metrics.score"]
    table = {line.split()[0]: line.split()[-1] for line in table_lines(ok(capsys, *args))[1:]}
    rows = csv.DictReader(io.StringIO(ok(capsys, *args, "--format", "csv")))
    in_csv = {r["run_name"]: r["metrics.score"] for r in rows}
    records = strict_json(ok(capsys, *args, "--format", "json"))
    in_json = {r["run_name"]: r["metrics.score"] for r in records}
    default = strict_json(ok(capsys, "runs", "edge cases", "--uri", sql_uri, "--format", "json"))
    in_default = {r["run_name"]: r["metrics"].get("score") for r in default}
    for name, token in NONFINITE.items():
        assert table[name] == in_csv[name] == in_json[name] == in_default[name] == token
        # float() reads each back as the value logged (MlflowClient on SQL gives
        # +/-1.7976931348623157e308 for infinities: metric() decodes them)
        assert math.isnan(float(token)) if name == "nan-run" else float(token) == held[name]
    assert math.isnan(held["nan-run"])
    assert held["inf-run"] == math.inf and held["neg-inf-run"] == -math.inf


def columns_error(capsys, sql_uri: str, experiment: str, columns: str) -> str:
    return assert_one_line_error(
        *run_cli(capsys, "runs", experiment, "--uri", sql_uri, "--columns", columns)
    )


def logged_keys(mlflow_client, experiment_id: str) -> dict[str, set[str]]:
    from mlflow.entities import ViewType as MlflowViewType

    runs = mlflow_client.search_runs([experiment_id], run_view_type=MlflowViewType.ALL)
    return {
        "metrics": {k for r in runs for k in r.data.metrics},
        "params": {k for r in runs for k in r.data.params},
        "tags": {k for r in runs for k in r.data.tags},
    }


@pytest.mark.parametrize(
    ("column", "suggested"),
    [
        ("metrics.nosuch", []),
        ("metrics.ac", ["metrics.acc"]),
        ("metrics.ACC", ["metrics.acc"]),
        ("metrics.lr", ["params.lr"]),
        ("params.optimiser", ["params.optimizer"]),
        ("tags.ownr", ["tags.owner"]),
    ],
)
def test_runs_columns_naming_no_key_is_an_error(capsys, sql_uri, mlflow_client, column,
                                                suggested):
    keys = logged_keys(mlflow_client, mlflow_experiment_id(mlflow_client, "sweep"))
    kind, key = column.split(".", 1)
    assert key not in keys[kind]  # MLflow agrees: no run of the sweep has it
    line = columns_error(capsys, sql_uri, "sweep", f"run_name,{column},metrics.acc")
    assert line.startswith(f"mltui: error: {column} ")
    assert line.endswith(" does not exist in the runs of experiment 'sweep'")
    for spec in suggested:
        assert spec.split(".", 1)[1] in keys[spec.split(".", 1)[0]]
        assert f"did you mean {spec}?" in line
    if not suggested:
        assert "did you mean" not in line


def test_runs_columns_names_every_missing_key(capsys, sql_uri):
    line = columns_error(capsys, sql_uri, "sweep", "metrics.nosuch,run_id,params.lrr,metrics.acc")
    assert "metrics.nosuch and params.lrr (did you mean params.lr?) do not exist" in line
    both = assert_one_line_error(*run_cli(
        capsys, "runs", "sweep", "edge cases", "--uri", sql_uri, "--columns", "metrics.scor"
    ))
    assert "runs of experiments 'sweep', 'edge cases'" in both
    assert "did you mean metrics.score?" in both


def test_runs_columns_of_keys_some_runs_lack_are_fine(capsys, sql_uri):
    # only some runs log score, and attribute columns exist for every run
    records = runs_json(capsys, sql_uri, "edge cases", "--columns",
                        "run_name,metrics.score,experiment_id,parent_run_id,end_time")
    assert {r["run_name"] for r in records if r["metrics.score"] is None} >= {"with-artifacts"}


def test_runs_columns_of_an_experiment_without_runs(capsys, writable_sql_uri):
    from mlflow import MlflowClient

    MlflowClient(writable_sql_uri).create_experiment("empty")
    out = ok(capsys, "runs", "empty", "--uri", writable_sql_uri, "--format", "csv",
             "--columns", "run_name,metrics.acc")
    assert out.splitlines() == ["run_name,metrics.acc"]


def test_runs_columns_found_beyond_run_keys(capsys, sql_uri, monkeypatch):
    """A store whose run_keys sees only some runs (REST reads the newest 1,000) must
    not refuse a key older runs have: the store is asked before the error."""
    monkeypatch.setattr("mltui.store.sql.SqlStore.run_keys",
                        lambda self, ids: RunKeys(tags=["mlflow.runName"]))
    records = runs_json(capsys, sql_uri, "sweep", "--columns",
                        "metrics.acc,metrics.`val/loss`,params.lr,tags.owner")
    assert any(r["metrics.acc"] is not None for r in records)
    line = columns_error(capsys, sql_uri, "sweep", "metrics.nosuch")
    assert "metrics.nosuch does not exist" in line


def test_runs_of_several_experiments_by_name_and_id(capsys, sql_uri, mlflow_client):
    expected = mlflow_runs(mlflow_client, ["sweep", "edge cases"], max_results=100)
    edge = mlflow_experiment_id(mlflow_client, "edge cases")
    assert {r.info.experiment_id for r in expected} == {
        mlflow_experiment_id(mlflow_client, "sweep"), edge
    }
    records = runs_json(capsys, sql_uri, "sweep", edge, "--max", "100", "--columns", "run_id")
    assert [r["run_id"] for r in records] == [r.info.run_id for r in expected]


def test_runs_view(capsys, sql_uri, mlflow_client):
    deleted = runs_json(capsys, sql_uri, "sweep", "--view", "deleted", "--columns", "run_name")
    assert deleted == [
        {"run_name": r.info.run_name} for r in mlflow_runs(mlflow_client, ["sweep"], view="deleted")
    ] == [{"run_name": "deleted-run"}]
    every = runs_json(capsys, sql_uri, "sweep", "--view", "all", "--columns", "run_id")
    assert every == [
        {"run_id": r.info.run_id} for r in mlflow_runs(mlflow_client, ["sweep"], view="all")
    ]
    assert len(every) > len(mlflow_runs(mlflow_client, ["sweep"]))


def test_runs_columns_with_tags_and_attributes(capsys, sql_uri, mlflow_client):
    runs = mlflow_runs(mlflow_client, ["sweep"], "tags.kind = 'child'")
    assert runs
    records = runs_json(
        capsys,
        sql_uri,
        "sweep",
        "--filter",
        "tags.kind = 'child'",
        "--columns",
        "tags.owner,tags.`mlflow.parentRunId`,parent_run_id,user,lifecycle_stage",
    )
    for record, run in zip(records, runs, strict=True):
        parent = run.data.tags["mlflow.parentRunId"]
        assert record == {
            "tags.owner": run.data.tags["owner"],
            "tags.mlflow.parentRunId": parent,
            "parent_run_id": parent,
            "user": run.info.user_id,
            "lifecycle_stage": run.info.lifecycle_stage,
        }


# -- escape codes never reach a terminal ------------------------------------------------------


def test_escape_codes_are_visible_in_tables(capsys, sql_uri):
    out = ok(
        capsys,
        "runs",
        "edge cases",
        "--uri",
        sql_uri,
        "--columns",
        "run_name,tags.hostile,tags.quote",
    )
    assert ESC not in out
    assert "␛[31mred␛[0m" in out
    assert "[bold]x[/]" in out  # markup stays text
    assert "[red]odd[/] name" in out
    default = ok(capsys, "runs", "edge cases", "--uri", sql_uri)
    assert ESC not in default


def test_escape_codes_in_names_and_descriptions(writable_sql_uri, capsys):
    from mlflow import MlflowClient

    client = MlflowClient(writable_sql_uri)
    eid = client.create_experiment(f"evil{ESC}[2J", tags={"mlflow.note.content": f"a{ESC}]0;t\x07"})
    client.create_registered_model(f"model{ESC}[5m", description=f"d{ESC}[1m\rX")
    rid = client.create_run(eid, run_name=f"run{ESC}[31m").info.run_id
    client.log_param(rid, "p", f"v{ESC}[0m")
    for args in (
        ["experiments"],
        ["runs", eid],
        ["models"],
        ["model", f"model{ESC}[5m"],
        ["runs", eid, "--columns", "run_name,params.p"],
    ):
        out = ok(capsys, *args, "--uri", writable_sql_uri)
        assert ESC not in out and "\x07" not in out and "\r" not in out, args
        assert "␛" in out, args


# -- models ---------------------------------------------------------------------------------


def mlflow_versions(client: MlflowClient, name: str) -> list:
    """A model's versions as MlflowClient reads them, newest first, each read alone
    (``search_model_versions`` leaves out the aliases)."""
    found = client.search_model_versions(f"name = '{name}'")
    numbers = sorted((int(v.version) for v in found), reverse=True)
    return [client.get_model_version(name, str(n)) for n in numbers]


def test_models_table(capsys, sql_uri, mlflow_client):
    lines = table_lines(ok(capsys, "models", "--uri", sql_uri))
    assert lines[0].split()[:3] == ["name", "latest", "versions"]
    names = [m.name for m in mlflow_client.search_registered_models()]
    assert [line.split()[0] for line in lines[1:]] == names == ["churn-model", "fraud-detector"]
    fraud = lines[2]
    assert " v4 " in fraud
    assert "@challenger→v3, @champion→v2" in fraud
    assert "Production:1" in fraud
    with_prompts = ok(capsys, "models", "--uri", sql_uri, "--prompts")
    assert "my-prompt" in with_prompts


def test_models_json_matches_mlflow(capsys, sql_uri, mlflow_client):
    records = json.loads(ok(capsys, "models", "--uri", sql_uri, "--format", "json"))
    models = mlflow_client.search_registered_models()  # by name, prompts left out
    assert [r["name"] for r in records] == [m.name for m in models]
    assert len(records) >= 2
    for record, model in zip(records, models, strict=True):
        versions = mlflow_versions(mlflow_client, model.name)
        assert record["latest"] == int(versions[0].version)
        assert record["versions"] == len(versions)
        assert record["stages"] == Counter(v.current_stage for v in versions)
        assert record["aliases"] == {a: int(v) for a, v in model.aliases.items()}
        assert record["description"] == (model.description or "")
        assert record["tags"] == model.tags
        assert record["updated"] == iso_seconds(model.last_updated_timestamp)
    fraud = next(r for r in records if r["name"] == "fraud-detector")
    assert fraud["aliases"] and fraud["tags"] and len(fraud["stages"]) > 1
    named = json.loads(
        ok(capsys, "models", "--uri", sql_uri, "--format", "json", "--name", "FRAUD%")
    )
    theirs = mlflow_client.search_registered_models(filter_string="name ILIKE 'FRAUD%'")
    assert [r["name"] for r in named] == [m.name for m in theirs] == ["fraud-detector"]


def models_named(capsys, sql_uri: str, text: str, *extra: str) -> list[str]:
    records = json.loads(
        ok(capsys, "models", "--uri", sql_uri, "--format", "json", "--name", text, *extra)
    )
    return [r["name"] for r in records]


@pytest.mark.parametrize(
    "text", ["fraud", "FRAUD", "detector", "-", "model", "fraud%", "%MODEL", "detector%",
             "%-%", "nothing", "  churn "]
)
def test_models_name_matches_as_the_models_screen(capsys, sql_uri, mlflow_client, text):
    from mltui.views.registry import name_pattern  # what / on the models screen searches

    pattern = name_pattern(text)
    expected = mlflow_client.search_registered_models(filter_string=f"name ILIKE '{pattern}'")
    assert sorted(models_named(capsys, sql_uri, text)) == sorted(m.name for m in expected)


def test_models_name_is_a_substring_unless_it_has_a_percent(capsys, sql_uri):
    assert models_named(capsys, sql_uri, "fraud") == ["fraud-detector"]
    assert models_named(capsys, sql_uri, "Detect") == ["fraud-detector"]
    assert models_named(capsys, sql_uri, "detector%") == []  # a LIKE pattern is anchored
    assert models_named(capsys, sql_uri, "%detector") == ["fraud-detector"]
    assert models_named(capsys, sql_uri, "prompt") == []
    assert models_named(capsys, sql_uri, "prompt", "--prompts") == ["my-prompt"]


def test_models_name_help_says_how_it_matches(capsys):
    out = " ".join(help_text(capsys, "models").split())
    assert "as / does on the models screen" in out
    assert "plain text matches anywhere in the name" in out
    assert "text with a % is an MLflow LIKE pattern" in out


def test_model_table_and_json(capsys, sql_uri, mlflow_client):
    model = mlflow_client.get_registered_model("fraud-detector")
    versions = mlflow_versions(mlflow_client, "fraud-detector")
    assert len(versions) > 1
    lines = table_lines(ok(capsys, "model", "fraud-detector", "--uri", sql_uri))
    first_line = model.description.splitlines()[0]
    assert lines[0] == f"fraud-detector: {len(versions)} versions — {first_line}"
    assert lines[1].split()[:3] == ["version", "stage", "aliases"]
    assert [line.split()[0] for line in lines[2:]] == [str(v.version) for v in versions]
    for line, mv in zip(lines[2:], versions, strict=True):
        assert line.split()[1] == mv.current_stage
        for alias in mv.aliases:
            assert f"@{alias}" in line
    [record] = json.loads(
        ok(capsys, "model", "fraud-detector", "--uri", sql_uri, "--format", "json")
    )
    assert record["name"] == model.name
    assert record["description"] == model.description
    assert record["aliases"] == {a: int(v) for a, v in model.aliases.items()}
    assert record["tags"] == model.tags
    assert [v["version"] for v in record["versions"]] == [int(v.version) for v in versions]
    for v, mv in zip(record["versions"], versions, strict=True):
        assert (v["stage"], sorted(v["aliases"]), v["run_id"], v["source"], v["tags"]) == (
            mv.current_stage,
            sorted(mv.aliases),
            mv.run_id,
            mv.source,
            mv.tags,
        )
        assert (v["status"], v["description"]) == (mv.status, mv.description or "")
        assert v["created"] == iso_seconds(mv.creation_timestamp)
        assert v["updated"] == iso_seconds(mv.last_updated_timestamp)
    assert any(v["aliases"] for v in record["versions"])
    rows = list(
        csv.DictReader(
            io.StringIO(ok(capsys, "model", "fraud-detector", "--uri", sql_uri, "--format", "csv"))
        )
    )
    assert [int(r["version"]) for r in rows] == [int(v.version) for v in versions]
    assert [r["run_id"] for r in rows] == [mv.run_id for mv in versions]


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["runs", "sweep", "--filter", "metrics.acc >"], "filter"),
        (["runs", "sweep", "--filter", "params.lr = 0.1"], "quoted string"),
        (["runs", "sweep", "--order-by", "metrics.acc SIDEWAYS"], "order_by"),
        (["runs", "no-such-experiment"], "no-such-experiment"),
        (["runs", "987654"], "987654"),
        (["runs", "sweep", "--columns", "run_name,bogus"], "Unknown column 'bogus'"),
        (["runs", "sweep", "--columns", "metrics."], "names no key"),
        (["runs", "sweep", "--max", "0"], "--max"),
        (["model", "no-such-model"], "no-such-model"),
    ],
)
def test_errors_are_one_line(capsys, sql_uri, args, message):
    code, out, err = run_cli(capsys, *args, "--uri", sql_uri)
    line = assert_one_line_error(code, out, err)
    assert message in line


@pytest.mark.parametrize(
    "command", [["experiments"], ["runs", "sweep"], ["models"], ["model", "x"]]
)
def test_missing_database_is_not_created(capsys, tmp_path, command):
    path = tmp_path / "nope.db"
    code, out, err = run_cli(capsys, *command, "--uri", f"sqlite:///{path}")
    line = assert_one_line_error(code, out, err)
    assert str(path) in line
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


def test_not_a_database(capsys, tmp_path):
    path = tmp_path / "notes.db"
    path.write_text("hello\n")
    line = assert_one_line_error(*run_cli(capsys, "experiments", "--uri", f"sqlite:///{path}"))
    assert "notes.db" in line


def test_missing_driver_hides_the_password(capsys, monkeypatch):
    # psycopg is a test dependency, so hide it: the user's machine may lack it
    import builtins

    real_import = builtins.__import__

    def no_psycopg(name, globals=None, locals=None, fromlist=(), level=0):
        # level 0 only: SQLAlchemy's own "from . import psycopg" must still work
        if level == 0 and name.split(".")[0] in ("psycopg", "psycopg2"):
            raise ModuleNotFoundError(f"No module named '{name}'", name=name)
        return real_import(name, globals, locals, fromlist, level)

    monkeypatch.setattr(builtins, "__import__", no_psycopg)
    line = assert_one_line_error(
        *run_cli(capsys, "experiments", "--uri", "postgresql://user:s3cret@localhost:1/mlflow")
    )
    assert "s3cret" not in line
    assert "psycopg" in line and "pip install" in line


def test_missing_mysql_driver_names_it(capsys):
    line = assert_one_line_error(
        *run_cli(capsys, "experiments", "--uri", "mysql+pymysql://u:pw@localhost:1/mlflow")
    )
    assert "pymysql" in line and "pw@" not in line


# -- which store: --uri > MLFLOW_TRACKING_URI > ./mlruns > sqlite:///mlflow.db ---------------
#
# Every store here is a real one made by mlflow (a copy of the cached builders' store)
# with one experiment of its own, so the listing says which store was opened.


def marked_copy(kind: str, folder: Path, marker: str) -> str:
    """A copy of the builders' ``kind`` store in ``folder`` with an experiment named
    ``marker`` that no other store has; its URI."""
    folder.mkdir(parents=True, exist_ok=True)
    uri = copy_store(kind, folder)
    MlflowClient(uri).create_experiment(marker)
    return uri


def listed(capsys, *args: str) -> set[tuple[str, str]]:
    records = json.loads(ok(capsys, "experiments", "--format", "json", *args))
    return {(r["id"], r["name"]) for r in records}


def mlflow_listing(uri: str) -> set[tuple[str, str]]:
    return {(e.experiment_id, e.name) for e in MlflowClient(uri).search_experiments()}


def test_uri_resolution_order(capsys, tmp_path, monkeypatch):
    flag_uri = marked_copy("sqlite", tmp_path / "flag", "from-flag")
    env_uri = marked_copy("sqlite", tmp_path / "env", "from-env")
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)

    def refused(*extra: str) -> str:
        return assert_one_line_error(*run_cli(capsys, "experiments", "--format", "json", *extra))

    # nothing here: sqlite:///mlflow.db, which is missing, and is not created
    assert "mlflow.db" in refused()
    (cwd / "mlruns").mkdir()  # an empty mlruns folder holds no experiments: ignored
    assert "mlflow.db" in refused()
    assert sorted(os.listdir(cwd)) == ["mlruns"]
    (cwd / "mlruns").rmdir()

    # ./mlflow.db, made by mlflow
    db = marked_copy("sqlite", tmp_path / "db", "from-cwd-db")
    shutil.move(db.removeprefix("sqlite:///"), cwd / "mlflow.db")
    cwd_db = f"sqlite:///{cwd / 'mlflow.db'}"
    assert listed(capsys) == mlflow_listing(cwd_db)
    assert "from-cwd-db" in {name for _, name in listed(capsys)}

    # ./mlruns holding experiments wins over ./mlflow.db
    mlruns = marked_copy("file", cwd, "from-mlruns")
    assert mlruns == (cwd / "mlruns").as_uri()
    assert listed(capsys) == mlflow_listing(mlruns)
    assert "from-mlruns" in {name for _, name in listed(capsys)}

    # MLFLOW_TRACKING_URI wins over both
    monkeypatch.setenv("MLFLOW_TRACKING_URI", env_uri)
    assert listed(capsys) == mlflow_listing(env_uri)
    assert "from-env" in {name for _, name in listed(capsys)}

    # --uri wins over everything
    assert listed(capsys, "--uri", flag_uri) == mlflow_listing(flag_uri)
    assert "from-flag" in {name for _, name in listed(capsys, "--uri", flag_uri)}

    # a chosen store that is missing is an error, never a fall back to the next one
    missing = tmp_path / "missing"
    missing.mkdir()
    assert "flag.db" in refused("--uri", f"sqlite:///{missing / 'flag.db'}")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{missing / 'env.db'}")
    assert "env.db" in refused()
    assert os.listdir(missing) == []
    assert sorted(os.listdir(cwd)) == ["artifacts", "done", "mlflow.db", "mlruns"]


def test_missing_default_database_in_a_real_process(tmp_path):
    """Without --uri, in a folder with no store, a real process gives the one-line
    error and leaves no mlflow.db behind (sqlite would create one if asked)."""
    done = run_process("experiments", "--format", "json", cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("mltui: error: ") and "mlflow.db" in line
    assert os.listdir(tmp_path) == []


# -- a real process ---------------------------------------------------------------------------


def run_process(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    return subprocess.run(
        [sys.executable, "-m", "mltui", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
    )


def test_subprocess(sql_uri, mlflow_client, tmp_path):
    expected = mlflow_runs(mlflow_client, ["sweep"], "metrics.acc > 0.6", ["metrics.acc DESC"])
    assert expected
    done = run_process(
        "runs",
        "sweep",
        "--uri",
        sql_uri,
        "--filter",
        "metrics.acc > 0.6",
        "--order-by",
        "metrics.acc DESC",
        "--format",
        "json",
        "--columns",
        "run_id,metrics.acc",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    records = json.loads(done.stdout)
    assert records == [{"run_id": r.info.run_id, "metrics.acc": metric(r, "acc")} for r in expected]

    table = run_process(
        "runs", "edge cases", "--uri", sql_uri, "--columns", "run_name,tags.hostile", cwd=tmp_path
    )
    assert table.returncode == 0
    assert ESC not in table.stdout and "␛[31m" in table.stdout

    failed = run_process("runs", "sweep", "--filter", "metrics.acc >", cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr.startswith("mltui: error: ")
    assert len(failed.stderr.splitlines()) == 1
    assert not (tmp_path / "mlflow.db").exists()

    version = run_process("--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.strip() == f"mltui {__version__}"


def test_subprocess_never_imports_mlflow_or_textual(sql_uri, tmp_path):
    code = (
        "import sys\n"
        "from mltui.cli import main\n"
        f"rc = main(['runs', 'sweep', '--uri', {sql_uri!r}, '--format', 'json'])\n"
        "assert rc == 0\n"
        "bad = [m for m in ('mlflow', 'textual') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert done.returncode == 0, done.stderr


# -- writes and --read-only, on a private copy, read back with MlflowClient --------------------


def registry_state(client: MlflowClient) -> list:
    """Everything a registry write could change, as MlflowClient reads it."""
    state = []
    for model in client.search_registered_models():
        state.append((model.name, model.last_updated_timestamp, model.description,
                      model.tags, model.aliases))
        for mv in mlflow_versions(client, model.name):
            state.append((mv.version, mv.current_stage, mv.last_updated_timestamp,
                          mv.description, mv.tags, sorted(mv.aliases)))
    return state


def stage_of(client: MlflowClient, version: str) -> str:
    return client.get_model_version("fraud-detector", version).current_stage


def aliases_of(client: MlflowClient) -> dict[str, str]:
    # str(): MLflow gives the versions as str or int depending on its version
    return {a: str(v) for a, v in client.get_registered_model("fraud-detector").aliases.items()}


# (the command, what MlflowClient reads before it, what it reads after it ran)
WRITES = {
    "stage": (
        ["stage", "fraud-detector", "4", "Production", "--archive-existing"],
        lambda c: (stage_of(c, "4"), stage_of(c, "2")) == ("None", "Production"),
        lambda c: (stage_of(c, "4"), stage_of(c, "2")) == ("Production", "Archived"),
    ),
    "alias": (
        ["alias", "fraud-detector", "champion", "4"],
        lambda c: aliases_of(c)["champion"] == "2",
        lambda c: aliases_of(c)["champion"] == "4",
    ),
    "alias --delete": (
        ["alias", "fraud-detector", "challenger", "--delete"],
        lambda c: "challenger" in aliases_of(c),
        lambda c: "challenger" not in aliases_of(c),
    ),
}


@pytest.mark.parametrize("write", list(WRITES))
def test_read_only_refuses_the_write_and_changes_nothing(capsys, writable_sql_uri, write):
    command, before, after = WRITES[write]
    client = MlflowClient(writable_sql_uri)
    state = registry_state(client)
    assert before(client)
    db = Path(writable_sql_uri.removeprefix("sqlite:///"))
    content = db.read_bytes()

    line = assert_one_line_error(
        *run_cli(capsys, *command, "--uri", writable_sql_uri, "--read-only")
    )
    assert "read-only" in line.lower()
    assert db.read_bytes() == content  # not a byte written
    assert registry_state(client) == state and before(client)

    # the same command without the flag makes the write MlflowClient then reads
    out = ok(capsys, *command, "--uri", writable_sql_uri)
    assert out.strip()
    assert after(client)
    assert registry_state(client) != state
