"""Runs to a CSV file (the runs table's export), text to a file (the comparison's).

The file appears whole or not at all (written beside it, then renamed), and
a write error is one line, never a traceback.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..columns import Column
from ..store.base import BaseStore
from ..store.errors import StoreError
from ..store.query import RunQuery
from ..store.search import ATTRIBUTE
from .run_pages import iter_marked

ID_COLUMNS = (Column(ATTRIBUTE, "run_id"), Column(ATTRIBUTE, "run_name"),
              Column(ATTRIBUTE, "status"))
"""Always first in an export, whatever the table shows."""


def problem_with_path(text: str) -> str | None:
    """Why ``text`` cannot be an export file (None when it can)."""
    if not text.strip():
        return "Give a file name"
    path = Path(text).expanduser()
    if path.is_dir():
        return f"{path} is a directory"
    if not path.parent.exists():
        return f"No such directory: {path.parent}"
    return None


def export_runs(
    store: BaseStore, query: RunQuery, columns: Sequence[Column], path: Path,
    marked: Sequence[str] = (),
) -> int:
    """Write the runs of ``query`` (or only the ``marked`` ones, in the query's
    order) with ``columns`` to ``path``; returns how many runs were written."""
    runs: Iterable = iter_marked(store, query, marked) if marked else store.iter_query(query)
    unique = list(dict.fromkeys([*ID_COLUMNS, *columns]))
    count = 0
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow([c.spec for c in unique])
            for run in runs:
                writer.writerow(["" if (v := c.raw(run)) is None else v for c in unique])
                count += 1
        tmp.replace(path)
    except OSError as exc:
        _discard(tmp)
        raise StoreError(f"Cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        _discard(tmp)
        raise
    return count


def write_text_file(path: Path, text: str) -> None:
    """``text`` to ``path``, whole or not at all; a write error is one line."""
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        _discard(tmp)
        raise StoreError(f"Cannot write {path}: {exc.strerror or exc}") from None


def _discard(tmp: Path) -> None:
    # the folder may be what failed: removing may fail the same way
    with contextlib.suppress(OSError):
        tmp.unlink(missing_ok=True)
