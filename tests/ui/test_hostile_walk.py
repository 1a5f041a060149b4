"""Every screen and dialog a person reaches, over a store whose every shown string is
hostile, with what the app writes to the terminal captured and checked (issue 14).

The store is made by the real ``mlflow`` client (a copy of the shared sqlite store,
then a hostile experiment added to it): experiment names, run names, params, metric
keys, tags, notes, registered model names, descriptions, tags and aliases, artifact
file names and contents hold terminal escapes (OSC 0/2 titles, an OSC 52 clipboard
write, an OSC 8 link, a DCS query, CSI erase / colour / device-status query, raw C1
CSI and OSC, BEL, DEL), Rich markup and 5,000-character values. MlflowClient refuses
control characters in keys, alias names and ``/`` or ``:`` in model names; those
are then written into the database directly, as a tool that skips MLflow's checks
(or an older MLflow) leaves them.

What reaches the terminal is checked two ways after every step:

1. the segments the screen is drawn from (``screen_segments_text``, as the dialog
   test does) hold no C0 control, DEL or C1 character at all;
2. the bytes Textual writes to the terminal driver (a headless driver that records
   instead of discarding, so Textual renders exactly what a terminal would get)
   hold none once Textual's own colour and cursor sequences are taken out. The
   hostile string holds sequences Textual never writes (OSC, DCS, ``ESC [2J``,
   ``ESC [6n``, C1) beside each colour code, so a leak of any of it shows.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from mlflow import MlflowClient
from mlflow.entities import Dataset as MlflowDataset
from mlflow.entities import DatasetInput, InputTag, Metric, Param, RunTag
from rich.text import Text
from textual.command import CommandPalette
from textual.drivers import headless_driver
from textual.screen import Screen
from textual.widgets import DataTable

from mltui.app import MessageScreen, MltuiApp
from mltui.config import Settings
from mltui.screens.artifact_browser import ArtifactBrowser
from mltui.screens.artifacts import ArtifactsScreen
from mltui.screens.charts import ChartScreen, ChartsScreen
from mltui.screens.column_chooser import ColumnChooser
from mltui.screens.compare import TABS, CompareScreen
from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.field_picker import FieldPicker
from mltui.screens.help import HelpScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.registry_dialogs import (
    AliasDialog,
    DiscardChanges,
    PickDialog,
    StageConfirm,
    StageMenu,
    TagsDialog,
    TextEditor,
)
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.screens.value_viewer import ValueViewer
from mltui.screens.versions import VersionsScreen
from mltui.widgets.metric_chart import MetricChart
from mltui.widgets.runs_table import RunsTable
from support.apphelp import (
    make_app,
    screen_segments_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
    wait_toast,
)
from support.builders import copy_store

# -- hostile strings ---------------------------------------------------------------------

SEQUENCES = (
    "\x1b]0;walk-title\x1b\\",  # OSC 0 (window title) ended by ST
    "\x1b]2;walk-pane\x07",  # OSC 2 (pane title) ended by BEL
    "\x1b]52;c;cHduZWQ=\x1b\\",  # OSC 52: write 'pwned' to the clipboard
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",  # OSC 8 hyperlink
    "\x1bP+q544e\x1b\\",  # DCS: XTGETTCAP query (the terminal answers)
    "\x1b[2J\x1b[31mred\x1b[6n",  # CSI: erase, colour, device status query
    "\x9b2J",  # C1 CSI
    "\x9d0;c1-title\x9c",  # C1 OSC ended by C1 ST
    "\x07",  # BEL
    "\x7f",  # DEL
)
MARKUP = "[bold]bold[/] [/] [link=https://evil.example]l[/link] [red"
HOSTILE = " ".join(SEQUENCES) + " " + MARKUP
"""Every escape and markup; MlflowClient takes it in names and values."""
MODEL_HOSTILE = "".join(s for s in SEQUENCES if "/" not in s and ":" not in s) + " [bold]m[red"
"""MLflow refuses '/' and ':' in model names (no OSC 8, no closing markup tag)."""
LONG = (HOSTILE + " ") * 60
LONG = LONG[:5000]
"""5,000 characters, escapes throughout (MLflow's limits: 500 for an experiment name)."""

EXPERIMENT = f"walk {HOSTILE}"
LONG_EXPERIMENT = ("walk-long " + HOSTILE + " ") * 8
LONG_EXPERIMENT = LONG_EXPERIMENT[:500]
MODEL = f"walk-model {MODEL_HOSTILE}"
NOTE = "mlflow.note.content"
RUN_NAMES = (f"walk-a {HOSTILE}", f"walk-b {HOSTILE}")
PARAM_KEY = f"p {HOSTILE}"
METRIC_KEY = f"m {HOSTILE}"
TAG_KEY = f"t {HOSTILE}"
ALIAS = f"al{MODEL_HOSTILE}"
DESCRIPTION = f"# {HOSTILE}\n\n{HOSTILE}\r\nline\ttab\n{LONG}"
ARTIFACT_NAMES = (f"name {HOSTILE.replace('/', '_')}.txt",)
# (a file name may hold anything but '/' and NUL)

FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""What must never reach the terminal from data: every C0 control, DEL, every C1."""
TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]|\x1b\]22;[a-z-]+\x07")
"""The sequences Textual writes itself: SGR colours, cursor position, private modes and
the mouse pointer's shape (OSC 22 with one of its own shape names)."""


# -- the store ----------------------------------------------------------------------------


def _artifacts(folder: Path) -> Path:
    """Files whose names and contents are hostile, one of each previewed kind."""
    import json

    root = folder / "files"
    (root / "model").mkdir(parents=True)
    (root / f"dir {MODEL_HOSTILE}").mkdir()
    for name in ARTIFACT_NAMES:
        (root / name).write_text(f"{HOSTILE}\n{LONG}\n")
    (root / f"dir {MODEL_HOSTILE}" / "inner.log").write_text(f"{HOSTILE}\n" * 50)
    (root / "hostile.json").write_text(json.dumps(
        {HOSTILE: HOSTILE, "list": [HOSTILE, {"deep": LONG}]}, ensure_ascii=False))
    (root / "hostile.csv").write_text(f'"{HOSTILE}",b\n"{LONG}",2\n')
    (root / "hostile.md").write_text(f"# {HOSTILE}\n\n[link]({HOSTILE})\n\n"
                                     f"<b>{HOSTILE}</b>\n\n```\n{HOSTILE}\n```\n")
    (root / "hostile.yaml").write_text(json.dumps({"key": HOSTILE, "long": LONG},
                                                  ensure_ascii=False))
    (root / "hostile.bin").write_bytes(HOSTILE.encode() + bytes(range(256)))
    (root / "model" / "MLmodel").write_text(json.dumps({
        "artifact_path": HOSTILE, "run_id": HOSTILE, "model_uuid": HOSTILE,
        "flavors": {"python_function": {"loader_module": HOSTILE, "env": HOSTILE}},
        "signature": {"inputs": json.dumps([{"name": HOSTILE, "type": "string"}])},
    }, ensure_ascii=False))
    (root / "model" / "requirements.txt").write_text(f"{HOSTILE}\n")
    return root


def build(uri: str, folder: Path) -> dict[str, str]:
    """The hostile experiment, runs and model, added with MlflowClient; then the keys
    and aliases MLflow refuses, written into the database as another tool would."""
    client = MlflowClient(uri)
    artifacts = folder / "artifacts"
    eid = client.create_experiment(EXPERIMENT, artifact_location=artifacts.as_uri(),
                                   tags={NOTE: DESCRIPTION, "hostile": HOSTILE, "long": LONG})
    client.create_experiment(LONG_EXPERIMENT, tags={"hostile": HOSTILE})
    ids: dict[str, str] = {"experiment": eid}
    files = _artifacts(folder)
    for i, name in enumerate(RUN_NAMES):
        run = client.create_run(eid, run_name=name, tags={NOTE: DESCRIPTION})
        rid = run.info.run_id
        ids[f"run{i}"] = rid
        client.log_batch(rid, params=[Param("p_placeholder", HOSTILE), Param("long", LONG),
                                      Param("lr", str(0.1 * (i + 1)))],
                         tags=[RunTag("t_placeholder", HOSTILE), RunTag("hostile", LONG)])
        client.log_batch(rid, metrics=[Metric("m_placeholder", float(s * (i + 1)), 0, s)
                                       for s in range(20)]
                         + [Metric("loss", 1.0 / (s + 1 + i), 0, s) for s in range(20)])
        dataset = MlflowDataset(name=HOSTILE, digest="d1g3st", source_type="local",
                                source=HOSTILE, schema=HOSTILE, profile=HOSTILE)
        client.log_inputs(rid, [DatasetInput(dataset, [InputTag("mlflow.data.context",
                                                                 HOSTILE)])])
        client.log_artifacts(rid, str(files))
        client.set_terminated(rid)
    client.create_registered_model(MODEL, tags={"hostile": HOSTILE}, description=DESCRIPTION)
    for rid in (ids["run0"], ids["run1"]):
        client.create_model_version(MODEL, f"runs:/{rid}/model", run_id=rid,
                                    tags={"hostile": HOSTILE}, description=DESCRIPTION)
    client.set_registered_model_alias(MODEL, "alias_placeholder", "1")
    client.set_registered_model_alias(MODEL, "champion", "2")
    client.set_registered_model_alias(MODEL, "backup", "1")
    db = uri.removeprefix("sqlite:///")
    with sqlite3.connect(db) as conn:
        for table in ("params", "tags"):
            old = "p_placeholder" if table == "params" else "t_placeholder"
            new = PARAM_KEY if table == "params" else TAG_KEY
            conn.execute(f"UPDATE {table} SET key = ? WHERE key = ?", (new, old))
        for table in ("metrics", "latest_metrics"):
            conn.execute(f"UPDATE {table} SET key = ? WHERE key = 'm_placeholder'",
                         (METRIC_KEY,))
        conn.execute("UPDATE experiment_tags SET key = ? WHERE key = 'hostile'", (TAG_KEY,))
        conn.execute("UPDATE registered_model_aliases SET alias = ? WHERE alias = "
                     "'alias_placeholder'", (ALIAS,))
    return ids


@pytest.fixture(scope="module")
def hostile_world(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Built once for the module: the folder holding ``mlflow.db`` and the ids."""
    folder = tmp_path_factory.mktemp("hostile-walk")
    uri = copy_store("sqlite", folder)
    return folder, build(uri, folder)


@pytest.fixture
def world(hostile_world, tmp_path) -> tuple[str, dict[str, str]]:
    """A private copy of the database (the artifacts stay where they were logged)."""
    folder, ids = hostile_world
    shutil.copy(folder / "mlflow.db", tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}", ids


# -- what reaches the terminal --------------------------------------------------------------


class Terminal:
    """Everything the app wrote to its terminal driver, and the screens it was on."""

    def __init__(self) -> None:
        self.chunks: list[str] = []
        self.visited: list[str] = []

    def leaks(self) -> list[str]:
        """Each forbidden character left once Textual's own sequences are taken out
        (newline too is Textual's: it ends the lines of a full redraw), in context."""
        stream = TEXTUAL_OWN.sub("", "".join(self.chunks)).replace("\n", "")
        return [repr(stream[max(0, m.start() - 40): m.end() + 40])
                for m in FORBIDDEN.finditer(stream)][:5]


@pytest.fixture
def terminal(monkeypatch) -> Terminal:
    """Pilot's headless driver made to record what Textual writes: claiming not to
    be headless makes Textual render every update into terminal bytes."""
    term = Terminal()

    class RecordingDriver(headless_driver.HeadlessDriver):
        @property
        def is_headless(self) -> bool:
            return False

        def write(self, data: str) -> None:
            term.chunks.append(data)

    monkeypatch.setattr(headless_driver, "HeadlessDriver", RecordingDriver)
    return term


async def inert(pilot, term: Terminal, where: str = "") -> Screen:
    """Let the screen finish what it is doing and draw it, then check both the
    segments it is drawn from and every byte written to the terminal so far."""
    app: MltuiApp = pilot.app
    await settle(pilot)
    await pilot.pause()
    screen = app.screen
    name = type(screen).__name__
    term.visited.append(name)
    drawn = screen_segments_text(app)
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(drawn)})
    assert not bad, f"{name} {where}: the screen is drawn with {bad}"
    leaks = term.leaks()
    assert not leaks, f"{name} {where}: written to the terminal: {leaks}"
    return screen


async def open_screen(pilot, term: Terminal, key: str, cls: type, where: str = "") -> Screen:
    await pilot.press(key)
    await wait_screen(pilot, cls)
    return await inert(pilot, term, where or f"after {key}")


async def close(pilot, term: Terminal, cls: type, key: str = "escape") -> Screen:
    """Leave the screen on top with ``key``; wait until ``cls`` is on top again."""
    await pilot.press(key)
    await wait_screen(pilot, cls)
    return await inert(pilot, term, f"back from {key}")


# -- the walk -------------------------------------------------------------------------------

SIZE = (150, 45)
WALKS: dict[str, set[str]] = {
    "experiments": {"ExperimentsScreen", "HelpScreen", "CommandPalette", "PromptDialog",
                    "TextEditor", "TagsDialog", "ConfirmDialog"},
    "runs": {"RunsScreen", "ValueViewer", "HelpScreen", "ColumnChooser", "PromptDialog",
             "TextEditor", "TagsDialog", "ConfirmDialog"},
    "charts and compare": {"ChartsScreen", "ChartScreen", "CompareScreen", "FieldPicker",
                           "ColumnChooser", "ValueViewer", "PromptDialog", "HelpScreen"},
    "run and artifacts": {"RunScreen", "ValueViewer", "ArtifactsScreen", "PromptDialog",
                          "HelpScreen"},
    "registry": {"ModelsScreen", "VersionsScreen", "StageMenu", "StageConfirm", "AliasDialog",
                 "PickDialog", "TagsDialog", "TextEditor", "DiscardChanges", "ConfirmDialog",
                 "RunScreen", "HelpScreen", "PromptDialog"},
    "store that cannot open": {"MessageScreen"},
    "genai": {"TracesScreen", "TraceScreen", "ValueViewer", "LoggedModelsScreen",
              "LoggedModelScreen", "PromptScreen", "HelpScreen"},
}
"""The screens and dialogs each test below must have checked (by class name)."""


async def to_experiment(pilot, term: Terminal, name: str = EXPERIMENT) -> ExperimentsScreen:
    screen = await wait_screen(pilot, ExperimentsScreen)
    await wait_for(pilot, lambda: name in [e.name for e in screen.shown], "the experiment")
    screen.table.move_cursor(row=[e.name for e in screen.shown].index(name))
    await inert(pilot, term, "the experiments")
    return screen


async def test_experiments_screen_help_palette_and_edit_dialogs(world, terminal):
    uri, _ids = world
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await to_experiment(pilot, terminal, LONG_EXPERIMENT)
        screen = await to_experiment(pilot, terminal)
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, ExperimentsScreen)
        # the palette lists experiments (and their hostile names) as you type
        await pilot.press("ctrl+p")
        await wait_screen(pilot, CommandPalette)
        await pilot.press(*"walk")
        await wait_for(pilot, lambda: "walk ␛]0;walk-title" in screen_segments_text(app),
                       "the experiments among the hits")
        await inert(pilot, terminal, "palette hits")
        await close(pilot, terminal, ExperimentsScreen)
        # the filter box, then each edit dialog opened and cancelled
        await pilot.press("slash", *"walk")
        await inert(pilot, terminal, "filtered")
        await pilot.press("enter")
        await to_experiment(pilot, terminal)
        await open_screen(pilot, terminal, "N", PromptDialog, "rename")
        await close(pilot, terminal, ExperimentsScreen)
        await open_screen(pilot, terminal, "d", TextEditor, "describe")
        await close(pilot, terminal, ExperimentsScreen)
        tags = await open_screen(pilot, terminal, "t", TagsDialog, "tags")
        for row in range(len(tags.tags)):
            tags.query_one(DataTable).move_cursor(row=row)
            await open_screen(pilot, terminal, "e", PromptDialog, f"tag {row}")
            await close(pilot, terminal, TagsDialog)
        await close(pilot, terminal, ExperimentsScreen)
        await open_screen(pilot, terminal, "D", ConfirmDialog, "delete")
        await close(pilot, terminal, ExperimentsScreen, "n")
        # notifications quoting the name: a delete done, then undone
        await open_screen(pilot, terminal, "D", ConfirmDialog, "delete")
        await pilot.press("y")
        await wait_toast(pilot, "Deleted experiment walk ␛]0;walk-title")
        await inert(pilot, terminal, "the delete's notification")
        await pilot.press("u")
        await wait_for(pilot, lambda: EXPERIMENT in [e.name for e in screen.shown], "undone")
        await inert(pilot, terminal, "the undo's notification")
    assert WALKS["experiments"] <= set(terminal.visited)


