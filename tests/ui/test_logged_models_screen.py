"""The logged models screens on data the real ``mlflow`` client logged (sqlite with
file artifacts, an mlruns folder, a tracking server): M on an experiment lists
what ``MlflowClient.search_logged_models`` returns, enter shows one model's params,
metrics, tags and files as ``get_logged_model`` and ``list_logged_model_artifacts``
have them, M on the run screen lists the run's outputs, and M on a version
registered from ``models:/m-…`` opens that model."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from mltui.screens.artifact_browser import ArtifactBrowser
from mltui.screens.experiments import ExperimentsScreen
from mltui.screens.logged_models import LoggedModelScreen, LoggedModelsScreen
from mltui.screens.run import RunScreen
from support.apphelp import footer_text, make_app, screen_text, wait_for, wait_screen
from support.genai_world import forget_uris, world
from support.registry_steps import open_versions

KINDS = ("sqlite", "file", "rest")


@pytest.fixture(scope="module", params=KINDS)
def genai(request, tmp_path_factory):
    """(tracking URI, ids, MlflowClient) of the world of one kind."""
    import mlflow

    uri, ids = world(request.param, tmp_path_factory.mktemp(f"genai-{request.param}"))
    # the file registry asks MlflowClient() with the global URI (see conftest.Backend)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    yield uri, ids, mlflow.MlflowClient(uri)
    forget_uris()


def rows(table: DataTable) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def open_experiment_models(pilot, experiment_id: str) -> LoggedModelsScreen:
    screen = await wait_screen(pilot, ExperimentsScreen)
    await wait_for(pilot, lambda: screen.shown, "experiments")
    target = [e.experiment_id for e in screen.shown].index(str(experiment_id))
    while screen.table.cursor_row != target:
        await pilot.press("j")
    await pilot.press("M")
    listing = await wait_screen(pilot, LoggedModelsScreen)
    await wait_for(pilot, lambda: listing.listing is not None, "logged models")
    return listing


async def test_experiment_models_and_one_model(genai):
    uri, ids, client = genai
    app = make_app(uri)
    async with app.run_test(size=(160, 40)) as pilot:
        listing = await open_experiment_models(pilot, ids["experiment_id"])
        theirs = client.search_logged_models(experiment_ids=[ids["experiment_id"]])
        assert [m.model_id for m in listing.models] == [m.model_id for m in theirs]
        shown = rows(listing.table)
        for row, ref in zip(shown, theirs, strict=True):
            name, model_id, status, _created, source, params, metrics = row[:7]
            assert (name, model_id, status) == (ref.name, ref.model_id, str(ref.status))
            assert int(params) == len(ref.params)
            assert int(metrics) == len({m.key for m in ref.metrics or []})
            assert source == ("agent-eval" if ref.source_run_id else "")
        assert "y Copy model id" in footer_text(app)

        # enter on the READY model: its params, metrics and tags as get_logged_model
        target = [m.model_id for m in listing.models].index(ids["model_id"])
        while listing.table.cursor_row != target:
            await pilot.press("j")
        await pilot.press("enter")
        screen = await wait_screen(pilot, LoggedModelScreen)
        await wait_for(pilot, lambda: screen.detail and screen.detail.experiment_name,
                       "model detail")
        ref = client.get_logged_model(ids["model_id"])
        text = screen_text(app)
        assert ids["model_id"] in text and "agent-eval" in text and "agents" in text
        assert rows(screen.query_one("#lm-params", DataTable)) == sorted(
            [k, v] for k, v in ref.params.items())
        assert rows(screen.query_one("#lm-tags", DataTable)) == sorted(
            [k, v] for k, v in ref.tags.items())
        metrics = [(r[0], float(r[1]), int(r[2]))
                   for r in rows(screen.query_one("#lm-metrics", DataTable))]
        assert metrics == sorted((m.key, m.value, m.step) for m in ref.metrics)

        # the Files tab: the model's own files, as MLflow lists them
        await pilot.press("a")
        browser = await wait_for(pilot, lambda: screen.query_one(ArtifactBrowser), "browser")
        await wait_for(pilot, lambda: browser.listing is not None, "files")
        names = sorted(item.path for item in browser.listing.items)
        artifacts = sorted(f.path for f in client.list_logged_model_artifacts(ids["model_id"]))
        assert names == artifacts and "MLmodel" in names
        await wait_for(pilot, lambda: "MLmodel" in screen_text(app), "the tree on screen")
        browser.go_to("MLmodel", "model:agent")
        await wait_for(pilot, lambda: "python_function" in screen_text(app), "MLmodel preview")

        # o: the source run
        await pilot.press("escape")
        assert isinstance(app.screen, LoggedModelsScreen)
        await pilot.press("enter")
        await wait_screen(pilot, LoggedModelScreen)
        await pilot.press("o")
        run = await wait_screen(pilot, RunScreen)
        assert run.run.run_id == ids["run_id"]


async def test_a_pending_model_without_run_or_files(genai):
    uri, ids, client = genai
    app = make_app(uri)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        listing = await open_experiment_models(pilot, ids["experiment_id"])
        target = [m.model_id for m in listing.models].index(ids["pending_id"])
        while listing.table.cursor_row != target:
            await pilot.press("j")
        await pilot.press("enter")
        screen = await wait_screen(pilot, LoggedModelScreen)
        await wait_for(pilot, lambda: screen.detail and screen.detail.experiment_name,
                       "model detail")
        assert "PENDING" in screen_text(app) and "source run none" in screen_text(app)
        assert str(client.get_logged_model(ids["pending_id"]).status) == "PENDING"
        await pilot.press("o")
        await wait_for(pilot, lambda: "no source run" in screen_text(app), "a one-line refusal")
        await pilot.press("4")
        await wait_for(pilot, lambda: screen.query(ArtifactBrowser), "browser")
        browser = screen.query_one(ArtifactBrowser)
        # nothing was logged: an empty tree or a one-line message, never a crash
        await wait_for(pilot, lambda: "Loading" not in screen_text(app), "files read")
        assert not (browser.listing and browser.listing.items)


async def test_run_screen_lists_its_outputs(genai):
    uri, ids, client = genai
    app = make_app(uri)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_screen(pilot, ExperimentsScreen)
        run = client.get_run(ids["run_id"])
        from mltui.store.entities import Run

        app.push_screen(RunScreen(Run(run_id=ids["run_id"],
                                      experiment_id=run.info.experiment_id)))
        screen = await wait_screen(pilot, RunScreen)
        await wait_for(pilot, lambda: screen.view is not None, "run")
        outputs = [o.model_id for o in run.outputs.model_outputs]
        assert outputs == [ids["model_id"]]
        await pilot.press("M")
        listing = await wait_screen(pilot, LoggedModelsScreen)
        await wait_for(pilot, lambda: listing.listing is not None, "run's models")
        assert [m.model_id for m in listing.models] == outputs
        assert "run agent-eval" in screen_text(app)
        await pilot.press("enter")
        detail = await wait_screen(pilot, LoggedModelScreen)
        assert detail.model_id == ids["model_id"]


async def test_version_from_a_logged_model_opens_it(genai):
    uri, ids, client = genai
    app = make_app(uri)
    async with app.run_test(size=(180, 40), notifications=True) as pilot:
        versions = await open_versions(pilot, "agent-reg")
        mv = client.get_model_version("agent-reg", ids["version"])
        assert mv.source == f"models:/{ids['model_id']}"
        assert ids["model_id"] in screen_text(app)  # the Logged model column
        assert "M Logged model" in footer_text(app)
        await pilot.press("M")
        screen = await wait_screen(pilot, LoggedModelScreen)
        await wait_for(pilot, lambda: screen.detail is not None, "model")
        assert screen.model.model_id == ids["model_id"]
        assert screen.model.source_run_id == mv.run_id
        await pilot.press("escape")
        assert app.screen is versions
