"""A metric chart: series already read from the store, drawn by plotext.

plotext rebuilds the whole picture on every call, so the widget keeps the last
build for its size and builds again only when the data, the settings or the
size change. Small builds (a few thousand points: a few milliseconds) happen at
once, so a resize redraws in the same frame; bigger ones go to a thread so keys
never wait, and the old picture stays until the new one is ready.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text
from textual.binding import Binding
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from ..textfmt import safe_text
from ..views.charts import ChartSettings, Series, render

BUILD_AT_ONCE = 3000
"""Points up to which a build runs on the UI thread (measured: ~20 ms)."""


class MetricChart(Widget, can_focus=True):
    """One chart; ``show`` gives it series and settings."""

    DEFAULT_CSS = """
    MetricChart { height: 1fr; min-height: 8; border: round $panel; }
    MetricChart:focus { border: round $accent; }
    """

    BINDINGS = [Binding("enter", "activate", "Full size", id="chart.open")]

    builds = reactive(0, repaint=False)
    """Builds finished (for tests and the benchmark: the picture on screen is new)."""

    class Activated(Message):
        """enter or a double click on a chart (the grid opens it full size)."""

        def __init__(self, chart: MetricChart) -> None:
            super().__init__()
            self.chart = chart

    def __init__(self, key: str, *, legend: bool = True, openable: bool = True,
                 name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self.key = key
        self.legend = legend
        self.openable = openable
        """Whether enter opens it full size (not when it already is)."""
        self.series: list[Series] = []
        self.settings = ChartSettings()
        self.loaded = False
        self._version = 0
        self._built: tuple | None = None
        self._text: Text | None = None
        # a Text: a str would be read as Textual markup ('[/]' in a key crashed it)
        self.border_title = Text(safe_text(key))

    def show(self, series: Sequence[Series], settings: ChartSettings | None = None) -> None:
        self.series = list(series)
        if settings is not None:
            self.settings = settings
        self.loaded = True
        self._version += 1
        self._rebuild()

    def set_settings(self, settings: ChartSettings) -> None:
        self.settings = settings
        self._version += 1
        self._rebuild()

    def on_resize(self) -> None:
        self._rebuild()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.openable if action == "activate" else True

    def on_click(self, event) -> None:
        if self.openable and getattr(event, "chain", 1) >= 2:
            self.post_message(self.Activated(self))

    def action_activate(self) -> None:
        self.post_message(self.Activated(self))

    def _rebuild(self) -> None:
        width, height = self.content_size.width, self.content_size.height
        if width < 10 or height < 3:
            return
        state = (self._version, width, height)
        if state == self._built:
            return
        if not self.loaded:
            self._text = Text("reading…", style="dim")
            self.refresh()
            return
        points = sum(len(s.values) for s in self.series) * (2 if self.settings.smoothing else 1)
        args = (list(self.series), self.settings, width, height, self.legend)
        if points <= BUILD_AT_ONCE:
            self._done(state, _build(*args))
        else:
            def build() -> None:
                text = _build(*args)
                self.app.call_from_thread(self._done, state, text)

            # one build at a time per chart: a newer one replaces an older one
            self.run_worker(build, thread=True, exclusive=True,
                            group=f"chart-build-{id(self)}", exit_on_error=False)

    def _done(self, state: tuple, text: Text) -> None:
        if state[0] != self._version:
            return  # older data: a newer build is on its way
        self._built = state
        self._text = text
        self.builds += 1
        self.refresh()

    def render(self) -> Text:
        return self._text or Text("")


def _build(series: list[Series], settings: ChartSettings, width: int, height: int,
           legend: bool) -> Text:
    text = Text.from_ansi(render(series, settings, width, height, legend=legend))
    text.no_wrap = True
    return text


class ChartGrid(Grid):
    """Small charts side by side; as many columns as the width takes."""

    DEFAULT_CSS = """
    ChartGrid { grid-gutter: 0 1; grid-rows: 14; height: auto; }
    """
    MIN_WIDTH = 54

    def on_resize(self) -> None:
        self.styles.grid_size_columns = max(1, self.size.width // self.MIN_WIDTH)

    def charts(self) -> list[MetricChart]:
        return list(self.query(MetricChart))


class ChartPanel(Vertical):
    """A filter box, a legend and a grid of charts, one per metric key. The screen
    reads the series and hands them over with :meth:`show`."""

    DEFAULT_CSS = """
    ChartPanel { height: 1fr; }
    ChartPanel > Input { display: none; }
    ChartPanel > Input.visible { display: block; }
    ChartPanel > #charts-legend { height: auto; max-height: 3; padding: 0 1; }
    ChartPanel > VerticalScroll { height: 1fr; }
    """

    def __init__(self, keys: Sequence[str], *, id: str | None = None):
        super().__init__(id=id)
        self.all_keys = list(keys)
        self.pattern = ""

    def compose(self):
        yield Input(placeholder="metrics matching (regular expression or text)",
                    id="charts-filter")
        yield Static(id="charts-legend")
        with VerticalScroll():
            yield ChartGrid(*[MetricChart(key, legend=False) for key in self.all_keys])

    @property
    def charts(self) -> list[MetricChart]:
        return list(self.query(MetricChart))

    @property
    def keys(self) -> list[str]:
        """The keys shown (the filter hides the others)."""
        return [c.key for c in self.charts if c.display]

    def show(self, key: str, series: Sequence[Series], settings: ChartSettings) -> None:
        for chart in self.charts:
            if chart.key == key:
                chart.show(series, settings)

    def set_settings(self, settings: ChartSettings) -> None:
        for chart in self.charts:
            if chart.loaded:
                chart.set_settings(settings)

    def set_legend(self, text: Text) -> None:
        self.query_one("#charts-legend", Static).update(text)

    def open_filter(self) -> None:
        box = self.query_one("#charts-filter", Input)
        box.add_class("visible")
        box.value = self.pattern
        box.focus()

    def close_filter(self) -> bool:
        """Hide the filter box if it shows; True if it did (escape was for it)."""
        box = self.query_one("#charts-filter", Input)
        if not box.has_class("visible"):
            return False
        box.remove_class("visible")
        if self.pattern:
            box.value = ""
        return True

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.pattern = event.value.strip()
        for chart in self.charts:
            chart.display = not self.pattern or key_matches(self.pattern, chart.key)
        self.post_message(self.Filtered(self))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if not event.value.strip():
            event.input.remove_class("visible")
        shown = [c for c in self.charts if c.display]
        if shown:
            shown[0].focus()

    def focus_first(self) -> None:
        shown = [c for c in self.charts if c.display]
        if shown:
            shown[0].focus()

    class Filtered(Message):
        """The filter changed which charts show."""

        def __init__(self, panel: ChartPanel) -> None:
            super().__init__()
            self.panel = panel


def key_matches(pattern: str, key: str) -> bool:
    """``pattern`` as a regular expression (case-insensitive), or as plain text when
    it is not one (a person typing ``val/loss(`` midway)."""
    try:
        return re.search(pattern, key, re.IGNORECASE) is not None
    except re.error:
        return pattern.lower() in key.lower()
