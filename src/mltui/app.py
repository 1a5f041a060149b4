"""The application: screen stack, global keys, command palette, the open store."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Static

from .background import install_daemon_executor, run_blocking
from .config import Settings, State, load_settings
from .failures import setup_logging
from .palette import MltuiCommands
from .store.base import BaseStore
from .store.entities import Experiment
from .store.errors import StoreError
from .store.shared import safe_uri
from .textfmt import safe_multiline, safe_text, set_date_format
from .views.charts import RunColors
from .views.prefetch import FirstPage, Prefetch
from .widgets.footer import KeysFooter

if TYPE_CHECKING:
    from .screens.edits import Undo

log = logging.getLogger("mltui")


class MessageScreen(Screen):
    """Shown when there is nothing else to show (e.g. the store failed to open)."""

    BINDINGS = [Binding("q,escape", "app.quit", "Quit", id="message.quit")]

    def __init__(self, message: str):
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield Static(Text(safe_multiline(self.message), style="bold red"), id="message")
        yield KeysFooter()


WARM_CHARTS_AFTER = 1.5
"""Seconds after start before plotext is loaded in the background."""


class MltuiApp(App):
    CSS_PATH = "mltui.tcss"
    TITLE = "mltui"
    COMMANDS = App.COMMANDS | {MltuiCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("m", "models", "Models", id="app.models"),
        # Textual binds ctrl+p only when nothing else opens the palette: bind both
        Binding("ctrl+p", "command_palette", "Palette", show=False, priority=True,
                id="app.palette"),
        Binding("colon", "command_palette", "Palette", show=False, id="app.palette_colon"),
    ]

    def __init__(
        self,
        uri: str = "",
        *,
        store: BaseStore | None = None,
        read_only: bool = False,
        experiment: str | None = None,
        settings: Settings | None = None,
        prefetch: Prefetch | None = None,
    ):
        self.settings = settings or load_settings()
        super().__init__()
        self.uri = uri or (store.uri if store else "")
        self.store: BaseStore | None = store
        self.read_only = read_only
        self.initial_experiment = experiment
        self.prefetch = prefetch
        self._last_warning: str | None = None
        self.run_colors = RunColors()
        """A colour per run for the session: the same on every chart and comparison."""
        self.state = State()
        self.connection: str | None = None
        """The named connection of config.toml open now (None: a URI given otherwise)."""
        self.marks: dict[tuple[str, ...], set[str]] = {}
        """The marked runs of each set of experiments, kept when the runs screen is
        left and opened again (escape there clears them)."""
        self.undo: Undo | None = None
        """The last delete ``u`` can take back (screens/edits.py)."""
        self.theme = self._first_theme()
        set_date_format(self.settings.date_format)
        setup_logging()

    @property
    def store_label(self) -> str:
        if self.store is None:
            return self.uri
        uri = self.store.display_uri
        if len(uri) > 40:
            uri = "…" + uri[-39:]
        return uri

    def _first_theme(self) -> str:
        """The theme last picked in the palette, unless config.toml's ``theme`` changed
        since (then the file wins); an unknown name is reported and not used."""
        configured = self.settings.theme
        if configured not in self.available_themes:
            self.settings.problems.append(f"theme: no theme named {configured!r} (ctrl+p, "
                                          "Theme lists them); using textual-dark")
            configured = "textual-dark"
        remembered = self.state.get("ui", "theme")
        if (remembered in self.available_themes
                and self.state.get("ui", "theme_config") == self.settings.theme):
            return str(remembered)
        return configured

    def _remember_theme(self, theme: object) -> None:
        name = getattr(theme, "name", None)
        if name and name != self.state.get("ui", "theme"):
            self.state.set("ui", "theme", name)
            self.state.set("ui", "theme_config", self.settings.theme)

    def on_mount(self) -> None:
        # store calls blocked on a silent server must not hold the exit
        install_daemon_executor()
        # a theme picked in the palette ("Theme") is there at the next start
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
            self._check_keymap()
        for problem in self.settings.problems:
            self.notify(problem, severity="warning", timeout=10)
        if self.store is None:
            from .store import open_store

            run_blocking(self, open_store, self.uri, done=self._store_ready,
                         failed=self._store_failed, group="open-store", description="open store")
            self.push_screen(MessageScreen(f"Opening {self.uri} …"))
        else:
            self._store_ready(self.store)
        # plotext's import and first build cost ~0.3 s: paid once the first screen
        # is up, not when the person presses v
        self.set_timer(WARM_CHARTS_AFTER, self._warm_charts)

    def _warm_charts(self) -> None:
        from .views.charts import warm_up

        self.run_worker(warm_up, thread=True, group="warm-charts", exit_on_error=False)

    def _check_keymap(self) -> None:
        """Say which remapped keys collide (Textual would drop a binding silently)."""
        from .keymap import keymap_problems
        from .screens.experiments import ExperimentsScreen
        from .screens.help import HelpScreen
        from .screens.logged_models import LoggedModelScreen, LoggedModelsScreen
        from .screens.models import ModelsScreen
        from .screens.prompts import PromptScreen
        from .screens.run import RunScreen
        from .screens.runs import RunsScreen
        from .screens.trace import TraceScreen
        from .screens.traces import TracesScreen
        from .screens.versions import VersionsScreen
        from .widgets.runs_table import RunsTable
        from .widgets.span_waterfall import SpanWaterfall
        from .widgets.traces_table import TracesTable

        groups = {
            "experiments": ExperimentsScreen.BINDINGS,
            "runs": [*RunsScreen.BINDINGS, *RunsTable.BINDINGS],
            "run": RunScreen.BINDINGS,
            "traces": [*TracesScreen.BINDINGS, *TracesTable.BINDINGS],
            "trace": [*TraceScreen.BINDINGS, *SpanWaterfall.BINDINGS],
            "models": ModelsScreen.BINDINGS,
            "versions": VersionsScreen.BINDINGS,
            "logged_models": LoggedModelsScreen.BINDINGS,
            "logged_model": LoggedModelScreen.BINDINGS,
            "prompt": PromptScreen.BINDINGS,
            "help": HelpScreen.BINDINGS,
        }
        for problem in keymap_problems(self.settings.keymap, groups, self.BINDINGS):
            self.notify(problem, severity="warning", timeout=12)

    def _store_ready(self, store: BaseStore) -> None:
        from .screens.experiments import ExperimentsScreen

        self.store = store
        if self.read_only:
            store.read_only = True
        if len(self.screen_stack) > 1:
            self.pop_screen()
        experiments = ExperimentsScreen(defer_load=bool(self.initial_experiment))
        self.push_screen(experiments)
        if self.initial_experiment:

            def not_found(message: str) -> None:
                self.notify(message, severity="error", timeout=10)
                experiments.on_screen_resume()

            if self.prefetch is not None:
                run_blocking(self, self.prefetch.result, failed=not_found,
                             done=lambda first: self.open_runs([first.experiment], first),
                             group="find-experiment")
            else:
                run_blocking(self, self._find_experiment, self.initial_experiment,
                             done=lambda exp: self.open_runs([exp]), failed=not_found,
                             group="find-experiment")

    def _find_experiment(self, ref: str) -> Experiment:
        assert self.store is not None  # opened before any experiment is looked up
        return self.store.find_experiment(ref)

    def _store_failed(self, message: str) -> None:
        self.switch_screen(MessageScreen(f"Cannot open {self.uri}:\n{message}\n\nq quits."))

    def connect(self, name: str) -> None:
        """Open the named connection (palette: "Connect: NAME") in a worker, then show
        its experiments in place of everything on the screen stack."""
        from .connections import find_connection, open_connection

        if self.quitting:
            return
        try:
            connection = find_connection(self.settings, name)
        except StoreError as exc:
            self.notify(str(exc), severity="error")
            return
        self.notify(f"Connecting to {name} ({safe_uri(connection.uri)}) …")

        def opened(store: BaseStore) -> None:
            old, self.store = self.store, None
            self.connection, self.uri = name, store.uri
            self.marks.clear()
            self.undo = None
            self.initial_experiment = self.prefetch = None
            while len(self.screen_stack) > 2:
                self.pop_screen()
            self._store_ready(store)  # pops the last screen, shows the experiments
            if old is not None:
                old.close()

        run_blocking(self, lambda: open_connection(connection, read_only=self.read_only),
                     done=opened, group="open-store", description=f"connect {name}",
                     failed=lambda message: self.notify(f"Cannot connect to {name}: {message}",
                                                        severity="error", timeout=12))

    def open_runs(self, experiments: list[Experiment], first_page: FirstPage | None = None) -> None:
        from .screens.runs import RunsScreen

        self.push_screen(RunsScreen(experiments, first_page=first_page))

    def notify(self, message: str, *, title: str = "", severity="information",
               timeout: float | None = None, markup: bool = False) -> None:
        # Messages quote store data (names, errors): never markup, never raw
        # control characters, whatever the caller passes.
        super().notify(safe_multiline(message), title=safe_text(title), severity=severity,
                       timeout=timeout, markup=False)

    def show_store_warning(self) -> None:
        """Say once (per distinct text) what the store skipped as unreadable."""
        warning = self.store.warning if self.store is not None else None
        if warning and warning != self._last_warning:
            self._last_warning = warning
            self.notify(warning, severity="warning", timeout=12)

    async def on_event(self, event: events.Event) -> None:
        # a word typed where keys are expected ("question": q, then u, e, s, t…) must
        # open nothing once q has started the exit: a screen mounted while the app
        # closes loses its children and crashed on_mount
        if isinstance(event, events.Key) and self.quitting:
            return
        await super().on_event(event)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # a store without a registry shows no registry key (not an error when pressed)
        if action == "models" and self.store is not None:
            return self.store.capabilities.registry
        return True

    @property
    def quitting(self) -> bool:
        """The app is on its way out: a key pressed now opens nothing."""
        return bool(self._exit) or self._closing or self._closed

    async def action_quit(self) -> None:
        # new requests fail at once; those in flight end with their daemon threads
        if self.store is not None:
            self.store.close()
        await super().action_quit()

    def action_models(self) -> None:
        from .screens.models import ModelsScreen

        if self.quitting or self.store is None or isinstance(self.screen, ModelsScreen):
            return
        if not self.store.capabilities.registry:
            self.notify("This store has no model registry", severity="warning")
            return
        self.push_screen(ModelsScreen())

    def action_help(self, page: str = "keys", concept: str | None = None) -> None:
        from .screens.help import HelpScreen

        if self.quitting or isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen, page, concept))

    def _fatal_error(self) -> None:
        """A crash: the traceback without local variables (Textual shows them,
        and a local may hold a password or a whole row of data), passwords masked."""
        import sys

        import rich
        from rich.segment import Segments
        from rich.traceback import Traceback

        from .failures import describe_error
        from .store.secrets import mask_secrets

        exc_type, error, tb = sys.exc_info()
        self.bell()
        if exc_type is not None and error is not None:
            describe_error(error)  # the full traceback, masked, into the log file
            trace = Traceback.extract(exc_type, error, tb, show_locals=False)
            for stack in trace.stacks:
                stack.exc_value = mask_secrets(stack.exc_value)
            shown: object = Traceback(trace, width=None, suppress=[rich])
        else:
            shown = Text("mltui stopped on an unexpected error (see the log file)", style="red")
        self._exit_renderables.append(
            Segments(self.console.render(shown, self.console.options))  # type: ignore[arg-type]
        )
        self._close_messages_no_wait()

    def on_unmount(self) -> None:
        if self.store is not None:
            self.store.close()
