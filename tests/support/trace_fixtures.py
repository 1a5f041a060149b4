"""The stores of the trace tests, built once per test process and shared by the
trace test modules (each declares its own thin fixtures over these).

``support/traces_builder.py`` fills each with the real mlflow client: sqlite and
an mlruns folder (:func:`support.builders.cached_store`, cached on disk),
PostgreSQL (a template database on the session's server) and a real ``mlflow
server`` over a copy of the sqlite store. The server and the PostgreSQL build
start on first use and stop when the process exits. Read them only; a test that
changes data takes a copy (:func:`copy_of`).
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import threading
from pathlib import Path

from support.builders import cached_store, copy_store

_lock = threading.Lock()
_server = None
_built_on: dict[int, object] = {}
"""The traces store of each database server (PostgreSQL, MariaDB), by id."""


class TraceBackend:
    """One traces store: what mltui opens (``uri``) and what MlflowClient opens."""

    def __init__(self, kind: str, uri: str, mlflow_uri: str | None = None):
        self.kind = kind
        self.uri = uri
        self.mlflow_uri = mlflow_uri or uri

    def __repr__(self) -> str:
        return f"TraceBackend({self.kind})"

    def open(self):
        from mltui.store import open_store

        return open_store(self.uri)

    def client(self):
        import mlflow
        from mlflow import MlflowClient

        if self.kind == "file":
            mlflow.set_tracking_uri(self.mlflow_uri)  # the file registry asks the global URI
        return MlflowClient(self.mlflow_uri)


def sqlite_backend() -> TraceBackend:
    return TraceBackend("sqlite", f"sqlite:///{cached_store('traces-sqlite') / 'mlflow.db'}")


def file_backend() -> TraceBackend:
    return TraceBackend("file", (cached_store("traces-file") / "mlruns").as_uri())


def rest_backend() -> TraceBackend:
    """A real ``mlflow server`` over a copy of the traces sqlite store."""
    global _server
    with _lock:
        if _server is None:
            from support.servers import MlflowServer

            root = Path(tempfile.mkdtemp(prefix="mltui-trace-server-"))
            shutil.copy2(cached_store("traces-sqlite") / "mlflow.db", root / "mlflow.db")
            server = MlflowServer(root)
            server.start()
            atexit.register(shutil.rmtree, root, True)
            atexit.register(server.stop)
            server.wait_ready()
            _server = server
    return TraceBackend("rest", _server.uri)


def pg_backend(postgres) -> TraceBackend:
    """The traces store in a template database on ``postgres`` (the session's server)."""
    return _server_backend(postgres, "postgresql")


def mysql_backend(mariadb) -> TraceBackend:
    """The traces store in a database on ``mariadb`` (MLflow's 'mysql' stores)."""
    return _server_backend(mariadb, "mysql")


def _server_backend(server, kind: str) -> TraceBackend:
    """The traces store built once per database server, read through a fresh copy."""
    from conftest import BuiltStores

    with _lock:
        stores = _built_on.get(id(server))
        if stores is None:
            artifacts = Path(tempfile.mkdtemp(prefix=f"mltui-{kind}-traces-")) / "artifacts"
            stores = BuiltStores(server, artifacts, script="traces_builder.py",
                                 template="mltui_traces")
            stores.start_build()
            atexit.register(stores.close)
            _built_on[id(server)] = stores
    return TraceBackend(kind, stores.read_uri())  # type: ignore[attr-defined]


def copy_of(kind: str, dest: Path) -> str:
    """The URI of a private copy of the sqlite or mlruns traces store in ``dest``."""
    return copy_store(f"traces-{kind}", dest)
