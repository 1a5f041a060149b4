"""Shared fixtures: stores made by the real mlflow client, built once and cached."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import NoReturn

import pytest

from support.builders import CACHE_ROOT, cached_store, copy_store
from support.pages_builder import PAGE_SIZE

# mlflow 3.13+ refuses file stores unless asked; tests make them on purpose.
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


# -- which tests share a worker ----------------------------------------------------------------
#
# pytest runs with ``-n 2 --dist loadgroup``: tests go one at a time to whichever
# worker is free, except the modules below, which go whole to one worker. Each of
# them starts a server or builds a store of its own (session- or module-wide, or
# once per process); split over both workers, both paid for it.

XDIST_GROUPS = {
    # the pages store served by a tracking server and copied into PostgreSQL
    "test_pages.py": "pages", "test_compare_screen.py": "pages",
    "test_compare_reads.py": "pages",
    # the traces stores: a tracking server, PostgreSQL and MariaDB builds
    "test_trace_search_differential.py": "traces", "test_traces_sql.py": "traces",
    "test_trace_screen.py": "traces", "test_traces_screen.py": "traces",
    "test_traces_rest.py": "traces",
    # test_rest_store's servers (main, spare, basic-auth)
    "test_rest_store.py": "rest-store",
    # artifact_world's and genai_world's tracking servers
    "test_artifact_reads.py": "artifact-server", "test_artifacts_screen.py": "artifact-server",
    "test_logged_models_screen.py": "genai-server", "test_prompts_screen.py": "genai-server",
    # the old MLflow releases' servers
    "test_old_servers.py": "old-servers",
    # a basic-auth server per module
    "test_auth_retry.py": "auth-retry", "test_config_connections.py": "config-connections",
}


@pytest.hookimpl(tryfirst=True)  # before xdist reads the marks
def pytest_collection_modifyitems(items) -> None:
    for item in items:
        group = XDIST_GROUPS.get(item.path.name)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep config, data and the tracking URI of the person running tests out."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="session")
def sqlite_store_dir() -> Path:
    """Folder with ``mlflow.db`` made by real mlflow. Read it, never write it."""
    return cached_store("sqlite")


@pytest.fixture(scope="session")
def sql_uri(sqlite_store_dir: Path) -> str:
    return f"sqlite:///{sqlite_store_dir / 'mlflow.db'}"


@pytest.fixture
def writable_sql_uri(tmp_path: Path) -> str:
    """A private copy of the mlflow-made sqlite store, free to modify."""
    return copy_store("sqlite", tmp_path)


@pytest.fixture
def twin(tmp_path):
    """MlflowClient on a second copy of the same store: the reference for each write."""
    from mlflow import MlflowClient

    folder = tmp_path / "twin"
    folder.mkdir()
    return MlflowClient(copy_store("sqlite", folder))


@pytest.fixture
def store(sql_uri):
    from mltui.store import open_store

    s = open_store(sql_uri)
    yield s
    s.close()


@pytest.fixture(scope="session")
def mlflow_client(sql_uri):
    from mlflow import MlflowClient

    return MlflowClient(sql_uri)


def experiment_id(store, name: str) -> str:
    exp = store.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


# -- PostgreSQL, MariaDB and the parity backends ----------------------------------------------
#
# ``backend`` is one store made by ``builders.build`` through the real mlflow client,
# for each kind: 'sqlite' and 'file' (the cached stores), 'rest' (a real ``mlflow
# server --serve-artifacts`` over a copy of the cached sqlite database), 'postgresql'
# and 'mysql' (throwaway PostgreSQL and MariaDB servers, built into a template
# database). Read it, never write it. ``writable_backend`` is a private copy for one
# test.

BACKEND_KINDS = ("sqlite", "file", "rest", "postgresql", "mysql")
DB_SERVER_KINDS = {"postgresql": "pg_stores", "mysql": "mysql_stores"}
"""The kinds on a database server of the session, and the fixture of their stores."""
PG_TEMPLATE = "mltui_built"
"""The database builders.py fills; only ever copied (a template must have no connections)."""


def in_ci() -> bool:
    """CI runs with ``CI=true``: there a test that cannot run is a failure, not a skip."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def server_missing(reason: str) -> NoReturn:
    """Skip (with ``reason``, printed so it shows without ``-rs``), or fail under CI."""
    if in_ci():
        pytest.fail(f"{reason} (CI=true: the tests that need it fail rather than skip)",
                    pytrace=False)
    print(f"\nSKIP: {reason}")
    pytest.skip(reason)


