"""The runs table over many pages, as a person uses it, on every backend.

The store (``pages_builder.py``, made by the real mlflow client) holds about
500 runs in ``pages`` (250 of them match the filter, 25 are deleted); the app
fetches 20 at a time, so every screenful crosses a page boundary, a query spans
from 2 to 25 pages, and every reload has pages to lose. Each test presses the
keys a person presses (filter, clear, sort, view, tree, refresh, G, delete...)
and checks what is drawn: the run names on the first and last screens and the
total in the header, against what ``MlflowClient`` returns for the same query.
"""

from __future__ import annotations

import csv
import re

import pytest
from mlflow.entities import ViewType as MlflowViewType

from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.runs import RunsScreen
from support.apphelp import make_app, paste_text, screen_text, settle, wait_for, wait_screen
from support.builders import cached_store
from support.pages_builder import CHILDREN
from support.pages_builder import PAGE_SIZE as PAGES_PAGE_SIZE

PARENT_TAG = "mlflow.parentRunId"
ACTIVE, DELETED, ALL = (MlflowViewType.ACTIVE_ONLY, MlflowViewType.DELETED_ONLY,
                        MlflowViewType.ALL)
TREE_MARKS = ("▸ ", "▾ ", "└ ", "⊘ ")


# -- what MLflow says ----------------------------------------------------------------------


def expected_runs(backend, filter_string="", order_by=None, view=ACTIVE, top_level=False,
                  experiments=("pages",)):
    """The runs MlflowClient returns for a query, in its order. ``top_level``: only
    runs whose parent is not among them (what the tree view lists)."""
    key = (backend.kind, backend.mlflow_uri, filter_string, tuple(order_by or ()), view,
           top_level, experiments)
    if backend.mlflow_uri != f"sqlite:///{cached_store('pages-sqlite') / 'mlflow.db'}":
        return _expected_runs(backend, *key[2:])
    if key not in _EXPECTED:  # the pristine pages store never changes: ask once
        _EXPECTED[key] = _expected_runs(backend, *key[2:])
    return list(_EXPECTED[key])


_EXPECTED: dict[tuple, list] = {}


