"""The non-interactive command line: ``mltui experiments|runs|models|model``.

Outputs are parsed (csv, json) and compared with what the store returns for
the same question; errors are one line on stderr with exit code 2.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import experiment_id
from mltui import __version__
from mltui.cli import COMMANDS, main
from mltui.store.entities import RunKeys, ViewType
from mltui.store.errors import StoreNotFound
from support.builders import HOSTILE_TAG

ESC = "\x1b"


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args: str) -> str:
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert err == ""
    return out


def assert_one_line_error(code: int, out: str, err: str) -> str:
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mltui: error: ")
    assert "Traceback" not in err
    return lines[0]


def table_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.strip()]


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
    # charts and the artifact browser are planned, not built
    assert "chart" not in out.lower() and "artifact" not in out.lower()
    listed = out.split("commands (", 1)[1].splitlines()[1:]
    assert [line.split()[0] for line in listed if line.strip()] == list(COMMANDS)
    for command in COMMANDS:  # each one listed answers its own --help
        assert f"usage: mltui {command}" in help_text(capsys, command)


def test_format_help_says_how_nan_and_infinity_are_written(capsys):
    out = " ".join(help_text(capsys, "runs").split())
    assert "NaN, Infinity and -Infinity in all three" in out


# -- experiments ------------------------------------------------------------------------


def test_experiments_table(capsys, sql_uri, store):
    out = ok(capsys, "experiments", "--uri", sql_uri)
    lines = table_lines(out)
    assert lines[0].split() == ["id", "name", "runs", "last_activity", "lifecycle", "description"]
    names = {e.name for e in store.list_experiments()}
    assert len(lines) == 1 + len(names)
    for name in names:
        assert any(name in line for line in lines[1:])
    assert "old-experiment" not in out
    sweep = next(line for line in lines if " sweep " in line)
    assert "LR sweep" in sweep and "second line" not in sweep  # first line of the description
    assert "old-experiment" in ok(capsys, "experiments", "--uri", sql_uri, "--view", "all")
    deleted = table_lines(ok(capsys, "experiments", "--uri", sql_uri, "--view", "deleted"))
    assert len(deleted) == 2 and "old-experiment" in deleted[1]


@pytest.mark.parametrize("view", ["active", "deleted", "all"])
def test_experiments_json(capsys, sql_uri, store, view):
    records = json.loads(
        ok(capsys, "experiments", "--uri", sql_uri, "--format", "json", "--view", view)
    )
    exps = store.list_experiments(ViewType.parse(view))
    assert [r["id"] for r in records] == [e.experiment_id for e in exps]
    for record, exp in zip(records, exps, strict=True):
        assert record["name"] == exp.name
        assert record["runs"] == exp.run_count
        assert record["lifecycle"] == exp.lifecycle_stage
        assert record["description"] == exp.description
        assert record["tags"] == exp.tags
        assert record["artifact_location"] == exp.artifact_location


def test_experiments_csv(capsys, sql_uri, store):
    rows = list(
        csv.DictReader(io.StringIO(ok(capsys, "experiments", "--uri", sql_uri, "--format", "csv")))
    )
    exps = store.list_experiments()
    assert [r["id"] for r in rows] == [e.experiment_id for e in exps]
    assert [r["name"] for r in rows] == [e.name for e in exps]
    assert [int(r["runs"]) for r in rows] == [e.run_count for e in exps]
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


def test_runs_table_default(capsys, sql_uri, store):
    sweep = experiment_id(store, "sweep")
    runs = store.search_runs([sweep], max_results=100).runs
    lines = table_lines(ok(capsys, "runs", "sweep", "--uri", sql_uri))
    header = lines[0].split()
    assert header[:3] == ["run_id", "status", "run_name"]
    assert "metrics.acc" in header and "params.lr" in header
    assert len(lines) == 1 + len(runs)
    assert [line.split()[0] for line in lines[1:]] == [r.run_id for r in runs]
    assert "deleted-run" not in "\n".join(lines)


def test_runs_max_and_footer(capsys, sql_uri):
    lines = table_lines(ok(capsys, "runs", "sweep", "--uri", sql_uri, "--max", "3"))
    assert len(lines) == 1 + 3 + 1
    assert lines[-1] == "(3 of 8 runs; raise --max to see more)"


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
def test_runs_json_matches_store(capsys, sql_uri, store, filter_string, order_by):
    sweep = experiment_id(store, "sweep")
    expected = store.search_runs([sweep], filter_string, order_by, max_results=100).runs
    args = ["sweep", "--filter", filter_string, "--columns", COLUMNS]
    for order in order_by:
        args += ["--order-by", order]
    records = runs_json(capsys, sql_uri, *args)
    assert [r["run_id"] for r in records] == [r.run_id for r in expected]
    assert expected, "every filter here selects something"
    for record, run in zip(records, expected, strict=True):
        assert list(record) == KEYS
        assert record["run_name"] == run.run_name
        assert record["status"] == run.status
        assert record["metrics.acc"] == run.metric_value("acc")
        assert record["metrics.`val/loss`"] == run.metric_value("val/loss")
        assert record["metrics.`train loss`"] == run.metric_value("train loss")
        assert record["params.lr"] == run.params.get("lr")


def test_runs_max_cuts_the_json(capsys, sql_uri, store):
    sweep = experiment_id(store, "sweep")
    expected = store.search_runs([sweep], order_by=["metrics.loss ASC"], max_results=2).runs
    records = runs_json(capsys, sql_uri, "sweep", "--order-by", "metrics.loss ASC", "--max", "2")
    assert [r["run_id"] for r in records] == [r.run_id for r in expected]


def test_runs_default_json_record(capsys, sql_uri, store):
    edge = experiment_id(store, "edge cases")
    runs = {r.run_id: r for r in store.search_runs([edge], max_results=100).runs}
    records = runs_json(capsys, sql_uri, "edge cases")
    assert sorted(r["run_id"] for r in records) == sorted(runs)
    for record in records:
        run = runs[record["run_id"]]
        assert record["run_name"] == run.run_name
        assert record["experiment_id"] == edge
        assert record["params"] == run.params
        assert record["tags"] == run.tags
        assert record["parent_run_id"] == run.parent_run_id
        assert record["lifecycle_stage"] == "active"
    by_name = {r["run_name"]: r for r in records}
    # JSON has no NaN or inf: they are spelled out as MLflow's REST API spells them
    assert by_name["nan-run"]["metrics"]["score"] == "NaN"
    assert by_name["inf-run"]["metrics"]["score"] == "Infinity"
    assert by_name["neg-inf-run"]["metrics"]["score"] == "-Infinity"
    assert by_name["zero-run"]["metrics"]["score"] == 0.0
    assert by_name["[red]odd[/] name"]["tags"]["hostile"] == HOSTILE_TAG


def test_runs_csv_matches_store(capsys, sql_uri, store):
    sweep = experiment_id(store, "sweep")
    expected = store.search_runs([sweep], "", ["metrics.acc DESC"], max_results=100).runs
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
    assert [r["run_id"] for r in rows] == [r.run_id for r in expected]
    for row, run in zip(rows, expected, strict=True):
        for spec, key in [
            ("metrics.acc", "acc"),
            ("metrics.`val/loss`", "val/loss"),
            ("metrics.`train loss`", "train loss"),
        ]:
            value = run.metric_value(key)
            assert row[spec] == ("" if value is None else str(value))
            if value is not None:
                assert float(row[spec]) == value
        assert row["params.lr"] == run.params.get("lr", "")


def test_runs_csv_default_columns_are_filled(capsys, sql_uri, store):
    """Without --columns the csv has the table's columns, each with its values."""
    sweep = experiment_id(store, "sweep")
    expected = {r.run_id: r for r in store.search_runs([sweep], max_results=100).runs}
    rows = list(
        csv.DictReader(
            io.StringIO(ok(capsys, "runs", "sweep", "--uri", sql_uri, "--format", "csv"))
        )
    )
    assert {r["run_id"] for r in rows} == set(expected)
    for row in rows:
        run = expected[row["run_id"]]
        assert row["run_name"] == run.run_name
        assert row["status"] == run.status
        assert row["created"].startswith("20")  # ISO time, never "3m ago"
        for key, metric in run.metrics.items():
            spec = f"metrics.`{key}`" if " " in key or "/" in key else f"metrics.{key}"
            if spec in row:
                assert float(row[spec]) == metric.value
        for key, value in run.params.items():
            if f"params.{key}" in row:
                assert row[f"params.{key}"] == value


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


