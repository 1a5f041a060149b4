"""The sqlite file under a crashed writer, and under a file replaced or deleted.

Real parts only: the hot journal is left by a real writer process killed
(SIGKILL) in the middle of a transaction, on a copy of a store made by mlflow;
files are replaced with ``os.replace`` and deleted as a person would.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mltui.store import open_store
from mltui.store.errors import StoreError
from support.builders import copy_store

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")

# A writer that changes every experiment's name and many pages of metrics in one
# transaction, with a one-page cache so the changes spill into the database file
# before the commit (the journal is synced, its header written: a hot journal),
# then waits to be killed.
CRASHING_WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    con = sqlite3.connect(sys.argv[1], isolation_level=None)
    con.execute("PRAGMA journal_mode=" + sys.argv[2])
    if sys.argv[2] == "WAL":
        con.execute("UPDATE experiments SET name = name || '-committed' WHERE name = 'sweep'")
    con.execute("PRAGMA cache_size=1")
    con.execute("BEGIN IMMEDIATE")
    con.execute("UPDATE experiments SET name = name || '-crashed'")
    con.execute("UPDATE metrics SET value = value + 1000")
    print("ready", flush=True)
    time.sleep(60)
""")


def crash_writer(db: Path, journal_mode: str = "DELETE") -> None:
    """Run the writer on ``db`` and SIGKILL it in the middle of its transaction."""
    child = subprocess.Popen(
        [sys.executable, "-c", CRASHING_WRITER, str(db), journal_mode],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()


def names(db: Path) -> list[str]:
    """Experiment names as stored, read by a plain read-write sqlite connection
    (which, like MlflowClient, rolls back a hot journal first)."""
    con = sqlite3.connect(db)
    try:
        return sorted(r[0] for r in con.execute("SELECT name FROM experiments"))
    finally:
        con.close()


def store_names(store) -> list[str]:
    from mltui.store.entities import ViewType

    return sorted(e.name for e in store.list_experiments(ViewType.ALL))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    copy_store("sqlite", tmp_path)
    return tmp_path / "mlflow.db"


def assert_hot_journal(db: Path) -> Path:
    journal = db.with_name(db.name + "-journal")
    assert journal.exists(), "the killed writer left no journal"
    assert journal.read_bytes()[:8] == JOURNAL_MAGIC, "the journal is not hot"
    return journal


def test_open_rolls_back_a_crashed_writers_journal(db: Path):
    before = names(db)
    crash_writer(db)
    journal = assert_hot_journal(db)
    # the bug: a read-only connection cannot roll a hot journal back
    ro = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        ro.execute("SELECT name FROM experiments").fetchall()
    ro.close()

    with open_store(f"sqlite:///{db}", read_only=True) as store:
        assert store_names(store) == before
        assert not any("-crashed" in n for n in store_names(store))
    assert not journal.exists()

    from mlflow import MlflowClient
    from mlflow.entities import ViewType

    client_names = sorted(e.name for e in MlflowClient(f"sqlite:///{db}").search_experiments(
        view_type=ViewType.ALL))
    assert client_names == before


def test_a_writer_crashing_while_mltui_is_open(db: Path):
    with open_store(f"sqlite:///{db}") as store:
        before = store_names(store)
        crash_writer(db)
        assert_hot_journal(db)
        assert store_names(store) == before  # the pooled connections too
        run_count = store.get_experiment(store.find_experiment("sweep").experiment_id).run_count
        assert run_count is not None
    assert names(db) == before


def test_a_crashed_wal_writer(db: Path):
    crash_writer(db, "WAL")
    assert db.with_name(db.name + "-wal").exists()
    with open_store(f"sqlite:///{db}") as store:
        got = store_names(store)
    assert "sweep-committed" in got and not any("-crashed" in n for n in got)


def _unprivileged() -> list[str] | None:
    """A command prefix that runs a child without the power to write what its
    permissions forbid: nothing as a user; as root, ``setpriv`` dropping
    CAP_DAC_OVERRIDE (root ignores file modes otherwise). None if impossible."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    caps = "-dac_override,-dac_read_search,-fowner,-linux_immutable"
    prefix = [setpriv, f"--bounding-set={caps}", "--inh-caps=-all", "--"]
    probe = subprocess.run([*prefix, "true"], capture_output=True)
    return prefix if probe.returncode == 0 else None


def test_a_hot_journal_it_cannot_recover_is_named(db: Path):
    prefix = _unprivileged()
    if prefix is None:
        pytest.skip("running as root without setpriv: file modes cannot be enforced")
    crash_writer(db)
    journal = assert_hot_journal(db)
    folder = db.parent
    check = textwrap.dedent("""
        import sys
        from mltui.store import open_store
        from mltui.store.errors import StoreError
        try:
            open_store(sys.argv[1], read_only=True)
        except StoreError as err:
            print(err)
        else:
            print("opened")
    """)
    modes = {p: stat.S_IMODE(p.stat().st_mode) for p in (folder, db, journal)}
    db.chmod(0o444)
    journal.chmod(0o444)
    folder.chmod(0o555)
    try:
        out = subprocess.run(
            [*prefix, sys.executable, "-c", check, f"sqlite:///{db}"],
            capture_output=True, text=True, timeout=60,
            cwd=Path(__file__).resolve().parents[2],
        )
    finally:
        for path, mode in modes.items():
            path.chmod(mode)
    assert out.returncode == 0, out.stderr
    message = out.stdout.strip()
    assert "\n" not in message
    assert "has an unfinished transaction of a writer that crashed" in message
    assert f"hot journal {journal}" in message
    assert "open it once with write access to recover" in message
    assert "read-only (file permissions" not in message
    assert journal.exists()  # nothing was touched
    # with write access back, mltui recovers it itself
    with open_store(f"sqlite:///{db}", read_only=True) as store:
        assert not any("-crashed" in n for n in store_names(store))


def _other_store(tmp_path: Path) -> Path:
    """A second copy of the store, told apart by one experiment's name."""
    other = tmp_path / "other"
    other.mkdir()
    copy_store("sqlite", other)
    con = sqlite3.connect(other / "mlflow.db")
    with con:
        con.execute("UPDATE experiments SET name = 'replaced-sweep' WHERE name = 'sweep'")
    con.close()
    return other / "mlflow.db"


def test_a_replaced_file_is_reopened(db: Path, tmp_path: Path):
    other = _other_store(tmp_path)
    with open_store(f"sqlite:///{db}") as store:
        first = store_names(store)
        sweep_id = store.find_experiment("sweep").experiment_id
        assert "sweep" in first
        os.replace(other, db)
        second = store_names(store)
        assert "replaced-sweep" in second and "sweep" not in second
        assert store.get_experiment(sweep_id).name == "replaced-sweep"
        # a write after the replacement goes to the new file, not the old inode
        store.rename_experiment(sweep_id, "renamed-after-replace")
    assert "renamed-after-replace" in names(db)


def test_a_deleted_file_is_an_error(db: Path):
    with open_store(f"sqlite:///{db}") as store:
        assert store_names(store)
        db.unlink()
        with pytest.raises(StoreError) as err:
            store.list_experiments()
        message = str(err.value)
        assert "\n" not in message
        assert message.startswith(f"The database file {db} was deleted")
        with pytest.raises(StoreError, match="was deleted"):
            store.get_registered_model("anything")
