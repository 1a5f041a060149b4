"""Where the demo store lives, and building it there safely on first use.

``mltui --demo`` opens a demo in the user's data folder. It is built once and
reused while its marker matches this mltui's demo format and shipped schema, so
the common path (a current demo) reads one small file and imports no scenario.
A build happens in a temporary folder next to the final one and is renamed into
place under a file lock: a crash leaves no half-built demo, and two processes
starting at once build it once.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..store.errors import StoreError
from .builder import build_demo_store
from .schema import MARKER, marker_text


def demo_folder() -> Path:
    """The folder of the demo store: ``demo/`` in mltui's per-user data folder."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("mltui")) / "demo"


def _is_current(folder: Path) -> bool:
    try:
        marker = (folder / MARKER).read_text()
    except OSError:
        return False
    return marker == marker_text() and (folder / "mlflow.db").is_file()


def ensure_demo_store(rebuild: bool = False) -> str:
    """The tracking URI of the demo store, built on first use (or when ``rebuild``).

    The store is built in a temporary folder next to its final place and renamed
    into it, under a lock: a crash leaves no half-built demo, and two processes
    starting at once build it once. Raises ``StoreError`` when it cannot be built.
    """
    folder = demo_folder()
    uri = f"sqlite:///{folder / 'mlflow.db'}"
    if not rebuild and _is_current(folder):
        return uri
    try:
        _build_in_place(folder, rebuild)
    except OSError as exc:
        raise StoreError(f"Cannot build the demo store in {folder}: {exc}") from exc
    return uri


def _build_in_place(folder: Path, rebuild: bool) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    with locked(folder.parent / ".demo.lock"):
        if not rebuild and _is_current(folder):
            return  # another process built it while we waited
        # Leftovers of a build that was killed; nobody else builds while we hold the lock.
        for stale in [*folder.parent.glob(".demo-build-*"), *folder.parent.glob(".demo-old-*")]:
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".demo-build-", dir=folder.parent))
        retired = folder.parent / f".demo-old-{os.getpid()}"
        try:
            build_demo_store(staging, location=folder)
            if folder.exists():
                folder.rename(retired)
            staging.rename(folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
            shutil.rmtree(retired, ignore_errors=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (a no-op where there is none)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the rename is the only guard
        yield
        return
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
