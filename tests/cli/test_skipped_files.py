"""A file the store had to skip (a corrupt meta.yaml in an mlruns folder) is said on
stderr by the commands, as the UI says it, while the rest is printed."""

from __future__ import annotations

import json
from pathlib import Path

from mlflow import MlflowClient

from support.builders import copy_store
from support.clihelp import run_cli


def test_runs_says_a_run_was_skipped_and_prints_the_others(tmp_path, capsys):
    uri = copy_store("file", tmp_path)
    client = MlflowClient(uri)
    exp = next(e for e in client.search_experiments() if client.search_runs([e.experiment_id]))
    runs = client.search_runs([exp.experiment_id], max_results=1000)
    broken = runs[0]
    meta = Path(tmp_path, "mlruns", exp.experiment_id, broken.info.run_id, "meta.yaml")
    meta.write_text("{ this is: [not yaml\n")

    code, out, err = run_cli(capsys, "runs", exp.experiment_id, "--uri", uri,
                             "--format", "json")
    assert code == 0
    shown = {r["run_id"] for r in json.loads(out)}
    assert shown == {r.info.run_id for r in runs[1:]}
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mltui: warning: ")
    assert "1 unreadable meta.yaml (skipped)" in lines[0] and broken.info.run_id in lines[0]


def test_a_healthy_store_says_nothing_on_stderr(tmp_path, capsys):
    uri = copy_store("file", tmp_path)
    code, out, err = run_cli(capsys, "experiments", "--uri", uri)
    assert (code, err) == (0, "") and out.strip()
