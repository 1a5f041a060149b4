"""What every writer of an ``mlruns`` folder does to a file, said once.

The experiment, run and registry writers write files whole and atomically,
remove them, make folders, and start each change from a ``meta.yaml`` they must
be able to read. A failure is one :class:`StoreError` line naming the file, so
the UI's error policy holds for all three alike.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from ..errors import StoreError
from .layout import META, atomic_write
from .meta import MetaError, read_meta


def workspace() -> str:
    """The workspace MLflow 3 records in the files it writes (``MLFLOW_WORKSPACE``)."""
    return os.environ.get("MLFLOW_WORKSPACE") or "default"


@contextmanager
def disk_errors(verb: str, path: str) -> Iterator[None]:
    """An OSError inside as one line for the screen: ``Could not remove PATH:
    Permission denied``."""
    try:
        yield
    except OSError as exc:
        raise StoreError(f"Could not {verb} {path}: {exc.strerror or exc}") from None


def write_file(path: str, data: bytes, tmp_dir: str) -> None:
    """Replace ``path`` with ``data`` atomically (a temporary file in ``tmp_dir``,
    on the same disk), making its folder if needed."""
    with disk_errors("write", path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        atomic_write(path, data, tmp_dir=tmp_dir)


def remove_file(path: str) -> bool:
    """Remove ``path``; False when it was not there (the caller decides whether
    that is an error, as MLflow does per write)."""
    with disk_errors("remove", path):
        try:
            os.remove(path)
        except FileNotFoundError:
            return False
    return True


def make_dir(path: str) -> bool:
    """Create the folder ``path`` (and its parents); False when it was already
    there, which is how a new model finds its name taken."""
    with disk_errors("create", path):
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkdir(path)
        except FileExistsError:
            return False
    return True


def read_meta_for_write(folder: str) -> dict[str, Any]:
    """``folder/meta.yaml``, which a write rewrites: unreadable, it stops the write
    before anything changed."""
    try:
        return read_meta(folder)
    except (OSError, MetaError) as exc:
        raise StoreError(
            f"Unreadable {os.path.join(folder, META)} ({exc}); nothing was written"
        ) from None
