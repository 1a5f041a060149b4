"""The prompt screen on prompts made by ``mlflow.genai.register_prompt`` (sqlite, an
mlruns folder, a tracking server): enter on a prompt in the models screen shows
its versions as ``load_prompt`` has them (template, commit message, aliases), d
diffs two versions (marked with space, or the cursor's and the one before), v
lays the diff side by side, and a hostile template line is shown inert."""

from __future__ import annotations

import json

import pytest

from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.models import ModelsScreen
from mltui.screens.prompts import PromptScreen
from support.apphelp import (
    footer_text,
    make_app,
    screen_segments_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
)
from support.genai_world import CHAT, PROMPT, forget_uris, world

KINDS = ("sqlite", "file", "rest")


@pytest.fixture(scope="module", params=KINDS)
def genai(request, tmp_path_factory):
    import mlflow

    uri, ids = world(request.param, tmp_path_factory.mktemp(f"prompts-{request.param}"))
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri, ids
    forget_uris()


async def open_prompt(pilot) -> PromptScreen:
    await wait_screen(pilot, ExperimentsScreen)
    await pilot.press("m")
    models = await wait_screen(pilot, ModelsScreen)
    await pilot.press("P")
    await wait_for(pilot, lambda: PROMPT in [m.name for m in models.models], "prompts shown")
    target = [m.name for m in models.models].index(PROMPT)
    while models.table.cursor_row != target:
        await pilot.press("j")
    await pilot.press("enter")
    screen = await wait_screen(pilot, PromptScreen)
    await wait_for(pilot, lambda: screen.view is not None, "prompt")
    return screen


def pane(app) -> str:
    return screen_text(app).split("\n", 1)[1]


async def test_versions_templates_and_aliases_as_load_prompt(genai):
    import mlflow

    uri, _ids = genai
    app = make_app(uri)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_prompt(pilot)
        assert [v.version for v in screen.versions] == [3, 2, 1]
        for v in screen.versions:
            ref = mlflow.genai.load_prompt(f"prompts:/{PROMPT}/{v.version}")
            assert (json.loads(v.template) if v.kind == "chat" else v.template) == ref.template
            assert v.message == ref.commit_message
            assert list(v.aliases) == sorted(ref.aliases)
        row = [str(c) for c in screen.table.get_row_at(1)]
        assert row[1:4] == ["v2", "@production", "text"] and row[5] == "commit 2"
        text = screen_text(app)
        assert "@production→v2" in text
        # the cursor is on v3, a chat prompt: one [role] block per message
        for message in CHAT:
            assert f"[{message['role']}]" in text and message["content"] in text
        await pilot.press("j")
        await wait_for(pilot, lambda: "You triage support tickets." in pane(app), "v2 text")
        # hostile text: shown, inert (no escape reaches the terminal, no markup applied)
        assert "[bold]x[/]" in screen_text(app)
        assert "\x1b" not in screen_segments_text(app)
        for key in ("d Diff", "v Side by side", "space Mark A/B"):
            assert key in footer_text(app)


async def test_diff_of_two_versions(genai):
    uri, _ids = genai
    app = make_app(uri)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await open_prompt(pilot)
        # nothing marked: the cursor's version (v3) against the one before (v2)
        await pilot.press("d")
        await wait_for(pilot, lambda: "diff v2 → v3" in screen_text(app), "v2 → v3")
        await pilot.press("d")  # back to the template
        assert screen.diff is None
        # mark v1 and v2 (B then A by position; the older is always the left side)
        await pilot.press("j", "space", "space")
        assert screen.marks == [2, 1]
        assert "marked A=v2 B=v1" in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        diff = screen.diff
        assert diff is not None and (diff.old, diff.new) == (1, 2)
        assert (diff.added, diff.removed) == (2, 0)
        text = screen_text(app)
        assert "diff v1 → v2  +2 -0" in text
        assert "+ You triage support tickets." in text
        assert "+ [bold]x[/] ␛[31mred" in text
        assert "\x1b" not in screen_segments_text(app)
        # v: side by side, both versions' lines in their columns
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)
        assert "side by side" in text
        line = next(x for x in text.splitlines() if "Classify the ticket." in x)
        assert line.count("Classify the ticket.") == 2  # kept: on both sides
        # escape: the diff, then the marks, then the screen
        await pilot.press("escape")
        assert screen.diff is None and screen.marks == [2, 1]
        await pilot.press("escape")
        assert screen.marks == []
        await pilot.press("escape")
        assert isinstance(app.screen, ModelsScreen)


async def test_the_first_version_has_nothing_before_it(genai):
    uri, _ids = genai
    app = make_app(uri)
    async with app.run_test(size=(150, 40), notifications=True) as pilot:
        screen = await open_prompt(pilot)
        await pilot.press("j", "j")
        assert screen.current.version == 1
        await pilot.press("d")
        await settle(pilot)
        assert screen.diff is None
        assert "v1 is the first version" in " ".join(screen_text(app).split())
