"""Run table columns: what a column is, how it reads a run, how it sorts.

Shared by the CLI (``--columns``) and the runs table, so a column spec such
as ``metrics.`val/loss``` means the same thing in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .store.entities import Run
from .store.search import ATTRIBUTE, METRIC, PARAM, TAG, OrderKey, order_by_string
from .textfmt import (
    STATUS_SYMBOLS,
    format_duration,
    format_iso,
    format_number,
    format_relative,
    format_timestamp,
    safe_text,
)

# attribute column name -> (header, MLflow order_by attribute or None)
ATTRIBUTES: dict[str, tuple[str, str | None]] = {
    "status": ("Status", "status"),
    "run_name": ("Run name", "run_name"),
    "created": ("Created", "start_time"),
    "start_time": ("Start", "start_time"),
    "end_time": ("End", "end_time"),
    "duration": ("Duration", None),
    "user": ("User", "user_id"),
    "source": ("Source", None),
    "run_id": ("Run ID", "run_id"),
    "experiment_id": ("Exp", None),
    "lifecycle_stage": ("Lifecycle", None),
    "artifact_uri": ("Artifact URI", "artifact_uri"),
    "parent_run_id": ("Parent", None),
}
_ALIASES = {"user_id": "user", "name": "run_name", "id": "run_id", "parent": "parent_run_id"}
_PREFIX = {
    "metrics": METRIC,
    "metric": METRIC,
    "params": PARAM,
    "param": PARAM,
    "parameters": PARAM,
    "tags": TAG,
    "tag": TAG,
}
_SHORT = {METRIC: "metrics", PARAM: "params", TAG: "tags"}

DEFAULT_ATTRIBUTES = ("status", "run_name", "created", "duration", "user", "source")


@dataclass(frozen=True)
class Column:
    kind: str
    """ATTRIBUTE, METRIC, PARAM or TAG."""
    key: str

    @property
    def spec(self) -> str:
        """The text that names this column in ``--columns`` and in the config."""
        if self.kind == ATTRIBUTE:
            return self.key
        key = self.key
        if not re.fullmatch(r"[\w.\-]+", key):
            key = f"`{key}`"
        return f"{_SHORT[self.kind]}.{key}"

    @property
    def header(self) -> str:
        if self.kind == ATTRIBUTE:
            return ATTRIBUTES[self.key][0]
        return self.key

    @property
    def order_key(self) -> str | None:
        """MLflow order_by attribute for this column, None if it cannot sort."""
        if self.kind == ATTRIBUTE:
            return ATTRIBUTES[self.key][1]
        return self.key

    def order_by(self, ascending: bool) -> str | None:
        key = self.order_key
        if key is None:
            return None
        return order_by_string(OrderKey(self.kind, key, ascending))

    def value(self, run: Run):
        """The raw value: float for metrics, str for params/tags, native for attributes."""
        if self.kind == METRIC:
            return run.metric_value(self.key)
        if self.kind == PARAM:
            return run.params.get(self.key)
        if self.kind == TAG:
            return run.tags.get(self.key)
        key = self.key
        if key in ("created", "start_time"):
            return run.start_time
        if key == "duration":
            return run.duration_ms
        if key == "user":
            return run.user_id
        if key == "source":
            return run.source
        if key == "parent_run_id":
            return run.parent_run_id
        return getattr(run, key)

    def raw(self, run: Run):
        """The value for CSV and JSON: native, times as ISO 8601."""
        value = self.value(run)
        if value is not None and self.kind == ATTRIBUTE and self.key in (
            "created", "start_time", "end_time"
        ):
            return format_iso(value)
        return value

    def text(self, run: Run, *, relative: bool = True) -> str:
        """One line of safe text for a table cell."""
        value = self.value(run)
        if value is None:
            return ""
        if self.kind == METRIC:
            return format_number(value)
        if self.kind == ATTRIBUTE:
            if self.key == "created":
                return format_relative(value) if relative else format_timestamp(value)
            if self.key in ("start_time", "end_time"):
                return format_timestamp(value)
            if self.key == "duration":
                return format_duration(value)
            if self.key == "status" and relative:
                return f"{STATUS_SYMBOLS.get(value, '?')} {safe_text(value)}"
        return safe_text(value)


def parse_column(spec: str) -> Column:
    """``run_name``, ``metrics.acc``, ``params.`my key```, ``tags.mlflow.user``."""
    text = spec.strip()
    if "." in text:
        prefix, key = text.split(".", 1)
        kind = _PREFIX.get(prefix.lower())
        if kind is not None:
            if len(key) >= 2 and key[0] == key[-1] and key[0] in "`\"'":
                key = key[1:-1]
            if not key:
                raise ValueError(f"Column '{spec}' names no key")
            return Column(kind, key)
    name = _ALIASES.get(text, text)
    if name not in ATTRIBUTES:
        raise ValueError(
            f"Unknown column '{spec}'. Use one of {', '.join(ATTRIBUTES)} or "
            "metrics.KEY, params.KEY, tags.KEY"
        )
    return Column(ATTRIBUTE, name)


def split_column_specs(text: str) -> list[str]:
    """Split a comma-separated column list; commas inside backticks stay."""
    specs, current, quote = [], [], None
    for ch in text:
        if quote:
            current.append(ch)
            if ch == quote:
                quote = None
        elif ch in "`\"'":
            quote = ch
            current.append(ch)
        elif ch == ",":
            specs.append("".join(current))
            current = []
        else:
            current.append(ch)
    specs.append("".join(current))
    return [s.strip() for s in specs if s.strip()]


def parse_columns(text: str) -> list[Column]:
    return [parse_column(spec) for spec in split_column_specs(text)]
