"""A server that never answers, goes down, comes back (issue 14, faults 5-7):
the experiments screen says it is loading, quitting is immediate whatever is in
flight, a failed refresh keeps the last list (marked stale) and the list comes
back on its own when the server does."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator

import pytest

import mltui.screens.experiments as experiments_module
from mltui.screens.experiments import ExperimentsScreen
from mltui.widgets.status_bar import StatusBar
from support.apphelp import make_app, screen_text, wait_for
from support.servers import MlflowServer

HANG_GUARD = 10.0
"""Generous: the exit takes well under a second; this only catches a hang."""


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


def status(app) -> str:
    return app.screen.query_one(StatusBar).plain


async def test_loading_is_shown_and_q_quits_at_once(silent_server):
    app = make_app(silent_server)
    started = 0.0
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen), "the screen")
        screen = app.screen
        await wait_for(pilot, lambda: "loading…" in status(app), "loading… in the status bar")
        assert screen.listing and "0 of 0" not in screen_text(app)
        started = time.monotonic()
        await pilot.press("q", "m")  # a key pressed while quitting opens nothing
    assert time.monotonic() - started < HANG_GUARD
    assert app.return_code in (0, None)


QUIT_SCRIPT = textwrap.dedent("""
    import sys, time
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.store import open_store

    async def auto(pilot):
        deadline = time.monotonic() + 20
        while "loading" not in pilot.app.screen.query_one("StatusBar").plain:
            if time.monotonic() > deadline:
                raise SystemExit("no loading hint")
            await pilot.pause(0.05)
        print(time.monotonic(), flush=True)
        await pilot.press("q")

    app = MltuiApp(store=open_store(sys.argv[1]), settings=Settings(refresh_interval=0))
    app.run(headless=True, auto_pilot=auto)
""")


def test_the_process_exits_at_once_with_a_request_in_flight(silent_server, tmp_path):
    script = tmp_path / "quit.py"
    script.write_text(QUIT_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), silent_server],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise AssertionError("the app did not exit") from None
    ended = time.monotonic()
    assert proc.returncode == 0, err
    pressed = float(out.strip().splitlines()[-1])
    assert ended - pressed < HANG_GUARD, ended - pressed
    assert "Traceback" not in err


class Proxy:
    """A TCP forwarder in front of a real ``mlflow server``: ``down()`` is the
    server going away (connections cut, then refused on the same port), ``up()``
    its restart. One mlflow start instead of two keeps the test short."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.uri = f"http://127.0.0.1:{self.port}"
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def up(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes accept(): close alone would not
            listener.close()
        for conn in self._conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()
        self._conns.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client = listener.accept()[0]
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)


async def test_server_down_keeps_the_list_stale_then_recovers(tmp_path, monkeypatch):
    monkeypatch.setattr(experiments_module, "RETRY_SECONDS", 0.5)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    server = MlflowServer(tmp_path)
    server.start()
    proxy = None
    try:
        await asyncio.to_thread(server.wait_ready)
        proxy = Proxy(server.port)
        proxy.up()
        app = make_app(proxy.uri)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            await wait_for(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
            screen = app.screen
            await wait_for(pilot, lambda: screen.experiments, "the first list")
            assert "1 of 1 experiments" in status(app)
            proxy.down()
            await pilot.press("r")
            await wait_for(pilot, lambda: screen.error is not None, "the failed refresh")
            await wait_for(pilot, lambda: "stale" in status(app), "stale in the status bar")
            assert "Default" in screen_text(app), "the last good list stays"
            assert "1 of 1 experiments" in status(app)
            assert "Cannot list" not in screen_text(app)
            await pilot.pause(1.2)  # two retries fail while it is down: still stale
            assert "stale" in status(app) and "Default" in screen_text(app)
            proxy.up()
            # no key pressed: the screen retries on its own
            await wait_for(pilot, lambda: screen.error is None, "the recovery", 30)
            await wait_for(pilot, lambda: "stale" not in status(app), "stale cleared")
            assert "Default" in screen_text(app) and "1 of 1 experiments" in status(app)
    finally:
        if proxy is not None:
            proxy.down()
        server.stop()


async def test_live_runs_table_marked_stale_while_down_then_live_again(tmp_path, monkeypatch):
    """The runs table keeps its rows when live refreshes fail, says since when they
    are stale, and turns live again on its own once the server answers."""
    from mlflow import MlflowClient

    from mltui.screens.runs import RunsScreen

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    server = MlflowServer(tmp_path)
    server.start()
    proxy = None
    try:
        await asyncio.to_thread(server.wait_ready)
        client = MlflowClient(server.uri)
        run = client.create_run("0", run_name="still-running")  # RUNNING: live refresh on
        proxy = Proxy(server.port)
        proxy.up()
        app = make_app(proxy.uri, experiment="Default", tree=False, live=0.3)
        async with app.run_test(size=(120, 30), notifications=True) as pilot:
            screen = await wait_for(pilot, lambda: isinstance(app.screen, RunsScreen)
                                    and app.screen, "the runs screen")
            await wait_for(pilot, lambda: "still-running" in screen_text(app), "the run")
            await wait_for(pilot, lambda: "live ●" in status(app), "live")
            proxy.down()
            await wait_for(pilot, lambda: "stale: last read" in status(app), "stale")
            assert "still-running" in screen_text(app), "the rows stay"
            client.set_tag(run.info.run_id, "seen", "after")  # written while mltui is cut off
            client.log_metric(run.info.run_id, "late", 7.0)
            proxy.up()
            await wait_for(pilot, lambda: "live ●" in status(app), "live again", 30)
            await wait_for(pilot, lambda: screen.table.current_run is not None
                           and "late" in screen.table.current_run.metrics, "new values")
    finally:
        if proxy is not None:
            proxy.down()
        server.stop()
