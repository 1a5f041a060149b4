"""Real servers for tests: ``mlflow server``, a throwaway PostgreSQL and MariaDB.

All run as child processes on 127.0.0.1 on a free port and are stopped (and
their files deleted) by whoever started them; the session fixtures in
``conftest.py`` and ``test_rest_store.py`` do that at the end of the session.

PostgreSQL: the server binaries (``initdb``, ``postgres``) come from the
system (``apt-get install postgresql`` puts them in
``/usr/lib/postgresql/<major>/bin``, which is not on ``PATH``).
:func:`find_postgres_bin` finds them; only when there are none do the
PostgreSQL tests skip. Once the binaries are there, a server that fails to
start is a test failure, with its log. ``initdb`` refuses to run as root:
as root the server runs as the ``postgres`` system user (made by the Debian
package), else as ``nobody``, in a temporary folder that user owns.

MariaDB (for MLflow's MySQL stores): the same rules, with ``mariadbd`` and
``mariadb-install-db`` from ``apt-get install mariadb-server`` (found by
:func:`find_mariadb_bin`), run as the ``mysql`` system user when root.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx

PG_BIN_ENV = "MLTUI_TEST_PG_BIN"
"""A folder holding ``initdb`` and ``postgres``, if not found by :func:`find_postgres_bin`."""
MARIADB_BIN_ENV = "MLTUI_TEST_MARIADB_BIN"
"""A folder holding ``mariadbd`` and ``mariadb-install-db``, if not found otherwise."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mlflow_env() -> dict[str, str]:
    """The environment without the caller's MLflow settings (URIs, auth, workspaces)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


class ServerError(RuntimeError):
    """A server that should have started did not; the message holds its log."""


def _unprivileged_owner(system_user: str) -> pwd.struct_passwd | None:
    """Who runs a database server that refuses root: None when not root, else
    ``system_user`` (made by the distribution's package) or ``nobody``."""
    if os.geteuid() != 0:
        return None
    for name in (system_user, "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise ServerError(f"Running as root and neither '{system_user}' nor 'nobody' exists")


def _reachable_tmp(owner: pwd.struct_passwd | None) -> str | None:
    """A temporary folder the server's user can reach (every parent searchable)."""
    if owner is None:
        return None
    for base in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
        path = Path(base).resolve()
        if path.is_dir() and all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents]):
            return str(path)
    return None


