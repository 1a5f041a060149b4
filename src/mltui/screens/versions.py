"""The versions of one registered model: stage transitions, aliases, tags and
descriptions, each a few keys away and confirmed before it is written."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Markdown, Static

from ..background import run_blocking
from ..store.entities import STAGES, ModelVersion, RegisteredModel
from ..textfmt import (
    count_of,
    first_line,
    format_relative,
    safe_multiline,
    safe_text,
    truncate,
)
from ..views.logged_models import version_model_id
from ..views.registry import ModelView, load_model_view, serve_command, version_uri
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from . import registry_edits
from .base import MltuiScreen
from .dialogs import ConfirmDialog
from .registry_dialogs import (
    AliasDialog,
    PickDialog,
    StageConfirm,
    StageMenu,
    TagsDialog,
    TextEditor,
)
from .theme_styles import stage_styles

STAGE_FILTERS: tuple[str | None, ...] = (None, *STAGES)


class VersionsScreen(MltuiScreen):
    BINDINGS = [
        Binding("s", "stage", "Stage", id="versions.stage"),
        Binding("a", "alias", "Alias", id="versions.alias"),
        Binding("A", "delete_alias", "Del alias", id="versions.delete_alias"),
        Binding("t", "version_tags", "Tags", id="versions.tags"),
        Binding("T", "model_tags", "Model tags", show=False, id="versions.model_tags"),
        Binding("d", "version_description", "Describe", id="versions.describe"),
        Binding("D", "model_description", "Model desc", show=False,
                id="versions.model_describe"),
        Binding("f", "stage_filter", "Stage filter", id="versions.filter"),
        Binding("n", "create_version", "New version", show=False, id="versions.create"),
        Binding("X,delete", "delete_version", "Delete version", show=False,
                id="versions.delete"),
        Binding("enter", "open_run", "Source run", id="versions.run"),
        Binding("M", "logged_model", "Logged model", id="versions.logged_model"),
        Binding("y", "copy_uri", "Copy URI", id="versions.copy_uri"),
        Binding("c", "copy_serve", "Copy serve command", id="versions.copy_serve"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="versions.reload"),
        Binding("escape,backspace", "back", "Back", show=False, id="versions.back"),
    ]

    HELP = """\
Versions of one registered model, newest first.

s moves the version under the cursor to a stage (None, Staging, Production,
Archived). The confirmation shows exactly what changes. For Staging and
Production, press a there to also archive the versions now in that stage (off
by default, as in MLflow; not offered for None and Archived). Aliases do not
follow stages: the confirmation warns when an alias points at a version that
moves or would be archived, since the alias keeps pointing at it.
a sets or moves an alias (@champion) to this version; A deletes one.
t edits this version's tags, T the model's: each add, change or delete shows
the key and its value before and after, and is written only once confirmed.
d / D edit the descriptions (ctrl+s saves; escape asks before it throws
edited text away).
f filters by stage; enter opens the run that produced the version, M the
logged model it was registered from (MLflow 3: source models:/m-…).
n registers a new version (source runs:/RUN_ID/PATH or models:/m-...); X deletes
the version under the cursor, for good (the confirmation names its aliases).
y copies the version's URI (models:/NAME/VERSION); c copies the command under
the table that serves it (models:/NAME@ALIAS when it has an alias, so the
service follows the alias).