async def open_runs(pilot, term: Terminal) -> RunsScreen:
    await to_experiment(pilot, term)
    await pilot.press("enter")
    runs = await wait_screen(pilot, RunsScreen)
    await wait_for(pilot, lambda: runs.table.current_run is not None, "the runs")
    await wait_for(pilot, lambda: runs.run_keys is not None, "the keys of the runs")
    await inert(pilot, term, "the runs table")
    return runs


async def test_runs_table_filter_bar_columns_values_and_edit_dialogs(world, terminal):
    uri, _ids = world
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        runs = await open_runs(pilot, terminal)
        # every column in turn scrolled into view
        for _ in range(len(runs.table.columns) + 1):
            await pilot.press("l")
            await inert(pilot, terminal, f"column {runs.table.focused_column}")
        await open_screen(pilot, terminal, "w", ValueViewer, "a whole value")
        await close(pilot, terminal, RunsScreen)
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, RunsScreen)
        # the filter bar: completion of the hostile keys, cycled with tab
        await pilot.press("slash", *"params.")
        await inert(pilot, terminal, "filter hint")
        for _ in range(4):
            await pilot.press("tab")
            await inert(pilot, terminal, "filter completion")
        await pilot.press("ctrl+u", *"params.p")
        await inert(pilot, terminal, "filter suggestion")
        # the key completed holds ESC as ␛; the filter applied holds the ESC itself
        await pilot.press("tab", *"!= 'x'", "enter")
        await wait_for(pilot, lambda: runs.filter_text.startswith(f"params.`{PARAM_KEY}`"),
                       "the filter applied")
        await wait_for(pilot, lambda: runs.total == len(RUN_NAMES), "both runs match")
        await inert(pilot, terminal, "filtered by a hostile key")
        await pilot.press("slash")
        await inert(pilot, terminal, "the filter reopened")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.focused, RunsTable), "the table again")
        await open_screen(pilot, terminal, "c", ColumnChooser, "columns")
        for _ in range(30):
            await pilot.press("down")
        await inert(pilot, terminal, "columns scrolled")
        await close(pilot, terminal, RunsScreen)
        # the edit dialogs on the run under the cursor, each cancelled
        for key, cls in (("N", PromptDialog), ("n", TextEditor), ("T", TagsDialog),
                         ("D", ConfirmDialog), ("e", PromptDialog)):
            await open_screen(pilot, terminal, key, cls, f"the {key} dialog")
            await close(pilot, terminal, RunsScreen)
    assert WALKS["runs"] <= set(terminal.visited)