class Backend:
    """One store of one kind, as mltui and MlflowClient open it."""

    def __init__(self, kind: str, uri: str, mlflow_uri: str | None = None):
        self.kind = kind
        self.uri = uri
        """What mltui opens."""
        self.mlflow_uri = mlflow_uri or uri
        """What MlflowClient opens for the same data (for REST the server URL)."""

    def __repr__(self) -> str:
        return f"Backend({self.kind}, {self.uri})"

    def open(self, read_only: bool = False):
        from mltui.store import open_store

        return open_store(self.uri, read_only=read_only)

    def client(self):
        import mlflow
        from mlflow import MlflowClient

        if self.kind == "file":
            # MLflow's file registry calls MlflowClient() with the global tracking URI;
            # without one it would create ./mlflow.db (see test_file_store.py)
            mlflow.set_tracking_uri(self.mlflow_uri)
        return MlflowClient(self.mlflow_uri)


class WritableBackend(Backend):
    """A private copy of a backend's store; :meth:`twin` makes a second one, pristine,
    for MlflowClient to make the same writes on."""

    def __init__(self, kind: str, uri: str, make_twin):
        super().__init__(kind, uri)
        self._make_twin = make_twin

    def twin(self) -> Backend:
        """A pristine copy. For 'rest' there is one writable server: the twin is that
        server reset to the pristine store, so read everything needed from this
        backend before asking for its twin."""
        return self._make_twin()


