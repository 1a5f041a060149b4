"""A password in the tracking URI (or in MLflow's environment variables) never
shows: not in a store error, not in the log file, not on the CLI's stderr
(issue 14, fault 2). Local servers answer each failure; no mlflow server."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mltui.failures import describe_error, log, setup_logging
from mltui.store import StoreError, open_store
from mltui.store.secrets import mask_secrets
from support.servers import free_port

PASSWORD = "pw"
ENV_PASSWORD = "envS3cret-xyz"
ENV_TOKEN = "tok-Abc123-secret"


class Answer(BaseHTTPRequestHandler):
    mode = "401"

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        mode = self.server.mode  # type: ignore[attr-defined]
        if mode == "hang":
            self.server.release.wait(30)  # type: ignore[attr-defined]
            return
        status, ctype, body = {
            "401": (401, "text/plain", b"You are not authenticated."),
            "500": (500, "text/plain", b"Internal Server Error"),
            "nonjson": (200, "text/plain", b"hello, not json"),
        }[mode]
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def serve() -> Iterator:
    servers: list[ThreadingHTTPServer] = []

    def start(mode: str) -> int:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Answer)
        server.daemon_threads = True
        server.mode = mode  # type: ignore[attr-defined]
        server.release = threading.Event()  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    yield start
    for server in servers:
        server.release.set()  # type: ignore[attr-defined]
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def secret_env(monkeypatch):
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "someone")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", ENV_PASSWORD)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", ENV_TOKEN)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "1")


def assert_clean(text: str) -> None:
    assert f":{PASSWORD}@" not in text and f"{PASSWORD}@" not in text, text
    assert ENV_PASSWORD not in text and ENV_TOKEN not in text, text


def uri_for(case: str, serve) -> str:
    if case == "refused":
        return f"http://u:{PASSWORD}@127.0.0.1:{free_port()}"
    if case == "unknown host":
        return f"http://u:{PASSWORD}@no-such-host.invalid"
    if case == "bad port":
        return f"http://u:{PASSWORD}@127.0.0.1:99999"
    if case == "malformed":
        return f"http://u:{PASSWORD}@[::1"
    if case == "postgres refused":
        return f"postgresql://u:{PASSWORD}@127.0.0.1:{free_port()}/db"
    if case == "postgres malformed":
        return f"postgresql://u:{PASSWORD}@[::1/db"
    return f"http://u:{PASSWORD}@127.0.0.1:{serve(case)}"


CASES = ["refused", "unknown host", "bad port", "malformed", "401", "500", "nonjson", "hang",
         "postgres refused", "postgres malformed"]


@pytest.mark.parametrize("case", CASES)
def test_store_errors_hide_the_password(case, serve):
    uri = uri_for(case, serve)
    with pytest.raises(StoreError) as caught:
        open_store(uri).list_experiments()
    message = str(caught.value)
    assert "\n" not in message
    assert_clean(message)
    assert "u:***@" in message or "Unsupported" in message or "valid" in message, message


def test_unexpected_errors_and_the_log_file_hide_secrets(tmp_path):
    setup_logging()
    files = [h for h in log.handlers if isinstance(h, logging.FileHandler)]
    leak = ValueError(f"bad http://u:{PASSWORD}@host:1/x with {ENV_PASSWORD} and {ENV_TOKEN}")
    line = describe_error(leak)
    assert_clean(line)
    assert "u:***@host" in line
    for handler in files:
        handler.flush()
        assert_clean(Path(handler.baseFilename).read_text())


def test_mask_secrets_keeps_urls_without_passwords():
    assert mask_secrets("http://host:5000/api and https://u@h") == \
        "http://host:5000/api and https://u@h"
    assert mask_secrets("x https://a:b@c@h/p y") == "x https://a:***@h/p y"


def test_a_folder_the_user_cannot_enter_is_one_line(tmp_path, monkeypatch):
    import pathlib

    real = pathlib.Path.exists

    def exists(self, *args, **kwargs):
        if str(self).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "exists", exists)
    for uri in (f"sqlite:///{tmp_path}/locked/mlflow.db", str(tmp_path / "locked" / "mlruns")):
        with pytest.raises(StoreError, match="permission denied"):
            open_store(uri)


@pytest.mark.parametrize("case", ["refused", "malformed", "401", "500", "nonjson",
                                  "postgres malformed"])
def test_cli_stderr_and_log_hide_the_password(case, serve, tmp_path):
    uri = uri_for(case, serve)
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path / "state"),
           "XDG_CACHE_HOME": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "mltui", "--uri", uri, "experiments"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr, done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert_clean(done.stderr + done.stdout)
    for logfile in tmp_path.rglob("*.log"):
        assert_clean(logfile.read_text())


def test_cli_uri_from_the_environment_hides_the_password(tmp_path):
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://u:{PASSWORD}@[::1",
           "XDG_STATE_HOME": str(tmp_path / "state")}
    done = subprocess.run([sys.executable, "-m", "mltui", "experiments"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode != 0 and "Traceback" not in done.stderr, done.stderr
    assert_clean(done.stderr)