async def mark_both(pilot, runs: RunsScreen) -> None:
    await pilot.press("space", "space")
    await wait_for(pilot, lambda: len(runs.table.marks) == len(RUN_NAMES), "both marked")


async def test_charts_and_comparison_of_the_hostile_runs(world, terminal):
    uri, _ids = world
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        runs = await open_runs(pilot, terminal)
        await mark_both(pilot, runs)
        charts = await open_screen(pilot, terminal, "v", ChartsScreen, "charts")
        await wait_for(pilot, lambda: set(charts.read) == set(charts.all_keys), "every chart")
        assert METRIC_KEY in charts.all_keys
        await inert(pilot, terminal, "every chart drawn")
        for key in ("x", "s", "L", "tab"):
            await pilot.press(key)
            await inert(pilot, terminal, f"charts after {key}")
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, ChartsScreen)
        # each chart full size: the hostile metric among them
        for key in charts.all_keys:
            chart = next(c for c in charts.panel.charts if c.key == key)
            chart.focus()
            full = await open_screen(pilot, terminal, "enter", ChartScreen, f"chart {key!r}")
            await wait_for(pilot, lambda f=full: f.series, "the full chart")
            for move in ("l", "z", "right_square_bracket", "x", "j", "k"):
                await pilot.press(move)
                await inert(pilot, terminal, f"full chart after {move}")
            await close(pilot, terminal, ChartsScreen)
        await close(pilot, terminal, RunsScreen)

        compare = await open_screen(pilot, terminal, "C", CompareScreen, "compare")
        for key in ("d", "m", "b", "l", "h"):
            await pilot.press(key)
            await inert(pilot, terminal, f"compare table after {key}")
        for row in range(compare.table.row_count):
            compare.table.move_cursor(row=row)
            await inert(pilot, terminal, f"compare row {row}")
        compare.table.move_cursor(row=0)
        await open_screen(pilot, terminal, "enter", ValueViewer, "a compared value")
        await close(pilot, terminal, CompareScreen)
        for tab in ("2", "3", "4"):
            await pilot.press(tab)
            await wait_for(pilot, lambda t=tab: compare.active_tab == TABS[int(t) - 1],
                           f"tab {tab}")
            await inert(pilot, terminal, f"compare tab {tab}")
        await pilot.press("3")
        await open_screen(pilot, terminal, "x", FieldPicker, "the scatter's x")
        await close(pilot, terminal, CompareScreen)
        await pilot.press("4")
        await open_screen(pilot, terminal, "x", ColumnChooser, "the parallel's params")
        await close(pilot, terminal, CompareScreen)
        await pilot.press("1")
        await open_screen(pilot, terminal, "e", PromptDialog, "export")
        await close(pilot, terminal, CompareScreen)
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, CompareScreen)
        await close(pilot, terminal, RunsScreen)
    assert WALKS["charts and compare"] <= set(terminal.visited)


