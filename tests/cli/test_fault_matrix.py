"""The fault matrix on the command line (issue 14): every command, and ``mltui URI``
(the UI's entry, which opens the store before the UI starts), against each bad store
and each bad tracking server (``support/faults.py``). Each ends in exactly one line,
``mltui: error: ...``, saying what is wrong, exit status 2, nothing on stdout and no
traceback. A real store in a read-only folder is read as usual and refuses each write
in one line.

Servers answer within the test's patience: ``MLFLOW_HTTP_REQUEST_TIMEOUT=0.5`` (the
variable a person sets) makes a silent or slow server a one-line timeout, and no
retries (``MLFLOW_HTTP_REQUEST_MAX_RETRIES=0``) keeps a 500 and a refused connection
from being asked again; the slow server answered in time is its own test. A deleted
or replaced database *during* a session is the UI's fault (``test_fault_matrix_tui.py``):
a command opens the store once.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest

from support.clihelp import one_line_error, run_cli
from support.faults import (
    PERMISSION_FAULTS,
    SERVER_FAULTS,
    SERVER_SAYS,
    SLOW_SECONDS,
    STORE_FAULTS,
    STORE_SAYS,
    FaultServer,
    make_store,
    permission_problem,
    permissions_apply,
    restore_permissions,
)

COMMANDS: dict[str, list[str]] = {
    "experiments": ["experiments"],
    "experiment": ["experiment", "tag", "sweep", "team=ml"],
    "runs": ["runs", "sweep"],
    "run": ["run", "tag", "--experiment", "sweep", "bare", "k=v"],
    "models": ["models"],
    "model": ["model", "show", "fraud-detector"],
    "version": ["version", "delete", "--yes", "fraud-detector", "1"],
    "stage": ["stage", "fraud-detector", "1", "Staging"],
    "alias": ["alias", "fraud-detector", "champion", "1"],
    "plot": ["plot", "--metric", "loss", "--experiment", "sweep", "child-0", "child-1"],
    "compare": ["compare", "--experiment", "sweep", "child-0", "child-1"],
}
"""One invocation of each command of ``mltui --help``, on names the shared store holds."""
WRITES = {"experiment", "run", "version", "stage", "alias"}
TUI = "mltui URI"
"""The UI's entry: ``mltui URI`` opens the store, then (only then) starts the UI."""



def invoke(capsys, command: str, uri: str) -> tuple[int, str, str]:
    args = COMMANDS.get(command)
    return run_cli(capsys, uri) if args is None else run_cli(capsys, *args, "--uri", uri)


@pytest.fixture(scope="module", params=STORE_FAULTS)
def bad_store(request, tmp_path_factory) -> Iterator[tuple[str, str]]:
    """(fault, URI) of one bad store, made once for every command."""
    fault = request.param
    folder = tmp_path_factory.mktemp(f"fault-{fault}")
    if fault in PERMISSION_FAULTS:
        problem = permission_problem(folder)
        if problem:
            pytest.skip(problem)
    uri = make_store(fault, folder)
    yield fault, uri
    restore_permissions(folder)


@contextlib.contextmanager
def as_a_user(fault: str) -> Iterator[None]:
    """File permissions apply (also to root) for the faults made of them."""
    with permissions_apply() if fault in PERMISSION_FAULTS else contextlib.nullcontext():
        yield


@pytest.mark.parametrize("command", [*COMMANDS, TUI])
def test_a_bad_store_is_one_line(bad_store, command, capsys):
    fault, uri = bad_store
    if fault == "read-only-folder" and command == TUI:
        # `mltui URI` opens it as the UI's entry does, then would start the UI (that
        # part: test_fault_matrix_tui.py)
        from mltui.store import open_store

        with as_a_user(fault), open_store(uri) as store:
            assert store.list_experiments()
        return
    with as_a_user(fault):
        code, out, err = invoke(capsys, command, uri)
    if fault == "read-only-folder" and command not in WRITES:
        assert (code, err) == (0, ""), err  # reading needs no write access
        assert out.strip()
        return
    line = one_line_error(code, out, err)
    assert STORE_SAYS[fault] in line, line


@pytest.fixture(scope="module", params=SERVER_FAULTS)
def bad_server(request) -> Iterator[FaultServer]:
    with FaultServer(request.param) as server:
        yield server


@pytest.fixture
def impatient(monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "0.5")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_bad_server_is_one_line(bad_server, command, impatient, capsys):
    line = one_line_error(*invoke(capsys, command, bad_server.url))
    assert SERVER_SAYS[bad_server.mode] in line, line
    assert re.search(r"\bwithin 0\.5 s\b", line) or bad_server.mode not in ("slow", "hang")
    if bad_server.mode != "dead":
        assert bad_server.requests >= 1  # the failure is the server's answer, not ours


def test_a_slow_server_answered_in_time_works(monkeypatch, capsys):
    """Slow is not broken: with the timeout above its delay the list arrives."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", str(SLOW_SECONDS * 3))
    with FaultServer("slow") as server:
        code, out, err = invoke(capsys, "experiments", server.url)
    assert (code, err) == (0, "")
    assert "Default" in out


def test_the_matrix_covers_every_command_of_the_help():
    """A command added to ``mltui --help`` without a line here fails."""
    from mltui.cli import COMMANDS as LISTED
    from mltui.cli import LOCAL_COMMANDS

    # concepts and config read no store; serve reads it, then serves until stopped (its
    # faults are in test_serve_cli.py)
    assert set(LISTED) - LOCAL_COMMANDS - {"serve"} == set(COMMANDS)
