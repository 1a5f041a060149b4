"""Bad stores and bad tracking servers for the fault matrix (issue 14), shared by
``tests/cli/test_fault_matrix.py`` and ``tests/ui/test_fault_matrix_tui.py``.

Stores (each made in a folder of its own by :func:`make_store`): random bytes where a
database should be, a truncated sqlite database, an empty file, a folder that is not an
mlruns store, an sqlite database that is not MLflow's, an unreadable database, a real
store in a read-only folder, a deleted database, and a database replaced by a folder.

Permissions as root: root reads and writes whatever it likes (``CAP_DAC_OVERRIDE``,
``CAP_DAC_READ_SEARCH``), so ``chmod 000`` denies nothing. :func:`permissions_apply`
lowers those two capabilities of the calling thread for a while (``capset``), as an
ordinary user runs; threads it starts meanwhile inherit that (the app's workers).
Where that cannot be done the permission faults skip, saying why.

Servers (:class:`FaultServer`): answers 401 as MLflow's basic-auth app does, 500 with
an HTML page, answers after 3 s (``slow``), or accepts and never answers (``hang``);
``dead`` is a port nobody listens on.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import sqlite3
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .builders import copy_store
from .servers import free_port

# -- stores ------------------------------------------------------------------------------

STORE_FAULTS = ("random-bytes", "truncated", "empty", "not-mlruns-folder", "not-mlflow-sqlite",
                "unreadable", "read-only-folder", "deleted", "replaced-by-folder")
PERMISSION_FAULTS = ("unreadable", "read-only-folder")
"""Faults that only show when file permissions apply (see :func:`permissions_apply`)."""
STORE_SAYS = {
    "random-bytes": "Not an sqlite database",
    "truncated": "database disk image is malformed",
    "empty": "is not an MLflow tracking database",
    "not-mlruns-folder": "is not an mlruns folder",
    "not-mlflow-sqlite": "is not an MLflow tracking database",
    "unreadable": "permission denied",
    "read-only-folder": "read-only",
    "deleted": "No such database file",
    "replaced-by-folder": "is a directory, not an MLflow sqlite database",
}
"""What mltui's one line says about each bad store (a write, for the read-only folder)."""


def make_store(fault: str, folder: Path) -> str:
    """A store with ``fault`` in ``folder``; its URI (as a person would type it)."""
    db = folder / "mlflow.db"
    if fault == "random-bytes":
        db.write_bytes(os.urandom(8192))
    elif fault == "truncated":
        copy_store("sqlite", folder)
        with open(db, "r+b") as fh:
            fh.truncate(20_000)  # the header says more pages than there are
    elif fault == "empty":
        db.write_bytes(b"")
    elif fault == "not-mlruns-folder":
        (folder / "notes").mkdir()
        (folder / "notes" / "todo.txt").write_text("not an experiment\n")
        return str(folder / "notes")
    elif fault == "not-mlflow-sqlite":
        with contextlib.closing(sqlite3.connect(db)) as conn:
            conn.execute("CREATE TABLE shopping (item TEXT, count INTEGER)")
            conn.execute("INSERT INTO shopping VALUES ('milk', 2)")
            conn.commit()
    elif fault == "unreadable":
        copy_store("sqlite", folder)
        db.chmod(0)
    elif fault == "read-only-folder":
        copy_store("sqlite", folder)
        db.chmod(0o444)
        folder.chmod(0o555)  # no journal can be made beside it: every write fails
    elif fault == "deleted":
        copy_store("sqlite", folder)
        db.unlink()
    elif fault == "replaced-by-folder":
        db.mkdir()
        (db / "what.txt").write_text("a folder where the database was\n")
    else:
        raise ValueError(fault)
    return f"sqlite:///{db}"


def restore_permissions(folder: Path) -> None:
    """Make everything under ``folder`` deletable again (pytest cleans tmp_path)."""
    for path in [folder, *folder.rglob("*")]:
        with contextlib.suppress(OSError):
            path.chmod(path.stat().st_mode | stat.S_IRWXU)


_CAP_DAC_OVERRIDE = 1
_CAP_DAC_READ_SEARCH = 2
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def _capabilities(new_effective: int | None = None) -> int:
    """The calling thread's effective capabilities (the low 32); with
    ``new_effective``, set them first (only lowering, or raising within the
    permitted set, is allowed)."""
    libc = ctypes.CDLL(None, use_errno=True)
    header = _CapHeader(_CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    if new_effective is not None:
        data[0].effective = new_effective
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset")
    return int(data[0].effective)


@contextlib.contextmanager
def permissions_apply() -> Iterator[None]:
    """File permissions apply to this thread (and threads it starts) inside the block:
    as root, without CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH. Raises OSError when
    they cannot be lowered."""
    if os.geteuid() != 0:
        yield
        return
    saved = _capabilities()
    _capabilities(saved & ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)))
    try:
        yield
    finally:
        _capabilities(saved)


