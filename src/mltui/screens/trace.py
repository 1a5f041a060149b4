"""One trace: the span waterfall above, the selected span's detail and the
trace's assessments below.

Pushed as ``TraceScreen(trace_id, info)`` (from the traces table, which has the
info already: the header shows at once). The trace is read in a worker
(:func:`~mltui.views.trace_view.load_trace`: the info again for fresh
assessments, the spans from the ``spans`` table or ``traces.json``, the tree);
an unknown trace or a missing ``traces.json`` is one line on screen.
"""

from __future__ import annotations

from rich.syntax import Syntax
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.timer import Timer
from textual.widgets import Input, Static

from ..background import run_blocking
from ..store.trace_entities import TraceInfo
from ..textfmt import safe_text
from ..views.trace_detail import (
    SECTIONS,
    SpanDetail,
    assessment_groups,
    span_detail,
    trace_summary,
    whole_text,
)
from ..views.trace_view import LoadedTrace, TraceTree, load_trace
from ..widgets.footer import KeysFooter
from ..widgets.span_waterfall import SpanWaterfall
from ..widgets.status_bar import StatusBar
from .base import MltuiScreen
from .clipboard import copy_text
from .dialogs import SafeInput
from .value_viewer import ValueViewer

DETAIL_DELAY = 0.04
"""Seconds the cursor rests before the detail follows: holding j over 5,000 spans
must not highlight 5,000 JSON documents."""
STATE_STYLES = {"OK": "bold green", "ERROR": "bold red", "IN_PROGRESS": "bold yellow"}


