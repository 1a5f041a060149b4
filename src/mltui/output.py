"""Printing command results as an aligned table, CSV or JSON."""

from __future__ import annotations

import csv
import json
import math
import sys
from dataclasses import dataclass, field
from typing import Any

from .textfmt import safe_text, truncate

MAX_CELL = 48


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


def _json_safe(value: Any) -> Any:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value) if not math.isnan(value) else "NaN"
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def print_table_or_data(result: Tabular | None, fmt: str = "table", out=None) -> None:
    out = out or sys.stdout
    if result is None:
        return
    if fmt == "json":
        json.dump(_json_safe(result.records), out, indent=2, default=_json_default)
        out.write("\n")
        return
    if fmt == "csv":
        tty = out.isatty()
        writer = csv.writer(out)
        writer.writerow(result.columns)
        for record in result.records:
            row = [record.get(c, "") for c in result.columns]
            # raw values for pipes; visible escapes when a terminal would obey them
            writer.writerow([safe_text(v) if tty else ("" if v is None else v) for v in row])
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
