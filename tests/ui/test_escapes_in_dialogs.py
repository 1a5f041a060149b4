"""Hostile stored text in the edit dialogs: tag values, descriptions and notes holding
terminal escapes (OSC 0/2 titles ended by ST, an OSC 52 clipboard write, an OSC 8
link, a DCS query, CSI, a raw C1 OSC, BEL, DEL, NUL), written by the real mlflow
client. Each editor opened with its key draws them inert (what it hands the terminal
holds none of them), saves an untouched value byte for byte, and saves an edit as
exactly that edit (read back with MlflowClient)."""

from __future__ import annotations

import re
import shutil

import pytest
from mlflow import MlflowClient
from textual.widgets import DataTable, Input, TextArea

from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.registry_dialogs import TagsDialog, TextEditor
from mltui.screens.runs import RunsScreen
from mltui.screens.value_viewer import ValueViewer
from mltui.textfmt import editable_text, stored_text
from support.apphelp import make_app, screen_segments_text, settle, wait_for, wait_screen
from support.builders import copy_store
from support.registry_steps import open_versions

NOTE = "mlflow.note.content"
HOSTILE = "".join([
    "title\x1b]0;pwned-title\x1b\\ pane\x1b]2;pane\x1b\\ ",
    "clip\x1b]52;c;cHduZWQ=\x1b\\ ",
    "link\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\ ",
    "dcs\x1bP+q544e\x1b\\ csi\x1b[2J\x1b[31mred ",
    "c1\x9d0;c1-title\x9c bel\x07 del\x7f nul\x00 ",
    "pictures ␛ ␦u009d ␦ end",
])
DESCRIPTION = f"# Heading\n{HOSTILE}\r\nsecond line\ttab\u2028after"
TAG_VALUE = f"{HOSTILE}\nline two"
EXPERIMENT = "hostile-exp"
MODEL = "hostile-model"
# what must never reach the terminal: every C0 but none, DEL and C1
FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def build(uri: str) -> dict[str, str]:
    client = MlflowClient(uri)
    eid = client.create_experiment(EXPERIMENT)
    client.set_experiment_tag(eid, NOTE, DESCRIPTION)
    client.set_experiment_tag(eid, "hostile", TAG_VALUE)
    run = client.create_run(eid, run_name="hostile-run")
    run_id = run.info.run_id
    client.set_tag(run_id, NOTE, DESCRIPTION)
    client.set_tag(run_id, "hostile", TAG_VALUE)
    client.set_terminated(run_id)
    client.create_registered_model(MODEL, tags={"hostile": TAG_VALUE}, description=DESCRIPTION)
    client.create_model_version(MODEL, f"runs:/{run_id}/model", run_id=run_id,
                                tags={"hostile": TAG_VALUE}, description=DESCRIPTION)
    return {"experiment": eid, "run": run_id}


@pytest.fixture(scope="module")
def hostile_store(tmp_path_factory) -> tuple:
    """The hostile values added by mlflow to a copy of the shared store, once for the
    module (a new database would spend seconds on MLflow's migrations): (db, ids)."""
    folder = tmp_path_factory.mktemp("hostile")
    uri = copy_store("sqlite", folder)
    return folder / "mlflow.db", build(uri)


@pytest.fixture
def hostile(hostile_store, tmp_path) -> tuple[str, dict[str, str]]:
    """A private copy of it, free to change: (uri, ids)."""
    db, ids = hostile_store
    shutil.copy(db, tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}", ids


def assert_inert(app) -> None:
    drawn = screen_segments_text(app)
    bad = sorted({f"U+{ord(c):04X}" for c in FORBIDDEN.findall(drawn)})
    assert not bad, f"{type(app.screen).__name__} sends {bad} to the terminal"


async def edit_text(pilot, read, original: str) -> None:
    """The editor on top: inert, ctrl+s untouched keeps the value, then + 'x'."""
    editor = await wait_screen(pilot, TextEditor)
    assert_inert(pilot.app)
    area = editor.query_one(TextArea)
    assert "␛]0;pwned-title␛\\" in area.text and "␦u009d" in area.text
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: not isinstance(pilot.app.screen, TextEditor), "closed")
    await settle(pilot)
    assert read() == original
    return editor


async def append_x(pilot, reopen, read, original: str) -> None:
    await reopen()
    editor = await wait_screen(pilot, TextEditor)
    area = editor.query_one(TextArea)
    area.move_cursor(area.document.end)
    await pilot.press("x")
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: read() == original + "x", "the edit saved")
    await settle(pilot)