class TraceScreen(MltuiScreen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="trace.back"),
        Binding("v", "view_value", "Whole value", id="trace.value"),
        Binding("slash", "find", "Find span", id="trace.find"),
        Binding("n", "find_next(1)", "Next match", show=False, id="trace.find_next"),
        Binding("N", "find_next(-1)", "Previous match", show=False, id="trace.find_previous"),
        Binding("e", "next_error", "Next error", id="trace.next_error"),
        Binding("r,ctrl+r", "reload", "Reload", id="trace.reload"),
        Binding("y", "copy_id", "Copy trace id", show=False, id="trace.copy_id"),
        Binding("1", "tab(0)", "Inputs", show=False, id="trace.tab_inputs"),
        Binding("2", "tab(1)", "Outputs", show=False, id="trace.tab_outputs"),
        Binding("3", "tab(2)", "Attributes", show=False, id="trace.tab_attributes"),
        Binding("4", "tab(3)", "Events", show=False, id="trace.tab_events"),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", show=False,
                id="trace.next_tab"),
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab", show=False,
                id="trace.previous_tab"),
    ]

    HELP = """\
One trace of an LLM application: every span (a function, a tool call, an LLM
call) as a line of the tree with its type, its duration and a bar on the
trace's timeline, so the slow step shows at a glance. Spans that failed are red;
⊘ marks a span whose parent is not in the trace.

j/k move, enter folds or unfolds a span, h/l (left/right) fold and unfold or
go to the parent. Below: the selected span's inputs, outputs, attributes and
events as JSON (1 to 4, or [ and ], switch), long values cut short: v shows the
whole value (y there copies it). Beside them: the trace's assessments, feedback
and expectations, with their source, rationale and errors.

/ finds a span by name or type (n / N: next and previous), e goes to the next
span that failed, r reads the trace again, y copies the trace id.
"""

    DEFAULT_CSS = """
    TraceScreen #trace-header { height: auto; max-height: 3; padding: 0 1;
                                border-bottom: solid $panel; }
    TraceScreen #trace-error { height: auto; padding: 0 1; color: $error; display: none; }
    TraceScreen #trace-error.-shown { display: block; }
    TraceScreen SpanWaterfall { height: auto; min-height: 4; max-height: 60%; }
    TraceScreen #trace-lower { height: 1fr; border-top: solid $panel; }
    TraceScreen #span-side { width: 2fr; }
    TraceScreen #span-summary { height: auto; max-height: 3; padding: 0 1; }
    TraceScreen #span-tabs { height: 1; padding: 0 1; background: $panel; }
    TraceScreen #span-scroll { height: 1fr; padding: 0 1; }
    TraceScreen #assessments { width: 1fr; min-width: 30; padding: 0 1;
                               border-left: solid $panel; }
    TraceScreen #trace-find { dock: bottom; display: none; }
    TraceScreen #trace-find.-open { display: block; }
    """

    def __init__(self, trace_id: str, info: TraceInfo | None = None):
        super().__init__()
        self.trace_id = trace_id
        self.info = info
        self.loaded: LoadedTrace | None = None
        self.error: str | None = None
        """The one-line reason the last read failed."""
        self.tab = 0
        self.detail: SpanDetail | None = None
        self._detail_timer: Timer | None = None
        self._query = ""

    # -- layout --------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="trace-header")
        yield Static(id="trace-error")
        yield SpanWaterfall(id="waterfall")
        with Horizontal(id="trace-lower"):
            with Vertical(id="span-side"):
                yield Static(id="span-summary")
                yield Static(id="span-tabs")
                with VerticalScroll(id="span-scroll"):
                    yield Static(id="span-section")
            with VerticalScroll(id="assessments"):
                yield Static(id="assessments-text")
        yield SafeInput(placeholder="find a span by name or type (enter: next)", id="trace-find")
        yield KeysFooter()

    @property
    def waterfall(self) -> SpanWaterfall:
        return self.query_one(SpanWaterfall)

    def on_mount(self) -> None:
        self.waterfall.focus()
        self._show_header()
        self._show_tabs()
        self.action_reload()

    # -- reading -------------------------------------------------------------------------------
    def action_reload(self) -> None:
        run_blocking(self, load_trace, self.store, self.trace_id, done=self._loaded,
                     failed=self._failed, group="trace-read", description="read trace")

    def _loaded(self, loaded: LoadedTrace) -> None:
        if loaded.spans_error is not None:
            # the info and its assessments are worth showing without the spans
            self.info = loaded.info
            self._show_assessments()
            self._failed(loaded.spans_error)
            return
        again = self.loaded is not None
        self.loaded, self.info, self.error = loaded, loaded.info, None
        self.query_one("#trace-error").remove_class("-shown")
        self._show_header()
        self._show_assessments()
        if not loaded.tree.nodes:
            self._set_section_text(Text("This trace has no spans.", style="dim"))
        self.waterfall.show(loaded.tree, keep_place=again)

    def _failed(self, message: str) -> None:
        # one line, no traceback; what was read before stays on screen
        self.error = message
        error = self.query_one("#trace-error", Static)
        error.update(Text(safe_text(message)))
        error.add_class("-shown")
        self._show_header()

    # -- header and status -------------------------------------------------------------------
    def _show_header(self) -> None:
        info = self.info
        state = info.state if info else ""
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("trace", "dim", 2),
            ((info.name if info else None) or self.trace_id, "bold cyan", 6),
            (state, STATE_STYLES.get(state, ""), 5),
            (f"find: {self._query}", "yellow", 3) if self._query else None,
            ("read failed", "bold red", 7) if self.error else None,
        )
        if info is None:
            self.query_one("#trace-header", Static).update(
                Text(f"trace {safe_text(self.trace_id)}  reading …", style="dim"))
            return
        spans = len(self.loaded.spans) if self.loaded else None
        line = Text()
        for n, (label, value) in enumerate(trace_summary(info, spans)):
            if n:
                line.append("   ")
            line.append(f"{label} ", style="dim")
            style = STATE_STYLES.get(value, "") if label == "state" else "bold" if n == 0 else ""
            line.append(value, style=style)
        self.query_one("#trace-header", Static).update(line)

    def _show_assessments(self) -> None:
        info = self.info
        groups = assessment_groups(info.assessments) if info else []
        text = Text()
        if not groups:
            text.append("No assessments", style="dim")
        for g, (title, lines) in enumerate(groups):
            if g:
                text.append("\n")
            text.append(f"{title} ({len(lines)})\n", style="bold underline")
            for item in lines:
                style = "" if item.valid else "dim strike"
                text.append(item.name, style=f"bold {style}".strip())
                text.append("  ")
                if item.error:
                    text.append(f"error: {item.error}", style="red")
                else:
                    text.append(item.value, style=style or "cyan")
                text.append("\n")
                if item.source:
                    text.append(f"  by {item.source}", style="dim")
                    if item.assessment.span_id:
                        text.append(f" · span {safe_text(item.assessment.span_id)}",
                                    style="dim")
                    if not item.valid:
                        text.append(" · overridden", style="dim")
                    text.append("\n")
                if item.rationale:
                    text.append(f"  {item.rationale}\n", style="italic")
        self.query_one("#assessments-text", Static).update(text)

    # -- the selected span -------------------------------------------------------------------
    @on(SpanWaterfall.Highlighted)
    def _span_highlighted(self, _event: SpanWaterfall.Highlighted) -> None:
        if self._detail_timer is not None:
            self._detail_timer.stop()
        self._detail_timer = self.set_timer(DETAIL_DELAY, self._show_detail)

    def _show_detail(self) -> None:
        self._detail_timer = None
        row = self.waterfall.current
        tree = self.waterfall.trace_tree
        if row is None or tree is None:
            return
        self.detail = span_detail(row.node, tree.start_ns)
        summary = Text()
        for n, (label, value) in enumerate(self.detail.summary):
            if n:
                summary.append("  ")
            summary.append(f"{label} ", style="dim")
            error = label == "status" and value.startswith("ERROR")
            summary.append(value, style="bold red" if error else "bold" if n == 0 else "")
        self.query_one("#span-summary", Static).update(summary)
        self._show_section()

    def _show_tabs(self) -> None:
        tabs = Text()
        for n, title in enumerate(SECTIONS):
            label = f" {n + 1} {title} "
            if self.detail is not None:
                part = self.detail.sections[title]
                if part.empty:
                    label = f" {n + 1} {title} · "
                elif part.cuts:
                    label = f" {n + 1} {title} ✂ "
            tabs.append(label, style="reverse bold" if n == self.tab else "")
            tabs.append(" ")
        if self.detail is not None and self.detail.sections[SECTIONS[self.tab]].cuts:
            tabs.append("  cut short: v shows the whole value", style="dim")
        self.query_one("#span-tabs", Static).update(tabs)

    def _show_section(self) -> None:
        self._show_tabs()
        if self.detail is None:
            return
        part = self.detail.sections[SECTIONS[self.tab]]
        if part.empty:
            self._set_section_text(Text(f"no {part.title.lower()}", style="dim"))
        else:
            # Syntax highlights the JSON text; it never reads markup in it
            self._set_section_text(Syntax(part.text, "json", theme="ansi_dark",
                                          word_wrap=True, background_color="default"))
        self.query_one("#span-scroll", VerticalScroll).scroll_home(animate=False)

    def _set_section_text(self, renderable: Text | Syntax) -> None:
        self.query_one("#span-section", Static).update(renderable)

    def section_text(self) -> str:
        """The text of the tab shown (for tests: what is on screen, unhighlighted)."""
        if self.detail is None:
            return ""
        return self.detail.sections[SECTIONS[self.tab]].text

    def action_tab(self, index: int) -> None:
        self.tab = index % len(SECTIONS)
        self._show_section()

    def action_next_tab(self, step: int) -> None:
        self.action_tab(self.tab + step)

    def action_view_value(self) -> None:
        if self.detail is None:
            self.notify("No span is selected")
            return
        part = self.detail.sections[SECTIONS[self.tab]]
        if part.value is None:
            self.notify(f"This span has no {part.title.lower()}")
            return
        self.app.push_screen(ValueViewer(f"{self.detail.span.name} · {part.title}",
                                         whole_text(part.value)))

    # -- find ----------------------------------------------------------------------------------
    def action_find(self) -> None:
        box = self.query_one("#trace-find", Input)
        box.add_class("-open")
        box.value = self._query
        box.focus()

    def _close_find(self) -> bool:
        box = self.query_one("#trace-find", Input)
        if not box.has_class("-open"):
            return False
        box.remove_class("-open")
        self.waterfall.focus()
        return True

    @on(Input.Submitted, "#trace-find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        self._query = event.value.strip()
        self._close_find()
        self._show_header()
        self.action_find_next(1)

    def action_find_next(self, step: int) -> None:
        tree = self.waterfall.trace_tree
        if not self._query or tree is None:
            if not self._query:
                self.notify("/ finds a span by name first")
            return
        row = self.waterfall.current
        index = tree.find(self._query, row.index if row else -1, backwards=step < 0)
        if index is None:
            self.notify(f"No span named like {safe_text(self._query)!r}", severity="warning")
            return
        self.waterfall.reveal(index)

    def action_next_error(self) -> None:
        tree = self.waterfall.trace_tree
        if tree is None:
            return
        row = self.waterfall.current
        start = row.index if row else -1
        n = len(tree.nodes)
        for k in range(1, n + 1):
            i = (start + k) % n
            if tree.nodes[i].span.status_code == "ERROR":
                self.waterfall.reveal(i)
                return
        self.notify("No span of this trace failed")

    # -- the rest ------------------------------------------------------------------------------
    def action_copy_id(self) -> None:
        copy_text(self, self.trace_id, "trace id")

    def action_back(self) -> None:
        if self._close_find():
            return
        self.app.pop_screen()

    @property
    def trace_tree(self) -> TraceTree | None:
        return self.waterfall.trace_tree
