"""config.toml (issue 15): a bad file named by its line and then defaults; the date
format (and the older ``relative_times``); named connections whose credentials come
from the environment or a credential command, never from the file. The end-to-end
case: ``mltui -c prod`` with a credential command against MLflow's own basic-auth
server (``mlflow server --app-name basic-auth``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mltui.config import Connection, Settings, load_settings
from mltui.connections import AUTH_VARS, connection_env
from mltui.store.errors import StoreError
from mltui.store.secrets import mask_secrets
from mltui.textfmt import format_relative, format_timestamp, set_date_format
from support.clihelp import ok, one_line_error, run_cli
from support.servers import MlflowServer

ADMIN_PASSWORD = "admin-Passw0rd-long"


def settings_of(tmp_path: Path, text: str) -> Settings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return load_settings(path)


# -- a bad config: the line, then defaults ------------------------------------------------------


def test_a_file_toml_cannot_read_names_its_line_and_column(tmp_path):
    s = settings_of(tmp_path, 'theme = "nord"\npage_size = = 3\n')
    [problem] = s.problems
    assert problem == (f"{tmp_path / 'config.toml'}:2: Invalid value at column 13: "
                       "page_size = = 3; using the default settings")
    assert s.theme == "textual-dark" and s.page_size == 200  # all defaults


def test_a_wrong_value_names_its_line_and_keeps_that_default(tmp_path):
    s = settings_of(tmp_path, "\n".join([
        "# mine",
        'theme = "nord"',
        "page_size = \"big\"",
        "tree_view = 1",
        'date_format = "local"',
        "colour = 1",
        "[keymap]",
        '"runs.sort" = 5',
    ]) + "\n")
    where = f"{tmp_path / 'config.toml'}"
    assert s.problems == [
        f"{where}:3: 'page_size' should be a whole number, got 'big'; using the default",
        f"{where}:4: 'tree_view' should be true or false, got 1; using the default",
        f"{where}:5: 'date_format' must be one of relative, absolute, utc, got 'local'; "
        "using the default",
        f"{where}:6: unknown setting 'colour'",
        f"{where}:7: 'keymap' maps binding ids to keys, both strings (e.g. \"runs.sort\" = "
        "\"o\"); using the default",
    ]
    assert s.theme == "nord" and s.page_size == 200 and s.tree_view is True


def test_a_bad_connection_is_left_out_with_its_line(tmp_path):
    s = settings_of(tmp_path, "\n".join([
        "[connections.prod]",
        'uri = "https://mlflow.example.com"',
        "token_env = 5",
        "",
        "[connections.dev]",
        'uri = "sqlite:///dev.db"',
        'password = "hunter2"',
        "",
        "[connections.ok]",
        'uri = "http://localhost:5000"',
        'token_env = "OK_TOKEN"',
    ]) + "\n")
    where = f"{tmp_path / 'config.toml'}"
    assert s.problems[0].startswith(f"{where}:3: connection 'prod' needs uri")
    # a password in the file is not a setting: named, and the connection refused
    assert s.problems[1].startswith(f"{where}:7: connection 'dev' has unknown keys password")
    assert set(s.connections) == {"dev", "ok"}
    assert s.connections["ok"] == Connection("ok", "http://localhost:5000",
                                             token_env="OK_TOKEN")


# -- date format -------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("", "relative"),
    ("relative_times = false\n", "absolute"),  # the older setting still works
    ("relative_times = true\n", "relative"),
    ('date_format = "utc"\nrelative_times = true\n', "utc"),  # the newer one wins
    ('date_format = "absolute"\n', "absolute"),
])
def test_date_format_and_the_older_relative_times(tmp_path, text, expected):
    s = settings_of(tmp_path, text)
    assert s.problems == []
    assert s.date_format == expected
    # only the older setting turns the runs table's status symbols off, as it did
    assert s.relative_times is ("relative_times = false" not in text)


def test_the_date_format_drives_every_time_in_a_table():
    ms = 1_700_000_000_000  # 2023-11-14 22:13:20 UTC
    try:
        set_date_format("utc")
        assert format_relative(ms) == "2023-11-14 22:13:20 UTC" == format_timestamp(ms)
        set_date_format("absolute")
        assert format_relative(ms) == format_timestamp(ms)
        assert "UTC" not in format_timestamp(ms)
        set_date_format("relative")
        assert format_relative(ms, now_ms=ms + 3 * 3600_000) == "3h ago"
    finally:
        set_date_format("relative")


# -- credentials -------------------------------------------------------------------------------


BASE = {"PATH": "/usr/bin:/bin", "MLFLOW_TRACKING_TOKEN": "someone-elses-token"}


def test_credentials_from_named_environment_variables():
    env = connection_env(Connection("p", "https://x", username_env="P_USER",
                                    password_env="P_PASS"),
                         {**BASE, "P_USER": "alice", "P_PASS": "pa55-word"})
    assert env["MLFLOW_TRACKING_USERNAME"] == "alice"
    assert env["MLFLOW_TRACKING_PASSWORD"] == "pa55-word"
    assert "MLFLOW_TRACKING_TOKEN" not in env  # another server's token is not sent here
    assert mask_secrets("login pa55-word failed") == "login *** failed"


def test_a_credential_command_gives_the_password_or_the_token():
    with_user = connection_env(Connection("p", "https://x", username="bob",
                                          credential_command="printf 'b0b-secret\\n'"), BASE)
    assert (with_user["MLFLOW_TRACKING_USERNAME"], with_user["MLFLOW_TRACKING_PASSWORD"]) == \
        ("bob", "b0b-secret")
    token = connection_env(Connection("p", "https://x", credential_command="echo tok-123"),
                           BASE)
    assert token["MLFLOW_TRACKING_TOKEN"] == "tok-123"
    assert not {"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"} & set(token)
    assert mask_secrets("tok-123 and b0b-secret") == "*** and ***"


def test_without_credentials_the_environment_is_left_as_it_is():
    env = connection_env(Connection("p", "https://x"), BASE)
    assert env == BASE


@pytest.mark.parametrize(("connection", "message"), [
    (Connection("p", "https://x", token_env="NOT_SET_ANYWHERE"),
     "Connection 'p' takes its token from $NOT_SET_ANYWHERE, which is not set"),
    (Connection("p", "https://x", credential_command="echo nope >&2; exit 3"),
     "The credential command of connection 'p' failed (exit 3): nope"),
    (Connection("p", "https://x", credential_command="true"),
     "The credential command of connection 'p' printed nothing"),
])
def test_credential_failures_are_one_line(connection, message):
    with pytest.raises(StoreError) as caught:
        connection_env(connection, BASE)
    assert str(caught.value) == message


# -- end to end: mltui -c prod against MLflow's basic-auth server ------------------------------


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("basic-auth"), app_name="basic-auth", env={
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret",
    })
    server.start()
    try:
        server.wait_ready()
        httpx.post(f"{server.uri}/api/2.0/mlflow/experiments/create", json={"name": "secured"},
                   auth=("admin", ADMIN_PASSWORD), timeout=30).raise_for_status()
        yield server
    finally:
        server.stop()


@pytest.fixture
def no_mlflow_auth(monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    for name in AUTH_VARS:
        monkeypatch.delenv(name, raising=False)


def write_config(text: str) -> None:
    import os

    path = Path(os.environ["XDG_CONFIG_HOME"]) / "mltui" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_dash_c_with_a_credential_command_reaches_a_basic_auth_server(
        capsys, auth_server, no_mlflow_auth, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(ADMIN_PASSWORD + "\n")
    write_config(f'[connections.prod]\nuri = "{auth_server.uri}"\nusername = "admin"\n'
                 f'credential_command = "cat {secret_file}"\n'
                 f'[connections.wrong]\nuri = "{auth_server.uri}"\nusername = "admin"\n'
                 'credential_command = "echo not-the-password"\n')
    # without the connection's credentials the server refuses
    line = one_line_error(*run_cli(capsys, "--uri", auth_server.uri, "experiments"))
    assert "401" in line
    out = ok(capsys, "-c", "prod", "experiments")
    assert "secured" in out
    line = one_line_error(*run_cli(capsys, "-c", "wrong", "experiments"))
    assert "401" in line and "not-the-password" not in line
    # the password is nowhere mltui writes
    config_dir = Path(__import__("os").environ["XDG_CONFIG_HOME"])
    for path in config_dir.rglob("*"):
        if path.is_file():
            assert ADMIN_PASSWORD not in path.read_text(errors="replace"), path


def _run_in_terminal(args: list[str], answer: str, env: dict[str, str]) -> tuple[int, str]:
    """``mltui ARGS`` on a real pseudo-terminal; ``answer`` typed once it asks."""
    import os
    import pty
    import subprocess
    import sys
    import time

    leader, follower = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "mltui", *args], stdin=follower,
                            stdout=follower, stderr=follower, env=env, close_fds=True)
    os.close(follower)
    seen, answered, deadline = b"", False, time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the command has ended
            break
        seen += chunk
        if not answered and b"Password for prod:" in seen:
            os.write(leader, answer.encode() + b"\n")
            answered = True
    code = proc.wait(timeout=30)
    os.close(leader)
    return code, seen.decode(errors="replace")


def test_a_credential_command_may_ask_on_the_terminal(auth_server, no_mlflow_auth, tmp_path):
    """From the command line the command has the terminal: it prompts, the person
    types, mltui reads what it prints. From the palette (no terminal of its own) a
    command that asks gets no input and fails with its one line."""
    import os

    asks = "printf 'Password for prod: ' >&2; read -r p; printf '%s\\n' \"$p\""
    write_config(f'[connections.prod]\nuri = "{auth_server.uri}"\nusername = "admin"\n'
                 f"credential_command = '''{asks}'''\n")
    code, seen = _run_in_terminal(["-c", "prod", "experiments"], ADMIN_PASSWORD,
                                  dict(os.environ))
    assert code == 0, seen
    assert "Password for prod:" in seen and "secured" in seen
    # the UI's path: no terminal, so the same command reads nothing and says so
    with pytest.raises(StoreError, match="printed nothing"):
        connection_env(Connection("prod", auth_server.uri, username="admin",
                                  credential_command=asks))
