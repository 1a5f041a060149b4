"""The on-disk layout of an ``mlruns`` folder: paths, ``meta.yaml`` files,
key/value folders and metric files, read and written as MLflow's file store
reads and writes them (``mlflow/store/tracking/file_store.py``).

Everything here is plain functions over paths; :mod:`mltui.store.file` adds
the caches and the store interface.
"""

from __future__ import annotations

import math
import os
import posixpath
import re
import tempfile
import time
from typing import Any

import yaml

try:  # libyaml, as MLflow uses when it is there: same output, much faster
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure Python fallback
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

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


def now_ms() -> int:
    """MLflow's ``get_current_time_millis``."""
    return int(time.time() * 1000)


def text_or_empty(value) -> str:
    """A YAML scalar as text, ``""`` for null."""
    return "" if value is None else str(value)


def int_or_none(value) -> int | None:
    """A YAML scalar as an int, None for null or anything else."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def describe_error(exc: BaseException) -> str:
    """Why a file could not be read, in a few words."""
    if isinstance(exc, MetaError):
        return f"meta.yaml {exc}"
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc) or type(exc).__name__


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


# -- meta.yaml -------------------------------------------------------------------------

_KEY_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]*)\Z")
_YAML_RADIX_INT = re.compile(r"0(?:[0-7]+|x[0-9a-fA-F]+|b[01]+)\Z")
"""Octal, hex and binary ints of YAML 1.1 (decimal ones are ``_INT_RE``)."""
_NULLS = frozenset({"null", "Null", "NULL", "~"})
_PLAIN_NEEDS_YAML = frozenset("-?:,[]{}#&*!|>'\"%@`+.0123456789=< ")
_ODD_CHARS = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
"""Characters the YAML reader treats specially (tabs, CR, other line breaks, BOM,
control characters): their presence sends a file to the real parser."""
_META_KEYS = frozenset(
    [
        "artifact_uri",
        "end_time",
        "entry_point_name",
        "experiment_id",
        "lifecycle_stage",
        "run_id",
        "run_name",
        "source_name",
        "source_type",
        "source_version",
        "start_time",
        "status",
        "tags",
        "user_id",
        "deleted_time",
        "run_uuid",
    ]
)
_YAML_BOOLS = frozenset(
    w
    for word in ("yes", "no", "true", "false", "on", "off", "y", "n")
    for w in (word, word.capitalize(), word.upper())
)


class MetaError(ValueError):
    """A ``meta.yaml`` that is missing, empty or not a mapping."""


def _parse_simple_yaml(text: str) -> dict[str, Any] | None:
    """Parse the flat ``key: value`` YAML that MLflow writes for runs, fast.

    Returns None whenever the text uses anything beyond that (multi-line or
    double-quoted strings, floats, booleans, nesting, odd characters...): the
    caller then uses the real YAML parser, so the result is always what
    ``yaml.safe_load`` gives.
    """
    if _ODD_CHARS.search(text):
        return None
    result: dict[str, Any] = {}
    for line in text.split("\n"):
        if not line:
            continue
        key, _, raw = line.partition(": ")
        if not raw or (key not in _META_KEYS and not _KEY_RE.match(key)):
            return None
        first = raw[0]
        value: Any
        if first == "'":
            if len(raw) < 2 or raw[-1] != "'":
                return None
            value = raw[1:-1]
            if "'" in value:
                if "'" in value.replace("''", ""):
                    return None
                value = value.replace("''", "'")
        elif raw.isdigit():
            if not raw.isascii() or (first == "0" and raw != "0"):
                return None  # octal in YAML 1.1
            value = int(raw)
        elif first.isdigit():
            # "9f3c...": a hex run id is a string (YAML reads floats only with a '.')
            if not (raw.isascii() and raw.isalnum()) or _YAML_RADIX_INT.match(raw):
                return None
            value = raw
        elif raw in _NULLS:
            value = None
        elif raw == "[]":
            value = []
        elif raw == "{}":
            value = {}
        elif first == "-" and _INT_RE.match(raw):
            value = int(raw)
        elif (
            first in _PLAIN_NEEDS_YAML
            or raw[-1] in " :"
            or ": " in raw
            or " #" in raw
            or raw in _YAML_BOOLS
        ):
            return None
        else:
            value = raw
        result[key] = value
    return result


def parse_meta(data: bytes) -> dict[str, Any]:
    """A ``meta.yaml`` as a dict; :class:`MetaError` if it is empty or corrupt."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MetaError("not UTF-8 text") from None
    parsed = _parse_simple_yaml(text)
    if parsed is None:
        try:
            parsed = yaml.load(text, Loader=_Loader)
        except yaml.YAMLError as exc:
            problem = getattr(exc, "problem", None) or type(exc).__name__
            raise MetaError(f"invalid YAML ({problem})") from None
    if not parsed:
        raise MetaError("empty")
    if not isinstance(parsed, dict):
        raise MetaError("not a mapping")
    return parsed


