"""Filter-bar completion and the column specs shared by the CLI and the table."""

import pytest

from mltui.columns import Column, parse_column, parse_columns
from mltui.completion import KeyIndex, candidates, operator_hint
from mltui.store.entities import Metric, Run
from mltui.store.search import ATTRIBUTE, METRIC, PARAM, TAG, parse_filter

INDEX = KeyIndex(metrics=["acc", "val/loss", "val_acc"], params=["lr", "batch size"],
                 tags=["mlflow.user", "team"])


def test_completes_entity_prefixes_and_attributes():
    assert "metrics." in candidates("met", INDEX)
    assert "status " in candidates("sta", INDEX)
    assert candidates("metrics.acc > 1 AND par", INDEX)[0] == "metrics.acc > 1 AND params."


def test_completes_keys_and_quotes_odd_ones_so_the_result_parses():
    found = candidates("metrics.val", INDEX)
    assert "metrics.`val/loss` " in found
    assert "metrics.val_acc " in found
    for text in found:
        parse_filter(text + "> 1")
    assert candidates("params.ba", INDEX) == ["params.`batch size` "]
    assert candidates("tags.mlflow.u", INDEX) == ["tags.mlflow.user "]


def test_operator_hint_follows_the_kind():
    assert ">" in operator_hint("metrics.acc ")
    assert "LIKE" in operator_hint("params.lr ")
    assert operator_hint("nothing") == []


@pytest.mark.parametrize(
    ("spec", "column"),
    [
        ("run_name", Column(ATTRIBUTE, "run_name")),
        ("user_id", Column(ATTRIBUTE, "user")),
        ("metrics.acc", Column(METRIC, "acc")),
        ("metrics.`val/loss`", Column(METRIC, "val/loss")),
        ("params.`batch size`", Column(PARAM, "batch size")),
        ("tags.mlflow.user", Column(TAG, "mlflow.user")),
    ],
)
def test_parse_column_round_trips(spec, column):
    assert parse_column(spec) == column
    assert parse_column(column.spec) == column


def test_column_list_keeps_commas_inside_backticks():
    cols = parse_columns("run_name, metrics.`a,b`,params.lr")
    assert [c.key for c in cols] == ["run_name", "a,b", "lr"]
    with pytest.raises(ValueError, match="Unknown column"):
        parse_column("nonsense")


def test_cells_are_plain_safe_text():
    run = Run(run_id="r", experiment_id="1", run_name="[bold]x[/]\x1b[2J",
              metrics={"acc": Metric("acc", float("nan"))}, tags={"t": "a\nb"})
    assert parse_column("run_name").text(run) == "[bold]x[/]␛[2J"
    assert parse_column("metrics.acc").text(run) == "NaN"
    assert "\n" not in parse_column("tags.t").text(run)
    assert parse_column("metrics.acc").order_by(False) == "metrics.`acc` DESC"
    assert parse_column("duration").order_by(True) is None
