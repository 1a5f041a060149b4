"""MLflow 3's logged models: the list of an experiment's (``M`` on the experiments
and runs screens) or of one run's (``M`` on the run screen), and one model with
its params, metrics, tags and files (the artifact browser, on the model's own
artifact root). A registered version made from a logged model opens the same
screen (``M`` on the versions screen).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ..background import run_blocking
from ..store.entities import LoggedModel, Run
from ..textfmt import format_number, format_relative, format_timestamp, safe_text, truncate
from ..views.logged_models import (
    ModelDetail,
    ModelsListing,
    describe,
    load_detail,
    load_models,
    metric_keys,
    sorted_metrics,
    user_tags,
)
from ..widgets.footer import KeysFooter
from ..widgets.status_bar import StatusBar
from ..widgets.vim_table import VimTable
from .artifact_browser import ArtifactBrowser
from .base import MltuiScreen
from .clipboard import copy_text
from .detail import DetailTabs, add_field, key_value_at, key_value_rows, metric_at

STATUS_STYLE = {"READY": "green", "FAILED": "red", "PENDING": "yellow"}


class LoggedModelsScreen(MltuiScreen):
    """The logged models of one experiment, or of one run of it."""

    BINDINGS = [
        Binding("enter", "open", "Open model", id="logged_models.open"),
        Binding("y", "copy_id", "Copy model id", id="logged_models.copy_id"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="logged_models.reload"),
        Binding("escape,backspace", "back", "Back", id="logged_models.back"),
    ]

    HELP = """\
MLflow 3's logged models: what mlflow.<flavor>.log_model (or
mlflow.initialize_logged_model) records, each with an id m-…, a status, the run
that produced it, and its own params, metrics, tags and files. A registered
model version made from one points at it as models:/m-….

Columns: Params and Metrics count what the model carries (a metric logged at
several steps counts once). enter opens the model under the cursor; y copies
its id.
"""

    def __init__(self, experiment_ids: Sequence[str], experiment_name: str = "",
                 run: Run | None = None):
        super().__init__()
        self.experiment_ids = [str(e) for e in experiment_ids]
        self.experiment_name = experiment_name
        """What the status line calls the experiments (their ids when empty)."""
        self.run = run
        self.listing: ModelsListing | None = None
        self.error: str | None = None

    @property
    def models(self) -> list[LoggedModel]:
        return self.listing.models if self.listing else []

    @property
    def table(self) -> VimTable:
        return self.query_one("#logged-models", VimTable)

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield VimTable(id="logged-models", cursor_type="row", zebra_stripes=True)
        yield Static(id="logged-models-empty")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.table.focus()
        self._status(loading=True)
        self.action_reload()

    def action_reload(self) -> None:
        run_id = self.run.run_id if self.run is not None else None
        run_blocking(self, load_models, self.store, self.experiment_ids, run_id,
                     done=self._loaded, failed=self._failed, group="logged-models")

    def _failed(self, message: str) -> None:
        self.error = message
        self.query_one("#logged-models-empty", Static).update(Text(message, style="red"))
        self._status()

    def _loaded(self, listing: ModelsListing) -> None:
        self.listing, self.error = listing, None
        if listing.run is not None:
            self.run = listing.run
        rows = []
        for m in listing.models:
            run_name = listing.run_names.get(m.source_run_id) or m.source_run_id[:8]
            tags = ", ".join(f"{k}={v}" for k, v in sorted(user_tags(m).items()))
            rows.append((
                Text(truncate(safe_text(m.name), 32), style="bold"),
                Text(safe_text(m.model_id)),
                Text(safe_text(m.status), style=STATUS_STYLE.get(m.status, "")),
                format_relative(m.creation_time),
                Text(truncate(safe_text(run_name), 24)),
                Text(str(len(m.params)), justify="right"),
                Text(str(metric_keys(m)), justify="right"),
                Text(truncate(safe_text(m.model_type), 16)),
                Text(truncate(safe_text(tags), 30)),
            ))
        self.table.fill(("Name", "Model id", "Status", "Created", "Source run", "Params",
                         "Metrics", "Type", "Tags"), rows)
        whose = "this run" if self.run is not None else "this experiment"
        self.query_one("#logged-models-empty", Static).update(
            "" if rows else Text(f"No logged models in {whose}", style="dim"))
        self._status()

    def _status(self, loading: bool = False) -> None:
        count = "loading…" if loading else f"{len(self.models)} logged models"
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("logged models", "dim", 2),
            (self.experiment_name or ", ".join(self.experiment_ids), "bold cyan", 6),
            (f"run {self.run.run_name or self.run.run_id}", "cyan", 5) if self.run else None,
            (count, "", 4),
            ("error", "bold red", 7) if self.error else None,
        )

    @property
    def current(self) -> LoggedModel | None:
        row = self.table.cursor_row
        models = self.models
        return models[row] if 0 <= row < len(models) else None

    def action_open(self) -> None:
        model = self.current
        if model is None or self.listing is None:
            return
        name = self.listing.run_names.get(model.source_run_id, "")
        # the experiment's name is read with the model unless it is the one shown
        known = self.experiment_name if len(self.experiment_ids) == 1 else ""
        self.app.push_screen(LoggedModelScreen(model.model_id, ModelDetail(
            model, name, known)))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_copy_id(self) -> None:
        model = self.current
        if model is not None:
            copy_text(self, model.model_id, "logged model id")

    def action_back(self) -> None:
        self.app.pop_screen()


TABS = ("tab-lm-params", "tab-lm-metrics", "tab-lm-tags", "tab-lm-files")
TABLES = {"tab-lm-params": "lm-params", "tab-lm-metrics": "lm-metrics",
          "tab-lm-tags": "lm-tags"}


class LoggedModelScreen(DetailTabs, MltuiScreen):
    """One logged model: what it is, its params, metrics, tags and files."""

    TABS = TABS
    TABLES = TABLES

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="logged_model.back"),
        Binding("enter", "view_value", "Whole value", id="logged_model.value"),
        Binding("y", "copy_id", "Copy model id", id="logged_model.copy_id"),
        Binding("o", "open_run", "Source run", id="logged_model.run"),
        Binding("a", "tab(3)", "Files", id="logged_model.files"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="logged_model.reload"),
        Binding("1", "tab(0)", "Params tab", show=False, id="logged_model.tab_params"),
        Binding("2", "tab(1)", "Metrics tab", show=False, id="logged_model.tab_metrics"),
        Binding("3", "tab(2)", "Tags tab", show=False, id="logged_model.tab_tags"),
        Binding("4", "tab(3)", "Files tab", show=False, id="logged_model.tab_files"),
        Binding("right_square_bracket", "next_tab(1)", "Next tab", show=False,
                id="logged_model.next_tab"),
        Binding("left_square_bracket", "next_tab(-1)", "Previous tab", show=False,
                id="logged_model.previous_tab"),
    ]

    HELP = """\
