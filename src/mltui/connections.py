"""Opening a named connection of config.toml (``mltui -c prod``, "Connect: prod").

A connection is a tracking URI plus where its credentials come from: environment
variables it names, or a credential command (``pass show mlflow/prod``,
``gcloud auth print-access-token``) run at the moment the connection opens. The
secret goes into the store's own copy of the environment as MLflow's variables
(``MLFLOW_TRACKING_USERNAME`` / ``PASSWORD`` / ``TOKEN``), is masked in every
message from then on, and is never written anywhere by mltui: not in the config,
not in state.json, not in the log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping

from .config import Connection, Settings
from .store import BaseStore, StoreError, open_store
from .store.secrets import remember_secret

CREDENTIAL_TIMEOUT = 60.0
"""Seconds a credential command may take (a token fetch over the network, an agent)."""
AUTH_VARS = ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")


def find_connection(settings: Settings, name: str) -> Connection:
    connection = settings.connections.get(name)
    if connection is not None:
        return connection
    known = ", ".join(sorted(settings.connections)) or "none"
    raise StoreError(f"No connection named '{name}' in config.toml (known: {known}; "
                     "add [connections.NAME] with mltui config edit)")


def run_credential_command(connection: Connection, *, ask: bool = False) -> str:
    """The command's output, stripped: a password or token. Its stderr is shown
    only as its last line when it fails (it may be long, it is not ours).

    With ``ask`` (the command line, before any screen is drawn) and a terminal,
    the command has the terminal: it may prompt (``read -s``, a pinentry), and
    its prompts and errors show there. Otherwise (the palette, while the UI
    owns the terminal) it runs in a session of its own without input, so a
    command that would ask fails with a message instead of drawing over the
    screen."""
    interactive = ask and sys.stdin.isatty()
    try:
        # a shell, as git's credential helpers: the user's own command, from their config
        done = subprocess.run(
            connection.credential_command, shell=True, text=True, timeout=CREDENTIAL_TIMEOUT,
            stdout=subprocess.PIPE,
            stdin=None if interactive else subprocess.DEVNULL,
            stderr=None if interactive else subprocess.PIPE,
            start_new_session=not interactive,
        )
    except subprocess.TimeoutExpired:
        raise StoreError(f"The credential command of connection '{connection.name}' did not "
                         f"finish within {CREDENTIAL_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise StoreError(f"The credential command of connection '{connection.name}' could "
                         f"not start: {exc}") from None
    secret = done.stdout.strip()
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [""])[-1][:200] if done.stderr else ""
        raise StoreError(f"The credential command of connection '{connection.name}' failed "
                         f"(exit {done.returncode})" + (f": {said}" if said else ""))
    if not secret:
        raise StoreError(f"The credential command of connection '{connection.name}' "
                         "printed nothing")
    remember_secret(secret)
    return secret


def connection_env(connection: Connection, base: Mapping[str, str] | None = None, *,
                   ask: bool = False) -> dict[str, str]:
    """The environment the store reads for ``connection``: ``base`` (default
    ``os.environ``) with MLflow's auth variables taken from the connection when it
    names any credential (then inherited ones are dropped: a token of another
    server must not be sent here), else left as they are."""
    env = dict(os.environ if base is None else base)

    def from_env(name: str, what: str) -> str:
        value = env.get(name, "")
        if not value:
            raise StoreError(f"Connection '{connection.name}' takes its {what} from "
                             f"${name}, which is not set")
        return value

    username = from_env(connection.username_env, "username") if connection.username_env \
        else connection.username
    password = from_env(connection.password_env, "password") if connection.password_env else ""
    token = from_env(connection.token_env, "token") if connection.token_env else ""
    if connection.credential_command:
        secret = run_credential_command(connection, ask=ask)
        if username:
            password = secret
        else:
            token = secret
    for value in (password, token):
        remember_secret(value)
    if username or password or token:
        for name in AUTH_VARS:
            env.pop(name, None)
        for name, value in zip(AUTH_VARS, (username, password, token), strict=True):
            if value:
                env[name] = value
    return env


def open_connection(connection: Connection, *, read_only: bool = False,
                    ask: bool = False) -> BaseStore:
    """The store of ``connection``, its credentials in place (blocks: a worker's job).
    ``ask``: its credential command may prompt on the terminal (the command line)."""
    return open_store(connection.uri, read_only=read_only,
                      env=connection_env(connection, ask=ask))
