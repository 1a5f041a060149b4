"""`mltui plot`: the chart of the TUI printed for scripts, on the chart store made by
the real mlflow client; errors are one line with exit code 2."""

from __future__ import annotations

import pytest
from mlflow import MlflowClient

from mltui.cli import main
from support.builders import cached_store


@pytest.fixture(scope="module")
def charts_uri() -> str:
    return f"sqlite:///{cached_store('charts-sqlite') / 'mlflow.db'}"


def plot(capsys, uri: str, *args: str) -> tuple[int, str, str]:
    code = main(["plot", *args, "--uri", uri, "--width", "80", "--height", "20"])
    out, err = capsys.readouterr()
    return code, out, err


def test_plot_by_name_and_by_id(capsys, charts_uri):
    code, out, err = plot(capsys, charts_uri, "a", "b", "-e", "curves", "-m", "acc")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].strip() == "acc"  # the title
    assert "a" in out and "b" in out and "step" in lines[-1]
    assert "\x1b[" not in out  # no colours into a pipe
    assert max(len(line) for line in lines) <= 80
    client = MlflowClient(charts_uri)
    exp = client.get_experiment_by_name("curves").experiment_id
    rid = client.search_runs([exp], "attributes.run_name = 'long'")[0].info.run_id
    code, out, err = plot(capsys, charts_uri, rid, "-m", "loss", "--x", "relative", "--log")
    assert code == 0 and "time since start" in out
    # the spike of 100 is on the y axis; the -50 spike cannot be on a log scale: said so
    assert "100" in out
    assert "values ≤ 0 left out of the log scale" in out.splitlines()[-1]


def test_plot_smoothing_and_notes(capsys, charts_uri):
    code, out, _ = plot(capsys, charts_uri, "weird", "-e", "curves", "-m", "w", "--smooth",
                        "0.5")
    assert code == 0
    assert out.splitlines()[-1] == "1 NaN and 2 ±inf not drawn"


@pytest.mark.parametrize(("args", "message"), [
    (["nope", "-m", "acc"], "no run 'nope' (names need --experiment)"),
    (["nope", "-e", "curves", "-m", "acc"], "no run 'nope' in 'curves'"),
    (["a", "-e", "curves", "-m", "nosuch"], "no run here logged the metric 'nosuch'"),
    (["a", "-e", "curves", "-m", "acc", "--smooth", "1"], "--smooth takes a weight"),
    (["a", "-e", "nosuch", "-m", "acc"], "No experiment named or numbered 'nosuch'"),
])
def test_plot_errors_are_one_line(capsys, charts_uri, args, message):
    code, out, err = plot(capsys, charts_uri, *args)
    assert (code, out) == (2, "")
    [line] = err.splitlines()
    assert line.startswith("mltui: error: ") and message in line
