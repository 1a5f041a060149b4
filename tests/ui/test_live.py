"""Live refresh: new runs appear while a person looks at the table, and the
cursor stays on the run it was on."""

from mlflow import MlflowClient

from mltui.screens.runs import RunsScreen
from support.apphelp import make_app, screen_text, settle, wait_for, wait_screen


async def test_new_runs_appear_and_the_cursor_stays_on_its_run(writable_sql_uri):
    client = MlflowClient(writable_sql_uri)
    exp = client.get_experiment_by_name("edge cases")
    app = make_app(writable_sql_uri, experiment="edge cases", live=True)
    # a short terminal, so that the table scrolls and the view position matters
    async with app.run_test(size=(120, 9)) as pilot:
        screen = await wait_screen(pilot, RunsScreen)
        await settle(pilot)
        before = screen.total
        assert screen.table.body_height < before + 2
        await pilot.press("j", "j", "j")
        watched = screen.table.current_run.run_id
        offset = screen.table.cursor - int(screen.table.scroll_y)

        # a training job starts two runs meanwhile (newest first: above the cursor)
        for i in range(2):
            client.create_run(exp.experiment_id, run_name=f"live-{i}")
        screen._tick()
        await settle(pilot)
        await wait_for(pilot, lambda: screen.total == before + 2)

        names = [screen.rows.run_at(i).run_name for i in range(2)]
        assert names == ["live-1", "live-0"]
        assert screen.table.current_run.run_id == watched
        assert screen.table.cursor - int(screen.table.scroll_y) == offset

        # a RUNNING run that finishes shows its new status on the next tick
        running = screen.rows.run_at(0)
        assert running.status == "RUNNING"
        client.set_terminated(running.run_id, "FAILED")
        screen._tick()
        await settle(pilot)
        await wait_for(pilot, lambda: screen.rows.run_at(0).status == "FAILED")
        assert screen.table.current_run.run_id == watched


async def test_pausing_stops_the_refresh(writable_sql_uri):
    """Over real time: with a short interval, a paused table reads nothing while
    ticks pass, and follows again once resumed."""
    client = MlflowClient(writable_sql_uri)
    exp = client.get_experiment_by_name("edge cases")
    app = make_app(writable_sql_uri, experiment="edge cases", live=0.1)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                                and app.screen, "the runs screen")
        await wait_for(pilot, lambda: screen.refreshes >= 1, "a first live refresh")
        before = screen.total
        await pilot.press("p")
        assert not screen.live and "paused" in screen_text(app).splitlines()[0]
        refreshes = screen.refreshes
        client.create_run(exp.experiment_id, run_name="unseen")
        await pilot.pause(1.0)  # ten intervals
        assert screen.refreshes == refreshes and screen.total == before
        await pilot.press("p")
        await wait_for(pilot, lambda: screen.total == before + 1, "the new run after resuming")
        assert screen.refreshes > refreshes
