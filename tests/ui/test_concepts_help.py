"""MLflow's concepts in the help (issue 15): `?` has a Keys page and a Concepts page,
both narrowed by / ; the palette opens the Concepts page ("Concepts", "Concepts: Trace
and span"); every key a concept's "where" names is bound on the screen it names."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette
from textual.widgets import Input

from mltui.app import MltuiApp
from mltui.concepts import CONCEPTS, find_concepts
from mltui.screens.artifact_browser import ArtifactBrowser
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.help import HelpScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.screens.versions import VersionsScreen
from support.apphelp import make_app, screen_text, type_text, wait_for, wait_screen

ISSUE_CONCEPTS = {
    "run", "experiment", "parameter", "metric", "tag", "artifact", "model", "logged-model",
    "registered-model", "stage-alias", "registry", "tracking-server", "tracking-uri",
    "backend-store", "artifact-store", "project", "serving", "trace",
}


def test_every_concept_of_the_issue_is_explained():
    assert {c.name for c in CONCEPTS} == ISSUE_CONCEPTS
    for c in CONCEPTS:
        assert len(c.body) > 150 and c.where, c.name
    # looked up by the words people use
    assert [c.name for c in find_concepts("span")] == ["trace"]
    assert [c.name for c in find_concepts("alias")] == ["stage-alias"]
    assert [c.name for c in find_concepts("Flavor")] == ["model"]
    assert find_concepts("") == list(CONCEPTS)
    assert find_concepts("no such thing") == []
    stage = find_concepts("stage")[0]
    assert "deprecated" in stage.body and "models:/NAME@ALIAS" in stage.body
    assert "mlflow models serve -m models:/NAME@ALIAS" in find_concepts("serving")[0].body


# (concept, where the key is bound, key, action): what each "where" promises
CLAIMS = [
    ("experiment", ExperimentsScreen, "enter", "open"),
    ("experiment", ExperimentsScreen, "y", "copy_id"),
    ("experiment", ExperimentsScreen, "U", "copy_artifact_uri"),
    ("run", RunsScreen, "t", "toggle_tree"),
    ("run", RunsScreen, "y", "copy_id"),
    ("run", RunScreen, "y", "copy_id"),
    ("run", RunScreen, "6", "tab(5)"),
    ("parameter", RunsScreen, "c", "columns"),
    ("parameter", RunsScreen, "C", "compare"),
    ("parameter", RunsScreen, "Y", "copy_value"),
    ("parameter", RunScreen, "3", "tab(2)"),
    ("metric", RunsScreen, "s", "sort"),
    ("metric", RunsScreen, "v", "charts"),
    ("metric", RunScreen, "2", "tab(1)"),
    ("tag", RunsScreen, "T", "tags"),
    ("tag", ExperimentsScreen, "t", "tags"),
    ("tag", VersionsScreen, "t", "version_tags"),
    ("tag", VersionsScreen, "T", "model_tags"),
    ("artifact", RunsScreen, "a", "artifacts"),
    ("artifact", RunScreen, "a", "artifacts"),
    ("artifact", RunScreen, "U", "copy_artifact_uri"),
    ("artifact", ArtifactBrowser, "y", "copy_uri"),
    ("artifact", ArtifactBrowser, "s", "save"),
    ("model", ArtifactBrowser, "c", "copy_serve"),
    ("logged-model", ExperimentsScreen, "M", "logged_models"),
    ("logged-model", RunsScreen, "M", "logged_models"),
    ("logged-model", RunScreen, "M", "logged_models"),
    ("logged-model", VersionsScreen, "M", "logged_model"),
    ("registered-model", MltuiApp, "m", "models"),
    ("registered-model", VersionsScreen, "enter", "open_run"),
    ("registered-model", VersionsScreen, "n", "create_version"),
    ("registered-model", VersionsScreen, "y", "copy_uri"),
    ("registered-model", ModelsScreen, "y", "copy_name"),
    ("stage-alias", VersionsScreen, "s", "stage"),
    ("stage-alias", VersionsScreen, "a", "alias"),
    ("stage-alias", VersionsScreen, "A", "delete_alias"),
    ("registry", MltuiApp, "m", "models"),
    ("artifact-store", ExperimentsScreen, "U", "copy_artifact_uri"),
    ("serving", VersionsScreen, "c", "copy_serve"),
    ("trace", ExperimentsScreen, "T", "traces"),
    ("trace", RunScreen, "T", "traces"),
    ("trace", RunsScreen, "ctrl+t", "traces"),
]


@pytest.mark.parametrize(("name", "owner", "key", "action"), CLAIMS,
                         ids=[f"{c[0]}-{c[2]}-{c[1].__name__}" for c in CLAIMS])
def test_the_keys_a_concept_names_are_bound_there(name, owner, key, action):
    concept = next(c for c in CONCEPTS if c.name == name)
    assert key in concept.where, (name, key)
    bound = {(k, b.action) for b in owner.BINDINGS for k in b.key.split(",")}
    assert (key, action) in bound, f"{owner.__name__} binds no {key} -> {action}"


def box_text(app, help_screen: HelpScreen) -> str:
    """The help box only: the lines between its borders (the screen below shows too)."""
    return "\n".join(line.split("█")[1] for line in screen_text(app, help_screen).splitlines()
                     if line.count("█") >= 2)


def visible_concepts(help_screen: HelpScreen) -> list[str]:
    return [c.name for c in CONCEPTS
            if help_screen.query_one(f"#title-{c.name}").display]


async def test_help_has_keys_and_concepts_pages_searchable(sql_uri):
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("question_mark")
        help_screen = await wait_screen(pilot, HelpScreen)
        text = box_text(app, help_screen)
        assert "1 Keys" in text and "2 Concepts" in text
        assert "Experiments" in text and "Filter" in text  # the experiments screen's keys

        # / narrows the keys to the words typed
        await pilot.press("slash")
        await type_text(pilot, "copy")
        await wait_for(pilot, lambda: "Filter" not in box_text(app, help_screen),
                       "keys narrowed")
        text = box_text(app, help_screen)
        assert "Copy id" in text and "Copy artifact location" in text

        # the same words narrow the concepts page; tab there keeps the search
        await pilot.press("enter")  # leaves the box, the search stays
        await pilot.press("2")
        assert help_screen.page == "concepts"
        search = help_screen.query_one("#help-search", Input)
        search.value = "copies"
        await wait_for(pilot, lambda: "run" in visible_concepts(help_screen), "copies")
        shown = visible_concepts(help_screen)
        assert "serving" in shown and "registry" not in shown
        search.value = "span"
        await wait_for(pilot, lambda: visible_concepts(help_screen) == ["trace"], "span")
        assert "Trace and span" in box_text(app, help_screen)
        search.value = "no such word"
        await wait_for(pilot, lambda: "No concept matches" in box_text(app, help_screen),
                       "nothing found")

        # escape in the box ends the search; escape again closes the help
        await pilot.press("slash", "escape")
        assert isinstance(app.screen, HelpScreen)
        await wait_for(pilot, lambda: len(visible_concepts(help_screen)) == len(CONCEPTS),
                       "every concept back")
        await pilot.press("1")
        assert "Filter" in box_text(app, help_screen)
        await pilot.press("escape")
        await wait_screen(pilot, ExperimentsScreen)


@pytest.mark.parametrize("query", ["concepts", "trace and span"])
async def test_palette_opens_the_concepts_page(sql_uri, query):
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("colon")
        palette = await wait_screen(pilot, CommandPalette)
        await type_text(pilot, query)
        label = "Concepts: Trace and span" if query != "concepts" else "Concepts"
        await wait_for(pilot, lambda: label in screen_text(app, palette), f"{label} offered")
        await pilot.press("enter")
        help_screen = await wait_screen(pilot, HelpScreen)
        assert help_screen.page == "concepts"
        if query != "concepts":
            # scrolled to it: its title on screen, the first concept's not
            await wait_for(pilot, lambda: "Trace and span" in box_text(app, help_screen),
                           "trace concept shown")
            assert "Experiment\n" not in box_text(app, help_screen)


async def test_palette_offers_textual_themes(sql_uri):
    """Textual's own "Theme" command is there beside ours (App.COMMANDS kept)."""
    app = make_app(sql_uri)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        await pilot.press("ctrl+p")
        palette = await wait_screen(pilot, CommandPalette)
        await type_text(pilot, "theme")
        await wait_for(pilot, lambda: "Change the current theme" in screen_text(app, palette),
                       "Theme command")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "textual-light" in screen_text(app), "theme list")
        await type_text(pilot, "textual-light")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.theme == "textual-light", "light theme")
        # remembered for the next start (state.json), while config.toml says nothing new
        assert app.state.get("ui", "theme") == "textual-light"
    again = make_app(sql_uri)
    assert again.theme == "textual-light"
