"""One trace as the trace screen draws it: the span tree as rows, folded and
unfolded, and each span's bar on one timeline shared by the whole trace.

No Textual here: the waterfall widget draws what :class:`TraceTree` computes, and
tests check the rows and bars without a terminal. Everything is a loop over the
rows (never a recursion): a chain of 1,000 nested spans is 1,000 rows like any
other, and its indentation is capped (:func:`indent`) so a deep span still shows
its name.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..store.base import BaseStore
from ..store.errors import StoreError
from ..store.span_tree import SpanNode, span_tree
from ..store.trace_entities import Span, TraceInfo
from ..textfmt import format_duration

INDENT = 2
"""Cells of indentation per level."""


@dataclass(frozen=True)
class Layout:
    """The columns of one waterfall line, in cells (0 for a column left out)."""

    name: int
    kind: int
    duration: int
    bar: int
    gap: int = 1

    @property
    def bar_start(self) -> int:
        """Where the bar column begins (for a ruler drawn above it)."""
        return self.name + self.kind + self.duration + self.gap * 3


def waterfall_layout(width: int, name_hint: int | None = None) -> Layout:
    """Split ``width`` cells between name, span type, duration and bar. The name
    gets what ``name_hint`` asks (the widest indented name), at most about 40 %
    and at least 16 cells; on a narrow terminal the type column goes first, then
    the bar."""
    width = max(0, width)
    duration, kind = 8, 11
    name = min(60, width * 2 // 5)
    if name_hint is not None:
        name = min(name, name_hint + 1)
    name = max(16, name)
    bar = width - name - kind - duration - 3
    if bar < 10:
        kind = 0
        bar = width - name - duration - 3
    if bar < 10:
        bar = 0
        name = max(1, width - duration - 2)
    return Layout(name, kind, duration, max(0, bar))


def indent(depth: int, max_cells: int) -> str:
    """The indentation of a span at ``depth``, at most ``max_cells`` wide: deeper
    than that it shows the depth as a number (``…347 ``) instead of pushing the
    name off screen."""
    cells = depth * INDENT
    if cells <= max_cells:
        return " " * cells
    label = f"…{depth} "
    if len(label) >= max_cells:
        return label[:max_cells]
    return " " * (max_cells - len(label)) + label


def format_ns(ns: int | None) -> str:
    """A span duration: ``870ns``, ``12µs``, ``4.5ms``, ``230ms``, ``1.25s``, ``2m03s``."""
    if ns is None:
        return "…"
    if ns < 1_000:
        return f"{ns}ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.0f}µs"
    if ns < 10_000_000:
        return f"{ns / 1_000_000:.1f}ms"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.0f}ms"
    if ns < 60_000_000_000:
        return f"{ns / 1_000_000_000:.2f}s"
    return format_duration(ns // 1_000_000)


@dataclass(frozen=True)
class SpanRow:
    """One visible line of the waterfall."""

    index: int
    """The node's position in :attr:`TraceTree.nodes` (stable while folding)."""
    node: SpanNode
    has_children: bool
    expanded: bool
    offset_ns: int
    """When the span started, from the start of the trace."""
    duration_ns: int | None
    """None while the span is still open."""

    @property
    def span(self) -> Span:
        return self.node.span

    @property
    def depth(self) -> int:
        return self.node.depth