ARTIFACT_PATHS = (*ARTIFACT_NAMES, f"dir {MODEL_HOSTILE}/inner.log", "hostile.json",
                  "hostile.csv", "hostile.md", "hostile.yaml", "hostile.bin", "model/MLmodel",
                  "model/requirements.txt", "model")
"""Every file logged to a hostile run, and the model folder (a model preview)."""


async def preview_each(pilot, term: Terminal, browser: ArtifactBrowser,
                       paths: tuple[str, ...], scroll: bool = False) -> int:
    """Put the cursor on each artifact in turn; check each preview drawn (and, with
    ``scroll``, drawn again at its end and scrolled sideways)."""
    await wait_for(pilot, lambda: browser.listing is not None, "the listing")
    shown = 0
    for path in paths:
        browser.go_to(path)
        await wait_for(pilot, lambda p=path: browser.item is not None and browser.item.path == p
                       and browser.preview is not None
                       and browser.preview.path.endswith(p.rsplit("/", 1)[-1]),
                       f"the preview of {path!r}")
        await inert(pilot, term, f"preview of {path!r}")
        if scroll:
            browser.pane.focus()
            await pilot.press("G", "l")
            await inert(pilot, term, f"preview of {path!r} scrolled")
            browser.artifact_tree.focus()
        shown += 1
    return shown


