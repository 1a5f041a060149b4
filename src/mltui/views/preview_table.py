"""Tables: CSV and TSV files, ``mlflow.log_table`` JSON, Parquet.

CSV is read from the head of the file only (a 2 GB CSV shows its first rows at
once). ``log_table`` writes pandas' ``split`` orientation (``{"columns": [...],
"data": [[...]]}``). Parquet is read with pyarrow when it is installed, through a
file object that asks the store for byte ranges: the footer and the first row
group are read, never the whole file; without pyarrow the preview is one line
naming it.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from typing import Any

from ..store.errors import StoreError
from ..textfmt import count_of, safe_text
from .preview_text import decode_text
from .preview_types import MessagePreview, Preview, TablePreview

MAX_ROWS = 1000
"""Rows a table preview holds."""
MAX_CELL = 500
"""Characters of one cell kept."""
MAX_COLUMNS = 500


def cell(value: Any) -> str:
    """A table value as short, safe text (floats as Python prints them)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_CELL:
        text = text[:MAX_CELL] + "…"
    return safe_text(text)


def csv_preview(path: str, size: int, data: bytes, delimiter: str) -> Preview:
    """The first rows of a CSV/TSV file from its first bytes (``data``); the header
    row names the columns."""
    whole = len(data) >= size
    text, bad = decode_text(data, partial_end=not whole)
    lines = text.replace("\r\n", "\n").split("\n")
    if not whole and len(lines) > 1:
        lines = lines[:-1]  # cut in the middle of a row
    try:
        reader = csv.reader(lines, delimiter=delimiter)
        rows: list[list[str]] = []
        header = [cell(v) for v in next(reader, [])][:MAX_COLUMNS]
        total = 0
        for raw in reader:
            if not raw:
                continue
            total += 1
            if len(rows) < MAX_ROWS:
                rows.append([cell(v) for v in raw[:MAX_COLUMNS]])
    except csv.Error as exc:
        return MessagePreview(path, size, "CSV", message=f"Not readable as CSV: {exc}")
    kind = "TSV" if delimiter == "\t" else "CSV"
    table = TablePreview(path, size, kind, columns=header, rows=rows,
                         total_rows=total if whole else None)
    width = max([len(header), *(len(r) for r in rows)]) if rows or header else 0
    table.notes.append(f"{width:,} columns")
    if whole:
        table.notes.append(f"{total:,} rows" + (f", first {len(rows):,} shown"
                                                 if total > len(rows) else ""))
    else:
        table.notes.append(f"first {len(rows):,} rows (the file goes on)")
    if bad:
        table.notes.append(f"{bad:,} invalid UTF-8 bytes replaced")
    return table


def is_log_table(data: Any) -> bool:
    """True for ``mlflow.log_table``'s JSON (pandas ``split`` orientation)."""
    return (isinstance(data, dict) and isinstance(data.get("columns"), list)
            and isinstance(data.get("data"), list)
            and set(data) <= {"columns", "data", "index"})


def split_table(path: str, size: int | None, data: dict, kind: str = "table (JSON)"
                ) -> TablePreview:
    """A table from pandas' ``split`` JSON (``log_table``, input examples)."""
    columns = [cell(c) for c in data["columns"]][:MAX_COLUMNS]
    body = data["data"]
    rows = [[cell(v) for v in (r if isinstance(r, list) else [r])[:MAX_COLUMNS]]
            for r in body[:MAX_ROWS]]
    table = TablePreview(path, size, kind, columns=columns, rows=rows, total_rows=len(body))
    table.notes.append(f"{count_of(len(columns), 'column')}, {count_of(len(body), 'row')}"
                       + (f", first {len(rows):,} shown" if len(body) > len(rows) else ""))
    return table


class RangedFile(io.RawIOBase):
    """A read-only, seekable file whose bytes come from ``read(offset, length)``
    (a store's ranged read): what pyarrow needs to read a Parquet footer and one
    row group without the rest."""

    def __init__(self, size: int, read: Callable[[int, int], bytes]):
        super().__init__()
        self._size = size
        self._read = read
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), max(0, self._size - self._pos))
        if want <= 0:
            return 0
        data = self._read(self._pos, want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def size(self) -> int:
        return self._size


def parquet_preview(path: str, size: int, read: Callable[[int, int], bytes]) -> Preview:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return MessagePreview(path, size, "Parquet file", error=False,
                              message="Parquet preview needs pyarrow: pip install pyarrow")
    raw = io.BufferedReader(RangedFile(size, read), buffer_size=1 << 20)
    try:
        parquet = pq.ParquetFile(raw)
        meta = parquet.metadata
        columns = [cell(name) for name in parquet.schema_arrow.names][:MAX_COLUMNS]
        rows: list[list[str]] = []
        if meta.num_row_groups:
            batch = next(parquet.iter_batches(batch_size=MAX_ROWS), None)
            if batch is not None:
                values = batch.to_pydict()
                names = list(values)[:MAX_COLUMNS]
                rows = [[cell(values[n][i]) for n in names] for i in range(batch.num_rows)]
    except StoreError:
        raise  # the store failed, not the file: its own one line
    except Exception as exc:  # pyarrow raises its own types for a corrupt file
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        return MessagePreview(path, size, "Parquet file", message=f"Not a readable Parquet "
                              f"file: {safe_text(reason)}")
    table = TablePreview(path, size, "Parquet", columns=columns, rows=rows,
                         total_rows=meta.num_rows)
    table.notes.append(f"{meta.num_columns:,} columns, {meta.num_rows:,} rows"
                       + (f", first {len(rows):,} shown" if meta.num_rows > len(rows) else ""))
    return table

