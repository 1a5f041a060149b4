"""The model registry: every registered model, filtered by name as you type."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input

from ..background import run_blocking
from ..store.entities import STAGES, RegisteredModel
from ..textfmt import count_of, first_line, format_relative, safe_text, truncate
from ..views.registry import name_pattern
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from . import registry_edits
from .base import MltuiScreen
from .theme_styles import stage_styles

STAGE_LETTERS = {"None": "N", "Staging": "S", "Production": "P", "Archived": "A"}


def stage_summary(model: RegisteredModel, styles: dict[str, str]) -> Text:
    out = Text()
    for stage in STAGES:
        n = model.stage_counts.get(stage)
        if n:
            out.append(f"{STAGE_LETTERS[stage]}:{n} ", style=styles.get(stage, ""))
    return out


class ModelsScreen(MltuiScreen):
    BINDINGS = [
        Binding("slash,f", "filter", "Filter", id="models.filter"),
        Binding("enter", "open", "Versions", id="models.open"),
        Binding("P", "toggle_prompts", "Prompts", id="models.prompts"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="models.reload"),
        Binding("escape", "escape", "Back", show=False, id="models.escape"),
        Binding("backspace", "back", "Back", show=False, id="models.back"),
        Binding("n", "create", "New model", id="models.create"),
        Binding("N", "rename", "Rename", show=False, id="models.rename"),
        Binding("D,delete", "delete", "Delete", show=False, id="models.delete"),
        Binding("y", "copy_name", "Copy name", id="models.copy_name"),
    ]

    HELP = """\
The model registry keeps named models. Each version points at a model a run
logged; versions move through stages (None → Staging → Production → Archived)
and may carry aliases such as @champion that serving code loads by name.

/ filters by name (plain text matches anywhere, case-insensitive; with a % the
text is a SQL LIKE pattern, where % and _ are wildcards). Prompts (MLflow's
prompt registry) are hidden; P shows them, and enter on one opens its versions,
templates and the diff between two versions.
Columns: N/S/P/A count the versions in each stage.

n creates a registered model, N renames the one under the cursor (versions,
tags and aliases follow), D deletes it with all its versions: the confirmation
lists them and the aliases lost, and MLflow cannot undo it.
y copies the model's name.
"""

    DEFAULT_CSS = """
    ModelsScreen > Input { display: none; border: tall $accent; }
    ModelsScreen > Input.visible { display: block; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.models: list[RegisteredModel] = []
        self.filter_text = ""
        self.include_prompts = False
        self._debounce: Timer | None = None
        self._shown_once = False

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Input(placeholder="model name (plain text, or a LIKE pattern with %)",
                    id="model-filter")
        yield VimTable(id="models", cursor_type="row", zebra_stripes=True)
        yield KeysFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#models", DataTable)

    def on_mount(self) -> None:
        self.table.add_columns("Name", "Latest", "Versions", "Stages", "Aliases", "Updated",
                               "Description", "Tags")
        self.table.focus()
        self.action_reload()
        # the stage colours come from the theme: a new theme redraws them
        self.watch(self.app, "theme", lambda _theme: self._loaded(self.models), init=False)

    def action_reload(self) -> None:
        self.update_status(loading=True)
        run_blocking(self, self.store.search_registered_models,
                     name_pattern(self.filter_text), self.include_prompts,
                     done=self._loaded, failed=self._failed, group="models")

    def _failed(self, message: str) -> None:
        self.notify(message, severity="error", timeout=10)
        self.update_status()

    def _loaded(self, models: list[RegisteredModel]) -> None:
        current = self.current
        self.models = models
        table = self.table
        table.clear()
        stages = stage_styles(self.app)
        for m in models:
            name = Text(safe_text(m.name))
            if m.is_prompt:
                name.append(" (prompt)", style="dim")
            aliases = " ".join(f"@{a}→v{v}" for a, v in sorted(m.aliases.items()))
            tags = ", ".join(f"{k}={v}" for k, v in sorted(m.tags.items())
                             if not k.startswith("mlflow."))
            table.add_row(
                name,
                "" if m.latest_version is None else f"v{m.latest_version}",
                Text(str(m.version_count or 0), justify="right"),
                stage_summary(m, stages),
                Text(truncate(safe_text(aliases), 36), style="cyan"),
                format_relative(m.last_updated_time),
                Text(truncate(safe_text(first_line(m.description)), 40)),
                Text(truncate(safe_text(tags), 30)),
            )
        if current is not None:
            names = [m.name for m in models]
            if current.name in names:
                table.move_cursor(row=names.index(current.name))
        self.update_status()

    def update_status(self, loading: bool = False) -> None:
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold"),
            ("models", "bold cyan"),
            "loading…" if loading else count_of(len(self.models), "registered model"),
            (f"name: {self.filter_text}", "magenta") if self.filter_text else None,
            ("incl. prompts", "yellow") if self.include_prompts else None,
            ("read-only", "dim") if self.store.read_only else None,
        )

    @property
    def current(self) -> RegisteredModel | None:
        row = self.table.cursor_row
        if 0 <= row < len(self.models):
            return self.models[row]
        return None

    def action_filter(self) -> None:
        box = self.query_one("#model-filter", Input)
        box.add_class("visible")
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value
        # the store filters; wait for a pause in typing before asking it
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.15, self.action_reload)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.table.focus()

    def action_escape(self) -> None:
        box = self.query_one("#model-filter", Input)
        if box.has_focus or self.filter_text:
            box.value = ""
            box.remove_class("visible")
            self.table.focus()
        else:
            self.action_back()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    def action_copy_name(self) -> None:
        from .clipboard import copy_text

        if (model := self.current) is not None:
            copy_text(self, model.name, "model name")

    def action_toggle_prompts(self) -> None:
        self.include_prompts = not self.include_prompts
        self.action_reload()

    def action_open(self) -> None:
        model = self.current
        if model is not None and model.is_prompt:
            from .prompts import PromptScreen

            self.app.push_screen(PromptScreen(model.name))
        elif model is not None:
            from .versions import VersionsScreen

            self.app.push_screen(VersionsScreen(model.name))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def on_screen_resume(self) -> None:
        # back from a model's versions: stages and aliases may have changed
        if self._shown_once:
            self.action_reload()
        self._shown_once = True

    # -- edits (screens/registry_edits.py) -------------------------------------------
    def _after_edit(self, _result: object = None) -> None:
        self.action_reload()

    def action_create(self) -> None:
        registry_edits.create_model(self, self.store, self._after_edit)

    def action_rename(self) -> None:
        if self.current is not None:
            registry_edits.rename_model(self, self.store, self.current, self._after_edit)

    def action_delete(self) -> None:
        if self.current is not None:
            registry_edits.delete_model(self, self.store, self.current, self._after_edit)