def read_meta(folder: str) -> dict[str, Any]:
    """``folder/meta.yaml`` parsed; FileNotFoundError if there is none."""
    return parse_meta(read_bytes(os.path.join(folder, META)))


def dump_yaml(data: dict[str, Any]) -> bytes:
    """The bytes MLflow's ``write_yaml`` writes for ``data``."""
    text = yaml.dump(
        data,
        default_flow_style=False,
        allow_unicode=True,
        sort_keys=True,
        Dumper=_Dumper,
    )
    return text.encode("utf-8")


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


# -- metric files ----------------------------------------------------------------------

MetricPoint = tuple  # (timestamp, value, step)


def parse_metric_line(line: str) -> tuple[int, float, int] | None:
    """``timestamp value [step [dataset_name dataset_digest]]`` -> (ts, value, step).

    MLflow writes 3 fields (5 with a dataset since MLflow 3; very old versions 2).
    Anything else is a garbage line: None. Values are Python float text, so
    ``nan``, ``inf`` and ``-inf`` come back as the floats they were.
    """
    parts = line.split()
    n = len(parts)
    if n not in (2, 3, 5):
        return None
    try:
        ts = _int(parts[0])
        value = float(parts[1])
        step = _int(parts[2]) if n > 2 else 0
    except (ValueError, OverflowError):
        return None
    return ts, value, step


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not math.isfinite(number):
            raise
        return int(number)


def parse_metric_data(
    data: bytes,
) -> tuple[list[tuple[int, float, int]], tuple[int, float, int] | None, int, int]:
    """Every readable point of a metric file, in file order.

    Returns ``(points, tail, bad_lines, consumed)``. Garbage lines are skipped
    and counted; ``consumed`` is the number of bytes up to the end of the last
    complete line. A last line without its newline may be half written (MLflow
    appends line by line): it comes apart as ``tail``, and only if it parses with
    at least as many fields as the line before it.
    """
    points: list[tuple[int, float, int]] = []
    bad = 0
    consumed = data.rfind(b"\n") + 1
    lines = data[:consumed].decode("utf-8", errors="replace").split("\n")
    last_fields = 0
    for line in lines:
        if not line or line.isspace():
            continue
        point = parse_metric_line(line)
        if point is None:
            bad += 1
            continue
        last_fields = len(line.split())
        points.append(point)
    tail = None
    rest = data[consumed:].decode("utf-8", errors="replace")
    if rest.strip():
        tail = parse_metric_line(rest)
        if tail is not None and last_fields and len(rest.split()) < last_fields:
            tail = None
    return points, tail, bad, consumed


def latest_point(points: list[tuple[int, float, int]]) -> tuple[int, float, int] | None:
    """The point MLflow reports as the metric's value: the max of (step, timestamp,
    value), with Python's own ``max`` so NaN ties break exactly as in MLflow."""
    if not points:
        return None
    best = max(points, key=lambda p: (p[2], p[0], p[1]))
    return best


def better_point(
    current: tuple[int, float, int] | None, points: list[tuple[int, float, int]]
) -> tuple[int, float, int] | None:
    """``latest_point(old_points + points)`` given ``current = latest_point(old_points)``."""
    if current is None:
        return latest_point(points)
    return latest_point([current, *points])


# -- downsampling ----------------------------------------------------------------------