class TraceTree:
    """The spans of one trace in waterfall order, with which subtrees are folded.

    ``nodes`` never changes; folding changes ``visible`` (indices into ``nodes``).
    The subtree of node ``i`` is ``nodes[i + 1 : end[i]]`` (depth-first order), so
    folding, revealing and finding are loops over ranges.
    """

    def __init__(self, spans: Sequence[Span]):
        self.nodes: list[SpanNode] = span_tree(spans)
        n = len(self.nodes)
        self.parent: list[int] = [-1] * n
        self.end: list[int] = [n] * n
        stack: list[int] = []
        for i, node in enumerate(self.nodes):
            while stack and self.nodes[stack[-1]].depth >= node.depth:
                self.end[stack.pop()] = i
            self.parent[i] = stack[-1] if stack else -1
            stack.append(i)
        starts = [s.start_time_ns for s in spans if s.start_time_ns > 0]
        ends = [s.end_time_ns for s in spans if s.end_time_ns]
        self.start_ns = min(starts) if starts else 0
        self.end_ns = max([*ends, *starts]) if starts or ends else 0
        self.collapsed: set[int] = set()
        self.name_hint = self.name_cells
        self.visible: list[int] = []
        self._row_of: dict[int, int] = {}
        self._rebuild()

    def __len__(self) -> int:
        return len(self.visible)

    @property
    def name_cells(self) -> int:
        """About the widest line of the tree part: indentation, fold mark and name
        (characters, not cells: a hint for the column's width)."""
        return max((min(node.depth * INDENT, 30) + 2 + len(node.span.name)
                    for node in self.nodes), default=0)

    @property
    def total_ns(self) -> int:
        return max(0, self.end_ns - self.start_ns)

    def has_children(self, index: int) -> bool:
        return self.end[index] > index + 1

    # -- folding -------------------------------------------------------------------------
    def _rebuild(self) -> None:
        out: list[int] = []
        i, n = 0, len(self.nodes)
        while i < n:
            out.append(i)
            i = self.end[i] if i in self.collapsed else i + 1
        self.visible = out
        self._row_of = {index: row for row, index in enumerate(out)}

    def row_of(self, index: int) -> int | None:
        """The visible line of node ``index`` (None when a folded parent hides it)."""
        return self._row_of.get(index)

    def expand(self, index: int) -> bool:
        """Unfold ``index``; False if it was not folded."""
        if index not in self.collapsed:
            return False
        self.collapsed.discard(index)
        self._rebuild()
        return True

    def collapse(self, index: int) -> bool:
        """Fold ``index``; False if it has no children or is folded already."""
        if not self.has_children(index) or index in self.collapsed:
            return False
        self.collapsed.add(index)
        self._rebuild()
        return True

    def toggle(self, index: int) -> None:
        if not self.expand(index):
            self.collapse(index)

    def set_collapsed(self, indices: set[int]) -> None:
        """Fold exactly ``indices`` (those without children are ignored)."""
        self.collapsed = {i for i in indices if 0 <= i < len(self.nodes) and self.has_children(i)}
        self._rebuild()

    def expand_all(self) -> None:
        self.collapsed.clear()
        self._rebuild()

    def collapse_below(self, depth: int) -> None:
        """Fold every span at ``depth`` (0: only the roots show)."""
        self.collapsed = {i for i, node in enumerate(self.nodes)
                          if node.depth == depth and self.has_children(i)}
        self._rebuild()

    def reveal(self, index: int) -> int:
        """Unfold the parents of ``index``; its visible line."""
        parent, changed = self.parent[index], False
        while parent >= 0:
            if parent in self.collapsed:
                self.collapsed.discard(parent)
                changed = True
            parent = self.parent[parent]
        if changed:
            self._rebuild()
        return self._row_of[index]

    # -- reading lines -----------------------------------------------------------------------
    def row(self, line: int) -> SpanRow:
        index = self.visible[line]
        node = self.nodes[index]
        span = node.span
        offset = max(0, span.start_time_ns - self.start_ns) if span.start_time_ns else 0
        return SpanRow(index, node, self.has_children(index), index not in self.collapsed,
                       offset, span.duration_ns)

    def bar(self, index: int, width: int) -> tuple[int, int]:
        """The cells ``[first, last)`` of node ``index``'s bar in a bar column
        ``width`` cells wide, on the timeline from the trace's first start to its
        last end. Every span gets at least one cell; an open span runs to the end."""
        if width <= 0:
            return (0, 0)
        total = self.total_ns
        span = self.nodes[index].span
        if total <= 0:
            return (0, width)
        start = min(total, max(0, span.start_time_ns - self.start_ns))
        end = span.end_time_ns if span.end_time_ns is not None else self.end_ns
        end = min(total, max(start, end - self.start_ns))
        first = min(width - 1, start * width // total)
        last = -(-end * width // total)  # ceiling: a span touching a cell fills it
        return (first, min(width, max(first + 1, last)))

    def find(self, query: str, after: int = -1, backwards: bool = False) -> int | None:
        """The next node (in tree order, folded ones too) after node ``after`` whose
        name or type holds ``query``, case-insensitive; wraps around."""
        needle = query.casefold()
        n = len(self.nodes)
        if not needle or not n:
            return None
        step = -1 if backwards else 1
        for k in range(1, n + 1):
            i = (after + step * k) % n
            span = self.nodes[i].span
            if needle in span.name.casefold() or needle in (span.span_type or "").casefold():
                return i
        return None

    def first_error(self) -> int | None:
        return next((i for i, node in enumerate(self.nodes)
                     if node.span.status_code == "ERROR"), None)


@dataclass(frozen=True)
class LoadedTrace:
    """What the trace screen's worker reads: the info, its spans and their tree."""

    info: TraceInfo
    spans: list[Span]
    tree: TraceTree
    spans_error: str | None = None
    """Why the spans could not be read (a missing or broken ``traces.json``): the
    info and its assessments still show."""


def load_trace(store: BaseStore, trace_id: str) -> LoadedTrace:
    """Read a trace and build its tree; runs in a worker. The info is read again
    even when the traces table had it: assessments may have been logged since.
    Raises what the store raises for the info (ResourceNotFound for an unknown
    trace); a store error reading the spans is kept in ``spans_error``."""
    info = store.get_trace_info(trace_id)
    try:
        spans = store.get_trace_spans(trace_id, info)
    except StoreError as exc:
        return LoadedTrace(info, [], TraceTree([]), str(exc))
    return LoadedTrace(info, spans, TraceTree(spans))
