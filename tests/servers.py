"""Real servers for tests: ``mlflow server`` and a throwaway PostgreSQL.

Both run as child processes on 127.0.0.1 on a free port and are stopped (and
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
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

PG_BIN_ENV = "MLTUI_TEST_PG_BIN"
"""A folder holding ``initdb`` and ``postgres``, if not found by :func:`find_postgres_bin`."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _mlflow_env() -> dict[str, str]:
    """The environment without the caller's MLflow settings (URIs, auth, workspaces)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}


class ServerError(RuntimeError):
    """A server that should have started did not; the message holds its log."""


# -- mlflow server -----------------------------------------------------------------------


class MlflowServer:
    """``mlflow server`` in its own process group, on a free port.

    The backend store is ``backend_uri`` (default: ``sqlite:///<root>/mlflow.db``,
    created by the server); artifacts are served (``--serve-artifacts``) from
    ``<root>/artifacts``.
    """

    def __init__(self, root: Path, backend_uri: str | None = None, *,
                 app_name: str | None = None, env: dict[str, str] | None = None):
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
        env = _mlflow_env()
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no job runner process
        env.update(self.extra_env)
        self.log = open(self.root / "server.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                sys.executable,
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
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerError(f"mlflow server exited:\n{self.log_tail()}")
            try:
                # /health answers without credentials, also on the basic-auth app
                if httpx.get(f"{self.uri}/health", timeout=2).status_code == 200:
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
        self.owner: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            # initdb and postgres refuse root: run them as an unprivileged user
            for name in ("postgres", "nobody"):
                try:
                    self.owner = pwd.getpwnam(name)
                    break
                except KeyError:
                    continue
            else:
                raise ServerError("Running as root and neither 'postgres' nor 'nobody' exists")
        # not under pytest's tmp dir: that is private to the user running pytest
        self.root = Path(tempfile.mkdtemp(prefix="mltui-pg-", dir=self._base_dir()))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.logfile = self.root / "postgres.log"
        self.socket_dir.mkdir()
        if self.owner is not None:
            for path in (self.root, self.socket_dir):
                os.chown(path, self.owner.pw_uid, self.owner.pw_gid)
        os.chmod(self.root, 0o700)

    def _base_dir(self) -> str | None:
        """A temporary folder the server's user can reach (every parent searchable)."""
        if self.owner is None:
            return None
        for base in (tempfile.gettempdir(), "/tmp", "/var/tmp", "/dev/shm"):
            path = Path(base).resolve()
            if path.is_dir() and all(os.stat(p).st_mode & 0o001 for p in [path, *path.parents]):
                return str(path)
        return None

    # processes run as the owner ---------------------------------------------------------
    def _as_owner(self) -> dict:
        if self.owner is None:
            return {}
        env = {
            "HOME": str(self.root),
            "USER": self.owner.pw_name,
            "LC_ALL": "C",
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        return {
            "user": self.owner.pw_uid,
            "group": self.owner.pw_gid,
            "extra_groups": [],
            "env": env,
            "cwd": str(self.root),
        }

    def _run(self, *args: str, timeout: float = 120) -> str:
        kwargs = self._as_owner()
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

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
