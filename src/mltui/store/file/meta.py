"""``meta.yaml`` files, read and written byte for byte as MLflow does.

A big ``mlruns`` folder has one ``meta.yaml`` per run, so reading them is most of
the cost of opening an experiment: the flat ``key: value`` files MLflow writes are
parsed by a small exact parser, and anything beyond it goes to the real YAML
parser, so the result is always what ``yaml.safe_load`` gives. Writes go through
the dumper MLflow's ``write_yaml`` uses, so MLflow reads back what it would have
written itself.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

from .layout import META, read_bytes

try:  # libyaml, as MLflow uses when it is there: same output, much faster
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - pure Python fallback
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


def text_or_empty(value: object) -> str:
    """A YAML scalar as text, ``""`` for null."""
    return "" if value is None else str(value)


def int_or_none(value: Any) -> int | None:
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
