"""Where things live in an ``mlruns`` folder, and the plain file operations on it.

The paths, folder names and enum numbers follow MLflow's file store
(``mlflow/store/tracking/file_store.py``); the reads use ``os.open``/``os.read``
and the writes replace files atomically, because a training job may be writing
the same folder while mltui reads it. Everything here is a function over paths:
the caches live in the classes that use them (:mod:`.run_index`, :mod:`.run_data`).
"""

from __future__ import annotations

import os
import posixpath
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse

META = "meta.yaml"
TRASH = ".trash"
MODELS = "models"
METRICS, PARAMS, TAGS, ARTIFACTS = "metrics", "params", "tags", "artifacts"
INPUTS, OUTPUTS, DATASETS, ALIASES = "inputs", "outputs", "datasets", "aliases"
RESERVED_EXPERIMENT_FOLDERS = frozenset({TAGS, DATASETS, "traces", MODELS})
"""Folders of an experiment that are not runs (MLflow's RESERVED_EXPERIMENT_FOLDERS)."""

RUN_STATUS_NAMES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
RUN_STATUS_NUMBERS = {name: number for number, name in RUN_STATUS_NAMES.items()}
SOURCE_TYPE_NAMES = {
    1: "NOTEBOOK",
    2: "JOB",
    3: "PROJECT",
    4: "LOCAL",
    5: "RECIPE",
    1000: "UNKNOWN",
}
SOURCE_TYPE_LOCAL = 4
LOGGED_MODEL_STATUS_NAMES = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}

_RUN_ID_RE = re.compile(r"^[a-zA-Z0-9][\w\-]{0,255}$")


def root_path(uri: str) -> Path:
    """The folder behind ``file:///abs/path``, ``file:rel/path`` or a plain path."""
    if uri.lower().startswith("file:"):
        parsed = urlparse(uri)
        path = unquote(parsed.path)
        if parsed.netloc and parsed.netloc != "localhost":
            path = f"//{parsed.netloc}{path}"
        return Path(path or ".")
    return Path(uri)


# -- names that become paths ---------------------------------------------------------


def safe_name(name: object) -> bool:
    """True if ``name`` is one plain folder name (no separator, not ``.``/``..``)."""
    return (
        isinstance(name, str)
        and name not in ("", ".", "..")
        and "/" not in name
        and "\\" not in name
        and "\x00" not in name
    )


def safe_run_id(run_id: object) -> bool:
    return isinstance(run_id, str) and _RUN_ID_RE.match(run_id) is not None


def safe_key(key: object) -> bool:
    """True if ``key`` (a metric, param or tag key, maybe with '/') stays inside its
    folder. MLflow refuses to log any other key, so no file can hold one."""
    if not isinstance(key, str) or not key or "\x00" in key or "\\" in key:
        return False
    norm = posixpath.normpath(key)
    return norm == key and norm != "." and not norm.startswith(("..", "/"))


def key_path(folder: str, key: str) -> str:
    return os.path.join(folder, *key.split("/"))


# -- atomic writes ---------------------------------------------------------------------


def atomic_write(path: str, data: bytes, tmp_dir: str | None = None) -> None:
    """Replace ``path`` with ``data`` in one step: a reader sees the old or the new
    content, never a half-written file. An existing file keeps its permissions; a new
    one gets the process umask, as MLflow's own ``open(path, "w")`` would.

    ``tmp_dir`` (default: the file's folder) must be on the same file system and be
    a folder MLflow never lists as data (a run or model folder, not ``tags/``).
    """
    folder = os.path.dirname(path)
    tmp_dir = tmp_dir or folder
    try:
        mode: int | None = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=".mltui-", suffix=".tmp", dir=tmp_dir)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode if mode is not None else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK = current
    return _UMASK


# -- key/value folders (params, tags, aliases) -----------------------------------------


_CHUNK = 1 << 16
_O_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)


def read_bytes(path: str, offset: int = 0) -> bytes:
    """A whole file from ``offset`` on (``os.open``/``os.read``: a third of the cost of
    ``open()`` for the thousands of small files a big mlruns folder has)."""
    fd = os.open(path, _O_FLAGS)
    try:
        if offset:
            os.lseek(fd, offset, os.SEEK_SET)
        data = os.read(fd, _CHUNK)
        if len(data) < _CHUNK:
            return data
        chunks = [data]
        while True:
            data = os.read(fd, _CHUNK << 4)
            if not data:
                return b"".join(chunks)
            chunks.append(data)
    finally:
        os.close(fd)


def read_text(path: str) -> str:
    """A param, tag or alias file as MLflow reads it (UTF-8, no newline translation)."""
    return read_bytes(path).decode("utf-8", errors="replace")


def list_keys(folder: str) -> list[str]:
    """Keys of the files under ``folder``, '/' for sub-folders (keys with '/')."""
    keys: list[str] = []

    def walk(path: str, prefix: str) -> None:
        try:
            with os.scandir(path) as it:
                entries = list(it)
        except (FileNotFoundError, NotADirectoryError):
            return
        for entry in entries:
            try:
                is_dir = entry.is_dir()
            except OSError:
                continue
            if is_dir:
                walk(entry.path, f"{prefix}{entry.name}/")
            elif not entry.name.startswith(".mltui-"):
                keys.append(prefix + entry.name)

    walk(folder, "")
    return keys


def read_key_values(folder: str) -> dict[str, str]:
    """Every ``key -> value`` file under ``folder`` (a run's params or tags...)."""
    values: dict[str, str] = {}
    for key in list_keys(folder):
        try:
            values[key] = read_text(key_path(folder, key))
        except OSError:
            continue  # removed meanwhile
    return values
