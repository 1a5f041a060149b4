"""Printing command results as an aligned table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import math
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from .textfmt import safe_text, truncate

MAX_CELL = 48

# One spelling of the floats JSON and CSV have no number for, in every format:
# MLflow's REST API writes these (as JSON strings), and Python's float() reads
# them back. Strings keep the JSON valid for strict parsers (jq, JavaScript).
NAN_TOKEN = "NaN"
INF_TOKEN = "Infinity"
NEG_INF_TOKEN = "-Infinity"
FORMAT_HELP = (
    "table (aligned, for people), csv or json. NaN and infinite metric values are "
    f"written {NAN_TOKEN}, {INF_TOKEN} and {NEG_INF_TOKEN} in all three (as strings in "
    "JSON, as MLflow's REST API writes them). Control characters in stored values "
    "(an ESC that would drive the terminal): a table always shows them as symbols "
    "(ESC as ␛); csv shows them so when stdout is a terminal and writes them "
    "unchanged to a pipe or file (--safe / --raw force either); json writes them as "
    "\\u escapes"
)
SAFE_HELP = "csv: show control characters as symbols (␛) even to a pipe or file"
RAW_HELP = (
    "csv: write stored values unchanged, control characters too, even to a terminal "
    "(a table is always shown with symbols; use --format csv or json)"
)
RAW_TABLE_PROBLEM = (
    "--raw writes stored values unchanged, which --format csv does; a table always "
    "shows control characters as symbols"
)


def escapes_wanted(choice: str | None, out) -> bool:
    """Whether control characters are shown as symbols: ``choice`` is "safe", "raw"
    or None (then: when ``out`` is a terminal, which would obey them)."""
    if choice is not None:
        return choice == "safe"
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


def color_wanted(out) -> bool:
    """Colour only for a terminal, and never when ``NO_COLOR`` is set to anything but
    the empty string (https://no-color.org; the TUI's Textual honours it too)."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(out, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Tabular:
    """What a command returns: a table for people and records for machines."""

    columns: list[str]
    rows: list[list[str]]
    """Display text, already safe for a terminal."""
    records: list[dict[str, Any]] = field(default_factory=list)
    """Raw values for ``--format json`` and ``csv``."""
    title: str | None = None
    footer: str | None = None


def _json_default(value: Any) -> Any:
    return str(value)


def nonfinite_token(value: Any) -> str | None:
    """The spelling of a NaN or infinite float, None for every other value."""
    if not isinstance(value, float) or math.isfinite(value):
        return None
    if math.isnan(value):
        return NAN_TOKEN
    return INF_TOKEN if value > 0 else NEG_INF_TOKEN


def _plain(value: Any) -> Any:
    token = nonfinite_token(value)
    return value if token is None else token


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return _plain(value)
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def print_table_or_data(
    result: Tabular | None, fmt: str = "table", out=None, escapes: str | None = None
) -> None:
    """Print ``result`` as ``fmt``. ``escapes`` ("safe", "raw" or None: decided by
    whether ``out`` is a terminal) says how csv writes control characters; a table
    is always safe (its rows are display text) and JSON escapes them itself."""
    out = out or sys.stdout
    if result is None:
        return
    if fmt == "json":
        json.dump(_json_safe(result.records), out, indent=2, default=_json_default)
        out.write("\n")
        return
    if fmt == "csv":
        safe = escapes_wanted(escapes, out)
        writer = csv.writer(out)
        writer.writerow([safe_text(c) if safe else c for c in result.columns])
        for record in result.records:
            row = [_plain(record.get(c, "")) for c in result.columns]
            # raw values for pipes; visible escapes when a terminal would obey them
            writer.writerow([safe_text(v) if safe else ("" if v is None else v) for v in row])
        return
    if result.title:
        out.write(result.title + "\n")
    if result.rows or result.columns:
        _print_aligned(result.columns, result.rows, out)
    if result.footer:
        out.write(result.footer + "\n")


def _print_aligned(columns: list[str], rows: list[list[str]], out) -> None:
    cells = [[truncate(c, MAX_CELL) for c in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    out.write("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip() + "\n")
    for row in cells:
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