async def test_run_screen_tabs_and_artifact_previews(world, terminal):
    uri, _ids = world
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        runs = await open_runs(pilot, terminal)
        run = await open_screen(pilot, terminal, "enter", RunScreen, "the run")
        await wait_for(pilot, lambda: run.detail is not None, "the run's details")
        await inert(pilot, terminal, "the run's details")
        for tab in ("1", "3", "4"):  # the tables: the whole value of each hostile row
            await pilot.press(tab)
            await inert(pilot, terminal, f"tab {tab}")
            table = app.focused
            assert isinstance(table, DataTable), tab
            hostile = [row for row in range(table.row_count)
                       if any("␛" in str(cell) for cell in table.get_row_at(row))]
            assert hostile, f"no hostile row in tab {tab}"
            for row in hostile:
                table.move_cursor(row=row)
                await open_screen(pilot, terminal, "enter", ValueViewer, f"tab {tab} row {row}")
                await close(pilot, terminal, RunScreen)
        await pilot.press("2")
        await wait_for(pilot, lambda: run.query(MetricChart) and all(
            c.loaded for c in run.query(MetricChart)), "the run's charts")
        await inert(pilot, terminal, "the charts tab")
        await pilot.press("5")
        await inert(pilot, terminal, "inputs and outputs")
        await pilot.press("6")
        browser = await wait_for(pilot, lambda: run.query(ArtifactBrowser).first()
                                 if run.query(ArtifactBrowser) else None, "the artifacts tab")
        await preview_each(pilot, terminal, browser, ARTIFACT_PATHS[:2])
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, RunScreen)
        await close(pilot, terminal, RunsScreen)
        # the artifacts of both marked runs, full size, with find
        await mark_both(pilot, runs)
        screen = await open_screen(pilot, terminal, "a", ArtifactsScreen, "artifacts")
        browser = await wait_for(pilot, lambda: screen.query(ArtifactBrowser).first()
                                 if screen.query(ArtifactBrowser) else None, "the browser")
        previews = await preview_each(pilot, terminal, browser, ARTIFACT_PATHS, scroll=True)
        browser.artifact_tree.focus()
        await pilot.press("slash", *"dir", "enter")  # find by name in the tree
        await inert(pilot, terminal, "find by name")
        browser.go_to(ARTIFACT_NAMES[0])
        browser.pane.focus()
        await pilot.press("slash", *"title", "enter", "n")  # search in the preview
        await inert(pilot, terminal, "search in the preview")
        await pilot.press("escape")
        browser.artifact_tree.focus()
        await pilot.press("n")
        await wait_for(pilot, lambda: browser.preview is not None, "the other run")
        await inert(pilot, terminal, "the same artifact in the other run")
        await open_screen(pilot, terminal, "s", PromptDialog, "save")
        await close(pilot, terminal, ArtifactsScreen)
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, ArtifactsScreen)
        await close(pilot, terminal, RunsScreen)
    assert previews == len(ARTIFACT_PATHS)
    assert WALKS["run and artifacts"] <= set(terminal.visited)


