"""The artifacts of one run, full size; with several runs, ``n`` / ``N`` show the
same artifact in the next / previous one (the confusion matrix of run A, then of
run B), which the MLflow UI has never offered.

The lead screen pushes ``ArtifactsScreen(runs, start)`` with the marked runs
(or just the one run); everything else is the :class:`ArtifactBrowser` inside.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding

from ..store.entities import Run
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from .artifact_browser import ArtifactBrowser
from .base import MltuiScreen


class ArtifactsScreen(MltuiScreen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="artifacts.back"),
        Binding("n", "other_run(1)", "Next run", id="artifacts.next_run"),
        Binding("N", "other_run(-1)", "Previous run", id="artifacts.previous_run"),
    ]

    HELP = """\
A run's artifacts: the folders on the left (they load when opened; sizes
beside the files), the preview of the one under the cursor on the right. Logs
show their first and last 256 KB (G goes to the end), JSON is pretty-printed,
CSV and log_table JSON are tables, images are drawn with half-block characters,
an MLmodel shows its flavors, signature, requirements and the command that
serves it. Models logged with MLflow 3 (log_model) are folders named model:.

tab moves between the tree and the preview. / finds an artifact by name in the
tree, or searches the text when the preview has focus (n / N: next and previous
match, escape ends the search). With several runs marked, n / N show the same
artifact in the next / previous run.

s saves the file or folder under the cursor into a folder you name (it asks
before replacing anything), y copies the artifact's URI, c copies the serve
command of a model, o opens a copy of the file in $PAGER (or $EDITOR).
"""

    def __init__(self, runs: Sequence[Run], start: int = 0):
        super().__init__()
        if not runs:
            raise ValueError("ArtifactsScreen needs at least one run")
        self.runs = list(runs)
        self.index = min(max(start, 0), len(self.runs) - 1)

    @property
    def run(self) -> Run:
        return self.runs[self.index]

    @property
    def browser(self) -> ArtifactBrowser:
        return self.query_one(ArtifactBrowser)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield ArtifactBrowser(self.run.run_id)
        yield KeysFooter()

    def on_mount(self) -> None:
        self._status()

    def _status(self) -> None:
        run = self.run
        many = len(self.runs) > 1
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("artifacts", "dim", 2),
            (run.run_name or run.run_id, "bold cyan", 6),
            (f"run {self.index + 1}/{len(self.runs)}  n/N", "yellow", 7) if many else None,
        )

    @on(ArtifactBrowser.RunShown)
    def _run_shown(self, event: ArtifactBrowser.RunShown) -> None:
        if event.run.run_id == self.run.run_id:
            self.runs[self.index] = event.run
        self._status()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "other_run":
            return len(self.runs) > 1
        return True

    def action_other_run(self, step: int) -> None:
        self.index = (self.index + step) % len(self.runs)
        self._status()
        self.browser.show_run(self.run.run_id, keep_place=True)

    def action_back(self) -> None:
        self.app.pop_screen()
