"""Which run sits on which line of the runs table.

The table never holds every run: top-level runs arrive in pages from the
store and live in a small LRU cache. In tree view, the children of expanded
parents are spliced in under their parent. This module is plain Python so the
mapping can be tested without a terminal.
"""

from __future__ import annotations

import bisect
from collections import OrderedDict
from dataclasses import dataclass, field

from ..store.entities import Run


@dataclass
class Expanded:
    parent_id: str
    top_index: int
    children: list[Run] = field(default_factory=list)
    more: int = 0
    """Children that exist but were not loaded (shown as a note row)."""
    loading: bool = True


@dataclass(frozen=True)
class Line:
    """What one display line holds."""

    top_index: int
    child_index: int | None = None
    """None for a top-level run; else the position among its parent's children."""
    note: str | None = None
    """Text of a note line (loading..., N more children)."""


class RunRows:
    """Display-line <-> run mapping over paged top-level runs."""

    def __init__(self, page_size: int = 200, max_pages: int = 40):
        self.page_size = page_size
        self.max_pages = max_pages
        self.total_top = 0
        self.pages: OrderedDict[int, list[Run]] = OrderedDict()
        self.child_counts: dict[str, int] = {}
        self._expanded: dict[str, Expanded] = {}
        self._order: list[int] = []  # sorted top indices of expanded parents
        self._by_top: dict[int, Expanded] = {}

    # -- pages -------------------------------------------------------------
    def reset(self, total_top: int = 0) -> None:
        self.total_top = total_top
        self.pages.clear()
        self.child_counts.clear()
        self.collapse_all()

    def page_of(self, top_index: int) -> int:
        return top_index // self.page_size

    def has_page(self, page: int) -> bool:
        return page in self.pages

    def set_page(self, page: int, runs: list[Run], counts: dict[str, int] | None = None) -> None:
        self.pages[page] = runs
        self.pages.move_to_end(page)
        if counts:
            self.child_counts.update(counts)
        while len(self.pages) > self.max_pages:
            _, dropped = self.pages.popitem(last=False)
            for run in dropped:
                if run.run_id not in self._expanded:
                    self.child_counts.pop(run.run_id, None)

    def top_run(self, top_index: int) -> Run | None:
        page = self.pages.get(self.page_of(top_index))
        if page is None:
            return None
        offset = top_index % self.page_size
        return page[offset] if offset < len(page) else None

    def loaded_runs(self):
        for runs in self.pages.values():
            yield from runs
        for exp in self._expanded.values():
            yield from exp.children

    # -- tree --------------------------------------------------------------
    def is_expanded(self, run_id: str) -> bool:
        return run_id in self._expanded

    def expand(self, parent_id: str, top_index: int) -> Expanded:
        exp = Expanded(parent_id, top_index)
        self._expanded[parent_id] = exp
        self._by_top[top_index] = exp
        bisect.insort(self._order, top_index)
        return exp

    def set_children(self, parent_id: str, children: list[Run], more: int = 0) -> None:
        exp = self._expanded.get(parent_id)
        if exp is not None:
            exp.children = children
            exp.more = more
            exp.loading = False

    def collapse(self, parent_id: str) -> Expanded | None:
        exp = self._expanded.pop(parent_id, None)
        if exp is not None:
            self._by_top.pop(exp.top_index, None)
            self._order.remove(exp.top_index)
        return exp

    def collapse_all(self) -> None:
        self._expanded.clear()
        self._by_top.clear()
        self._order.clear()

    def relocate_expansions(self) -> None:
        """After the pages were replaced (live refresh), put each expanded parent's
        children back under it, wherever it now sits; fold parents no longer loaded."""
        where = {run.run_id: page * self.page_size + offset
                 for page, runs in self.pages.items() for offset, run in enumerate(runs)}
        moved = list(self._expanded.values())
        self.collapse_all()
        for exp in moved:
            top = where.get(exp.parent_id)
            if top is not None:
                new = self.expand(exp.parent_id, top)
                new.children, new.more, new.loading = exp.children, exp.more, exp.loading

    def _extra_lines(self, exp: Expanded) -> int:
        if exp.loading:
            return 1
        return len(exp.children) + (1 if exp.more else 0)

    @property
    def total_lines(self) -> int:
        return self.total_top + sum(self._extra_lines(e) for e in self._expanded.values())

    def line(self, index: int) -> Line | None:
        """What display line ``index`` shows (None past the end)."""
        if index < 0 or index >= self.total_lines:
            return None
        extra = 0
        for top in self._order:
            exp = self._by_top[top]
            parent_line = top + extra
            if index <= parent_line:
                break
            n = self._extra_lines(exp)
            if index <= parent_line + n:
                offset = index - parent_line - 1
                if exp.loading:
                    return Line(top, None, note="loading children…")
                if offset < len(exp.children):
                    return Line(top, offset)
                return Line(top, None, note=f"… {exp.more} more child runs (flat view shows all)")
            extra += n
        return Line(index - extra)

    def run_at(self, index: int) -> Run | None:
        line = self.line(index)
        if line is None or line.note is not None:
            return None
        if line.child_index is None:
            return self.top_run(line.top_index)
        exp = self._by_top.get(line.top_index)
        return exp.children[line.child_index] if exp else None

    def line_of_top(self, top_index: int) -> int:
        """Display line of a top-level row."""
        extra = 0
        for top in self._order:
            if top >= top_index:
                break
            extra += self._extra_lines(self._by_top[top])
        return top_index + extra

    def find_line(self, run_id: str) -> int | None:
        """Display line of a loaded run, if it is loaded."""
        for page, runs in self.pages.items():
            for offset, run in enumerate(runs):
                if run.run_id == run_id:
                    return self.line_of_top(page * self.page_size + offset)
        for exp in self._expanded.values():
            for i, run in enumerate(exp.children):
                if run.run_id == run_id:
                    return self.line_of_top(exp.top_index) + 1 + i
        return None

    def top_indices_needed(self, first_line: int, last_line: int) -> set[int]:
        """Pages needed to draw display lines first..last."""
        pages = set()
        for index in range(max(0, first_line), min(self.total_lines, last_line + 1)):
            line = self.line(index)
            if line is not None and line.child_index is None and line.note is None:
                pages.add(self.page_of(line.top_index))
        return pages
