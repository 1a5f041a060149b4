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
_pg: dict[int, object] = {}


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
    from conftest import BuiltStores

    with _lock:
        stores = _pg.get(id(postgres))
        if stores is None:
            artifacts = Path(tempfile.mkdtemp(prefix="mltui-pg-traces-")) / "artifacts"
            stores = BuiltStores(postgres, artifacts, script="traces_builder.py",
                                 template="mltui_traces")
            stores.start_build()
            atexit.register(stores.close)
            _pg[id(postgres)] = stores
    return TraceBackend("postgresql", stores.read_uri())  # type: ignore[attr-defined]


def mysql_backend(mariadb) -> TraceBackend:
    """The traces store in a database on ``mariadb`` (MLflow's 'mysql' stores)."""
    from conftest import BuiltStores

    with _lock:
        stores = _pg.get(id(mariadb))
        if stores is None:
            artifacts = Path(tempfile.mkdtemp(prefix="mltui-mysql-traces-")) / "artifacts"
            stores = BuiltStores(mariadb, artifacts, script="traces_builder.py",
                                 template="mltui_traces")
            stores.start_build()
            atexit.register(stores.close)
            _pg[id(mariadb)] = stores
    return TraceBackend("mysql", stores.read_uri())  # type: ignore[attr-defined]


def copy_of(kind: str, dest: Path) -> str:
    """The URI of a private copy of the sqlite or mlruns traces store in ``dest``."""
    return copy_store(f"traces-{kind}", dest)