def _expected_runs(backend, filter_string, order_by, view, top_level, experiments):
    client = backend.client()
    ids = [client.get_experiment_by_name(n).experiment_id for n in experiments]
    order_by = list(order_by) or None
    runs, token = [], None
    while True:
        page = client.search_runs(ids, filter_string, run_view_type=view, max_results=1000,
                                  order_by=order_by, page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            break
    if top_level:
        present = {r.info.run_id for r in runs}
        runs = [r for r in runs if r.data.tags.get(PARENT_TAG) not in present]
    return runs


def names(runs) -> list[str]:
    return [r.info.run_name for r in runs]


# -- what the screen shows -----------------------------------------------------------------


def header(app) -> str:
    return screen_text(app).splitlines()[0]


def shown_total(app) -> str | None:
    """The count in the header, as drawn: '1,234 runs', '56 top-level runs', '…'."""
    match = re.search(r"│ ([\d,]+\+? (?:top-level )?runs|…) │", header(app))
    return match.group(1) if match else None


def visible_names(table) -> list[str | None]:
    """Run names on the table's body lines as drawn (None: a line still loading)."""
    out = []
    for y in range(1, table.size.height):
        text = table.render_line(y).text
        if not text.strip():
            break
        cell = text[4 : 4 + table.name_width].strip()
        if cell.startswith("…"):
            out.append(None)
            continue
        for mark in TREE_MARKS:
            cell = cell.removeprefix(mark)
        out.append(cell.strip())
    return out


async def check_table(pilot, screen, runs, label="runs") -> None:
    """The header shows the total and the first and last screens show ``runs``, in
    order; the cursor ends on the first row again."""
    table = screen.table
    want = names(runs)
    await wait_for(pilot, lambda: shown_total(pilot.app) == f"{len(want):,} {label}",
                   f"total {len(want):,} {label} (shown: {shown_total(pilot.app)})")
    body = table.body_height
    await wait_for(pilot, lambda: visible_names(table) == want[:body],
                   f"first screen {want[:3]}... (shown: {visible_names(table)[:3]}...)")
    # a new query starts at its first row
    assert table.current_run is not None and table.current_run.run_name == want[0]
    if len(want) > body:
        await pilot.press("G")
        await wait_for(pilot, lambda: visible_names(table) == want[-body:],
                       f"last screen ...{want[-3:]} (shown: ...{visible_names(table)[-3:]})")
        assert table.current_run is not None and table.current_run.run_name == want[-1]
        await pilot.press("g")
        await wait_for(pilot, lambda: visible_names(table) == want[:body], "first screen again")
    assert table.current_run is not None and table.current_run.run_name == want[0]


async def open_pages(pilot, name: str = "pages") -> RunsScreen:
    """From the experiments screen: filter by name, enter."""
    await wait_screen(pilot, ExperimentsScreen)
    await pilot.press("slash")
    await paste_text(pilot, name)
    assert [e.name for e in pilot.app.screen.shown][:1] == [name]
    await pilot.press("enter", "enter")
    # no settle: with live refresh on, some worker is always busy
    return await wait_for(pilot, lambda: isinstance(pilot.app.screen, RunsScreen)
                          and pilot.app.screen, "the runs screen")


async def set_filter(pilot, text: str) -> None:
    await pilot.press("slash", "ctrl+u")
    if text:
        await paste_text(pilot, text)
    await pilot.press("enter")


def app_on(backend, **kwargs):
    return make_app(backend.uri, page_size=PAGES_PAGE_SIZE, **kwargs)


# -- on every backend ----------------------------------------------------------------------

FILTER = "metrics.acc > 0.6"


async def test_filter_then_clear_over_many_pages(pages_backend):
    app = app_on(pages_backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await check_table(pilot, screen, expected_runs(pages_backend, top_level=True),
                          "top-level runs")
        await set_filter(pilot, FILTER)
        matched = expected_runs(pages_backend, FILTER)
        assert len(matched) > 10 * PAGES_PAGE_SIZE
        await check_table(pilot, screen, matched)
        await set_filter(pilot, "")
        await check_table(pilot, screen, expected_runs(pages_backend, top_level=True),
                          "top-level runs")


async def test_view_changes_over_many_pages(pages_backend):
    app = app_on(pages_backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await pilot.press("x")  # all: a flat list, deleted runs too
        await check_table(pilot, screen, expected_runs(pages_backend, view=ALL))
        await pilot.press("x")  # deleted only
        deleted = expected_runs(pages_backend, view=DELETED)
        assert len(deleted) > PAGES_PAGE_SIZE
        await check_table(pilot, screen, deleted)
        await pilot.press("x")  # back to active: the tree again
        await check_table(pilot, screen, expected_runs(pages_backend, top_level=True),
                          "top-level runs")


# -- every reloading path, on sqlite and through a tracking server --------------------------


async def test_sort_after_filter_then_default_sort(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        await check_table(pilot, screen, expected_runs(backend, FILTER))
        column = next(i for i, c in enumerate(screen.table.columns) if c.spec == "metrics.acc")
        screen.table.focused_column = column
        await pilot.press("s")  # metrics sort descending first
        await check_table(pilot, screen, expected_runs(backend, FILTER, ["metrics.acc DESC"]))
        await pilot.press("s")
        await check_table(pilot, screen, expected_runs(backend, FILTER, ["metrics.acc ASC"]))
        await pilot.press("S")
        await check_table(pilot, screen, expected_runs(backend, FILTER))


async def test_refresh_keeps_rows_with_and_without_filter(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await pilot.press("r")
        await check_table(pilot, screen, expected_runs(backend, top_level=True),
                          "top-level runs")
        await set_filter(pilot, FILTER)
        await pilot.press("r")
        matched = expected_runs(backend, FILTER)
        await check_table(pilot, screen, matched)
        # r reads the same query again: the cursor stays on its row, three pages down
        table = screen.table
        for _ in range(3):
            await pilot.press("ctrl+f")
        line = table.cursor
        assert line > 2 * PAGES_PAGE_SIZE
        await wait_for(pilot, lambda: table.current_run is not None, "the row under the cursor")
        await pilot.press("r")
        await wait_for(pilot, lambda: table.cursor == line and table.current_run is not None
                       and table.current_run.run_name == names(matched)[line],
                       "the cursor back on its row")


async def test_tree_toggle_over_many_pages(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await pilot.press("t")
        await check_table(pilot, screen, expected_runs(backend))
        await pilot.press("t")
        await check_table(pilot, screen, expected_runs(backend, top_level=True),
                          "top-level runs")


async def test_live_refresh_keeps_a_filtered_table(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend, live=0.2)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        matched = expected_runs(backend, FILTER)
        await check_table(pilot, screen, matched)
        before = screen.refreshes
        await wait_for(pilot, lambda: screen.refreshes >= before + 2, "two live refreshes")
        await check_table(pilot, screen, matched)


async def test_mark_all_and_export_over_many_pages(pages_backend_sr, tmp_path, monkeypatch):
    backend = pages_backend_sr
    monkeypatch.chdir(tmp_path)
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        matched = expected_runs(backend, FILTER)
        await check_table(pilot, screen, matched)
        await pilot.press("A")
        await wait_for(pilot, lambda: len(screen.table.marks) == len(matched), "all marked")
        assert screen.table.marks == {r.info.run_id for r in matched}
        # the confirmation names runs never loaded, and counts in words
        await pilot.press("D")
        dialog = await wait_screen(pilot, ConfirmDialog)
        text = screen_text(app, dialog)
        assert f"Delete {len(matched):,} runs?" in text
        shown = re.findall(r"█ {4}((?:run|parent|child|orphan)[-\w]*) +█", text)
        assert len(shown) == 12 and set(shown) <= set(names(matched))
        assert not re.search(r"\b[0-9a-f]{32}\b", text)
        assert f"and {len(matched) - 12:,} more runs" in text
        await pilot.press("n")
        await wait_screen(pilot, RunsScreen)
        await pilot.press("escape")  # clears the marks, keeps the filter
        await wait_for(pilot, lambda: not screen.table.marks, "marks cleared")
        assert screen.filter_text == FILTER
        await pilot.press("e")
        dialog = await wait_screen(pilot, PromptDialog)
        target = tmp_path / "all.csv"
        dialog.query_one("Input").value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, target.exists, "export written")
        await settle(pilot)
        with open(target, newline="") as fh:
            rows = list(csv.DictReader(fh))
        assert [r["run_id"] for r in rows] == [r.info.run_id for r in matched]


async def test_filter_after_G_shows_the_first_rows(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await pilot.press("G")
        top = expected_runs(backend, top_level=True)
        await wait_for(pilot, lambda: visible_names(screen.table)[-1:] == names(top)[-1:],
                       "the last run")
        await set_filter(pilot, "params.optimizer = 'sgd'")
        await check_table(pilot, screen, expected_runs(backend, "params.optimizer = 'sgd'"))


async def test_expand_a_parent_on_a_late_page(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        top = expected_runs(backend, top_level=True)
        first_parent = names(top).index("parent-00")  # the oldest parent: the last pages
        assert first_parent > 10 * PAGES_PAGE_SIZE
        await pilot.press("G")
        table = screen.table
        await wait_for(pilot, lambda: "parent-00" in visible_names(table), "parent-00 drawn")
        while table.current_run is None or table.current_run.run_name != "parent-00":
            await pilot.press("k")
        await pilot.press("o")
        parent_id = table.current_run.run_id
        children = names(expected_runs(backend, f"tags.`{PARENT_TAG}` = '{parent_id}'"))
        assert len(children) == CHILDREN
        line = table.cursor

        def under_parent():
            shown = visible_names(table)
            at = shown.index("parent-00") if "parent-00" in shown else None
            return at is not None and shown[at + 1 : at + 1 + CHILDREN] == children

        await wait_for(pilot, under_parent, f"children {children[:2]}... under parent-00")
        await pilot.press("o")  # folds again
        await wait_for(pilot, lambda: not under_parent(), "children folded")
        assert table.cursor == line


async def test_experiment_prefetch_then_filter_and_clear(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend, experiment="pages", prefetch=True)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        top = expected_runs(backend, top_level=True)
        await check_table(pilot, screen, top, "top-level runs")
        await set_filter(pilot, FILTER)
        await check_table(pilot, screen, expected_runs(backend, FILTER))
        await set_filter(pilot, "")
        await check_table(pilot, screen, top, "top-level runs")


async def test_escape_clears_the_filter_then_leaves(pages_backend_sr):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        await check_table(pilot, screen, expected_runs(backend, FILTER))
        await pilot.press("escape")
        assert app.screen is screen and screen.filter_text == ""
        await check_table(pilot, screen, expected_runs(backend, top_level=True),
                          "top-level runs")
        await pilot.press("escape")
        await wait_screen(pilot, ExperimentsScreen)
        screen = await open_pages(pilot, "pages-b")
        await check_table(pilot, screen, expected_runs(backend, experiments=("pages-b",)))


async def test_delete_parent_leaves_orphans_visible_then_restore(writable_pages_backend):
    backend = writable_pages_backend
    app = app_on(backend)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_pages(pilot)
        table = screen.table
        top = expected_runs(backend, top_level=True)
        assert names(top)[0] == "orphaning-parent"
        await check_table(pilot, screen, top, "top-level runs")
        await pilot.press("D")
        dialog = await wait_screen(pilot, ConfirmDialog)
        assert "orphaning-parent" in screen_text(app, dialog)
        assert "Delete 1 run?" in screen_text(app, dialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.total != len(top), "table reloaded")
        after = expected_runs(backend, top_level=True)
        assert names(after)[:3] == ["orphan-2", "orphan-1", "orphan-0"]
        await check_table(pilot, screen, after, "top-level runs")
        assert "⊘ orphan-2" in table.render_line(1).text  # marked as an orphan
        # deleted view, restore it
        await pilot.press("x", "x")
        deleted = expected_runs(backend, view=DELETED)
        await check_table(pilot, screen, deleted)
        assert names(deleted)[0] == "orphaning-parent"
        await pilot.press("R")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("y")
        await wait_for(pilot, lambda: screen.total == len(deleted) - 1, "restored")
        await check_table(pilot, screen, expected_runs(backend, view=DELETED))
        await pilot.press("x")
        await check_table(pilot, screen, top, "top-level runs")


@pytest.mark.parametrize("size", [(80, 24)])
async def test_small_terminal_filter(pages_backend_sr, size):
    backend = pages_backend_sr
    app = app_on(backend)
    async with app.run_test(size=size) as pilot:
        screen = await open_pages(pilot)
        await set_filter(pilot, FILTER)
        await check_table(pilot, screen, expected_runs(backend, FILTER))
