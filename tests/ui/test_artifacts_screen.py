"""The artifact browser driven with Pilot: the tree and the preview beside it,
find, the same artifact across runs, save / copy / open, hostile files, a
failing server, artifacts through a real tracking server's proxy, and the
browser inside a tab."""

from __future__ import annotations

import contextlib
import sys

import pytest

from mltui.screens.artifact_browser import ArtifactBrowser
from mltui.screens.artifacts import ArtifactsScreen
from mltui.screens.dialogs import ConfirmDialog, PromptDialog
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.run import RunScreen
from mltui.screens.runs import RunsScreen
from mltui.store.entities import Run
from mltui.views.preview_types import ImagePreview, MessagePreview, ModelPreview, TextPreview
from support.apphelp import (
    make_app,
    screen_segments_text,
    screen_text,
    settle,
    wait_for,
    wait_screen,
)
from support.artifact_world import BIG_LOG_LINES, big_log_line, server_world, world
from support.hostile_server import RUN_ID, serving


@pytest.fixture(scope="module")
def local():
    return world("sqlite")


async def open_artifacts(pilot, run_ids: list[str], start: int = 0) -> ArtifactsScreen:
    app = pilot.app
    await wait_screen(pilot, ExperimentsScreen)
    runs = [app.store.get_run(rid).run for rid in run_ids]
    app.push_screen(ArtifactsScreen(runs, start))
    screen = await wait_screen(pilot, ArtifactsScreen)
    await wait_for(pilot, lambda: screen.browser.preview is not None, "the first preview")
    return screen


async def show(pilot, screen: ArtifactsScreen, path: str, key: str = ""):
    """Put the cursor on ``path`` and wait for its preview."""
    browser = screen.browser
    browser.go_to(path, key)
    await wait_for(pilot, lambda: browser.preview is not None and browser.item is not None
                   and browser.item.path == path and browser.preview.path.endswith(
                       path.rsplit("/", 1)[-1] if path else "MLmodel"),
                   f"the preview of {path}")
    await settle(pilot)
    return browser.preview


