"""Control characters in what the commands print: csv writes stored values unchanged
to a pipe and as symbols to a terminal, ``--safe`` / ``--raw`` force either, a table
is always shown with symbols, and every output command's --help says so."""

from __future__ import annotations

import csv
import io

import pytest
from mlflow import MlflowClient

from mltui.cli import main
from mltui.output import Tabular, print_table_or_data

HOSTILE = "t\x1b]0;pwned\x1b\\ clip\x1b]52;c;eA==\x07 c1\x9d del\x7f"
NOTE = "mlflow.note.content"


@pytest.fixture
def hostile_uri(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    client.set_experiment_tag(client.create_experiment("hostile-exp"), NOTE, HOSTILE)
    return writable_sql_uri


def descriptions(out: str) -> list[str]:
    rows = list(csv.DictReader(io.StringIO(out)))
    return [r["description"] for r in rows if r["name"] == "hostile-exp"]


def test_csv_to_a_pipe_is_raw_unless_safe_and_raw_forces_raw(hostile_uri, capsys):
    assert main(["experiments", "--uri", hostile_uri, "--format", "csv"]) == 0
    assert descriptions(capsys.readouterr().out) == [HOSTILE]  # default to a pipe: raw

    assert main(["experiments", "--uri", hostile_uri, "--format", "csv", "--safe"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x9d" not in out and "\x07" not in out and "\x7f" not in out
    assert descriptions(out) == ["t␛]0;pwned␛\\ clip␛]52;c;eA==␇ c1\\u009d del␡"]

    assert main(["experiments", "--uri", hostile_uri, "--format", "csv", "--raw"]) == 0
    assert descriptions(capsys.readouterr().out) == [HOSTILE]


def test_a_table_is_always_escaped_and_raw_with_a_table_is_refused(hostile_uri, capsys):
    assert main(["experiments", "--uri", hostile_uri]) == 0
    out = capsys.readouterr().out
    assert "hostile-exp" in out and "\x1b" not in out and "␛]0;pwned" in out
    # refused before the command runs (stage/alias would write first)
    assert main(["experiments", "--uri", hostile_uri, "--raw"]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "--raw" in captured.err
    with pytest.raises(SystemExit):
        main(["experiments", "--uri", hostile_uri, "--raw", "--safe"])


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_csv_to_a_terminal_is_escaped_unless_raw():
    result = Tabular(["name"], [["x"]], [{"name": HOSTILE}])
    tty = _Terminal()
    print_table_or_data(result, "csv", tty)
    assert "\x1b" not in tty.getvalue() and "␛]0;pwned" in tty.getvalue()
    tty = _Terminal()
    print_table_or_data(result, "csv", tty, escapes="raw")
    assert HOSTILE in tty.getvalue()
    pipe = io.StringIO()
    print_table_or_data(result, "csv", pipe, escapes="safe")
    assert "\x1b" not in pipe.getvalue()
    pipe = io.StringIO()
    print_table_or_data(result, "json", pipe)  # JSON escapes control characters itself
    assert "\x1b" not in pipe.getvalue() and "\\u001b" in pipe.getvalue()


@pytest.mark.parametrize("command", [["experiments"], ["runs"], ["models"], ["model", "show"],
                                     ["stage"], ["alias"]])
def test_each_output_command_says_how_control_characters_are_written(command, capsys):
    with pytest.raises(SystemExit):
        main([*command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--safe" in text and "--raw" in text
    assert "writes them unchanged to a pipe or file" in text
