"""``mltui serve`` before it serves: the missing extra, a taken port, a bad store and
a public address are one line each (exit 2, no traceback); each tab's command line
is this mltui with the same store options, whatever quotes the URI holds.

Serving in a browser: tests/ui/test_serve_browser.py.
"""

from __future__ import annotations

import argparse
import os
import shlex
import socket
import subprocess
import sys

import pytest

from mltui.cli import build_command_parser
from mltui.serve import app_argv, app_command
from support.clihelp import one_line_error, run_cli
from support.faults import PERMISSION_FAULTS, STORE_FAULTS, STORE_SAYS, make_store
from support.servers import free_port

HOSTILE_URI = "sqlite:////tmp/it's a \"quoted\" $HOME `x` store/mlflow.db"
"""Spaces, both quotes, and what a shell would expand if it were not quoted."""


def serve_args(*argv: str):
    return build_command_parser().parse_args(["serve", *argv])


def test_without_the_extra_it_names_the_install_command(monkeypatch, capsys):
    # as if textual-serve were not installed (None in sys.modules: the import fails)
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    # said before anything else is tried: no store is opened, no port bound
    line = one_line_error(*run_cli(capsys, "serve", "--uri", "/nowhere/mlruns"))
    assert "pip install 'mltui[serve]'" in line, line


def test_a_port_in_use_is_one_line(sql_uri, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        line = one_line_error(*run_cli(capsys, "serve", "--port", str(port), sql_uri))
    assert f"port {port} on 127.0.0.1 is already in use" in line, line
    assert "--port" in line


def test_a_port_taken_after_the_check_is_one_line_too(sql_uri, tmp_path):
    """Someone binds the port between mltui's check and aiohttp's: textual-serve has
    printed its banner by then, but the error is still one line and no traceback."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        script = ("import sys, mltui.serve as s; s.check_port_free = lambda h, p: None; "
                  "from mltui.cli import main; sys.exit(main(sys.argv[1:]))")
        done = subprocess.run(
            [sys.executable, "-c", script, "serve", "--port", str(port), sql_uri],
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path)})
    assert done.returncode == 2, done
    assert done.stderr.splitlines() == [
        f"mltui: error: port {port} on 127.0.0.1 is already in use (another mltui serve?): "
        "choose another with --port"], done.stderr
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize("port", ["0", "70000"])
def test_a_port_out_of_range_is_one_line(port, sql_uri, capsys):
    line = one_line_error(*run_cli(capsys, "serve", "--port", port, sql_uri))
    assert "1 to 65535" in line


def test_a_store_that_does_not_exist_is_said_before_serving(tmp_path, capsys):
    missing = f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}"
    line = one_line_error(*run_cli(capsys, "serve", "--port", str(free_port()), missing))
    assert "mlflow.db" in line, line


@pytest.mark.parametrize("fault", [f for f in STORE_FAULTS if f not in PERMISSION_FAULTS])
def test_a_bad_store_is_one_line_before_serving(fault, tmp_path, capsys):
    """The fault matrix's bad stores (test_fault_matrix.py runs the other commands)."""
    uri = make_store(fault, tmp_path)
    line = one_line_error(*run_cli(capsys, "serve", "--port", str(free_port()), uri))
    assert STORE_SAYS[fault] in line, line


def test_a_server_that_does_not_answer_is_one_line_before_serving(monkeypatch, capsys):
    # opening a tracking server asks nothing: serve reads the experiments once
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    line = one_line_error(*run_cli(capsys, "serve", "--port", str(free_port()),
                                   f"http://127.0.0.1:{free_port()}"))
    assert "127.0.0.1" in line, line


def test_a_public_address_is_warned_about_loudly(tmp_path, capsys):
    """No login in front of the page: on another address than loopback anyone who
    reaches the port can write to the store, and mltui says so first."""
    missing = f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}"  # stops right after
    code, out, err = run_cli(capsys, "serve", "--host", "0.0.0.0", "--port", "1", missing)
    assert out == ""
    warning, error = err.splitlines()
    assert warning.startswith("mltui: warning: serving on 0.0.0.0: anyone who can reach")
    assert "writes to the store included (add --read-only)" in warning
    assert error.startswith("mltui: error: ") and code == 2
    code, out, err = run_cli(capsys, "serve", "--host", "0.0.0.0", "--read-only", "--port",
                             "1", missing)
    assert (code, out) == (2, "")
    assert "without a login" in err and "add --read-only" not in err


def test_loopback_is_served_without_a_warning(tmp_path, capsys):
    missing = f"sqlite:///{tmp_path / 'none' / 'mlflow.db'}"
    for host in ("127.0.0.1", "localhost", "::1"):
        one_line_error(*run_cli(capsys, "serve", "--host", host, "--port", "1", missing))


def test_the_help_says_what_is_published(capsys):
    with pytest.raises(SystemExit):
        run_cli(capsys, "serve", "--help")
    text = " ".join(capsys.readouterr().out.split())
    assert "127.0.0.1" in text and "no login" in text and "--read-only" in text
    assert "pip install 'mltui[serve]'" in text


def test_each_tab_runs_this_mltui_with_the_same_store_options():
    args = serve_args("--port", "9001", "--read-only", "-e", "my sweep", HOSTILE_URI)
    assert app_argv(args) == [sys.executable, "-m", "mltui", "--uri", HOSTILE_URI,
                              "--read-only", "--experiment", "my sweep"]
    assert app_argv(serve_args("--demo")) == [sys.executable, "-m", "mltui", "--demo"]
    # nothing given: each tab resolves the default store as the server did
    assert app_argv(serve_args()) == [sys.executable, "-m", "mltui"]
    # options given before the command name count as well
    args = build_command_parser().parse_args(["--read-only", "--demo", "serve"])
    assert app_argv(args)[3:] == ["--demo", "--read-only"]
    # a connection stays a name: its credentials are never put on a command line
    args = argparse.Namespace(connection="prod", uri=None, demo=False, read_only=False)
    assert app_argv(args)[3:] == ["--connection", "prod"]


def test_the_shell_hands_the_uri_over_unchanged():
    """textual-serve runs the command with ``/bin/sh -c``: what the shell passes on is
    exactly the argument list, quotes, spaces, $ and backticks included."""
    args = serve_args("--uri", HOSTILE_URI, "-e", "it's")
    command = app_command(args)
    assert shlex.split(command) == ["exec", *app_argv(args)]
    printed = subprocess.run(
        ["/bin/sh", "-c", command.replace("exec ", "printf '%s\\0' ", 1)],
        capture_output=True, text=True, check=True, env={"HOME": "/home/wrong"})
    assert printed.stdout.split("\0")[:-1] == app_argv(args)