def _as_owner(owner: pwd.struct_passwd | None, home: Path) -> dict:
    """``subprocess`` arguments that run a command as ``owner`` (nothing when None)."""
    if owner is None:
        return {}
    env = {
        "HOME": str(home),
        "USER": owner.pw_name,
        "LC_ALL": "C",
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return {
        "user": owner.pw_uid,
        "group": owner.pw_gid,
        "extra_groups": [],
        "env": env,
        "cwd": str(home),
    }


def _run_as(owner: pwd.struct_passwd | None, home: Path, args, timeout: float) -> str:
    """Run a server's tool as ``owner``; its output, or :class:`ServerError` with it."""
    kwargs = _as_owner(owner, home)
    kwargs.setdefault("env", {**os.environ, "LC_ALL": "C"})
    try:
        done = subprocess.run(
            list(args), capture_output=True, text=True, timeout=timeout, **kwargs
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise ServerError(f"{' '.join(args)} could not run: {exc}") from exc
    if done.returncode != 0:
        raise ServerError(
            f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


# -- mlflow server -----------------------------------------------------------------------


class MlflowServer:
    """``mlflow server`` in its own process group, on a free port.

    The backend store is ``backend_uri`` (default: ``sqlite:///<root>/mlflow.db``).
    A new ``mlflow.db`` of the tests' own MLflow starts as a copy of the empty store
    such a server makes on its first start (made once: :func:`empty_store`), which
    spares each new server MLflow's migrations; ``premade_db=False`` lets the
    server make it. Artifacts are served (``--serve-artifacts``) from
    ``<root>/artifacts``.
    """

    def __init__(self, root: Path, backend_uri: str | None = None, *,
                 app_name: str | None = None, env: dict[str, str] | None = None,
                 python: str | None = None, premade_db: bool = True):
        self.premade_db = premade_db and backend_uri is None and python in (None, sys.executable)
        """Start a new sqlite store from :func:`empty_store`."""
        self.python = python or sys.executable
        """The interpreter whose mlflow serves (another venv for an older MLflow)."""
        self.app_name = app_name
        """``basic-auth`` for MLflow's own authentication app."""
        self.extra_env = dict(env or {})
        self.root = Path(root)
        self.port = free_port()
        self.uri = f"http://127.0.0.1:{self.port}"
        self.db = self.root / "mlflow.db"
        self.backend_uri = backend_uri or f"sqlite:///{self.db}"
        self.proc: subprocess.Popen | None = None
        self.log = None

    def start(self) -> None:
        if self.premade_db and not self.db.exists():
            self.root.mkdir(parents=True, exist_ok=True)
            shutil.copy2(empty_store() / "mlflow.db", self.db)
        env = _mlflow_env()
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no job runner process
        env.update(self.extra_env)
        self.log = open(self.root / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                self.python,
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend-store-uri",
                self.backend_uri,
                "--serve-artifacts",
                "--artifacts-destination",
                str(self.root / "artifacts"),
                "--workers",
                "1",
                *(["--app-name", self.app_name] if self.app_name else []),
            ],
            cwd=self.root,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 300) -> None:
        """Wait for ``/health``; raises :class:`ServerError` with the log on failure."""
        deadline = time.monotonic() + timeout
        # one client for every try: each httpx.get makes an SSL context (30 ms of CPU)
        with httpx.Client(timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise ServerError(f"mlflow server exited:\n{self.log_tail()}")
                try:
                    # /health answers without credentials, also on the basic-auth app
                    if client.get(f"{self.uri}/health").status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.2)
        raise ServerError(f"mlflow server not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return (self.root / "server.log").read_text(errors="replace")[-3000:]

    def stop(self, grace: float = 0) -> None:
        """SIGTERM (a server going down) with ``grace`` seconds to exit, else SIGKILL."""
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM if grace else signal.SIGKILL)
            self.proc.wait(grace or 10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        except ProcessLookupError:
            pass
        if self.log is not None:
            self.log.close()

    def restore_db(self, source: Path) -> None:
        """Make the server's sqlite database a copy of ``source`` while it runs.

        sqlite's online backup writes the pages under the database's own lock, so
        the server's open connections see the new content on their next query (as
        the sqlite shell's ``.restore``); the server keeps no copy of the data."""
        with (
            contextlib.closing(sqlite3.connect(source)) as src,
            contextlib.closing(sqlite3.connect(self.db, timeout=30)) as dst,
        ):
            src.backup(dst)


def empty_store() -> Path:
    """A folder holding the ``mlflow.db`` a new ``mlflow server`` makes on its first
    start (every table, at MLflow's latest migration, the Default experiment);
    made once per mlflow version by such a server."""
    from support.world_cache import cached_dir

    return cached_dir("empty-server-store", [], "support.servers:make_empty_store")


def make_empty_store(folder: Path) -> None:
    """Start a server on an empty ``folder`` (it makes ``mlflow.db``), then stop it."""
    server = MlflowServer(folder, premade_db=False)
    server.start()
    try:
        server.wait_ready()
    finally:
        server.stop()


@contextlib.contextmanager
def running_mlflow_server(root: Path, backend_uri: str | None = None):
    """Start a server, wait until it answers, stop it on exit."""
    server = MlflowServer(root, backend_uri)
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


# -- PostgreSQL ----------------------------------------------------------------------------


def find_postgres_bin() -> Path | None:
    """The folder of ``initdb`` and ``postgres``: ``$MLTUI_TEST_PG_BIN``, ``PATH``,
    ``pg_config --bindir``, then the newest ``/usr/lib/postgresql/*/bin``."""
    candidates: list[Path] = []
    if os.environ.get(PG_BIN_ENV):
        candidates.append(Path(os.environ[PG_BIN_ENV]))
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(Path(on_path).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10
            ).stdout.strip()
            if out:
                candidates.append(Path(out))

    def major(path: str) -> int:
        try:
            return int(Path(path).parent.name.split(".")[0])
        except ValueError:
            return 0

    for found in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True):
        candidates.append(Path(found))
    candidates += [Path("/usr/local/pgsql/bin"), Path("/opt/homebrew/bin")]
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "postgres").is_file():
            return folder
    return None


class PostgresServer:
    """A PostgreSQL cluster in a temporary folder, for one test session.

    ``initdb`` with trust authentication (local socket and 127.0.0.1 only),
    UTF-8 and the C locale; ``postgres`` on a free port with its socket in the
    same folder and durability off (fsync, full page writes) for speed.
    Superuser ``postgres``, no password. :meth:`stop` kills it and deletes
    every file.
    """

    SUPERUSER = "postgres"

    def __init__(self, bindir: Path):
        self.bindir = Path(bindir)
        self.port = free_port()
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen | None = None
        # initdb and postgres refuse root: as root, run them as an unprivileged user
        self.owner = _unprivileged_owner("postgres")
        # not under pytest's tmp dir: that is private to the user running pytest
        self.root = Path(tempfile.mkdtemp(prefix="mltui-pg-", dir=_reachable_tmp(self.owner)))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.logfile = self.root / "postgres.log"
        self.socket_dir.mkdir()
        if self.owner is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        os.chmod(self.root, 0o700)

    # processes run as the owner ---------------------------------------------------------
    def _as_owner(self) -> dict:
        return _as_owner(self.owner, self.root)

    def _run(self, *args: str, timeout: float = 120) -> str:
        return _run_as(self.owner, self.root, args, timeout)

    def start(self, timeout: float = 60) -> None:
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-U",
            self.SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
        )
        for attempt in range(3):
            self._launch()
            try:
                self._wait_ready(timeout)
                return
            except ServerError:
                if attempt == 2 or "already in use" not in self.log_tail():
                    raise
                self.port = free_port()  # somebody took the port meanwhile: another one

    def _launch(self) -> None:
        kwargs = self._as_owner()
        kwargs.setdefault("env", {**os.environ, "LC_ALL": "C"})
        log = open(self.logfile, "wb")  # noqa: SIM115
        try:
            if self.owner is not None:
                os.chown(self.logfile, self.owner.pw_uid, self.owner.pw_gid)
            settings = {
                "listen_addresses": self.host,
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
                "max_connections": "300",
                "shared_buffers": "32MB",
            }
            command = [str(self.bindir / "postgres"), "-D", str(self.data)]
            command += ["-p", str(self.port), "-k", str(self.socket_dir)]
            for key, value in settings.items():
                command += ["-c", f"{key}={value}"]
            self.proc = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                **kwargs,
            )
        except OSError as exc:
            raise ServerError(f"cannot start {self.bindir / 'postgres'}: {exc}") from exc
        finally:
            log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"postgres exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with self.connect():
                    return
            except Exception:  # not accepting connections yet
                time.sleep(0.1)
        raise ServerError(f"postgres not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-3000:]
        except OSError as exc:
            return f"(no log: {exc})"

    def stop(self) -> None:
        """Stop the server (fast shutdown, then SIGKILL) and delete its folder."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)  # postgres: fast shutdown
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    # databases ------------------------------------------------------------------------
    def connect(self, dbname: str = "postgres"):
        """A psycopg connection in autocommit mode (CREATE / DROP DATABASE need it)."""
        import psycopg

        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.SUPERUSER,
            dbname=dbname,
            autocommit=True,
            connect_timeout=5,
        )

    def uri(self, dbname: str) -> str:
        """The SQLAlchemy / MLflow URI of one database (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.SUPERUSER}@{self.host}:{self.port}/{dbname}"

    def create_database(self, dbname: str, template: str | None = None) -> str:
        """Create ``dbname`` (empty, or a copy of ``template``) and return its URI.

        A template must have no open connection while it is copied."""
        from psycopg import sql

        stmt = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname))
        if template:
            stmt = sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(dbname), sql.Identifier(template)
            )
        with self.connect() as conn:
            conn.execute(stmt)
        return self.uri(dbname)

    def drop_database(self, dbname: str) -> None:
        """Drop ``dbname``, closing whatever connections it still has."""
        from psycopg import sql

        with self.connect() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(dbname))
            )

    # dumps (a built store kept for later sessions and the other worker) ---------------
    def _client_tool(self, name: str) -> str | None:
        """``pg_dump`` or ``psql`` of the server's own release (``bindir`` may hold
        links to it), else from ``PATH``."""
        folders = [self.bindir, (self.bindir / "postgres").resolve().parent]
        for folder in folders:
            if (folder / name).is_file():
                return str(folder / name)
        return shutil.which(name)

    def dump_identity(self) -> str | None:
        """What a dump of this server fits (its version), or None when ``pg_dump`` or
        ``psql`` is missing: nothing is dumped then."""
        if not (self._client_tool("pg_dump") and self._client_tool("psql")):
            return None
        return _run_as(None, self.root, [str(self.bindir / "postgres"), "--version"], 30)

    def dump(self, dbname: str, path: Path) -> None:
        """``dbname`` as SQL (``pg_dump``, exact: floats round-trip) into ``path``."""
        _run_as(None, self.root, [self._client_tool("pg_dump"), "--no-owner", "--no-privileges",
                                  *self._client_args(dbname), "-f", str(path)], 300)

    def restore(self, dbname: str, path: Path) -> None:
        """Run the SQL of :meth:`dump` in the (empty) database ``dbname``."""
        _run_as(None, self.root, [self._client_tool("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1",
                                  *self._client_args(dbname), "-f", str(path)], 300)

    def _client_args(self, dbname: str) -> list[str]:
        return ["-h", self.host, "-p", str(self.port), "-U", self.SUPERUSER, "-d", dbname]

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


# -- MariaDB (MySQL) -----------------------------------------------------------------------


class MariaDBBinaries(NamedTuple):
    server: Path
    """``mariadbd`` (``/usr/sbin`` on Debian, not on a user's ``PATH``)."""
    install_db: Path
    """``mariadb-install-db``, which makes the system tables of a new data folder."""


def find_mariadb_bin() -> MariaDBBinaries | None:
    """``mariadbd`` and ``mariadb-install-db``: from ``$MLTUI_TEST_MARIADB_BIN``, ``PATH``,
    then the usual folders (older packages name them ``mysqld`` / ``mysql_install_db``)."""
    folders: list[Path] = []
    if os.environ.get(MARIADB_BIN_ENV):
        folders.append(Path(os.environ[MARIADB_BIN_ENV]))
    folders += [Path(p) for p in os.environ.get("PATH", "").split(os.pathsep) if p]
    folders += [Path(p) for p in ("/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin",
                                  "/usr/local/mysql/bin", "/opt/homebrew/bin")]

    def first(*names: str) -> Path | None:
        for folder in folders:
            for name in names:
                if (folder / name).is_file() and os.access(folder / name, os.X_OK):
                    return folder / name
        return None

    server = first("mariadbd", "mysqld")
    install_db = first("mariadb-install-db", "mysql_install_db")
    if server is None or install_db is None:
        return None
    return MariaDBBinaries(server, install_db)


class MariaDBServer:
    """A MariaDB server with its data in a temporary folder, for one test session.

    ``mariadb-install-db`` makes a root user with no password (``127.0.0.1`` and
    the socket only); ``mariadbd`` listens on a free port of 127.0.0.1 with
    durability off (no log flush at commit, no doublewrite, no binary log) and
    utf8mb4 as its character set. :meth:`stop` kills it and deletes every file.
    Databases are utf8mb4 (MLflow's own MySQL setups ask for ``charset=utf8mb4``),
    with a binary collation by default so that names compare exactly; a database
    can take another collation (the parity suite also checks MariaDB's default,
    case-insensitive one).
    """

    USER = "root"
    CHARSET = "utf8mb4"
    COLLATION = "utf8mb4_bin"

    def __init__(self, binaries: MariaDBBinaries):
        self.binaries = binaries
        self.port = free_port()
        self.host = "127.0.0.1"
        self.proc: subprocess.Popen | None = None
        # mariadbd refuses root without --user=root: as root, run it as the package's user
        self.owner = _unprivileged_owner("mysql")
        self.root = Path(tempfile.mkdtemp(prefix="mltui-mariadb-", dir=_reachable_tmp(self.owner)))
        self.data = self.root / "data"
        self.socket = self.root / "mariadb.sock"
        self.logfile = self.root / "mariadb.log"
        if self.owner is not None:
            os.chown(self.root, self.owner.pw_uid, self.owner.pw_gid)
        os.chmod(self.root, 0o700)

    # server-wide settings, for mariadb-install-db (which starts a bootstrap server) too
    _SETTINGS = (
        "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=16M",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        # io_uring / libaio are refused in some containers; the tests do little I/O
        "--innodb-use-native-aio=0",
        "--skip-log-bin",
        "--skip-name-resolve",
        f"--character-set-server={CHARSET}",
        f"--collation-server={COLLATION}",
    )

    def _run(self, *args: str, timeout: float = 120) -> str:
        return _run_as(self.owner, self.root, args, timeout)

    def start(self, timeout: float = 60) -> None:
        self._run(
            str(self.binaries.install_db),
            "--no-defaults",  # never the machine's /etc/mysql settings
            f"--datadir={self.data}",
            "--auth-root-authentication-method=normal",  # root without password
            "--skip-test-db",
            *self._SETTINGS,
        )
        for attempt in range(3):
            self._launch()
            try:
                self._wait_ready(timeout)
                return
            except ServerError:
                if attempt == 2 or "already in use" not in self.log_tail():
                    raise
                self.port = free_port()  # somebody took the port meanwhile: another one

    def _launch(self) -> None:
        kwargs = _as_owner(self.owner, self.root)
        kwargs.setdefault("env", {**os.environ, "LC_ALL": "C"})
        # without --log-error the server logs to stderr, which is this file
        log = open(self.logfile, "wb")  # noqa: SIM115
        try:
            command = [
                str(self.binaries.server),
                "--no-defaults",
                f"--datadir={self.data}",
                f"--socket={self.socket}",
                f"--pid-file={self.root / 'mariadb.pid'}",
                f"--bind-address={self.host}",
                f"--port={self.port}",
                "--max-connections=300",
                *self._SETTINGS,
            ]
            self.proc = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, **kwargs
            )
        except OSError as exc:
            raise ServerError(f"cannot start {self.binaries.server}: {exc}") from exc
        finally:
            log.close()

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"mariadbd exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                with contextlib.closing(self.connect()):
                    return
            except Exception:  # not accepting connections yet
                time.sleep(0.1)
        raise ServerError(f"mariadbd not ready after {timeout} s:\n{self.log_tail()}")

    def log_tail(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")[-3000:]
        except OSError as exc:
            return f"(no log: {exc})"

    def stop(self) -> None:
        """Kill the server and delete its folder."""
        if self.proc is not None and self.proc.poll() is None:
            try:
                # SIGKILL at once: a clean InnoDB shutdown flushes files about to be deleted
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)

    # databases ------------------------------------------------------------------------
    def connect(self, database: str | None = None):
        """A PyMySQL connection as root, in autocommit mode."""
        import pymysql

        return pymysql.connect(
            host=self.host,
            port=self.port,
            user=self.USER,
            database=database,
            charset=self.CHARSET,
            autocommit=True,
            connect_timeout=5,
        )

    def uri(self, dbname: str) -> str:
        """The SQLAlchemy / MLflow URI of one database (PyMySQL driver)."""
        return (
            f"mysql+pymysql://{self.USER}@{self.host}:{self.port}/{dbname}"
            f"?charset={self.CHARSET}"
        )

    @staticmethod
    def _quote(name: str) -> str:
        if not name or "`" in name:
            raise ValueError(f"not a database name for tests: {name!r}")
        return f"`{name}`"

    def create_database(self, dbname: str, template: str | None = None, *,
                        collation: str = COLLATION) -> str:
        """Create ``dbname`` (empty, or a copy of ``template``) and return its URI.

        MySQL has no ``CREATE DATABASE ... TEMPLATE``: a copy is made in the server,
        table by table (``SHOW CREATE TABLE``, then ``INSERT ... SELECT``), with the
        template's triggers. About 0.3 s for MLflow's 65 tables (a ``mariadb-dump``
        piped into ``mariadb`` takes 0.4 s). The copy's tables take ``collation``
        (MLflow sets none per column), so one build serves both a case-sensitive
        database and one with MariaDB's default, case-insensitive collation."""
        new = self._quote(dbname)
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE {new} CHARACTER SET {self.CHARSET} COLLATE {collation}"
            )
            if template:
                self._copy_tables(cur, template, dbname, collation)
        return self.uri(dbname)

    def _copy_tables(self, cur, source: str, dest: str, collation: str) -> None:
        src, new = self._quote(source), self._quote(dest)
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = %s AND table_type = 'BASE TABLE'",
            (source,),
        )
        tables = [name for (name,) in cur.fetchall()]
        if not tables:
            raise ServerError(f"template database {source!r} has no tables")
        cur.execute(f"USE {new}")
        # tables in any order, each copied whole: the foreign keys hold at the end
        cur.execute("SET SESSION foreign_key_checks = 0")
        # MLflow's Default experiment has id 0, which MySQL's AUTO_INCREMENT would
        # renumber (MLflow and mariadb-dump set the same mode)
        cur.execute("SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')")
        try:
            for table in tables:
                cur.execute(f"SHOW CREATE TABLE {src}.{self._quote(table)}")
                ddl = re.sub(r"\bCOLLATE=\w+", f"COLLATE={collation}", cur.fetchone()[1])
                cur.execute(ddl)  # keeps AUTO_INCREMENT where it was
                # generated columns (spans.duration_ns) are computed again, and a
                # value given for one is an error in strict mode
                cur.execute(
                    "SELECT column_name FROM information_schema.columns WHERE "
                    "table_schema = %s AND table_name = %s AND extra NOT LIKE %s "
                    "ORDER BY ordinal_position", (source, table, "%GENERATED%"))
                columns = ", ".join(self._quote(name) for (name,) in cur.fetchall())
                cur.execute(
                    f"INSERT INTO {new}.{self._quote(table)} ({columns}) "
                    f"SELECT {columns} FROM {src}.{self._quote(table)}"
                )
            cur.execute(f"SHOW TRIGGERS FROM {src}")
            for trigger in [row[0] for row in cur.fetchall()]:
                cur.execute(f"SHOW CREATE TRIGGER {src}.{self._quote(trigger)}")
                cur.execute(cur.fetchone()[2])
        finally:
            cur.execute("SET SESSION foreign_key_checks = 1")

    def drop_database(self, dbname: str) -> None:
        """Drop ``dbname``, closing whatever connections it still has (a connection
        inside a transaction would make DROP wait for its lock)."""
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            cur.execute(
                "SELECT id FROM information_schema.processlist "
                "WHERE db = %s AND id != CONNECTION_ID()",
                (dbname,),
            )
            for (conn_id,) in cur.fetchall():
                with contextlib.suppress(Exception):  # gone meanwhile
                    cur.execute(f"KILL CONNECTION {int(conn_id)}")
            cur.execute(f"DROP DATABASE IF EXISTS {self._quote(dbname)}")

    # dumps (a built store kept for later sessions and the other worker) ---------------
    def _client_tool(self, *names: str) -> str | None:
        folders = [str(self.binaries.server.parent), str(self.binaries.install_db.parent),
                   os.environ.get("PATH", "")]
        for name in names:
            found = shutil.which(name, path=os.pathsep.join(folders))
            if found:
                return found
        return None

    def dump_identity(self) -> str | None:
        """What a dump of this server fits (its version), or None when the client
        tools (``mariadb-dump``, ``mariadb``) are missing: nothing is dumped then."""
        if not (self._client_tool("mariadb-dump", "mysqldump")
                and self._client_tool("mariadb", "mysql")):
            return None
        return _run_as(None, self.root, [str(self.binaries.server), "--version"], 30)

    def _client_args(self) -> list[str]:
        return ["--no-defaults", f"--host={self.host}", f"--port={self.port}",
                f"--user={self.USER}", f"--default-character-set={self.CHARSET}"]

    def dump(self, dbname: str, path: Path) -> None:
        """``dbname`` as SQL (``mariadb-dump``) into ``path``."""
        command = [self._client_tool("mariadb-dump", "mysqldump"), *self._client_args(),
                   "--single-transaction", "--routines", "--triggers", "--hex-blob",
                   "--skip-dump-date", self._quote(dbname)[1:-1]]
        with open(path, "wb") as out:
            done = subprocess.run(command, stdout=out, stderr=subprocess.PIPE, timeout=300)
        if done.returncode != 0:
            raise ServerError(f"mariadb-dump {dbname} failed: {done.stderr.decode()[-3000:]}")

    def restore(self, dbname: str, path: Path) -> None:
        """Run the SQL of :meth:`dump` in the (empty) database ``dbname``."""
        command = [self._client_tool("mariadb", "mysql"), *self._client_args(),
                   self._quote(dbname)[1:-1]]
        with open(path, "rb") as source:
            done = subprocess.run(command, stdin=source, capture_output=True, timeout=300)
        if done.returncode != 0:
            raise ServerError(f"restoring {dbname} failed: {done.stderr.decode()[-3000:]}")

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