Every change is one transaction, written as MLflow's client writes it. If the
version changed since it was shown, nothing is written and you are told.
"""

    DEFAULT_CSS = """
    VersionsScreen #description { height: auto; max-height: 12; border-bottom: solid $panel; }
    VersionsScreen DataTable { height: 1fr; }
    VersionsScreen #serve { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, name: str):
        super().__init__()
        self.model_name = name
        self.model: RegisteredModel | None = None
        self.versions: list[ModelVersion] = []
        self.shown: list[ModelVersion] = []
        self.stage_filter: str | None = None
        self.run_names: dict[str, str] = {}
        self._description_shown: str | None = None
        self._column_keys: list = []

    def compose(self) -> ComposeResult:
        yield StatusBar()
        with VerticalScroll(id="description"):
            yield Markdown("", id="model-description")
        yield VimTable(id="versions", cursor_type="row", zebra_stripes=True)
        yield Static(id="serve")
        yield KeysFooter()

    @property
    def table(self) -> DataTable:
        return self.query_one("#versions", DataTable)


    def on_mount(self) -> None:
        self._column_keys = self.table.add_columns(
            "Version", "Stage", "Aliases", "Created", "Updated", "Source run", "Logged model",
            "Status", "Description", "Tags")
        self.table.focus()
        self.action_reload()
        # the stage colours come from the theme: a new theme redraws them
        self.watch(self.app, "theme", lambda _theme: self._fill(), init=False)

    # -- loading ----------------------------------------------------------------
    def action_reload(self) -> None:
        run_blocking(self, load_model_view, self.store, self.model_name, dict(self.run_names),
                     done=self._loaded, group="versions")

    def _loaded(self, view: ModelView) -> None:
        self.model, self.versions, self.run_names = view.model, view.versions, view.run_names
        description = safe_multiline(self.model.description) or "*No description (D adds one)*"
        if description != self._description_shown:
            # Markdown re-renders its whole tree: only when the text changed
            self._description_shown = description
            self.query_one("#model-description", Markdown).update(description)
        self._fill()

    def _fill(self) -> None:
        table = self.table
        row = table.cursor_row
        current = self.current
        self.shown = [v for v in self.versions
                      if self.stage_filter is None or v.current_stage == self.stage_filter]
        stages = stage_styles(self.app)
        rows = {str(mv.version): self._cells(mv, stages) for mv in self.shown}
        if list(rows) == [str(k.value) for k in table.rows]:
            # same versions: change only the cells that differ (after a write)
            for key, cells in rows.items():
                old = table.get_row(key)
                for column, (before, after) in zip(self._column_keys, zip(old, cells,
                                                                           strict=True),
                                                   strict=True):
                    if _look(before) != _look(after):
                        # the column must grow (or shrink) to the new value: without
                        # update_width a longer value is cut ("just no" for "just now")
                        table.update_cell(key, column, after, update_width=True)
        else:
            table.clear()
            for key, cells in rows.items():
                table.add_row(*cells, key=key)
        if current is not None and current.version in [v.version for v in self.shown]:
            table.move_cursor(row=[v.version for v in self.shown].index(current.version))
        elif self.shown:
            table.move_cursor(row=min(row, len(self.shown) - 1))
        self.update_status()
        self._show_serve()

    def _cells(self, mv: ModelVersion, stages: dict[str, str]) -> tuple:
        run_name = self.run_names.get(mv.run_id) or mv.run_id[:8]
        tags = ", ".join(f"{k}={v}" for k, v in sorted(mv.tags.items())
                         if not k.startswith("mlflow."))
        return (
            Text(f"v{mv.version}", style="bold"),
            Text(safe_text(mv.current_stage), style=stages.get(mv.current_stage, "")),
            Text(safe_text(" ".join(f"@{a}" for a in mv.aliases)), style="cyan"),
            format_relative(mv.creation_time),
            format_relative(mv.last_updated_time),
            Text(truncate(safe_text(run_name), 24)),
            Text(safe_text(version_model_id(mv) or ""), style="magenta"),
            Text(safe_text(mv.status)),
            Text(truncate(safe_text(first_line(mv.description)), 36)),
            Text(truncate(safe_text(tags), 30)),
        )

    def update_status(self) -> None:
        model = self.model
        aliases = " ".join(f"@{a}→v{v}" for a, v in sorted(model.aliases.items())) if model \
            else ""
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold"),
            ("model", "dim"),
            (self.model_name, "bold cyan"),
            f"{len(self.shown)} of {count_of(len(self.versions), 'version')}",
            (f"stage: {self.stage_filter}", "magenta") if self.stage_filter else None,
            (aliases, "cyan") if aliases else None,
            ("read-only", "dim") if self.store.read_only else None,
        )

    @property
    def current(self) -> ModelVersion | None:
        row = self.table.cursor_row
        if 0 <= row < len(self.shown):
            return self.shown[row]
        return None

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_serve()

    def _show_serve(self) -> None:
        """The serve command of the version under the cursor, ready for c."""
        mv = self.current
        line = Text()
        if mv is not None:
            line.append("serve: ", style="dim")
            line.append(safe_text(serve_command(mv)), style="bold")
            line.append("   c copies", style="dim")
        self.query_one("#serve", Static).update(line)

    def action_copy_uri(self) -> None:
        from .clipboard import copy_text

        if (mv := self.current) is not None:
            copy_text(self, version_uri(mv), "model version URI")

    def action_copy_serve(self) -> None:
        from .clipboard import copy_text

        if (mv := self.current) is not None:
            copy_text(self, serve_command(mv), "serve command")

    def _refuse_read_only(self) -> bool:
        if self.store.read_only:
            self.notify("Read-only mode (--read-only): the registry cannot be changed",
                        severity="warning")
            return True
        return False

    def _write(self, fn, *args, done_message: str) -> None:
        """Run a registry write in a worker; then reload this model in place."""
        def done(_result) -> None:
            self.notify(done_message)
            self.action_reload()

        def failed(message: str) -> None:
            self.notify(message, severity="error", timeout=10)
            self.action_reload()

        run_blocking(self, fn, *args, done=done, failed=failed, group="registry-write",
                     exclusive=False)

    # -- stage -------------------------------------------------------------------
    def action_stage(self) -> None:
        mv = self.current
        if mv is None or self._refuse_read_only():
            return

        def picked(stage: str | None) -> None:
            if stage is None:
                return
            if stage == mv.current_stage:
                self.notify(f"v{mv.version} is already in {stage}")
                return

            def confirmed(archive: bool | None) -> None:
                if archive is None:
                    return
                self._write(self.store.transition_stage, mv.name, mv.version, stage, archive,
                            mv.last_updated_time,
                            done_message=f"{mv.name} v{mv.version} → {stage}"
                            + (" (others archived)" if archive else ""))

            self.app.push_screen(StageConfirm(mv, stage, self.versions), confirmed)

        self.app.push_screen(StageMenu(mv), picked)

    # -- aliases -----------------------------------------------------------------
    def action_alias(self) -> None:
        mv = self.current
        if mv is None or self.model is None or self._refuse_read_only():
            return
        aliases = dict(self.model.aliases)

        def chosen(alias: str | None) -> None:
            if not alias or aliases.get(alias) == mv.version:
                return
            previous = aliases.get(alias)
            moved = f" (moved from v{previous})" if previous is not None else ""
            self._write(self.store.set_alias, mv.name, alias, mv.version, previous,
                        done_message=f"@{alias} → v{mv.version}{moved}")

        self.app.push_screen(AliasDialog(mv, aliases), chosen)

    def action_delete_alias(self) -> None:
        mv = self.current
        if mv is None or self._refuse_read_only():
            return
        if not mv.aliases:
            self.notify(f"v{mv.version} has no alias", severity="warning")
            return

        def delete(alias: str | None) -> None:
            if not alias:
                return

            def confirmed(ok: bool | None) -> None:
                if ok:
                    self._write(self.store.delete_alias, mv.name, alias, mv.version,
                                done_message=f"Deleted @{alias}")

            body = (
                f"Delete @{alias} (now → v{mv.version} of {mv.name})?\n"
                f"Code that loads models:/{mv.name}@{alias} will stop finding it."
            )
            self.app.push_screen(
                ConfirmDialog("Delete alias", body, "Delete", danger=True), confirmed
            )

        if len(mv.aliases) == 1:
            delete(mv.aliases[0])
        else:
            self.app.push_screen(PickDialog("Delete which alias?", list(mv.aliases)), delete)

    # -- tags ----------------------------------------------------------------------
    def action_version_tags(self) -> None:
        mv = self.current
        if mv is None:
            return
        self._tags_dialog(
            f"{mv.name} v{mv.version}", mv.tags,
            lambda k, v: self.store.set_version_tag(mv.name, mv.version, k, v),
            lambda k: self.store.delete_version_tag(mv.name, mv.version, k),
            lambda: self.store.get_model_version(mv.name, mv.version).tags,
        )

    def action_model_tags(self) -> None:
        if self.model is None:
            return
        name = self.model.name
        self._tags_dialog(
            f"model {name}", self.model.tags,
            lambda k, v: self.store.set_model_tag(name, k, v),
            lambda k: self.store.delete_model_tag(name, k),
            lambda: self.store.get_registered_model(name).tags,
        )

    def _tags_dialog(
        self,
        subject: str,
        tags: dict[str, str],
        save: Callable[[str, str], None],
        delete: Callable[[str], None],
        reload: Callable[[], dict[str, str]],
    ) -> None:
        if self._refuse_read_only():
            return
        dialog: TagsDialog

        def after(fn, *args):
            def job():
                fn(*args)
                return reload()

            def done(new_tags):
                dialog.show_tags(new_tags)
                self.action_reload()

            run_blocking(self, job, done=done, group="tag-write", exclusive=False)

        dialog = TagsDialog(subject, tags, lambda k, v: after(save, k, v),
                            lambda k: after(delete, k))
        self.app.push_screen(dialog)

    # -- descriptions ------------------------------------------------------------
    def action_version_description(self) -> None:
        mv = self.current
        if mv is None or self._refuse_read_only():
            return

        def saved(text: str | None) -> None:
            if text is not None and text != mv.description:
                self._write(self.store.update_version_description, mv.name, mv.version, text,
                            mv.last_updated_time, done_message=f"Saved v{mv.version} description")

        self.app.push_screen(TextEditor(f"Description of {mv.name} v{mv.version}",
                                        mv.description), saved)

    def action_model_description(self) -> None:
        model = self.model
        if model is None or self._refuse_read_only():
            return

        def saved(text: str | None) -> None:
            if text is not None and text != model.description:
                self._write(self.store.update_model_description, model.name, text,
                            model.last_updated_time, done_message="Saved model description")

        self.app.push_screen(TextEditor(f"Description of {model.name}", model.description),
                             saved)

    # -- navigation ----------------------------------------------------------------
    def action_stage_filter(self) -> None:
        i = STAGE_FILTERS.index(self.stage_filter)
        self.stage_filter = STAGE_FILTERS[(i + 1) % len(STAGE_FILTERS)]
        self._fill()

    def action_open_run(self) -> None:
        mv = self.current
        if mv is None:
            return
        if not mv.run_id:
            self.notify("This version has no source run (registered from a path)",
                        severity="warning")
            return

        def opened(detail) -> None:
            from .run import RunScreen

            self.app.push_screen(RunScreen(detail.run))

        run_blocking(self, self.store.get_run, mv.run_id, done=opened, group="open-run")

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_run()

    def action_logged_model(self) -> None:
        """The MLflow 3 logged model the version was registered from."""
        mv = self.current
        if mv is None:
            return
        model_id = version_model_id(mv)
        if model_id is None:
            self.notify(f"v{mv.version} was not registered from a logged model (models:/m-…)",
                        severity="warning")
            return
        from .logged_models import LoggedModelScreen

        self.app.push_screen(LoggedModelScreen(model_id))

    def action_back(self) -> None:
        self.app.pop_screen()

    # -- versions created and deleted (screens/registry_edits.py) ---------------------
    def _after_edit(self, _result: object = None) -> None:
        self.action_reload()

    def action_create_version(self) -> None:
        if self.model is not None:
            registry_edits.create_version(self, self.store, self.model, self._after_edit)

    def action_delete_version(self) -> None:
        mv = self.current
        if mv is not None and self.model is not None:
            registry_edits.delete_version(self, self.store, mv, dict(self.model.aliases),
                                          self._after_edit)


def _look(cell: object) -> object:
    """What a cell shows: its text, and its style (a new theme recolours a stage)."""
    if isinstance(cell, Text):
        return (cell.plain, str(cell.style), cell.spans)
    return str(cell)