def permission_problem(folder: Path) -> str | None:
    """Why the permission faults cannot be made here (None: they can)."""
    probe = folder / "probe"
    probe.write_text("x")
    probe.chmod(0)
    try:
        with permissions_apply():
            try:
                probe.read_text()
            except PermissionError:
                return None
            return "chmod 000 does not deny reading here (root without capset?)"
    except OSError as exc:
        return f"cannot lower root's capabilities to test permissions: {exc}"
    finally:
        probe.chmod(0o600)
        probe.unlink()


# -- servers -----------------------------------------------------------------------------

SERVER_FAULTS = ("dead", "slow", "hang", "401", "500")
SERVER_SAYS = {
    "dead": "connection refused",
    "slow": "did not answer",
    "hang": "did not answer",
    "401": "HTTP 401 Unauthorized",
    "500": "HTTP 500 Internal Server Error",
}
"""What mltui's one line says about each bad server (slow: past the read timeout)."""
SLOW_SECONDS = 3.0
EXPERIMENT = {"experiment_id": "0", "name": "Default", "artifact_location": "/tmp/none",
              "lifecycle_stage": "active", "last_update_time": 0, "creation_time": 0}
SLOW_RUN_ID = "5" * 32
SLOW_METRIC = "loss"
_POINTS = [{"key": SLOW_METRIC, "value": 1.0 / (step + 1), "timestamp": 1_700_000_000_000 + step,
            "step": step, "run_id": SLOW_RUN_ID} for step in range(5)]
SLOW_ANSWERS: dict[str, dict] = {
    "/experiments/search": {"experiments": [EXPERIMENT]},
    "/runs/get": {"run": {
        "info": {"run_id": SLOW_RUN_ID, "run_uuid": SLOW_RUN_ID, "run_name": "slow-run",
                 "experiment_id": "0", "status": "RUNNING", "lifecycle_stage": "active",
                 "start_time": 1_700_000_000_000, "artifact_uri": "/tmp/none"},
        "data": {"metrics": [_POINTS[-1]]}}},
    "/metrics/get-history-bulk-interval": {"metrics": _POINTS},
    "/metrics/get-history": {"metrics": _POINTS},
}
"""What the slow server says (after SLOW_SECONDS): one experiment, one RUNNING run with
a short history of :data:`SLOW_METRIC`; ``{}`` to anything else."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, kind: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)  # (buffered: nothing is sent before end_headers)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(OSError):  # the client gave up (a timeout): fine
            self.wfile.write(body)

    def _answer(self) -> None:
        self.server.requests += 1
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        mode = self.server.mode
        if mode == "hang":
            self.server.stopping.wait()  # holds the connection, says nothing
            return
        if mode == "401":
            # as MLflow's basic-auth app answers
            return self._send(401, b"You are not authenticated. Please see "
                              b"https://www.mlflow.org/docs/latest/auth/index.html",
                              "text/plain", {"WWW-Authenticate": 'Basic realm="mlflow"'})
        if mode == "500":
            return self._send(500, b"<!doctype html><html><title>500 Internal Server Error"
                              b"</title><body>oops</body></html>", "text/html")
        if mode == "slow":
            self.server.stopping.wait(self.server.delay)
            path = self.path.split("?")[0]
            answer = next((body for end, body in SLOW_ANSWERS.items() if path.endswith(end)),
                          {})
            return self._send(200, json.dumps(answer).encode())
        raise ValueError(mode)

    do_GET = _answer
    do_POST = _answer
    do_PATCH = _answer
    do_DELETE = _answer


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, mode: str, delay: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.mode = mode
        self.delay = delay
        self.requests = 0
        self.stopping = threading.Event()

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that hung up is what the faults are about (and a traceback
        on stderr would land in the output the tests check)."""


class FaultServer:
    """A tracking server that fails in one way (see :data:`SERVER_FAULTS`), on
    127.0.0.1; ``with FaultServer("500") as server: server.url ...``. ``delay``: the
    seconds a slow server takes for each answer."""

    def __init__(self, mode: str, delay: float = SLOW_SECONDS):
        if mode not in SERVER_FAULTS:
            raise ValueError(mode)
        self.mode = mode
        self.delay = delay
        self._server: _Server | None = None
        self.url = ""

    @property
    def requests(self) -> int:
        """Requests received so far (0 for ``dead``)."""
        return self._server.requests if self._server is not None else 0

    def __enter__(self) -> FaultServer:
        if self.mode == "dead":
            self.url = f"http://127.0.0.1:{free_port()}"
            return self
        self._server = _Server(self.mode, self.delay)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._server is not None:
            self._server.stopping.set()
            self._server.shutdown()
            self._server.server_close()