async def edit_tag(pilot, read, original: str) -> None:
    """The tags dialog on top, its cursor on the tag "hostile": enter untouched
    writes nothing (the value read back equals the stored one), enter after 'x' asks
    (inert) and writes the value plus 'x'."""
    tags = await wait_screen(pilot, TagsDialog)
    assert_inert(pilot.app)
    table = tags.query_one(DataTable)
    table.move_cursor(row=sorted(tags.tags).index("hostile"))
    await pilot.press("e")
    prompt = await wait_screen(pilot, PromptDialog)
    assert_inert(pilot.app)
    assert prompt.query_one(Input).value == editable_text(original, multiline=False)
    await pilot.press("enter")
    await wait_screen(pilot, TagsDialog)
    assert read() == original

    await pilot.press("e")
    await wait_screen(pilot, PromptDialog)
    await pilot.press("end", "x", "enter")
    await wait_screen(pilot, ConfirmDialog)
    assert_inert(pilot.app)
    await pilot.press("y")
    await wait_for(pilot, lambda: read() == original + "x", "the tag saved")
    await wait_screen(pilot, TagsDialog)
    await pilot.press("escape")
    await settle(pilot)


async def test_experiment_and_run_editors_show_escapes_inert_and_save_exactly(hostile):
    uri, ids = hostile
    client = MlflowClient(uri)

    def exp_tag(key):
        return lambda: client.get_experiment(ids["experiment"]).tags.get(key)

    def run_tag(key):
        return lambda: client.get_run(ids["run"]).data.tags.get(key)

    app = make_app(uri, tree=False)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: EXPERIMENT in [e.name for e in screen.shown])

        def to_exp():
            screen.table.move_cursor(row=[e.name for e in screen.shown].index(EXPERIMENT))

        to_exp()
        assert_inert(app)
        await pilot.press("d")
        await edit_text(pilot, exp_tag(NOTE), DESCRIPTION)

        async def describe():
            to_exp()
            await pilot.press("d")

        await append_x(pilot, describe, exp_tag(NOTE), DESCRIPTION)
        to_exp()
        await pilot.press("t")
        await edit_tag(pilot, exp_tag("hostile"), TAG_VALUE)

        # the runs of the experiment: n (note), T (tags), and the value viewer
        await wait_for(pilot, lambda: EXPERIMENT in [e.name for e in screen.shown])
        to_exp()
        await pilot.press("enter")
        runs = await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: runs.table.current_run is not None, "the run")
        assert_inert(app)
        await pilot.press("n")
        await edit_text(pilot, run_tag(NOTE), DESCRIPTION)

        async def note():
            await pilot.press("n")

        await append_x(pilot, note, run_tag(NOTE), DESCRIPTION)
        await wait_for(pilot, lambda: runs.table.current_run is not None
                       and runs.table.current_run.tags.get(NOTE) == DESCRIPTION + "x")
        await pilot.press("T")
        await edit_tag(pilot, run_tag("hostile"), TAG_VALUE)

        app.push_screen(ValueViewer(f"tag hostile{HOSTILE}", TAG_VALUE))
        await wait_screen(pilot, ValueViewer)
        assert_inert(app)
        assert "␛]52;c;cHduZWQ=␛\\" in screen_segments_text(app)


async def test_registry_editors_show_escapes_inert_and_save_exactly(hostile):
    uri, _ids = hostile
    client = MlflowClient(uri)

    def model_description():
        return client.get_registered_model(MODEL).description

    def version_description():
        return client.get_model_version(MODEL, "1").description

    def model_tag():
        return client.get_registered_model(MODEL).tags.get("hostile")

    def version_tag():
        return client.get_model_version(MODEL, "1").tags.get("hostile")

    app = make_app(uri)
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        screen = await open_versions(pilot, MODEL)
        assert_inert(app)
        for key, read in (("d", version_description), ("D", model_description)):
            await pilot.press(key)
            await edit_text(pilot, read, DESCRIPTION)

            async def again(key=key):
                await wait_screen(pilot, type(screen))
                await pilot.press(key)

            await append_x(pilot, again, read, DESCRIPTION)
            await wait_screen(pilot, type(screen))
        for key, read in (("t", version_tag), ("T", model_tag)):
            await pilot.press(key)
            await edit_tag(pilot, read, TAG_VALUE)


def test_the_editable_form_round_trips_and_holds_no_control_character():
    samples = [DESCRIPTION, TAG_VALUE, "", "␦", "␦␦u009d", "␛", "␦x", "\x85\u2029\u202e",
               "".join(chr(c) for c in range(0x00, 0xA0)) + "".join(
                   chr(c) for c in range(0x2400, 0x2428))]
    for text in samples:
        for multiline in (True, False):
            shown = editable_text(text, multiline=multiline)
            assert stored_text(shown) == text
            allowed = "\n\t" if multiline else ""
            assert not [c for c in FORBIDDEN.findall(shown) if c not in allowed]
            # no line break but newline, which an editor would normalise
            assert not re.search("[\r\v\f\x1c-\x1e\x85\u2028\u2029]", shown)
    # deleting a symbol deletes the one character it stands for
    shown = editable_text("a\x1bb\x9dc")
    assert shown == "a␛b␦u009dc"
    assert stored_text(shown.replace("␛", "")) == "ab\x9dc"
    assert stored_text(shown.replace("␦u009d", "")) == "a\x1bbc"
    # a symbol typed in the editor stands for its character; ␦ before it keeps it
    assert stored_text("␛[0m") == "\x1b[0m" and stored_text("␦␛") == "␛"
    assert stored_text("␦u0041 ␦ ␦z") == "␦u0041 ␦ ␦z"
