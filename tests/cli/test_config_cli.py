"""`mltui config path|edit`, `mltui concepts [NAME]`, `--connection` / `-c` on the
command line, and NO_COLOR for what the CLI prints (issue 15)."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from mltui.concepts import CONCEPTS
from mltui.config import DEFAULT_CONFIG, load_settings
from mltui.output import color_wanted
from support.clihelp import ok, one_line_error, run_cli


def config_file() -> Path:
    return Path(os.environ["XDG_CONFIG_HOME"]) / "mltui" / "config.toml"


def write_config(text: str) -> Path:
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def editor_script(tmp_path: Path, body: str) -> str:
    """An $EDITOR that runs ``body`` with the file as $1."""
    script = tmp_path / "editor.sh"
    script.write_text(f"#!/bin/sh\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


# -- config path / edit -------------------------------------------------------------------


def test_config_path_prints_the_file_in_the_user_config_dir(capsys):
    assert ok(capsys, "config", "path").strip() == str(config_file())


def test_config_edit_without_an_editor_is_one_line(capsys, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    line = one_line_error(*run_cli(capsys, "config", "edit"))
    assert "set $EDITOR" in line and str(config_file()) in line
    assert not config_file().exists()  # nothing written for nobody to read


def test_config_edit_creates_the_commented_defaults_and_opens_them(capsys, monkeypatch,
                                                                   tmp_path):
    seen = tmp_path / "seen"
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor_script(tmp_path, f'cp "$1" {seen}'))
    ok(capsys, "config", "edit")
    assert config_file().read_text() == DEFAULT_CONFIG
    assert seen.read_text() == DEFAULT_CONFIG  # the editor got the file
    assert load_settings(config_file()).problems == []  # all comments: all defaults


def test_config_edit_keeps_an_existing_file_and_reports_its_problems(capsys, monkeypatch,
                                                                     tmp_path):
    write_config('theme = "nord"\n')
    monkeypatch.setenv("VISUAL", editor_script(tmp_path, 'echo "page_size = 3" >> "$1"'))
    code, out, err = run_cli(capsys, "config", "edit")
    assert code == 0 and out == ""
    assert config_file().read_text() == 'theme = "nord"\npage_size = 3\n'
    assert err.strip() == (f"mltui: warning: {config_file()}:2: 'page_size' must be between "
                           "10 and 10000, got 3; using the default")


def test_config_edit_with_a_missing_editor_is_one_line(capsys, monkeypatch):
    monkeypatch.setenv("EDITOR", "no-such-editor-here --wait")
    line = one_line_error(*run_cli(capsys, "config", "edit"))
    assert "cannot run the editor 'no-such-editor-here --wait'" in line


def test_the_default_config_uncommented_is_valid(tmp_path):
    """Every example in the template is a setting mltui takes, written as it takes it."""
    setting = re.compile(r"# ?(\[|\"[^\"]+\" = |[a-z_]+ = )")
    lines = [line[2:] if setting.match(line) else line for line in DEFAULT_CONFIG.splitlines()]
    path = tmp_path / "config.toml"
    path.write_text("\n".join(lines))
    settings = load_settings(path)
    assert settings.problems == []
    assert set(settings.connections) == {"prod", "staging", "local"}
    assert settings.keymap == {"runs.sort": "ctrl+o"}


# -- concepts -------------------------------------------------------------------------------


def test_concepts_prints_every_concept_as_plain_text(capsys):
    out = ok(capsys, "concepts")
    for concept in CONCEPTS:
        assert concept.title in out
    assert "\x1b" not in out
    assert max(len(line) for line in out.splitlines()) <= 78  # a pipe: 78 columns
    assert out.count("In mltui:") == len(CONCEPTS)


def test_concepts_by_name_or_word(capsys):
    out = ok(capsys, "concepts", "span")
    assert out.startswith("Trace and span\n") and "In mltui:" in out
    out = ok(capsys, "concepts", "stage")
    assert "deprecated" in out and "Trace" not in out
    listed = ok(capsys, "concepts", "--list")
    assert len(listed.splitlines()) == len(CONCEPTS)
    line = one_line_error(*run_cli(capsys, "concepts", "quantum"))
    assert "no concept matches 'quantum'" in line


def test_concepts_and_config_need_no_store(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no mlflow.db, no mlruns here
    assert ok(capsys, "concepts", "run")
    assert ok(capsys, "config", "path")
    assert not (tmp_path / "mlflow.db").exists()


# -- --connection ------------------------------------------------------------------------------


def test_connection_opens_the_named_uri(capsys, sql_uri):
    write_config(f'[connections.local]\nuri = "{sql_uri}"\n')
    by_uri = ok(capsys, "experiments", "--uri", sql_uri, "--format", "json")
    assert ok(capsys, "--connection", "local", "experiments", "--format", "json") == by_uri
    assert ok(capsys, "-c", "local", "experiments", "--format", "json") == by_uri
    assert ok(capsys, "experiments", "--connection", "local", "--format", "json") == by_uri
    # runs keeps -c for --columns
    out = ok(capsys, "runs", "sweep", "--connection", "local", "-c", "run_name", "--max", "2")
    assert out.splitlines()[0] == "run_name" and len(out.splitlines()) == 4


def test_an_unknown_connection_or_one_with_a_uri_is_one_line(capsys, sql_uri):
    write_config(f'[connections.local]\nuri = "{sql_uri}"\n')
    line = one_line_error(*run_cli(capsys, "-c", "prod", "experiments"))
    assert "No connection named 'prod'" in line and "known: local" in line
    line = one_line_error(*run_cli(capsys, "-c", "local", "--uri", sql_uri, "experiments"))
    assert "without a URI" in line


# -- NO_COLOR ----------------------------------------------------------------------------------


class _Tty:
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("", True), ("1", False)])
def test_color_only_for_a_terminal_without_no_color(monkeypatch, value, expected):
    if value is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", value)
    assert color_wanted(_Tty()) is expected
    assert color_wanted(sys.stdout) is False or sys.stdout.isatty()
