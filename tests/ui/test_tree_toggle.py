"""t on the runs table never looks like it did nothing: where the list stays flat
(no run has a parent, a filter is set, the deleted view) it says why; where runs
are nested it shows the tree. On a store made by the real mlflow client."""

from __future__ import annotations

from support.apphelp import make_app, runs_shown, screen_text, wait_for, wait_toast
from support.builders import cached_store


def _uri() -> str:
    return f"sqlite:///{cached_store('sqlite') / 'mlflow.db'}"


def _header(app) -> str:
    return screen_text(app).splitlines()[0]


async def test_t_says_why_a_list_without_parents_stays_flat():
    app = make_app(_uri(), experiment="edge cases", tree=False)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await runs_shown(pilot)
        assert "│ flat" in _header(app)
        await pilot.press("t")
        await wait_toast(pilot, "No run here has a parent run")
        await runs_shown(pilot)
        assert screen.tree_mode and "│ flat" in _header(app)
        # t again goes back to the flat list without a word
        await pilot.press("t")
        await runs_shown(pilot)
        assert not screen.tree_mode


async def test_t_shows_the_tree_where_runs_are_nested_and_says_why_not_filtered():
    app = make_app(_uri(), experiment="sweep", tree=False)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await runs_shown(pilot)
        await pilot.press("t")
        await wait_for(pilot, lambda: "│ tree" in _header(app), "the tree")
        assert "top-level run" in _header(app)
        await pilot.press("t", "slash", *"metrics.acc > 0", "enter")
        await wait_for(pilot, lambda: screen.filter_text == "metrics.acc > 0", "the filter")
        await pilot.press("t")
        await wait_toast(pilot, "Tree view applies when no filter is set")
        await wait_for(pilot, lambda: "│ flat" in _header(app), "the flat list")


async def test_t_says_it_again_once_the_store_is_known_to_be_flat():
    app = make_app(_uri(), experiment="edge cases", tree=True)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        screen = await runs_shown(pilot)
        await wait_for(pilot, lambda: screen.nested is False, "the store read as flat")
        await pilot.press("t")  # to the flat list: nothing to explain
        await runs_shown(pilot)
        assert not screen.tree_mode
        await pilot.press("t")
        await wait_toast(pilot, "No run here has a parent run")


async def test_space_on_the_name_column_marks_a_row_that_does_not_fold():
    """h to the name column (to sort by name, say) and space still marks a run that
    is not a parent; on a parent in the tree it opens the parent."""
    app = make_app(_uri(), experiment="sweep", tree=True)
    async with app.run_test(size=(160, 40)) as pilot:
        screen = await runs_shown(pilot)
        table = screen.table
        for _ in range(12):
            await pilot.press("h")
        assert table.focused_column < 0
        rows = screen.rows

        def folds(i: int) -> bool:
            run = rows.run_at(i)
            return run is not None and rows.child_counts.get(run.run_id, 0) > 0

        parent = next(i for i in range(table.line_count) if folds(i))
        table.move_cursor(parent)
        await pilot.press("space")
        await wait_for(pilot, lambda: screen.rows.is_expanded(table.current_run.run_id),
                       "the parent opened")
        assert not table.marks
        # a row that does not fold: marked
        leaf = next(i for i in range(table.line_count) if rows.run_at(i) is not None
                    and rows.line(i).child_index is None and not folds(i)
                    and not rows.is_expanded(rows.run_at(i).run_id))
        table.move_cursor(leaf)
        run_id = table.current_run.run_id
        await pilot.press("space")
        assert run_id in table.marks