One logged model (MLflow 3): its status, type, the run that produced it and
where its files live, then its params, metrics (every step logged) and tags,
and its files beside a preview (MLmodel shows the flavors, signature and the
command that serves it; the browser's keys work there: / find, s save, y copy
URI, c copy the serve command).

1 to 4 (or [ and ]) switch tabs, a jumps to the files. enter shows the value
under the cursor whole. y copies the model id, o opens the source run.
"""

    DEFAULT_CSS = """
    LoggedModelScreen #lm-info { height: auto; padding: 0 1; }
    """

    def __init__(self, model_id: str, detail: ModelDetail | None = None):
        super().__init__()
        self.model_id = model_id
        self.detail = detail
        self.stale: str | None = None

    @property
    def model(self) -> LoggedModel | None:
        return self.detail.model if self.detail else None

    def compose(self) -> ComposeResult:
        yield StatusBar()
        yield Static(id="lm-info")
        with TabbedContent(initial=TABS[0]):
            with TabPane("1 Params", id=TABS[0]):
                yield VimTable(id="lm-params", cursor_type="row", zebra_stripes=True)
            with TabPane("2 Metrics", id=TABS[1]):
                yield VimTable(id="lm-metrics", cursor_type="row", zebra_stripes=True)
            with TabPane("3 Tags", id=TABS[2]):
                yield VimTable(id="lm-tags", cursor_type="row", zebra_stripes=True)
            with TabPane("4 Files", id=TABS[3]):
                yield Container(id="lm-files")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#lm-params", DataTable).focus()
        if self.detail is not None:
            self._show(self.detail)
        else:
            self._status()
        self.action_reload()

    # -- loading ------------------------------------------------------------------------
    def action_reload(self) -> None:
        model = self.model
        if model is not None and self.detail is not None and not self.detail.experiment_name:
            # from a list: the model is fresh; only the names are missing
            run_blocking(self, describe, self.store, model, done=self._loaded,
                         failed=self._failed, group="logged-model")
            return
        run_blocking(self, load_detail, self.store, self.model_id, done=self._loaded,
                     failed=self._failed, group="logged-model")

    def _failed(self, message: str) -> None:
        self.stale = message
        if self.detail is None:
            self.query_one("#lm-info", Static).update(Text(safe_text(message), style="red"))
        else:
            self.notify(message, severity="warning")
        self._status()

    def _loaded(self, detail: ModelDetail) -> None:
        self.stale = None
        self._show(detail)

    def _show(self, detail: ModelDetail) -> None:
        self.detail = detail
        m = detail.model
        self._status()
        info = Text(no_wrap=True, overflow="ellipsis")
        info.append(safe_text(m.name or m.model_id), style="bold")
        info.append(f"  {safe_text(m.status)}", style=STATUS_STYLE.get(m.status, ""))
        if m.model_type:
            info.append(f"  type {safe_text(m.model_type)}")
        if m.creation_time:
            info.append(f"  created {format_timestamp(m.creation_time)} "
                        f"({format_relative(m.creation_time)})", style="dim")
        info.append("\n")
        add_field(info, "model id", m.model_id)
        add_field(info, "uri", f"models:/{m.model_id}")
        experiment = (f"{detail.experiment_name} ({m.experiment_id})"
                      if detail.experiment_name else m.experiment_id)
        add_field(info, "experiment", experiment)
        info.append("\n")
        if m.source_run_id:
            add_field(info, "source run", f"{detail.run_name or '?'} ({m.source_run_id})")
            info.append(" (o)", style="dim")
        else:
            add_field(info, "source run", "none")
        info.append("\n")
        add_field(info, "files", m.artifact_location)
        self.query_one("#lm-info", Static).update(info)
        self.query_one("#lm-params", VimTable).fill(("Param", "Value"), key_value_rows(m.params))
        self.query_one("#lm-metrics", VimTable).fill(
            ("Metric", "Value", "Step", "Logged"),
            [(Text(safe_text(x.key)), Text(format_number(x.value), justify="right"),
              Text(str(x.step), justify="right"), format_timestamp(x.timestamp))
             for x in sorted_metrics(m)])
        self.query_one("#lm-tags", VimTable).fill(("Tag", "Value"), key_value_rows(m.tags))

    def _status(self) -> None:
        m = self.model
        self.query_one(StatusBar).show(
            (self.mltui.store_label, "bold", 1),
            ("logged model", "dim", 2),
            ((m.name if m else "") or self.model_id, "bold cyan", 6),
            (self.model_id, "", 3),
            (f"stale: {self.stale}", "bold red", 7) if self.stale and m else None,
        )

    # -- tabs -----------------------------------------------------------------------------
    async def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id != TABS[3]:
            return
        holder = self.query_one("#lm-files", Container)
        browsers = holder.query(ArtifactBrowser)
        model = self.model
        if not browsers and model is not None:
            # listed when first shown: the other tabs pay nothing for the files
            await holder.mount(ArtifactBrowser(model.source_run_id, model=model))
        elif browsers:
            browsers.first().artifact_tree.focus()
        self.refresh_bindings()

    def _focus_other_tab(self, active: str) -> None:
        for browser in self.query(ArtifactBrowser):
            browser.artifact_tree.focus()

    # -- keys -----------------------------------------------------------------------------
    def _row_value(self, table_id: str, row: int) -> tuple[str, str] | None:
        m = self.model
        if m is None:
            return None
        if table_id == "lm-metrics":
            return metric_at([(x.key, x) for x in sorted_metrics(m)], row)
        if table_id == "lm-params":
            return key_value_at("param", m.params, row)
        return key_value_at("tag", m.tags, row)

    def action_copy_id(self) -> None:
        copy_text(self, self.model_id, "logged model id")

    def action_open_run(self) -> None:
        m = self.model
        if m is None or not m.source_run_id:
            self.notify("This model has no source run", severity="warning")
            return

        def opened(detail) -> None:
            from .run import RunScreen

            self.app.push_screen(RunScreen(detail.run))

        run_blocking(self, self.store.get_run, m.source_run_id, done=opened,
                     group="logged-model-run")

    def action_back(self) -> None:
        self.app.pop_screen()