def test_nan_and_inf_are_written_alike_in_every_format(capsys, sql_uri, store):
    edge = experiment_id(store, "edge cases")
    held = {r.run_name: r.metric_value("score") for r in store.search_runs([edge]).runs}
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
        # float() reads each back as the value logged (MlflowClient on SQL gives +/-1.8e308
        # for infinities, so the builder's values are the reference: nan, inf, -inf)
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
def test_runs_columns_naming_no_key_is_an_error(
    capsys, sql_uri, store, mlflow_client, column, suggested
):
    keys = logged_keys(mlflow_client, experiment_id(store, "sweep"))
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


def test_runs_of_several_experiments_by_name_and_id(capsys, sql_uri, store):
    ids = [experiment_id(store, "sweep"), experiment_id(store, "edge cases")]
    expected = store.search_runs(ids, max_results=100).runs
    records = runs_json(capsys, sql_uri, "sweep", ids[1], "--max", "100", "--columns", "run_id")
    assert [r["run_id"] for r in records] == [r.run_id for r in expected]


def test_runs_view(capsys, sql_uri):
    deleted = runs_json(capsys, sql_uri, "sweep", "--view", "deleted", "--columns", "run_name")
    assert deleted == [{"run_name": "deleted-run"}]
    every = runs_json(capsys, sql_uri, "sweep", "--view", "all", "--columns", "run_name")
    assert len(every) == 9