async def test_models_versions_and_registry_dialogs(world, terminal):
    uri, _ids = world
    app = make_app(uri, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        models = await open_screen(pilot, terminal, "m", ModelsScreen, "models")
        await wait_for(pilot, lambda: MODEL in [m.name for m in models.models], "the model")
        models.table.move_cursor(row=[m.name for m in models.models].index(MODEL))
        await inert(pilot, terminal, "the hostile model")
        for key in ("P", "P"):  # prompts shown, hidden
            await pilot.press(key)
            await inert(pilot, terminal, f"models after {key}")
        await wait_for(pilot, lambda: MODEL in [m.name for m in models.models], "reloaded")
        models.table.move_cursor(row=[m.name for m in models.models].index(MODEL))
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, ModelsScreen)
        for key, cls in (("N", PromptDialog), ("D", ConfirmDialog)):
            await open_screen(pilot, terminal, key, cls, f"models {key}")
            await close(pilot, terminal, ModelsScreen)
        await pilot.press("slash", *"walk")
        await inert(pilot, terminal, "models filtered")
        await pilot.press("enter")
        await wait_for(pilot, lambda: [m.name for m in models.models] == [MODEL], "filtered")
        models.table.focus()
        versions = await open_screen(pilot, terminal, "enter", VersionsScreen, "versions")
        await wait_for(pilot, lambda: versions.model is not None, "the versions")
        for version in (1, 2):
            versions.table.move_cursor(row=[v.version for v in versions.shown].index(version))
            await inert(pilot, terminal, f"version {version}")
        versions.table.move_cursor(row=[v.version for v in versions.shown].index(1))
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, VersionsScreen)
        # a stage: the menu, then the confirmation that lists what else moves
        await open_screen(pilot, terminal, "s", StageMenu, "stage menu")
        await open_screen(pilot, terminal, "enter", StageConfirm, "stage confirm")
        await close(pilot, terminal, VersionsScreen, "n")
        # an alias: the dialog completes existing (hostile) aliases and says the effect
        await open_screen(pilot, terminal, "a", AliasDialog, "alias")
        await pilot.press("a", "l", "right")
        await inert(pilot, terminal, "alias completed")
        await close(pilot, terminal, VersionsScreen)
        await open_screen(pilot, terminal, "A", PickDialog, "which alias")
        await open_screen(pilot, terminal, "enter", ConfirmDialog, "delete alias")
        await close(pilot, terminal, VersionsScreen, "n")
        for key in ("t", "T"):
            tags = await open_screen(pilot, terminal, key, TagsDialog, f"tags {key}")
            tags.query_one(DataTable).move_cursor(row=sorted(tags.tags).index("hostile"))
            await open_screen(pilot, terminal, "e", PromptDialog, f"tag of {key}")
            await close(pilot, terminal, TagsDialog)
            await open_screen(pilot, terminal, "d", ConfirmDialog, f"delete tag of {key}")
            await close(pilot, terminal, TagsDialog, "n")
            await close(pilot, terminal, VersionsScreen)
        for key in ("d", "D"):
            await open_screen(pilot, terminal, key, TextEditor, f"description {key}")
            await pilot.press("x")
            await open_screen(pilot, terminal, "escape", DiscardChanges, "discard?")
            await close(pilot, terminal, VersionsScreen, "y")
        await open_screen(pilot, terminal, "X", ConfirmDialog, "delete version")
        await close(pilot, terminal, VersionsScreen, "n")
        for _ in range(2):
            await pilot.press("f")  # the stage filter cycles
            await inert(pilot, terminal, "stage filter")
        while versions.stage_filter is not None:
            await pilot.press("f")
        # the source run of the version
        await open_screen(pilot, terminal, "enter", RunScreen, "the source run")
        await close(pilot, terminal, VersionsScreen)
    assert WALKS["registry"] <= set(terminal.visited)


