"""Running ``mltui.cli.main`` in the test process and reading what it printed."""

from __future__ import annotations

from mltui.cli import main


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of ``mltui ARGS``."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def ok(capsys, *args: str) -> str:
    """stdout of a command that must succeed silently on stderr."""
    code, out, err = run_cli(capsys, *args)
    assert code == 0, err
    assert err == ""
    return out


def one_line_error(code: int, out: str, err: str) -> str:
    """The error line of a command that must fail as mltui fails: exit 2, nothing on
    stdout, one ``mltui: error:`` line on stderr and no traceback."""
    assert code == 2, (code, out, err)
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mltui: error: ")
    assert "Traceback" not in err
    return lines[0]
