"""Opening an MLflow database and finding out which schema it has.

MLflow's schema changes between versions (``workspace`` columns, logged
models, aliases...). Tables are reflected lazily, one at a time, so a
database written by MLflow 2.x and one written by the newest 3.x both open:
code asks :meth:`Schema.has` before using what may be missing.
"""

from __future__ import annotations

import copy
import os
import re
import threading
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, NoSuchTableError, SQLAlchemyError

from ..errors import NotAnMlflowStore, StoreError, StoreNotFound, UnsupportedURI
from ..shared import safe_uri

_DRIVER_HINTS = {
    # keyed by the missing module: SQLAlchemy 2.1 picks psycopg (3) for postgresql://,
    # older versions psycopg2
    "psycopg": "pip install 'psycopg[binary]' (or psycopg2-binary with a "
    "postgresql+psycopg2:// URI)",
    "psycopg2": "pip install psycopg2-binary",
    "MySQLdb": "pip install mysqlclient (or pymysql with a mysql+pymysql:// URI)",
    "pymysql": "pip install pymysql",
    "pyodbc": "pip install pyodbc",
}


def sqlite_path(uri: str) -> Path | None:
    """The file behind a ``sqlite:///`` URI (None for in-memory databases)."""
    url = make_url(uri)
    database = url.database
    if not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        database = database[len("file:") :].split("?", 1)[0]
    return Path(database).expanduser()


def create_engine(uri: str, *, writable: bool) -> Engine:
    """An engine for ``uri``. sqlite opens read-only unless ``writable``; it never
    creates a file that is not there."""
    try:
        url = make_url(uri)
    except ArgumentError:
        raise UnsupportedURI(f"Not a database URI: {uri}") from None
    backend = url.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(uri, writable=writable)
        return sa.create_engine(url, pool_pre_ping=True, pool_size=4, max_overflow=4)
    except NoSuchModuleError:
        raise UnsupportedURI(f"SQLAlchemy has no dialect for '{url.drivername}'") from None
    except ModuleNotFoundError as exc:
        hint = _DRIVER_HINTS.get(exc.name or "", f"pip install {exc.name}")
        raise StoreError(f"The {backend} driver is not installed ({exc.name}): {hint}") from None


def _sqlite_engine(uri: str, *, writable: bool) -> Engine:
    path = sqlite_path(uri)
    if path is None:
        raise UnsupportedURI("In-memory sqlite databases hold no MLflow data")
    if not path.exists():
        raise StoreNotFound(f"No such database file: {path} (mltui never creates one)")
    if path.is_dir():
        raise NotAnMlflowStore(f"{path} is a directory, not an MLflow sqlite database")
    # effective ids: the permissions this process has (a root without
    # CAP_DAC_OVERRIDE, a setuid program), not those of its real user
    if not os.access(path, os.R_OK, effective_ids=os.access in os.supports_effective_ids):
        raise StoreError(f"Cannot read {path}: permission denied")
    mode = "rw" if writable else "ro"
    # mode=ro/rw makes sqlite refuse to create the file, whatever happens later.
    target = f"sqlite:///file:{path.resolve()}?mode={mode}&uri=true"
    engine = sa.create_engine(
        target,
        connect_args={"timeout": 15, "check_same_thread": False},
        poolclass=sa.pool.QueuePool,
        pool_size=4,
        max_overflow=4,
    )

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # pragma: no cover - exercised by every query
        cursor = dbapi_conn.cursor()
        # MLflow runs with case-sensitive LIKE on sqlite; searches must agree.
        cursor.execute("PRAGMA case_sensitive_like = true")
        # A 16 MiB page cache (sqlite's default is 2 MiB) for sorts over 100k
        # runs. Not more, and no mmap: each pooled connection has its own cache
        # and mapped pages count as resident memory (450 MB -> 130 MB after
        # paging through 100k runs, with the same speed once the OS caches).
        cursor.execute("PRAGMA cache_size = -16384")
        cursor.close()

    return engine


_UNKNOWN_DATABASE = re.compile(
    # MySQL / MariaDB: (1049, "Unknown database 'x'"); PostgreSQL: database "x" does not exist
    r"""unknown database '(?P<mysql>[^']*)'|database "(?P<pg>[^"]*)" does not exist""",
    re.IGNORECASE,
)


