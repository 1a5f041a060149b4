"""The span waterfall: one line per span, its place in the tree, its type, its
duration and a bar on the timeline the whole trace shares.

A ``ScrollView`` on the Line API like the runs table and the artifact tree: a
trace of 5,000 spans is a :class:`~mltui.views.trace_view.TraceTree` and only the
lines on screen are drawn. Line 0 is a ruler (column titles and the timeline's
length); spans start at line 1. It never asks the store: the trace screen reads
the trace in a worker and calls :meth:`SpanWaterfall.show`.
"""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..textfmt import safe_text
from ..views.trace_view import Layout, SpanRow, TraceTree, format_ns, indent, waterfall_layout

ORPHAN_MARK = "⊘"
"""Before a span whose parent is not in the trace (lost, or a cycle of parents)."""


class SpanWaterfall(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {
        "span-waterfall--header",
        "span-waterfall--cursor",
        "span-waterfall--dim",
        "span-waterfall--error",
        "span-waterfall--bar",
        "span-waterfall--bar-error",
        "span-waterfall--bar-open",
        "span-waterfall--track",
    }
    DEFAULT_CSS = """
    SpanWaterfall { height: 1fr; overflow-x: hidden; }
    SpanWaterfall > .span-waterfall--header { text-style: bold; background: $panel; }
    SpanWaterfall > .span-waterfall--cursor { background: $surface-lighten-2; }
    SpanWaterfall:focus > .span-waterfall--cursor { background: $accent 40%; }
    SpanWaterfall > .span-waterfall--dim { color: $text-muted; }
    SpanWaterfall > .span-waterfall--error { color: $error; text-style: bold; }
    SpanWaterfall > .span-waterfall--bar { color: $success; }
    SpanWaterfall > .span-waterfall--bar-error { color: $error; }
    SpanWaterfall > .span-waterfall--bar-open { color: $warning; }
    SpanWaterfall > .span-waterfall--track { color: $panel-lighten-1; }
    """
    BINDINGS = [
        Binding("down,j", "cursor(1)", "Down", show=False, id="trace.down"),
        Binding("up,k", "cursor(-1)", "Up", show=False, id="trace.up"),
        Binding("pagedown,ctrl+f", "page(1)", "Page down", show=False, id="trace.page_down"),
        Binding("pageup,ctrl+b", "page(-1)", "Page up", show=False, id="trace.page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False,
                id="trace.half_page_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id="trace.half_page_up"),
        Binding("home,g", "first", "First span", show=False, id="trace.first"),
        Binding("end,G", "last", "Last span", show=False, id="trace.last"),
        Binding("enter,space", "fold", "Fold", id="trace.toggle"),
        Binding("right,l", "expand", "Unfold", show=False, id="trace.expand"),
        Binding("left,h", "collapse", "Fold / parent", show=False, id="trace.collapse"),
    ]

    class Highlighted(Message):
        """The cursor is on the span at ``row`` (a new span, or the trace reloaded)."""

        def __init__(self, waterfall: SpanWaterfall, row: SpanRow):
            super().__init__()
            self.waterfall = waterfall
            self.row = row

    def __init__(self, *, id: str | None = None):
        super().__init__(id=id)
        self.trace_tree: TraceTree | None = None
        self.cursor = 0

    # -- data in -----------------------------------------------------------------------------
    def show(self, tree: TraceTree, keep_place: bool = False) -> None:
        """Draw ``tree``; ``keep_place`` (a reload) keeps the cursor on the same span
        id and the folds of the same span ids when they are still there."""
        old, span_id = self.trace_tree, None
        if keep_place and old is not None and old.visible:
            span_id = old.row(self.cursor).span.span_id
            folded = {old.nodes[i].span.span_id for i in old.collapsed}
            tree.set_collapsed({i for i, node in enumerate(tree.nodes)
                                if node.span.span_id in folded})
        self.trace_tree = tree
        line = 0
        if span_id is not None:
            index = next((i for i, n in enumerate(tree.nodes) if n.span.span_id == span_id), None)
            line = tree.reveal(index) if index is not None else min(self.cursor, len(tree) - 1)
        self._resized()
        self.move_to(max(0, line), force=True)

    @property
    def current(self) -> SpanRow | None:
        tree = self.trace_tree
        if tree is None or not 0 <= self.cursor < len(tree):
            return None
        return tree.row(self.cursor)

    @property
    def layout_now(self) -> Layout:
        return self._layout(self.scrollable_content_region.width)

    def _layout(self, width: int) -> Layout:
        hint = self.trace_tree.name_hint if self.trace_tree is not None else None
        return waterfall_layout(width, hint)

    # -- moving ------------------------------------------------------------------------------
    @property
    def body_height(self) -> int:
        return max(1, self.scrollable_content_region.height - 1)

    def move_to(self, line: int, force: bool = False) -> None:
        tree = self.trace_tree
        if tree is None or not len(tree):
            return
        line = max(0, min(line, len(tree) - 1))
        if line == self.cursor and not force:
            return
        old, self.cursor = self.cursor, line
        top = int(self.scroll_y)
        if line < top:
            self.scroll_to(y=line, animate=False, immediate=True)
        elif line >= top + self.body_height:
            self.scroll_to(y=line - self.body_height + 1, animate=False, immediate=True)
        if int(self.scroll_y) == top and not force:
            width = self.size.width
            for moved in (old, line):  # just the two lines that changed
                self.refresh(Region(0, moved - top + 1, width, 1))
        else:
            self.refresh()
        self.post_message(self.Highlighted(self, tree.row(line)))

    def reveal(self, index: int) -> None:
        """Put the cursor on node ``index``, unfolding its parents."""
        if self.trace_tree is None:
            return
        line = self.trace_tree.reveal(index)
        self._resized()
        self.move_to(line, force=True)

    def _resized(self) -> None:
        rows = len(self.trace_tree) if self.trace_tree is not None else 0
        self.virtual_size = Size(self.scrollable_content_region.width, rows + 1)
        self.refresh()

    def on_resize(self, _event: events.Resize) -> None:
        self._resized()

    # -- keys --------------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self.move_to(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * self.body_height)

    def action_half_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(1, self.body_height // 2))

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        if self.trace_tree is not None:
            self.move_to(len(self.trace_tree) - 1)

    def action_fold(self) -> None:
        row = self.current
        if row is None or self.trace_tree is None or not row.has_children:
            return
        self.trace_tree.toggle(row.index)
        self._resized()

    def action_expand(self) -> None:
        """Unfold; on an unfolded span go to its first child."""
        row = self.current
        if row is None or self.trace_tree is None or not row.has_children:
            return
        if self.trace_tree.expand(row.index):
            self._resized()
        else:
            self.move_to(self.cursor + 1)

    def action_collapse(self) -> None:
        """Fold; on a folded span or a leaf go to its parent."""
        row = self.current
        if row is None or self.trace_tree is None:
            return
        if row.has_children and self.trace_tree.collapse(row.index):
            self._resized()
            return
        parent = self.trace_tree.parent[row.index]
        if parent >= 0:
            self.reveal(parent)

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            return
        line = int(self.scroll_y) + event.y - 1
        if self.trace_tree is not None and 0 <= line < len(self.trace_tree):
            self.move_to(line)
            if event.chain > 1:
                self.action_fold()

    # -- drawing -----------------------------------------------------------------------------
    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"span-waterfall--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self.rich_style
        tree = self.trace_tree
        layout = self._layout(width)
        if y == 0:
            return self._ruler(layout, width)
        line = int(self.scroll_y) + y - 1
        if tree is None or line >= len(tree):
            return Strip.blank(width, base)
        row = tree.row(line)
        segments = self._row_segments(row, layout, base)
        if line == self.cursor:
            # the cursor's background over every cell, each keeping its colour (red,
            # dim): a component style carries the widget's background too
            cursor = Style(bgcolor=self._style("cursor").bgcolor)
            segments = list(Segment.apply_style(segments, post_style=cursor))
            base = base + cursor
        return Strip(segments).adjust_cell_length(width, base)

    def _ruler(self, layout: Layout, width: int) -> Strip:
        style = self.rich_style + self._style("header")
        total = format_ns(self.trace_tree.total_ns) if self.trace_tree is not None else ""
        text = set_cell_size("span", layout.name + layout.gap)
        if layout.kind:
            text += set_cell_size("type", layout.kind + layout.gap)
        text += set_cell_size("duration", layout.duration + layout.gap)
        if layout.bar:
            ends = "0" + total.rjust(layout.bar - 1) if layout.bar > len(total) + 2 else total
            text += ends
        return Strip([Segment(set_cell_size(text, width), style)])

    def _row_segments(self, row: SpanRow, layout: Layout, style: Style) -> list[Segment]:
        span = row.span
        dim = style + self._style("dim")
        error = span.status_code == "ERROR"
        name_style = style + self._style("error") if error else style
        # the tree part: indentation (capped), a fold mark, the name
        pad = indent(row.depth, max(0, layout.name // 2))
        mark = ("▼ " if row.expanded else "▶ ") if row.has_children else "  "
        if row.node.orphan:
            mark = ORPHAN_MARK + " "
        name = safe_text(span.name) or "(no name)"
        room = max(0, layout.name - cell_len(pad) - cell_len(mark))
        segments = [
            Segment(pad, dim),
            Segment(mark, dim),
            Segment(set_cell_size(name, room), name_style),
            Segment(" " * layout.gap, style),
        ]
        if layout.kind:
            kind = safe_text(span.span_type or "")
            segments.append(Segment(set_cell_size(kind, layout.kind) + " " * layout.gap,
                                    name_style if error else dim))
        duration = format_ns(row.duration_ns)
        segments.append(Segment(duration.rjust(layout.duration)[-layout.duration:]
                                + " " * layout.gap, name_style if error else style))
        if layout.bar and self.trace_tree is not None:
            first, last = self.trace_tree.bar(row.index, layout.bar)
            bar_style = "bar-error" if error else "bar-open" if row.duration_ns is None else "bar"
            track = style + self._style("track")
            segments += [
                Segment("·" * first, track),
                Segment("█" * (last - first), style + self._style(bar_style)),
                Segment("·" * (layout.bar - last), track),
            ]
        return segments
