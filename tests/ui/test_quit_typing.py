"""A word typed where keys are expected, starting with q, quits and opens nothing."""

from __future__ import annotations

from textual import events

from mltui.screens.experiments import ExperimentsScreen
from support.apphelp import make_app, wait_for
from support.builders import cached_store


async def test_keys_after_q_open_nothing_while_the_app_closes():
    # "question": q quits, and t would open the tags dialog of the experiment
    # under the cursor while the app tears its screens down
    uri = f"sqlite:///{cached_store('traces-sqlite') / 'mlflow.db'}"
    app = make_app(uri)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        for key in "question":
            app.post_message(events.Key(key, key))
        await pilot.pause(0.5)
        assert app.quitting
        assert [type(s).__name__ for s in app.screen_stack][-1] == "ExperimentsScreen"
    assert app.return_code in (0, None)