def describe_db_error(exc: BaseException, uri: str) -> str:
    """A one-line message for a database error, without SQL or parameters."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    lowered = text.lower()
    missing = _UNKNOWN_DATABASE.search(text)
    if missing:
        name = missing.group("mysql") or missing.group("pg")
        return f"No database '{name}' on {safe_uri(uri)} (mltui never creates one)"
    if "file is not a database" in lowered or "file is encrypted" in lowered:
        return f"Not an sqlite database: {safe_uri(uri)}"
    if "database is locked" in lowered:
        return "The database is locked by another writer; try again in a moment"
    if "readonly" in lowered or "read-only" in lowered:
        return "The database is read-only (file permissions or --read-only)"
    if "could not connect" in lowered or "connection refused" in lowered:
        return f"Cannot connect to the database at {safe_uri(uri)}: {text}"
    if "password authentication failed" in lowered or "access denied" in lowered:
        return f"The database refused the credentials for {safe_uri(uri)}"
    return f"Database error: {text}"


def exact_type(column_type: sa.types.TypeEngine) -> sa.types.TypeEngine:
    """``column_type``, with floating columns read as Python floats.

    SQLAlchemy reflects MySQL's DOUBLE as ``asdecimal=True``: values come back as
    ``Decimal`` rounded to 10 places (``0.7692307692307693`` -> ``0.7692307692``,
    ``1e-300`` -> ``0``). The driver already hands over the exact double, which
    is what MlflowClient (whose models declare ``Float``) reads too."""
    if isinstance(column_type, sa.Float) and column_type.asdecimal:
        exact = copy.copy(column_type)
        exact.asdecimal = False
        return exact
    return column_type


class Schema:
    """The MLflow tables of one database, reflected on first use."""

    CORE_TABLES = ("experiments", "runs")

    def __init__(self, engine: Engine, uri: str):
        self.engine = engine
        self.uri = uri
        self.metadata = sa.MetaData()
        self._tables: dict[str, sa.Table | None] = {}
        self._lock = threading.Lock()
        try:
            inspector = sa.inspect(engine)
            self.table_names = set(inspector.get_table_names())
        except SQLAlchemyError as exc:
            raise NotAnMlflowStore(describe_db_error(exc, uri)) from None
        missing = [t for t in self.CORE_TABLES if t not in self.table_names]
        if missing:
            raise NotAnMlflowStore(
                f"{safe_uri(uri)} is not an MLflow tracking database (no "
                f"{' or '.join(missing)} table)"
            )
        self.dialect = engine.dialect.name

    def has(self, table: str, column: str | None = None) -> bool:
        """Whether this schema has ``table`` (and ``column`` in it): ask before
        using what older MLflow versions lack."""
        t = self.table(table)
        if t is None:
            return False
        return column is None or column in t.c

    def table(self, name: str) -> sa.Table | None:
        """The reflected table, or None when this schema has none of that name."""
        if name in self._tables:
            return self._tables[name]
        with self._lock:
            if name not in self._tables:
                self._tables[name] = self._reflect(name)
        return self._tables[name]

    def __getitem__(self, name: str) -> sa.Table:
        table = self.table(name)
        if table is None:
            raise StoreError(f"This MLflow database has no '{name}' table (older schema)")
        return table

    def _reflect(self, name: str) -> sa.Table | None:
        if name not in self.table_names:
            return None
        try:
            # columns only: full autoload also reads keys, indexes and
            # constraints, which no query here needs (5x slower on sqlite)
            columns = sa.inspect(self.engine).get_columns(name)
            return sa.Table(
                name, self.metadata,
                *(sa.Column(c["name"], exact_type(c["type"]), nullable=c.get("nullable", True))
                  for c in columns),
            )
        except NoSuchTableError:
            return None
        except SQLAlchemyError as exc:
            # reflection is lazy: a locked or vanished file surfaces here, not in _read()
            raise StoreError(describe_db_error(exc, self.uri)) from None

    @property
    def alembic_revision(self) -> str | None:
        """MLflow's migration revision of this database (None before alembic)."""
        if "alembic_version" not in self.table_names:
            return None
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