# -- MLflow 3's GenAI data: traces, logged models, prompts ----------------------------------

PROMPT = "walk-prompt"


def build_genai(uri: str, eid: str) -> None:
    """A trace (a hostile span tree, tags, feedback), a logged model and a prompt of
    two versions, each holding the hostile strings, made by the real client."""
    import mlflow

    from support.genai_world import forget_uris

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        mlflow.set_experiment(experiment_id=eid)
        client = MlflowClient(uri)
        with mlflow.start_span(name=f"root {HOSTILE}", span_type="AGENT") as root:
            root.set_inputs({HOSTILE: LONG, "question": HOSTILE})
            root.set_attribute(f"attr {HOSTILE}", HOSTILE)
            with mlflow.start_span(name=f"child {HOSTILE}", span_type="TOOL") as child:
                child.set_inputs(HOSTILE)
                child.add_event(mlflow.entities.SpanEvent(f"event {HOSTILE}",
                                                          attributes={"x": HOSTILE}))
                child.set_outputs({"answer": LONG})
            root.set_outputs(HOSTILE)
            trace_id = root.trace_id
        mlflow.flush_trace_async_logging()  # the trace is exported in the background
        client.set_trace_tag(trace_id, "hostile", HOSTILE)
        mlflow.log_feedback(trace_id=trace_id, name="quality", value=HOSTILE,
                            rationale=HOSTILE)
        mlflow.log_expectation(trace_id=trace_id, name="expected", value=HOSTILE)
        client.create_logged_model(experiment_id=eid, name="walk-model",
                                   params={"p": HOSTILE, "long": LONG},
                                   tags={"hostile": HOSTILE}, model_type=HOSTILE)
        for text in (f"first {HOSTILE}\nsame", f"second {HOSTILE}\nsame\n{LONG}"):
            mlflow.genai.register_prompt(name=PROMPT, template=text,
                                         commit_message=HOSTILE, tags={"hostile": HOSTILE})
    finally:
        forget_uris()


@pytest.fixture(scope="module")
def genai_world(hostile_world, tmp_path_factory) -> str:
    folder, ids = hostile_world
    own = tmp_path_factory.mktemp("hostile-genai")
    shutil.copy(folder / "mlflow.db", own / "mlflow.db")
    uri = f"sqlite:///{own / 'mlflow.db'}"
    build_genai(uri, ids["experiment"])
    return uri