def test_runs_columns_with_tags_and_attributes(capsys, sql_uri, store):
    sweep = experiment_id(store, "sweep")
    runs = store.search_runs([sweep], "tags.kind = 'child'", max_results=100).runs
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
        assert record == {
            "tags.owner": run.tags["owner"],
            "tags.mlflow.parentRunId": run.parent_run_id,
            "parent_run_id": run.parent_run_id,
            "user": run.user_id,
            "lifecycle_stage": "active",
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


def test_models_table(capsys, sql_uri):
    lines = table_lines(ok(capsys, "models", "--uri", sql_uri))
    assert lines[0].split()[:3] == ["name", "latest", "versions"]
    assert [line.split()[0] for line in lines[1:]] == ["churn-model", "fraud-detector"]
    fraud = lines[2]
    assert " v4 " in fraud
    assert "@challenger→v3, @champion→v2" in fraud
    assert "Production:1" in fraud
    with_prompts = ok(capsys, "models", "--uri", sql_uri, "--prompts")
    assert "my-prompt" in with_prompts


def test_models_json_matches_store(capsys, sql_uri, store):
    records = json.loads(ok(capsys, "models", "--uri", sql_uri, "--format", "json"))
    models = store.search_registered_models()
    assert [r["name"] for r in records] == [m.name for m in models]
    for record, model in zip(records, models, strict=True):
        assert record["latest"] == model.latest_version
        assert record["versions"] == model.version_count
        assert record["stages"] == model.stage_counts
        assert record["aliases"] == model.aliases
        assert record["description"] == model.description
        assert record["tags"] == model.tags
    named = json.loads(
        ok(capsys, "models", "--uri", sql_uri, "--format", "json", "--name", "FRAUD%")
    )
    assert [r["name"] for r in named] == ["fraud-detector"]


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


def test_model_table_and_json(capsys, sql_uri, store):
    lines = table_lines(ok(capsys, "model", "fraud-detector", "--uri", sql_uri))
    assert lines[0] == "fraud-detector: 4 versions — # Fraud detector"
    assert lines[1].split()[:3] == ["version", "stage", "aliases"]
    assert [line.split()[0] for line in lines[2:]] == ["4", "3", "2", "1"]
    assert "@champion" in lines[4] and "Production" in lines[4]
    [record] = json.loads(
        ok(capsys, "model", "fraud-detector", "--uri", sql_uri, "--format", "json")
    )
    model = store.get_registered_model("fraud-detector")
    versions = store.get_model_versions("fraud-detector")
    assert record["name"] == "fraud-detector"
    assert record["aliases"] == model.aliases
    assert record["tags"] == model.tags
    assert [v["version"] for v in record["versions"]] == [v.version for v in versions]
    for v, mv in zip(record["versions"], versions, strict=True):
        assert (v["stage"], v["aliases"], v["run_id"], v["source"], v["tags"]) == (
            mv.current_stage,
            mv.aliases,
            mv.run_id,
            mv.source,
            mv.tags,
        )
    rows = list(
        csv.DictReader(
            io.StringIO(ok(capsys, "model", "fraud-detector", "--uri", sql_uri, "--format", "csv"))
        )
    )
    assert [int(r["version"]) for r in rows] == [4, 3, 2, 1]
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


@pytest.fixture
def opened(monkeypatch):
    """Record the URI the CLI opens instead of opening it."""
    seen: list[str] = []

    def fake_open(uri, *, read_only=False):
        seen.append(uri)
        raise StoreNotFound(f"recorded {uri}")

    monkeypatch.setattr("mltui.store.open_store", fake_open)
    return seen


def make_mlruns(folder: Path) -> None:
    (folder / "mlruns" / "0").mkdir(parents=True)
    (folder / "mlruns" / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")


def test_uri_resolution_order(capsys, tmp_path, monkeypatch, opened):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)

    def resolved(*extra):
        assert_one_line_error(*run_cli(capsys, "experiments", *extra))
        return opened[-1]

    assert resolved() == "sqlite:///mlflow.db"
    (tmp_path / "mlruns").mkdir()  # an empty mlruns folder does not count
    assert resolved() == "sqlite:///mlflow.db"
    shutil.rmtree(tmp_path / "mlruns")
    make_mlruns(tmp_path)
    assert resolved() == "mlruns"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///from-env.db")
    assert resolved() == "sqlite:///from-env.db"
    assert resolved("--uri", "sqlite:///from-flag.db") == "sqlite:///from-flag.db"
    assert not (tmp_path / "mlflow.db").exists()


def test_default_sqlite_in_the_current_folder(capsys, tmp_path, monkeypatch, sqlite_store_dir):
    monkeypatch.chdir(tmp_path)
    line = assert_one_line_error(*run_cli(capsys, "experiments"))
    assert "mlflow.db" in line
    assert not (tmp_path / "mlflow.db").exists()
    shutil.copy(sqlite_store_dir / "mlflow.db", tmp_path / "mlflow.db")
    assert "sweep" in ok(capsys, "experiments")


def test_env_uri_is_used_and_flag_wins(capsys, tmp_path, monkeypatch, sql_uri):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", sql_uri)
    assert "sweep" in ok(capsys, "experiments")
    missing = tmp_path / "flag.db"
    line = assert_one_line_error(*run_cli(capsys, "experiments", "--uri", f"sqlite:///{missing}"))
    assert "flag.db" in line
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'env.db'}")
    assert "sweep" in ok(capsys, "experiments", "--uri", sql_uri)
    assert sorted(os.listdir(tmp_path)) == []


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


def test_subprocess(sql_uri, store, tmp_path):
    sweep = experiment_id(store, "sweep")
    expected = store.search_runs([sweep], "metrics.acc > 0.6", ["metrics.acc DESC"]).runs
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
    assert records == [{"run_id": r.run_id, "metrics.acc": r.metric_value("acc")} for r in expected]

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


def test_read_only_flag_reaches_the_store(capsys, monkeypatch, sql_uri):
    flags = []

    def fake_open(uri, *, read_only=False):
        flags.append(read_only)
        raise StoreNotFound("recorded")

    monkeypatch.setattr("mltui.store.open_store", fake_open)
    run_cli(capsys, "experiments", "--uri", sql_uri, "--read-only")
    run_cli(capsys, "experiments", "--uri", sql_uri)
    assert flags == [True, False]