async def test_the_tree_shows_sizes_and_the_preview_follows_the_cursor(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        assert "big/" in screen_text(app) and f"model: model ({ids['model_id'][:10]}…)" in \
            screen_text(app)
        assert "run-a" in screen_text(app).splitlines()[0]
        await pilot.press("l")  # open "big"
        await wait_for(pilot, lambda: "train-big.log  4.0 MB" in screen_text(app),
                       "the file and its size")
        await pilot.press("j")
        await wait_for(pilot, lambda: isinstance(screen.browser.preview, TextPreview))
        await wait_for(pilot, lambda: "step 000000 loss 1.000000" in screen_text(app))
        await pilot.press("j")  # classic_model: a folder holding MLmodel shows the model
        await wait_for(pilot, lambda: isinstance(screen.browser.preview, ModelPreview))
        await wait_for(pilot, lambda: f"mlflow models serve -m runs:/{ids['run_a']}/"
                       "classic_model" in screen_text(app), "the serve command")


async def test_each_kind_of_preview_is_drawn(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        expected = {
            "README.md": ("Model card", "Trained on fraud data."),  # rendered, no ** left
            "data/sample.csv": ("id │ name   │ score", "3  │ gam,ma │ 1.0"),
            "tables/predictions.json": ("prediction │ label",),
            "blob.bin": ("00000000  00 01 02 03", "|................|"),
            "config.yaml": ("lr: 0.001",),
            "images/photo.jpg": ("JPEG image · 40x30 px", "▀"),
        }
        for path, texts in expected.items():
            await show(pilot, screen, path)
            for text in texts:
                await wait_for(pilot, lambda t=text: t in screen_text(app),
                               f"{text!r} of {path}")
        assert "**" not in screen_text(app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "finds an artifact by name" in screen_text(app), "help")


async def test_g_goes_to_the_tail_of_a_big_log_and_search_finds_lines(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        await show(pilot, screen, "big/train-big.log")
        await pilot.press("tab")
        assert screen.browser.pane.has_focus
        last = big_log_line(BIG_LOG_LINES - 1).strip()
        assert last not in screen_text(app)
        await pilot.press("G")
        await wait_for(pilot, lambda: last in screen_text(app), "the last line")
        await pilot.press("g", "slash", *"000123 loss", "enter")
        await wait_for(pilot, lambda: "step 000123 loss" in screen_text(app), "the match")
        assert screen.browser.pane.searching
        await pilot.press("escape")  # ends the search, stays on the screen
        assert not screen.browser.pane.searching and isinstance(app.screen, ArtifactsScreen)


async def test_find_by_name_opens_the_folders_on_the_way(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        await pilot.press("slash", *"confusion", "enter")
        browser = screen.browser
        await wait_for(pilot, lambda: browser.item is not None
                       and browser.item.path == "eval/confusion.json", "the found file")
        await wait_for(pilot, lambda: '"labels": [' in screen_text(app))


async def test_n_and_N_show_the_same_artifact_in_the_other_runs(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"], ids["run_b"]])
        await show(pilot, screen, "eval/confusion.json")
        assert "50," in screen_text(app) and "run 1/2" in screen_text(app)
        await pilot.press("n")
        await wait_for(pilot, lambda: "run 2/2" in screen_text(app) and "run-b" in
                       screen_text(app) and "40," in screen_text(app), "run B's matrix")
        assert screen.browser.item.path == "eval/confusion.json"
        await pilot.press("N")
        await wait_for(pilot, lambda: "50," in screen_text(app) and "run 1/2" in
                       screen_text(app), "run A's matrix again")
        await show(pilot, screen, "plots/gradient.png")
        await pilot.press("n")  # run B has no such plot: one line says so
        await wait_for(pilot, lambda: "No plots/gradient.png in this run" in screen_text(app))


async def test_save_asks_where_and_never_overwrites_silently(local, tmp_path):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        await show(pilot, screen, "train.log")
        await pilot.press("s")
        dialog = await wait_screen(pilot, PromptDialog)
        dialog.query_one("Input").value = str(tmp_path)
        await pilot.press("enter")
        saved = tmp_path / "train.log"
        await wait_for(pilot, saved.exists, "the saved file")
        assert saved.read_text() == "epoch 1 loss 0.9\nepoch 2 loss 0.5\n"
        saved.write_text("mine")
        await pilot.press("s")
        dialog = await wait_screen(pilot, PromptDialog)
        dialog.query_one("Input").value = str(tmp_path)
        await pilot.press("enter")
        await wait_screen(pilot, ConfirmDialog)
        await pilot.press("n")
        await wait_screen(pilot, ArtifactsScreen)
        assert saved.read_text() == "mine"
        await pilot.press("s")
        dialog = await wait_screen(pilot, PromptDialog)
        dialog.query_one("Input").value = str(tmp_path / "no-such-folder")
        await pilot.press("enter")
        await wait_for(pilot, lambda: "No such folder" in screen_text(app))
        assert not (tmp_path / "no-such-folder").exists()


async def test_y_copies_the_uri_c_the_serve_command_o_opens_a_copy(local, tmp_path,
                                                                 monkeypatch):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        await show(pilot, screen, "train.log")
        await pilot.press("y")
        assert app.clipboard == screen.browser.item.source.uri("train.log")
        assert app.clipboard.startswith("file://") and app.clipboard.endswith(
            f"{ids['run_a']}/artifacts/train.log")
        out = tmp_path / "seen.txt"
        script = f"import shutil, sys; shutil.copy(sys.argv[1], {str(out)!r})"
        monkeypatch.setenv("PAGER", f"{sys.executable} -c {script!r}")
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
        await pilot.press("o")
        await wait_for(pilot, out.exists, "the pager's copy")
        assert out.read_text().startswith("epoch 1")
        await show(pilot, screen, "MLmodel", "model:model")
        await pilot.press("c")
        assert app.clipboard == f"mlflow models serve -m models:/{ids['model_id']}"


async def test_hostile_files_never_reach_the_terminal(local):
    uri, ids = local
    app = make_app(uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        await show(pilot, screen, "hostile/escapes.log")
        assert "before ␛[2J" in screen_text(app)
        assert "\x1b" not in screen_segments_text(app) and "\x07" not in \
            screen_segments_text(app)
        preview = await show(pilot, screen, "hostile/truncated.png")
        assert isinstance(preview, MessagePreview)
        assert "Cannot decode this PNG image: image file is truncated" in screen_text(app)
        preview = await show(pilot, screen, "plots/gradient.png")
        assert isinstance(preview, ImagePreview) and "▀" in screen_text(app)
        await show(pilot, screen, "hostile/invalid-utf8.txt")
        assert "not valid UTF-8" in screen_text(app)


async def test_a_hostile_server_gets_one_line_per_failure(monkeypatch):
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with serving() as url:
        app = make_app(url)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = await open_artifacts(pilot, [RUN_ID])
            for path, message in (("../../etc/passwd", "Invalid artifact path"),
                                  ("boom.txt", "HTTP 500"),
                                  ("gone.txt", "No artifact file at gone.txt")):
                preview = await show(pilot, screen, path)
                assert isinstance(preview, MessagePreview), path
                assert message in preview.message and "\n" not in preview.message
                assert message in screen_text(app)
            assert "../../etc/passwd (invalid path)" in screen_text(app)
            preview = await show(pilot, screen, "ok.txt")
            assert isinstance(preview, TextPreview) and preview.head == ["hello"]


async def test_artifacts_through_a_tracking_server(tmp_path_factory):
    server, ids = server_world(tmp_path_factory.mktemp("aw-server"))
    app = make_app(server.uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await open_artifacts(pilot, [ids["run_a"]])
        assert screen.run.artifact_uri.startswith("mlflow-artifacts:")
        await show(pilot, screen, "big/train-big.log")
        await pilot.press("tab", "G")
        last = big_log_line(BIG_LOG_LINES - 1).strip()
        await wait_for(pilot, lambda: last in screen_text(app), "the tail, by HTTP Range")
        preview = await show(pilot, screen, "MLmodel", "model:model")
        assert isinstance(preview, ModelPreview)
        assert preview.model.requirements


async def test_from_the_runs_table_the_run_screen_tab_and_a(local):
    """The paths a person takes: the run's Artifacts tab (6), a for full size, and a
    in the runs table with two runs marked (n there: the other run)."""
    uri, ids = local
    app = make_app(uri, experiment="artifact-world", tree=False)
    async with app.run_test(size=(140, 40)) as pilot:
        runs = await wait_screen(pilot, RunsScreen)
        await wait_for(pilot, lambda: len(runs.table.marks) == 0 and runs.table.current_run)
        names = [runs.table.current_run.run_name]
        await pilot.press("enter")
        run_screen = await wait_screen(pilot, RunScreen)
        await pilot.press("6")
        browser = await wait_for(pilot, lambda: run_screen.query(ArtifactBrowser).first()
                                 if run_screen.query(ArtifactBrowser) else None, "the tab")
        await wait_for(pilot, lambda: browser.listing is not None and browser.preview)
        shown = {item.name for item in browser.listing.items}
        assert shown and all(name in screen_text(app) for name in shown)
        await pilot.press("a")
        full = await wait_screen(pilot, ArtifactsScreen)
        assert full.run.run_name == names[0]
        await pilot.press("escape")
        await wait_screen(pilot, RunScreen)
        await pilot.press("escape")
        await wait_screen(pilot, RunsScreen)
        await pilot.press("space", "space")  # marks this run and the next
        await wait_for(pilot, lambda: len(runs.table.marks) == 2, "two marks")
        await pilot.press("a")
        full = await wait_screen(pilot, ArtifactsScreen)
        assert {r.run_id for r in full.runs} == {ids["run_a"], ids["run_b"]}
        first = full.run.run_id
        await wait_for(pilot, lambda: full.browser.listing is not None
                       and full.browser.listing.run.run_id == first)
        await pilot.press("n")
        await wait_for(pilot, lambda: full.browser.listing is not None
                       and full.browser.listing.run.run_id != first, "the other run")
        other = full.run.run_name
        assert other in screen_text(app).splitlines()[0] and "/2  n/N" in screen_text(app)


def test_the_screen_needs_a_run():
    with pytest.raises(ValueError):
        ArtifactsScreen([])
    screen = ArtifactsScreen([Run("a", "0"), Run("b", "0")], start=5)
    assert screen.run.run_id == "b"