async def test_traces_logged_models_and_prompts(genai_world, terminal):
    from mltui.screens.logged_models import LoggedModelScreen, LoggedModelsScreen
    from mltui.screens.prompts import PromptScreen
    from mltui.screens.trace import TraceScreen
    from mltui.screens.traces import TracesScreen

    app = make_app(genai_world, tree=False)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await to_experiment(pilot, terminal)
        traces = await open_screen(pilot, terminal, "T", TracesScreen, "traces")
        await wait_for(pilot, lambda: traces.total == 1, "the hostile trace")
        for key in ("l", "l", "l", "l"):  # across the columns: previews, tags, assessments
            await pilot.press(key)
            await inert(pilot, terminal, "traces columns")
        await open_screen(pilot, terminal, "w", ValueViewer, "a trace cell whole")
        await close(pilot, terminal, TracesScreen)
        await open_screen(pilot, terminal, "question_mark", HelpScreen)
        await close(pilot, terminal, TracesScreen)
        trace = await open_screen(pilot, terminal, "enter", TraceScreen, "the trace")
        await wait_for(pilot, lambda: trace.loaded is not None, "the spans")
        for key in ("j", "1", "2", "3", "4", "k", "1"):
            await pilot.press(key)
            await inert(pilot, terminal, f"trace after {key}")
        await open_screen(pilot, terminal, "v", ValueViewer, "a span value whole")
        await close(pilot, terminal, TraceScreen)
        await close(pilot, terminal, TracesScreen)
        await close(pilot, terminal, ExperimentsScreen)

        models = await open_screen(pilot, terminal, "M", LoggedModelsScreen, "logged models")
        await wait_for(pilot, lambda: "walk-model" in screen_text(app), "the logged model")
        await open_screen(pilot, terminal, "enter", LoggedModelScreen, "one logged model")
        for key in ("1", "2", "3", "4", "1"):
            await pilot.press(key)
            await inert(pilot, terminal, f"logged model tab {key}")
        await close(pilot, terminal, LoggedModelsScreen)
        await close(pilot, terminal, ExperimentsScreen)
        del models

        registry = await open_screen(pilot, terminal, "m", ModelsScreen, "models")
        await pilot.press("P")
        await wait_for(pilot, lambda: PROMPT in [m.name for m in registry.models], "prompt")
        registry.table.move_cursor(row=[m.name for m in registry.models].index(PROMPT))
        prompt = await open_screen(pilot, terminal, "enter", PromptScreen, "the prompt")
        await wait_for(pilot, lambda: "second" in screen_text(app), "the versions")
        for key in ("d", "v", "v"):
            await pilot.press(key)
            await inert(pilot, terminal, f"prompt after {key}")
        await pilot.press("escape")  # leaves the diff
        await inert(pilot, terminal, "prompt without the diff")
        await open_screen(pilot, terminal, "enter", ValueViewer, "the whole template")
        await close(pilot, terminal, PromptScreen)
        del prompt
    assert WALKS["genai"] <= set(terminal.visited)


async def test_a_store_that_cannot_open_says_so_inertly(tmp_path, terminal):
    """The message screen quotes the store's location: a file named with escapes."""
    missing = tmp_path / f"gone {HOSTILE.replace('/', '_')}.db"
    app = MltuiApp(f"sqlite:///{missing}", settings=Settings(refresh_interval=0))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MessageScreen)
                       and "Cannot open" in screen_text(app), "the message")
        await inert(pilot, terminal, "cannot open")
    assert WALKS["store that cannot open"] <= set(terminal.visited)


async def test_the_recorder_sees_a_leak(terminal):
    """The check itself: raw escapes drawn by a widget are found in what is written."""
    from textual.app import App
    from textual.widgets import Static

    class Leaky(App):
        def compose(self):
            yield Static(Text(f"x {HOSTILE}"))

    async with Leaky().run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        await pilot.pause()
    assert terminal.leaks(), "a raw OSC drawn by a Static went unnoticed"
    assert "\x1b]0;walk-title" in "".join(terminal.chunks)


def test_every_screen_and_dialog_is_walked():
    """A screen added to mltui (or Textual's palette) without a walk here fails."""
    import importlib
    import pkgutil

    import mltui.screens

    for module in pkgutil.iter_modules(mltui.screens.__path__):
        importlib.import_module(f"mltui.screens.{module.name}")
    import mltui.app

    def subclasses(cls: type) -> set[type]:
        found = set(cls.__subclasses__())
        for sub in list(found):
            found |= subclasses(sub)
        return found

    ours = {cls.__name__ for cls in subclasses(Screen) if cls.__module__.startswith("mltui.")
            and not cls.__name__.startswith("Mltui")}  # MltuiScreen, MltuiModal: bases
    walked = set().union(*WALKS.values())
    assert ours - walked == set(), "screens nobody walks over hostile data"
    assert len(walked) >= 22
