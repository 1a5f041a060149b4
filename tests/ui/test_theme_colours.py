"""Stage and status colours follow the theme (issue 15): fixed greens and yellows
were hard to read on textual-light. The models and versions tables and the run
screen's status line take the theme's $text-success/$text-warning/$text-error,
and change with it, on a store made by the real mlflow client."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from mltui.screens.models import ModelsScreen
from mltui.screens.run import RunScreen
from support.apphelp import make_app, runs_shown, settle, wait_for, wait_screen
from support.builders import cached_store
from support.registry_steps import MODEL, open_versions


def _uri() -> str:
    return f"sqlite:///{cached_store('sqlite') / 'mlflow.db'}"


def _colour(app, role: str) -> str:
    return app.get_css_variables()[f"text-{role}"].lower()


def _style_of(cell: object) -> str:
    assert isinstance(cell, Text)
    return str(cell.style).lower()


async def test_stage_colours_follow_the_theme():
    app = make_app(_uri())
    async with app.run_test(size=(160, 40)) as pilot:
        versions = await open_versions(pilot)
        column = [str(c.label) for c in versions.table.ordered_columns].index("Stage")

        def stage_style(stage: str) -> str:
            version = next(v.version for v in versions.shown if v.current_stage == stage)
            return _style_of(versions.table.get_row(str(version))[column])

        dark_success, dark_warning = _colour(app, "success"), _colour(app, "warning")
        assert dark_success in stage_style("Production")
        assert dark_warning in stage_style("Staging")
        assert "dim" in stage_style("Archived")

        app.theme = "textual-light"
        await settle(pilot)
        light_success = _colour(app, "success")
        assert light_success != dark_success
        await wait_for(pilot, lambda: light_success in stage_style("Production"),
                       "the versions recoloured")
        assert _colour(app, "warning") in stage_style("Staging")

        await pilot.press("escape")
        models = await wait_screen(pilot, ModelsScreen)
        row = [m.name for m in models.models].index(MODEL)
        stages = models.table.get_row_at(row)[3]
        assert isinstance(stages, Text)
        production = next(span for span in stages.spans
                          if stages.plain[span.start:span.end].startswith("P:"))
        assert light_success in str(production.style).lower()


async def test_run_status_colour_follows_the_theme():
    app = make_app(_uri(), experiment="sweep")
    async with app.run_test(size=(160, 40)) as pilot:
        await runs_shown(pilot)
        await pilot.press("enter")
        screen = await wait_screen(pilot, RunScreen)
        await settle(pilot)
        role = {"FINISHED": "success", "FAILED": "error", "KILLED": "warning",
                "RUNNING": "accent"}[screen.run.status]

        def status_style() -> str:
            info = screen.query_one("#run-info", Static).content
            assert isinstance(info, Text)
            span = next(s for s in info.spans if screen.run.status in info.plain[s.start:s.end])
            return str(span.style).lower()

        assert _colour(app, role) in status_style()
        app.theme = "textual-light"
        await wait_for(pilot, lambda: _colour(app, role) in status_style(),
                       "the status recoloured")
