"""Runs compared without an app (``views/compare.py``, ``views/compare_charts.py``):
which rows differ, last/min/max from the real histories, the best run of each
metric, and the Markdown, CSV and JSON exports parsed back.

The runs are made by the real mlflow client (three runs with known histories and
hostile strings, added to a copy of the cached builders' store); every expected
value is what ``MlflowClient`` reads, never what mltui read before.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timezone

import pytest
from mlflow import MlflowClient
from mlflow.entities import Metric, Param

from mltui.columns import Column
from mltui.store import open_store
from mltui.store.search import METRIC, PARAM
from mltui.views.compare import (
    METRIC_MODES,
    compare_rows,
    guess_direction,
    read_ranges,
    shown_rows,
    to_csv,
    to_json,
    to_markdown,
)
from mltui.views.compare_charts import read_parallel, read_scatter, render_scatter
from support.builders import copy_store
from support.mlflow_match import mlflow_metric_value, same_float

T0 = 1_700_000_000_000
HOSTILE = "a|b\\c\nd\x1b]0;x\x07"
"""A pipe, a backslash, a newline and an OSC escape that retitles a terminal."""
FORMULAS = ("=cmd|' /C calc'!A0", "@SUM(A1:A2)", "+1+2")
"""What a spreadsheet runs when a CSV cell starts with it."""
PICTURES = str.maketrans({"\n": "⏎", "\x1b": "␛", "\x07": "␇"})
"""How a terminal-safe text shows those control characters."""

# (run name, params, tags, {metric: [(step, value), ...]}, start offset)
RUNS = [
    ("alpha|one", {"same": "x", "lr": "0.1", "note": HOSTILE, "formula": FORMULAS[0]},
     {"team": "a", "same_tag": "y"},
     {"val_loss": [(0, 0.9), (1, 0.2), (2, 0.5), (3, 0.4)],
      "acc": [(0, 0.1), (1, 0.8), (2, 0.7)],
      "neg_mean_squared_error": [(0, -0.5)],
      "mystery": [(0, 3.0)],
      "score": [(0, 0.9), (1, math.nan)],
      "only_alpha": [(0, 1.0)],
      "f1": [(0, 0.5)],
      "equal_acc": [(0, 0.5)],
      "inf_loss": [(0, math.inf)],
      "all_nan": [(0, math.nan)]}, 0),
    ("beta", {"same": "x", "lr": "0.01", "note": "plain", "formula": FORMULAS[1]},
     {"team": "b", "same_tag": "y"},
     {"val_loss": [(0, 1.0), (1, 0.1), (2, 0.3)],
      "acc": [(0, 0.2), (1, 0.95), (2, 0.85)],
      "neg_mean_squared_error": [(0, -0.25)],
      "mystery": [(0, 2.0)],
      "score": [(0, 0.5)],
      "f1": [(0, 0.5)],
      "equal_acc": [(0, 0.5)],
      "inf_loss": [(0, 1.0)],
      "all_nan": [(0, math.nan)]}, 60_000),
    ("gamma\x1b]0;x\x07", {"same": "x", "lr": "0.001", "note": "plain",
                           "formula": FORMULAS[2]},
     {"team": "a", "same_tag": "y"},
     {"val_loss": [(0, 0.8), (1, 0.3), (2, 0.6), (3, 0.35)],
      "acc": [(0, 0.05), (1, 0.6), (2, 0.9)],
      "neg_mean_squared_error": [(0, -1.0)],
      "mystery": [(0, 1.0)],
      "score": [(0, 0.25)],
      "f1": [(0, 0.4)],
      "equal_acc": [(0, 0.5)],
      "all_nan": [(0, math.nan)]}, 120_000),
]
DIRECTIONS = {"val_loss": "min", "acc": "max", "neg_mean_squared_error": "max",
              "mystery": None, "score": "max", "only_alpha": None, "f1": "max",
              "equal_acc": "max", "inf_loss": "min", "all_nan": None}
"""Which way each metric of RUNS is better, as its name says (written out here)."""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compare")
    uri = copy_store("sqlite", folder)
    client = MlflowClient(uri)
    exp = client.create_experiment("compare", artifact_location=(folder / "art").as_uri())
    ids = []
    for name, params, tags, metrics, offset in RUNS:
        start = T0 + offset
        rid = client.create_run(exp, run_name=name, start_time=start, tags=tags).info.run_id
        points = [Metric(key, value, start + 1000 * step, step)
                  for key, history in metrics.items() for step, value in history]
        client.log_batch(rid, metrics=points,
                         params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(rid, "FINISHED", end_time=start + 5000 + offset)
        ids.append(rid)
    store = open_store(uri)
    found = store.get_runs(ids)
    sweep = client.get_experiment_by_name("sweep").experiment_id
    yield {"client": client, "store": store, "ids": ids,
           "runs": [found[rid] for rid in ids],
           "refs": [client.get_run(rid) for rid in ids], "sweep": sweep}
    store.close()


# -- what MLflow says -------------------------------------------------------------------


def mlflow_last(ref, key: str) -> float | None:
    value = ref.data.metrics.get(key)
    return None if value is None else mlflow_metric_value(value)


def mlflow_extremes(client, rid: str, key: str) -> tuple[float, float] | None:
    """The lowest and highest finite value of the whole history, by MlflowClient."""
    values = [mlflow_metric_value(m.value) for m in client.get_metric_history(rid, key)]
    finite = [v for v in values if math.isfinite(v)]
    return (min(finite), max(finite)) if finite else None


def mlflow_value(client, ref, key: str, mode: str) -> float | None:
    if mode == "last":
        return mlflow_last(ref, key)
    extremes = mlflow_extremes(client, ref.info.run_id, key)
    return None if extremes is None else extremes[0 if mode == "min" else 1]


def expected_best(values: list, direction: str | None) -> set[int]:
    """The runs holding the best finite value; none when fewer than two runs have a
    finite value or they all have the same one."""
    finite = {i: v for i, v in enumerate(values) if v is not None and math.isfinite(v)}
    if direction is None or len(finite) < 2 or len(set(finite.values())) == 1:
        return set()
    best = (min if direction == "min" else max)(finite.values())
    return {i for i, v in finite.items() if v == best}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def by_label(rows) -> dict:
    return {row.label: row for row in rows}


# -- rows: what differs ------------------------------------------------------------------


def test_params_and_tags_that_differ_are_flagged_and_only_those(world):
    refs = world["refs"]
    rows = by_label(compare_rows(world["runs"]))
    for section in ("params", "tags"):
        keys = {k for ref in refs for k in getattr(ref.data, section)}
        keys.discard("mlflow.runName")  # the column header says it
        assert {label.split(".", 1)[1] for label in rows if label.startswith(f"{section}.")} \
            == keys
        for key in keys:
            want = [getattr(ref.data, section).get(key) for ref in refs]
            row = rows[f"{section}.{key}"]
            assert row.values == want, key
            assert row.differs == (len(set(want)) > 1), key
    assert rows["params.lr"].differs and rows["params.note"].differs
    assert not rows["params.same"].differs and not rows["tags.same_tag"].differs
    assert rows["tags.team"].differs
    assert "tags.mlflow.runName" not in rows


def test_attribute_rows_are_the_runs_own_fields(world):
    refs = world["refs"]
    rows = by_label(compare_rows(world["runs"]))
    assert list(rows)[:4] == ["status", "start_time", "duration", "user"]
    assert rows["status"].values == [r.info.status for r in refs]
    assert not rows["status"].differs
    assert rows["start_time"].values == [iso(r.info.start_time) for r in refs]
    assert rows["start_time"].differs
    assert rows["duration"].values == [r.info.end_time - r.info.start_time for r in refs]
    assert rows["duration"].differs  # 5 s, 65 s, 125 s
    assert rows["user"].values == [r.info.user_id for r in refs]


def test_runs_of_two_experiments_get_an_experiment_row(world):
    client = world["client"]
    child = client.search_runs([world["sweep"]], "tags.kind = 'child'")[0]
    runs = [world["runs"][0], world["store"].get_runs([child.info.run_id])[child.info.run_id]]
    rows = compare_rows(runs)
    assert rows[0].label == "experiment_id"
    assert rows[0].values == [world["refs"][0].info.experiment_id, child.info.experiment_id]
    assert rows[0].differs
    # a param only one of them has differs from its absence
    lr = by_label(rows)["params.lr"]
    assert lr.values == [world["refs"][0].data.params["lr"], child.data.params["lr"]]
    only = by_label(rows)["params.formula"]
    assert only.values == [FORMULAS[0], None] and only.differs
    assert only.texts[1] == ""


def test_only_differences_hides_the_equal_rows(world):
    rows = compare_rows(world["runs"])
    every = shown_rows(rows, False)
    assert [r.label for r in every] == [r.label for r in rows]
    shown = {r.label for r in shown_rows(rows, True)}
    refs = world["refs"]
    differing_params = {f"params.{k}" for k in refs[0].data.params
                        if len({ref.data.params.get(k) for ref in refs}) > 1}
    assert differing_params == {"params.lr", "params.note", "params.formula"}
    assert {label for label in shown if label.startswith("params.")} == differing_params
    hidden = {r.label for r in rows} - shown
    assert {"status", "user", "params.same", "tags.same_tag", "metrics.equal_acc"} <= hidden
    # NaN everywhere is no difference; a metric only one run logged is one
    assert "metrics.all_nan" in hidden
    assert {"metrics.only_alpha", "metrics.val_loss", "start_time"} <= shown


# -- metrics: last, min, max from the real histories ----------------------------------------


@pytest.mark.parametrize("mode", METRIC_MODES)
def test_metric_values_are_mlflows_last_min_and_max(world, mode):
    client, refs = world["client"], world["refs"]
    ranges = read_ranges(world["store"], world["runs"]) if mode != "last" else None
    rows = [r for r in compare_rows(world["runs"], mode=mode, ranges=ranges)
            if r.section == "metrics"]
    keys = sorted({k for ref in refs for k in ref.data.metrics})
    assert [r.key for r in rows] == keys
    for row in rows:
        want = [mlflow_value(client, ref, row.key, mode) if row.key in ref.data.metrics
                else None for ref in refs]
        assert len(row.values) == len(want)
        for got, expected in zip(row.values, want, strict=True):
            assert (got is None) == (expected is None), (row.key, mode, got, expected)
            if expected is not None:
                assert same_float(got, expected), (row.key, mode, got, expected)


def test_min_and_max_differ_from_last_where_the_history_does(world):
    client, refs = world["client"], world["refs"]
    ranges = read_ranges(world["store"], world["runs"])
    val_loss = {mode: by_label(compare_rows(world["runs"], mode=mode, ranges=ranges))
                ["metrics.val_loss"].values for mode in METRIC_MODES}
    assert val_loss == {"last": [0.4, 0.3, 0.35], "min": [0.2, 0.1, 0.3],
                        "max": [0.9, 1.0, 0.8]}
    history = client.get_metric_history(refs[1].info.run_id, "val_loss")
    assert min(m.value for m in history) == val_loss["min"][1]
    assert max(m.value for m in history) == val_loss["max"][1]
    # a history of 0.9 then NaN: last is NaN, the lowest and highest are 0.9
    score = {mode: by_label(compare_rows(world["runs"], mode=mode, ranges=ranges))
             ["metrics.score"] for mode in METRIC_MODES}
    assert math.isnan(score["last"].values[0])
    assert score["min"].values[0] == score["max"].values[0] == 0.9
    # only NaN ever: no lowest value, said so
    assert by_label(compare_rows(world["runs"], mode="min", ranges=ranges))[
        "metrics.all_nan"].texts == ["no finite value"] * 3


def test_min_and_max_before_the_ranges_are_read(world):
    rows = by_label(compare_rows(world["runs"], mode="max", ranges=None))
    assert rows["metrics.val_loss"].texts == ["…"] * 3
    assert rows["metrics.val_loss"].values == [None] * 3
    assert rows["metrics.only_alpha"].texts == ["…", "", ""]
    assert rows["metrics.val_loss"].best == frozenset()
    with pytest.raises(ValueError):
        compare_rows(world["runs"], mode="median")


# -- the best run of each metric -------------------------------------------------------------


@pytest.mark.parametrize("mode", METRIC_MODES)
def test_best_by_the_direction_the_name_says(world, mode):
    client, refs = world["client"], world["refs"]
    ranges = read_ranges(world["store"], world["runs"]) if mode != "last" else None
    for row in compare_rows(world["runs"], mode=mode, ranges=ranges):
        if row.section != "metrics":
            continue
        assert row.direction == DIRECTIONS[row.key], row.key
        want = [mlflow_value(client, ref, row.key, mode) if row.key in ref.data.metrics
                else None for ref in refs]
        assert set(row.best) == expected_best(want, DIRECTIONS[row.key]), (row.key, mode)


def test_best_values_named(world):
    ranges = read_ranges(world["store"], world["runs"])
    best = {mode: {r.key: set(r.best) for r in compare_rows(world["runs"], mode=mode,
                                                             ranges=ranges)
                   if r.section == "metrics"} for mode in METRIC_MODES}
    assert best["last"]["val_loss"] == {1} and best["max"]["val_loss"] == {2}
    assert best["last"]["acc"] == {2} and best["max"]["acc"] == {1}
    assert best["last"]["neg_mean_squared_error"] == {1}  # -0.25: neg_ flips "error"
    assert best["last"]["f1"] == {0, 1}  # a tie: both
    assert best["last"]["equal_acc"] == set()  # all equal: nothing to choose
    assert best["last"]["mystery"] == set()  # the name does not say


def test_nan_inf_and_missing_are_never_best(world):
    ranges = read_ranges(world["store"], world["runs"])
    rows = by_label(compare_rows(world["runs"], ranges=ranges))
    score = rows["metrics.score"]  # NaN, 0.5, 0.25: highest is best
    assert math.isnan(score.values[0])
    assert score.best == {1}
    for direction in ("min", "max"):
        flipped = by_label(compare_rows(world["runs"], directions={"score": direction}))
        assert 0 not in flipped["metrics.score"].best
        assert flipped["metrics.score"].best == ({2} if direction == "min" else {1})
    # inf, 1.0, missing: one finite value is nothing to compare
    assert rows["metrics.inf_loss"].best == frozenset()
    for direction in ("min", "max"):
        flipped = by_label(compare_rows(world["runs"], directions={"inf_loss": direction}))
        assert flipped["metrics.inf_loss"].best == frozenset()
    # only the run that has it: never best alone
    assert by_label(compare_rows(world["runs"], directions={"only_alpha": "max"}))[
        "metrics.only_alpha"].best == frozenset()


def test_directions_flip_or_turn_off_the_best(world):
    rows = by_label(compare_rows(world["runs"], directions={"val_loss": "max", "acc": None,
                                                            "mystery": "min"}))
    assert rows["metrics.val_loss"].direction == "max"
    assert rows["metrics.val_loss"].best == {0}  # 0.4 is the highest last value
    assert rows["metrics.acc"].direction is None and rows["metrics.acc"].best == frozenset()
    assert rows["metrics.mystery"].best == {2}
    # the others keep their guess
    assert rows["metrics.f1"].direction == "max"


@pytest.mark.parametrize(("key", "direction"), [
    ("loss", "min"), ("val_loss", "min"), ("train/error", "min"), ("mae", "min"),
    ("val_rmse", "min"), ("eval.mse", "min"), ("f1_loss", "min"),
    ("acc", "max"), ("val_acc", "max"), ("auc", "max"), ("roc_auc", "max"), ("f1", "max"),
    ("precision", "max"), ("top5_accuracy", "max"), ("precision@10", "max"),
    ("neg_mean_squared_error", "max"), ("neg_log_loss", "max"), ("neg_accuracy", "min"),
    ("lr", None), ("epoch", None), ("step_count", None), ("", None),
])
def test_guess_direction(key, direction):
    assert guess_direction(key) == direction


# -- exports parsed back ----------------------------------------------------------------------


def md_cells(line: str) -> list[str]:
    """The cells of a Markdown table line, ``\\|`` and ``\\\\`` unescaped."""
    assert line.startswith("| ") and line.endswith(" |"), line
    cells, cell, i, body = [], "", 0, line[1:-1]
    while i < len(body):
        if body[i] == "\\":
            cell += body[i + 1]
            i += 2
            continue
        if body[i] == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += body[i]
        i += 1
    cells.append(cell.strip())
    return cells


@pytest.mark.parametrize("mode", METRIC_MODES)
def test_markdown_holds_mlflows_values_and_bolds_the_best(world, mode):
    client, refs, runs = world["client"], world["refs"], world["runs"]
    ranges = read_ranges(world["store"], runs) if mode != "last" else None
    rows = compare_rows(runs, mode=mode, ranges=ranges)
    text = to_markdown(runs, rows, mode=mode)
    lines = text.splitlines()
    assert len(lines) == len(rows) + 2  # no value broke a line
    assert not any(ch < " " for ch in text.replace("\n", ""))  # no control character
    header = md_cells(lines[0])
    assert header[0] == "key"
    for cell, ref in zip(header[1:], refs, strict=True):
        assert ref.info.run_id[:8] in cell
        assert cell.startswith(ref.info.run_name.translate(PICTURES))
    assert md_cells(lines[1].replace("|---", "| ---").replace("---|", "--- |")) \
        == ["---"] * (len(refs) + 1)
    suffix = "" if mode == "last" else f" ({mode})"
    parsed = {cells[0]: cells[1:] for cells in map(md_cells, lines[2:])}
    assert len(parsed) == len(rows)
    for key in refs[0].data.params:
        assert parsed[f"params.{key}"] == [ref.data.params[key].translate(PICTURES)
                                           for ref in refs]
    assert parsed["tags.team"] == [ref.data.tags["team"] for ref in refs]
    assert parsed["status"] == [ref.info.status for ref in refs]
    keys = sorted({k for ref in refs for k in ref.data.metrics})
    for key in keys:
        cells = parsed[f"metrics.{key}{suffix}"]
        want = [mlflow_value(client, ref, key, mode) if key in ref.data.metrics else None
                for ref in refs]
        bold = {i for i, c in enumerate(cells) if c.startswith("**") and c.endswith("**")}
        assert bold == expected_best(want, DIRECTIONS[key]), (key, cells)
        for cell, expected in zip(cells, want, strict=True):
            cell = cell.strip("*")
            if expected is None:
                assert cell == "", (key, cell)
            else:
                assert same_float(float(cell), expected), (key, cell, expected)


def test_markdown_escapes_the_hostile_value(world):
    rows = compare_rows(world["runs"])
    text = to_markdown(world["runs"], rows)
    line = next(x for x in text.splitlines() if x.startswith("| params.note |"))
    assert "a\\|b\\\\c⏎d␛]0;x␇" in line
    assert "\x1b" not in text and "\x07" not in text


def test_csv_holds_mlflows_values_exactly(world):
    client, refs, runs = world["client"], world["refs"], world["runs"]
    ranges = read_ranges(world["store"], runs)
    rows = compare_rows(runs, mode="min", ranges=ranges)
    table = list(csv.reader(io.StringIO(to_csv(runs, rows))))
    assert table[0] == ["key", *[ref.info.run_id for ref in refs]]
    assert table[1] == ["run_name", *[ref.info.run_name for ref in refs]]  # escapes kept
    data = {line[0]: line[1:] for line in table[2:]}
    assert len(data) == len(rows) and all(len(v) == len(refs) for v in data.values())
    assert data["status"] == [ref.info.status for ref in refs]
    assert data["start_time"] == [iso(ref.info.start_time) for ref in refs]
    assert data["duration_ms"] == [str(ref.info.end_time - ref.info.start_time)
                                   for ref in refs]
    assert data["user"] == [ref.info.user_id for ref in refs]
    for key in refs[0].data.params:  # the hostile value and the formulas, byte for byte
        assert data[f"params.{key}"] == [ref.data.params[key] for ref in refs]
    for key in ("team", "same_tag"):
        assert data[f"tags.{key}"] == [ref.data.tags[key] for ref in refs]
    for key in sorted({k for ref in refs for k in ref.data.metrics}):
        for cell, ref in zip(data[f"metrics.{key}"], refs, strict=True):
            want = mlflow_value(client, ref, key, "min") if key in ref.data.metrics else None
            if want is None:
                assert cell == "", key
            else:
                assert float(cell) == want, (key, cell, want)  # to the last digit


def test_csv_for_a_terminal_draws_control_characters(world):
    rows = compare_rows(world["runs"])
    text = to_csv(world["runs"], rows, safe=True)
    assert not any(ch < " " for ch in text.replace("\n", ""))
    table = list(csv.reader(io.StringIO(text)))
    assert len(table) == len(rows) + 2  # the newline inside a value is drawn, not kept
    data = {line[0]: line[1:] for line in table}
    assert data["params.note"][0] == HOSTILE.translate(PICTURES)
    assert data["run_name"][2] == RUNS[2][0].translate(PICTURES)


def test_csv_for_a_terminal_neutralises_formulas(world):
    """A cell starting with = + - @ is run by a spreadsheet that opens the file
    (CSV injection): the safe CSV must not start a text value with one."""
    rows = compare_rows(world["runs"])
    table = list(csv.reader(io.StringIO(to_csv(world["runs"], rows, safe=True))))
    cells = {line[0]: line[1:] for line in table}["params.formula"]
    assert len(cells) == len(FORMULAS)
    for cell, formula in zip(cells, FORMULAS, strict=True):
        assert formula.lstrip("=+-@") in cell
        assert not cell.startswith(("=", "+", "-", "@")), cell


@pytest.mark.parametrize("mode", METRIC_MODES)
def test_json_holds_mlflows_values(world, mode):
    client, refs, runs = world["client"], world["refs"], world["runs"]
    ranges = read_ranges(world["store"], runs) if mode != "last" else None
    rows = compare_rows(runs, mode=mode, ranges=ranges)
    data = json.loads(to_json(runs, rows, mode=mode))
    assert data["metric_value"] == mode
    assert data["runs"] == [{"run_id": r.info.run_id, "run_name": r.info.run_name,
                             "experiment_id": r.info.experiment_id} for r in refs]
    found = {row["key"]: row for row in data["rows"]}
    assert len(found) == len(rows)
    ids = [r.info.run_id for r in refs]
    for key in refs[0].data.params:
        assert found[f"params.{key}"]["values"] == {r.info.run_id: r.data.params[key]
                                                    for r in refs}
        assert "best" not in found[f"params.{key}"]
    assert found["duration_ms"]["values"] == {r.info.run_id: r.info.end_time - r.info.start_time
                                              for r in refs}
    for key in sorted({k for ref in refs for k in ref.data.metrics}):
        row = found[f"metrics.{key}"]
        want = [mlflow_value(client, ref, key, mode) if key in ref.data.metrics else None
                for ref in refs]
        for rid, expected in zip(ids, want, strict=True):
            got = row["values"][rid]
            if expected is None:
                assert got is None, key
            elif math.isnan(expected):
                assert got == "NaN", key
            elif math.isinf(expected):
                # spelled as `mltui runs --format json` spells them
                assert got == ("Infinity" if expected > 0 else "-Infinity"), key
            else:
                assert got == expected, key
        assert row["direction"] == DIRECTIONS[key]
        assert row["best"] == [ids[i] for i in sorted(expected_best(want, DIRECTIONS[key]))]


def test_exports_of_only_the_differences(world):
    runs = world["runs"]
    shown = shown_rows(compare_rows(runs), True)
    table = list(csv.reader(io.StringIO(to_csv(runs, shown))))
    keys = [line[0] for line in table[2:]]
    assert keys == [r.data_label for r in shown]
    assert "params.same" not in keys and "params.lr" in keys
    data = json.loads(to_json(runs, shown))
    assert [row["key"] for row in data["rows"]] == keys


# -- scatter and parallel over the compared runs -------------------------------------------


def test_scatter_of_the_runs_on_a_log_axis(world):
    refs = world["refs"]
    scatter = read_scatter(world["store"], Column(PARAM, "lr"), Column(METRIC, "val_loss"),
                           runs=world["runs"])
    assert scatter.x.log  # 0.1 to 0.001: two orders of magnitude
    assert scatter.run_ids == [r.info.run_id for r in refs] and scatter.missing == 0
    assert scatter.xs == pytest.approx([math.log10(float(r.data.params["lr"])) for r in refs])
    assert scatter.ys == [r.data.metrics["val_loss"] for r in refs]
    text = render_scatter(scatter, 80, 20, color=False)
    assert "params.lr (log)" in text and "metrics.val_loss" in text
    assert "\x1b" not in text
    # a text param is an axis of categories; a run without a value is left out
    cats = read_scatter(world["store"], Column(PARAM, "note"), Column(METRIC, "only_alpha"),
                        runs=world["runs"])
    assert cats.x.categories == sorted({r.data.params["note"] for r in refs})
    assert cats.missing == 2 and cats.run_ids == [refs[0].info.run_id]


def test_parallel_lines_span_each_axis(world):
    refs = world["refs"]
    par = read_parallel(world["store"], [Column(PARAM, "lr"), Column(PARAM, "note")],
                        Column(METRIC, "acc"), runs=world["runs"])
    assert par.run_ids == [r.info.run_id for r in refs]
    accs = [r.data.metrics["acc"] for r in refs]
    assert par.metric == accs
    low, high = min(accs), max(accs)
    notes = sorted({r.data.params["note"] for r in refs})
    for line, ref in zip(par.lines, refs, strict=True):
        lr = math.log10(float(ref.data.params["lr"]))  # -1, -2, -3 on a log axis
        assert line[0] == pytest.approx((lr + 3) / 2)
        assert line[1] == notes.index(ref.data.params["note"])
        assert line[2] == pytest.approx((ref.data.metrics["acc"] - low) / (high - low))
