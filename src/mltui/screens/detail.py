"""What the screens of one thing's details share (one run: ``run.py``; one logged
model: ``logged_models.py``): a header of labelled fields over tabs, some holding
a table of params, metrics or tags; tabs switched by number or with ``[`` and
``]``; the value of the row under the cursor shown whole with enter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable, TabbedContent

from ..store.entities import Metric
from ..textfmt import safe_text
from .base import ScreenMixin


def add_field(info: Text, label: str, value: str | None) -> None:
    """``label value`` on a header line, after the fields before it (nothing for an
    empty value)."""
    if value:
        if info.plain and not info.plain.endswith("\n"):
            info.append("  ")
        info.append(f"{label} ", style="dim")
        info.append(safe_text(value))


def key_value_rows(values: Mapping[str, str]) -> list[tuple[Text, Text]]:
    """The rows of a params or tags table: by key, a long value cut (enter shows it
    whole)."""
    return [(Text(safe_text(k)), Text(safe_text(v)[:500])) for k, v in sorted(values.items())]


def key_value_at(kind: str, values: Mapping[str, str], row: int) -> tuple[str, str] | None:
    """(title, whole value) of ``row`` of a :func:`key_value_rows` table; ``kind``:
    param, tag."""
    items = sorted(values.items())
    if 0 <= row < len(items):
        key, value = items[row]
        return (f"{kind} {key}", value)
    return None


def metric_at(metrics: Sequence[tuple[str, Metric]], row: int) -> tuple[str, str] | None:
    """(title, whole value) of ``row`` of a table of ``(key, metric)`` rows."""
    if 0 <= row < len(metrics):
        key, metric = metrics[row]
        return (f"metric {key} (step {metric.step})", repr(metric.value))
    return None


class DetailTabs(ScreenMixin):
    """Tabs by number, ``[`` and ``]``, and enter on a table row: the value whole.
    The screen says which tabs it has, which hold tables, and what a row's value is."""

    TABS: ClassVar[tuple[str, ...]] = ()
    """The tab ids in order (key 1 is the first)."""
    TABLES: ClassVar[dict[str, str]] = {}
    """The tabs that hold a table: tab id -> the table's id."""

    def _row_value(self, table_id: str, row: int) -> tuple[str, str] | None:
        """(title, whole value) of ``row`` of the table ``table_id``."""
        raise NotImplementedError

    def _focus_other_tab(self, active: str) -> None:
        """Focus what tab ``active`` (one without a table) holds, if anything."""
        raise NotImplementedError

    def action_tab(self, index: int) -> None:
        self.query_one(TabbedContent).active = self.TABS[index]
        self._focus_tab()

    def action_next_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = self.TABS[(self.TABS.index(tabs.active) + step) % len(self.TABS)]
        self._focus_tab()

    def _focus_tab(self) -> None:
        active = self.query_one(TabbedContent).active
        table_id = self.TABLES.get(active)
        if table_id is not None:
            self.query_one(f"#{table_id}", DataTable).focus()
        else:
            self._focus_other_tab(active)

    def _current_value(self) -> tuple[str, str] | None:
        """(title, whole value) of the row under the cursor in the active tab."""
        table_id = self.TABLES.get(self.query_one(TabbedContent).active)
        if table_id is None:
            return None
        return self._row_value(table_id, self.query_one(f"#{table_id}", DataTable).cursor_row)

    def action_view_value(self) -> None:
        from .value_viewer import ValueViewer

        found = self._current_value()
        if found is not None:
            self.app.push_screen(ValueViewer(*found))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()  # enter in a table: the table saw it first
        self.action_view_value()