class BuiltStores:
    """The session's PostgreSQL or MariaDB server and one builder's store in it
    (``builders.py`` by default, or ``script`` into the database ``template``).

    The builder runs once per server version and per content of the builders (and
    mlflow version): its database is then dumped into ``.cache/test-stores`` (with
    the artifact folder it logged to, which the rows name), and later sessions, the
    other xdist worker among them, restore that dump instead of building again
    (about a second, where MLflow's migrations and the build take 5 to 20 s). A
    server without its dump tools builds every time."""

    def __init__(self, server, artifact_root: Path, script: str = "builders.py",
                 template: str = PG_TEMPLATE, args: tuple[str, ...] = ()):
        self.server = server
        self.artifact_root = artifact_root
        """Where the builder logs artifacts when its store cannot be cached."""
        self.script = script
        self.args = args
        self.template_name = template
        self._thread = None
        self._proc = None
        self._error: str | None = None
        self._built = False
        self._read_uri: str | None = None
        self._counter = 0

    def start_build(self) -> None:
        """Fill the template database, in the background: from the cached dump, or
        by running the builder (then dumping it for the next time)."""
        import threading

        if self._thread is not None or self._built:
            return
        self.server.create_database(self.template_name)
        self._thread = threading.Thread(target=self._fill, daemon=True,
                                        name=f"build-{self.template_name}")
        self._thread.start()

    def _fill(self) -> None:
        try:
            cache = self._cache_dir()
            if cache is None:
                self._run_builder(self.artifact_root)
                return
            import fcntl
            import shutil

            cache.parent.mkdir(parents=True, exist_ok=True)
            with open(cache.with_suffix(".lock"), "w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker may be building it
                if (cache / "done").exists():
                    try:
                        self.server.restore(self.template_name, cache / "dump.sql")
                        return
                    except Exception:  # a dump this server refuses: build it again
                        self.server.drop_database(self.template_name)
                        self.server.create_database(self.template_name)
                shutil.rmtree(cache, ignore_errors=True)
                self._run_builder(cache / "artifacts")
                self.server.dump(self.template_name, cache / "dump.sql")
                (cache / "done").write_text("ok")
        except Exception as exc:  # reported by template(), in the test that waits
            self._error = self._error or f"{type(exc).__name__}: {exc}"

    def _cache_dir(self) -> Path | None:
        """The folder of this build's dump and artifacts; None when the server
        cannot dump."""
        import hashlib
        import importlib.metadata

        identity = self.server.dump_identity()
        if identity is None:
            return None
        support = Path(__file__).parent / "support"
        digest = hashlib.sha1(repr((identity, self.args, self.template_name,
                                    importlib.metadata.version("mlflow"))).encode())
        for source in sorted({support / self.script, support / "builders.py",
                              *support.glob("*_builder.py")}):
            digest.update(source.read_bytes())
        kind = type(self.server).__name__.removesuffix("Server").lower()
        return CACHE_ROOT / f"{kind}-{self.template_name}-{digest.hexdigest()[:12]}"

    def _run_builder(self, artifact_root: Path) -> None:
        import subprocess
        import sys

        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        artifact_root.mkdir(parents=True, exist_ok=True)
        log_path = artifact_root.parent / f"build-{self.template_name}.log"
        with open(log_path, "wb") as log:
            self._proc = subprocess.Popen(
                [
                    sys.executable,
                    str(Path(__file__).parent / "support" / self.script),
                    *self.args,
                    self.server.uri(self.template_name),
                    str(artifact_root),
                ],
                env=env,
                cwd=artifact_root.parent,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            code = self._proc.wait()
        if code != 0:
            self._error = (f"{self.script} into {self.server.uri(self.template_name)} failed "
                           f"({code}):\n{log_path.read_text(errors='replace')[-4000:]}")
            raise RuntimeError(self._error)

    def template(self) -> str:
        """The built template's name, once it is filled."""
        if not self._built:
            self.start_build()
            self._thread.join(600)
            if self._thread.is_alive():
                pytest.fail(f"{self.script} into {self.template_name}: not done after 600 s")
            if self._error is not None:
                pytest.fail(self._error)
            self._built = True
        return self.template_name

    def read_uri(self) -> str:
        """A copy of the built store that tests only read (shared by the session)."""
        if self._read_uri is None:
            self._read_uri = self.server.create_database(f"{self.template_name}_read",
                                                         self.template())
        return self._read_uri

    def fresh_copy(self, name: str | None = None, **options) -> str:
        """A new copy of the built store (``name`` is dropped first if it exists);
        ``options`` go to the server's ``create_database`` (MariaDB: ``collation``)."""
        template = self.template()
        if name is None:
            self._counter += 1
            name = f"{self.template_name}_copy_{self._counter}"
        self.server.drop_database(name)
        return self.server.create_database(name, template, **options)

    def close(self) -> None:
        """Stop a build nobody waited for (the session used none of its stores)."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait(30)

    def drop(self, name_or_uri: str) -> None:
        """Drop a copy, after closing MLflow's cached engine for it."""
        from sqlalchemy.engine import make_url

        name = make_url(name_or_uri).database if "://" in name_or_uri else name_or_uri
        _dispose_mlflow_engine(self.server.uri(name))
        self.server.drop_database(name)


def _dispose_mlflow_engine(uri: str) -> None:
    """MLflow keeps one engine (and its pooled connections) per database URI for the
    life of the process; let go of it before the database is dropped."""
    import sys

    module = sys.modules.get("mlflow.store.tracking.sqlalchemy_store")
    engines = getattr(getattr(module, "SqlAlchemyStore", None), "_engine_map", None)
    if isinstance(engines, dict) and uri in engines:
        engines.pop(uri).dispose()


@pytest.fixture(scope="session")
def postgres():
    """A throwaway PostgreSQL server for the session. Skips only when the server
    binaries are not installed (and fails then too under ``CI=true``); a server
    that does not start fails the test."""
    from support.servers import PostgresServer, find_postgres_bin

    bindir = find_postgres_bin()
    if bindir is None:
        server_missing(
            "PostgreSQL server binaries (initdb, postgres) not found: install the "
            "'postgresql' package (apt-get install postgresql) or set MLTUI_TEST_PG_BIN"
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.fail("PostgreSQL is installed but psycopg is not: pip install -e '.[test]'")
    with PostgresServer(bindir) as server:
        yield server


@pytest.fixture(scope="session")
def pg_stores(postgres, tmp_path_factory):
    stores = BuiltStores(postgres, tmp_path_factory.mktemp("pg-build") / "artifacts")
    stores.start_build()
    yield stores
    stores.close()


@pytest.fixture
def pg_uri(postgres):
    """The URI of a new, empty PostgreSQL database (dropped after the test)."""
    import uuid

    name = f"empty_{uuid.uuid4().hex[:12]}"
    uri = postgres.create_database(name)
    yield uri
    _dispose_mlflow_engine(uri)
    postgres.drop_database(name)


@pytest.fixture(scope="session")
def pg_read_uri(pg_stores) -> str:
    """The builders' store on PostgreSQL, to read only (as ``sql_uri`` for sqlite)."""
    return pg_stores.read_uri()


@pytest.fixture(scope="session")
def mariadb():
    """A throwaway MariaDB server (MLflow's 'mysql' stores) for the session, on the
    same rules as :func:`postgres`."""
    from support.servers import MariaDBServer, find_mariadb_bin

    binaries = find_mariadb_bin()
    if binaries is None:
        server_missing(
            "MariaDB server binaries (mariadbd, mariadb-install-db) not found: install "
            "the 'mariadb-server' package (apt-get install mariadb-server) or set "
            "MLTUI_TEST_MARIADB_BIN"
        )
    try:
        import pymysql  # noqa: F401
    except ImportError:
        pytest.fail("MariaDB is installed but PyMySQL is not: pip install -e '.[test]'")
    with MariaDBServer(binaries) as server:
        yield server


@pytest.fixture(scope="session")
def mysql_stores(mariadb, tmp_path_factory):
    stores = BuiltStores(mariadb, tmp_path_factory.mktemp("mysql-build") / "artifacts")
    stores.start_build()
    yield stores
    stores.close()


@pytest.fixture(scope="session")
def mysql_read_uri(mysql_stores) -> str:
    """The builders' store on MariaDB, to read only."""
    return mysql_stores.read_uri()


class _RestParity:
    """One ``mlflow server`` over a copy of the cached sqlite store; writable tests
    restore the copy from the cache before and after they write."""

    def __init__(self, root: Path):
        import shutil

        from support.servers import MlflowServer

        self.pristine = cached_store("sqlite") / "mlflow.db"
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy2(self.pristine, root / "mlflow.db")
        self.server = MlflowServer(root)
        self.server.start()
        self._ready = False

    def ready(self):
        if not self._ready:
            self.server.wait_ready()
            self._ready = True
        return self.server

    def reset(self) -> None:
        self.ready().restore_db(self.pristine)


@pytest.fixture(scope="session")
def _rest_parity(tmp_path_factory):
    rest = _RestParity(tmp_path_factory.mktemp("rest-parity"))
    yield rest
    rest.server.stop()


def _session_kinds(session) -> set[str]:
    """The backend kinds the selected tests use (``-k mysql`` starts no PostgreSQL)."""
    kinds = set()
    for item in session.items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        kinds.update(params[name] for name in ("backend", "writable_backend") if name in params)
    return kinds


@pytest.fixture(scope="session")
def _warm_up(request):
    """Start the slow parts (mlflow server, PostgreSQL and MariaDB builds) at once, in
    the background, so they get ready while the first backends are tested."""
    from support.servers import find_mariadb_bin, find_postgres_bin

    kinds = _session_kinds(request.session)
    if "rest" in kinds:
        request.getfixturevalue("_rest_parity")
    found = {"postgresql": find_postgres_bin, "mysql": find_mariadb_bin}
    for kind, stores in DB_SERVER_KINDS.items():
        if kind in kinds and found[kind]() is not None:
            # a failure here is cached by pytest and raised again in that kind's tests
            with contextlib.suppress(Exception, pytest.fail.Exception, pytest.skip.Exception):
                request.getfixturevalue(stores)


def _backend(request, kind: str) -> Backend:
    if kind == "sqlite":
        return Backend(kind, f"sqlite:///{cached_store('sqlite') / 'mlflow.db'}")
    if kind == "file":
        return Backend(kind, (cached_store("file") / "mlruns").as_uri())
    if kind == "rest":
        server = request.getfixturevalue("_rest_parity").ready()
        return Backend(kind, server.uri)
    if kind in DB_SERVER_KINDS:
        return Backend(kind, request.getfixturevalue(DB_SERVER_KINDS[kind]).read_uri())
    raise ValueError(kind)


@pytest.fixture(scope="session", params=BACKEND_KINDS)
def backend(request, _warm_up) -> Backend:
    """The builders' store on one backend (all five in turn). Never write to it."""
    return _backend(request, request.param)


@pytest.fixture(params=BACKEND_KINDS)
def writable_backend(request, _warm_up, tmp_path):
    """A private copy of the builders' store on one backend, free to modify."""
    kind = request.param
    if kind in ("sqlite", "file"):
        counter = iter(range(1000))

        def copy() -> Backend:
            dest = tmp_path / f"copy-{next(counter)}"
            dest.mkdir()
            return Backend(kind, copy_store(kind, dest))

        first = copy()
        yield WritableBackend(kind, first.uri, copy)
    elif kind in DB_SERVER_KINDS:
        stores = request.getfixturevalue(DB_SERVER_KINDS[kind])
        names = []

        def fresh() -> Backend:
            names.append(f"mltui_w{len(names)}")
            return Backend(kind, stores.fresh_copy(names[-1]))

        first = fresh()
        try:
            yield WritableBackend(kind, first.uri, fresh)
        finally:
            for name in names:
                stores.drop(name)
    else:
        rest = request.getfixturevalue("_rest_parity")
        rest.reset()

        def reset() -> Backend:
            rest.reset()
            return Backend(kind, rest.server.uri)

        try:
            yield WritableBackend(kind, rest.server.uri, reset)
        finally:
            rest.reset()  # the read-only ``backend`` shares this server


# -- stores with many pages of runs (pages_builder.py) ---------------------------------------
#
# The app tests that cross pages run on these, with a small page size, on each backend
# but MariaDB: its paging and sorting are the parity suite's, and MLflow takes about
# 100 s to build the pages store there (measured), on top of PostgreSQL's build.

PAGES_KINDS = ("sqlite", "file", "rest", "postgresql")
PAGES_PAGE_SIZE = PAGE_SIZE

@pytest.fixture(scope="session")
def _rest_pages(tmp_path_factory):
    """One ``mlflow server`` over a copy of the pages store; writable tests reset it."""
    import shutil

    from support.servers import MlflowServer

    pristine = cached_store("pages-sqlite") / "mlflow.db"
    root = tmp_path_factory.mktemp("rest-pages")
    shutil.copy2(pristine, root / "mlflow.db")
    server = MlflowServer(root)
    server.start()
    server.pristine = pristine
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _pg_pages(postgres, tmp_path_factory):
    stores = BuiltStores(postgres, tmp_path_factory.mktemp("pg-pages") / "artifacts",
                         script="store_copy.py", template="mltui_pages",
                         args=("pages-sqlite",))
    stores.start_build()
    yield stores
    stores.close()


def _pages_backend(request, kind: str) -> Backend:
    if kind in ("sqlite", "file"):
        folder = cached_store(f"pages-{kind}")
        if kind == "sqlite":
            return Backend(kind, f"sqlite:///{folder / 'mlflow.db'}")
        return Backend(kind, (folder / "mlruns").as_uri())
    if kind == "rest":
        # MlflowClient reads what the server serves, the pristine pages store, from the
        # file: through the server it took 3 s per expected listing, a third of each test
        server = request.getfixturevalue("_rest_pages")
        return Backend(kind, server.uri, mlflow_uri=f"sqlite:///{server.pristine}")
    if kind == "postgresql":
        return Backend(kind, request.getfixturevalue("_pg_pages").read_uri())
    raise ValueError(kind)


@pytest.fixture(scope="session", params=PAGES_KINDS)
def pages_backend(request) -> Backend:
    """The pages store on each backend in turn. Never write to it."""
    return _pages_backend(request, request.param)


@pytest.fixture(scope="session", params=("sqlite", "rest"))
def pages_backend_sr(request) -> Backend:
    """The pages store on sqlite and through a tracking server (where totals arrive
    late): the two backends every reloading path of the runs table is tested on."""
    return _pages_backend(request, request.param)


@pytest.fixture(params=("sqlite", "rest"))
def writable_pages_backend(request, tmp_path) -> Backend:
    """A private copy of the pages store (sqlite), or the REST pages server reset to
    the pristine store before and after the test."""
    if request.param == "sqlite":
        return Backend("sqlite", copy_store("pages-sqlite", tmp_path))
    server = request.getfixturevalue("_rest_pages")
    server.restore_db(server.pristine)
    request.addfinalizer(lambda: server.restore_db(server.pristine))
    return Backend("rest", server.uri)
