"""A refused login is not retried on its own (issue 14): the experiments screen asks
again every RETRY_SECONDS after a failure the server may recover from (down, 500),
but a 401 from MLflow's own basic-auth app (``mlflow server --app-name basic-auth``)
would only be repeated: the screen says so, asks nothing more until r, and r asks
again by hand. The server's access log counts the requests it got.

Two ways to be refused: no credentials at all, and credentials revoked while the
list is on screen (the admin deletes the user): then the last list stays, marked
stale, without "retrying".
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import mltui.screens.experiments as experiments_module
from mltui.screens.experiments import ExperimentsScreen
from mltui.widgets.status_bar import StatusBar
from support.apphelp import make_app, screen_text, wait_for, wait_screen
from support.faults import FaultServer
from support.servers import MlflowServer

RETRY = 0.3
"""RETRY_SECONDS in these tests: a retry would come many times within QUIET."""
QUIET = 2.0
"""Seconds watched for a request that must not come (over six retry intervals)."""
ADMIN_PASSWORD = "admin-Passw0rd-long"
USER, USER_PASSWORD = "bob", "bob-Passw0rd-long"


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("basic-auth"), app_name="basic-auth", env={
        "MLFLOW_AUTH_ADMIN_PASSWORD": ADMIN_PASSWORD,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-secret",
    })
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch) -> None:
    monkeypatch.setattr(experiments_module, "RETRY_SECONDS", RETRY)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                 "MLFLOW_TRACKING_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def searches(server: MlflowServer, status: str = "") -> int:
    """``experiments/search`` requests in the server's access log (answered ``status``)."""
    log = (Path(server.root) / "server.log").read_text(errors="replace")
    return sum(1 for line in log.splitlines()
               if "/experiments/search" in line and status in line)


def status(app) -> str:
    return app.screen.query_one(StatusBar).plain


def admin(server: MlflowServer, method: str, endpoint: str, **body: str) -> None:
    response = httpx.request(method, f"{server.uri}/api/2.0/mlflow/{endpoint}", json=body,
                             auth=("admin", ADMIN_PASSWORD), timeout=30)
    response.raise_for_status()


async def test_without_credentials_the_401_is_not_retried_but_r_asks_again(auth_server):
    before = searches(auth_server)
    app = make_app(auth_server.uri)
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: screen.error is not None, "the refusal")
        assert "HTTP 401" in screen.error and "\n" not in screen.error
        await wait_for(pilot, lambda: searches(auth_server, "401") == before + 1, "logged")
        # nothing must happen now: watched for many retry intervals
        await asyncio.sleep(QUIET)
        assert searches(auth_server) == before + 1, "the refusal was asked again on its own"
        text = await wait_for(pilot, lambda: "Cannot list the experiments" in
                              screen_text(app) and screen_text(app), "the refusal drawn")
        assert "not retried on its own" in text and "r retries" in text
        assert "retrying every" not in text
        await pilot.press("r")  # by hand: asked again, refused again, still not retried
        await wait_for(pilot, lambda: searches(auth_server, "401") == before + 2, "r")
        await wait_for(pilot, lambda: screen.error is not None and not screen.listing)
        await asyncio.sleep(QUIET)
        assert searches(auth_server) == before + 2


async def test_credentials_revoked_keep_the_list_stale_without_retrying(auth_server,
                                                                       monkeypatch):
    admin(auth_server, "POST", "users/create", username=USER, password=USER_PASSWORD)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", USER)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", USER_PASSWORD)
    app = make_app(auth_server.uri)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen = await wait_screen(pilot, ExperimentsScreen)
        await wait_for(pilot, lambda: screen.experiments, "the list, as bob")
        admin(auth_server, "DELETE", "users/delete", username=USER)
        before = searches(auth_server)
        await pilot.press("r")
        await wait_for(pilot, lambda: screen.error is not None, "the refusal")
        assert "HTTP 401" in screen.error
        await wait_for(pilot, lambda: "stale: last read" in status(app), "stale")
        assert "retrying" not in status(app) and "r retries" in status(app)
        assert "Default" in screen_text(app), "the last good list stays"
        await asyncio.sleep(QUIET)
        assert searches(auth_server) == before + 1, "the refusal was asked again on its own"


async def test_a_server_error_is_still_retried_on_its_own():
    """The contrast: a 500 may pass, so it is asked again without a key."""
    with FaultServer("500") as server:
        app = make_app(server.url)
        async with app.run_test(size=(120, 30)) as pilot:
            screen = await wait_screen(pilot, ExperimentsScreen)
            await wait_for(pilot, lambda: screen.error is not None, "the failure")
            assert screen.retrying and "retrying every" in screen_text(app)
            await wait_for(pilot, lambda: server.requests >= 3, "two retries, no key pressed")
