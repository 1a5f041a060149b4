"""``mltui serve`` in a real browser: headless Chromium over the DevTools protocol.

The server is ``python -m mltui serve`` in its own process group, on a copy of the
demo store in a folder whose name has a space and both quotes (each tab's mltui
gets the URI through textual-serve's shell command, so it must survive quoting).
The page loads, the experiments screen draws, Enter opens the first experiment and
the runs table shows that experiment's top-level runs as MlflowClient reads them.
Closing the tab ends its mltui; Ctrl+C ends the server; nothing is left running.

Chromium is Debian's package (``.ci/run`` installs it). Without it these tests
skip, and under CI=true they fail (``conftest.server_missing``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import server_missing
from support.chromium import CHROMIUM_ENV, Chromium, find_chromium
from support.servers import free_port

QUOTED_FOLDER = "it's a \"quoted\" store"
"""The store's folder: a space, a single and a double quote."""
pytestmark = pytest.mark.slow


def _need_textual_serve() -> None:
    try:
        import textual_serve  # noqa: F401
    except ImportError:
        server_missing("textual-serve is not installed (pip install -e '.[test]')")


@pytest.fixture(scope="module")
def chromium_path() -> str:
    _need_textual_serve()
    found = find_chromium()
    if found is None:
        server_missing("Chromium is not installed (apt-get install chromium, or set "
                       f"{CHROMIUM_ENV} to a Chrome or Chromium)")
    return found


@pytest.fixture(scope="module")
def demo_copy(tmp_path_factory) -> str:
    """A sqlite URI of the demo store's database, copied into :data:`QUOTED_FOLDER`."""
    _need_textual_serve()
    data = tmp_path_factory.mktemp("serve-data")
    env = _env(data)
    subprocess.run([sys.executable, "-m", "mltui", "--demo", "experiments"], env=env,
                   check=True, capture_output=True, timeout=120)
    folder = tmp_path_factory.mktemp("serve-store") / QUOTED_FOLDER
    folder.mkdir()
    shutil.copy(data / "data" / "mltui" / "demo" / "mlflow.db", folder / "mlflow.db")
    return f"sqlite:///{folder / 'mlflow.db'}"


def _env(home: Path) -> dict[str, str]:
    """No config, data or tracking URI of the person running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"))
    return env


def group_members(pgid: int) -> list[str]:
    """The command lines of the live processes in process group ``pgid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the fields after the command's closing parenthesis: state, ppid, pgrp
            state, _, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) == pgid and state != "Z":
                found.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, ValueError):
            continue  # gone meanwhile
    return found


def wait_until(check, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(0.1)


class Served:
    """``mltui serve --port P ARGS`` in its own process group; the group is killed at
    the end whatever happened, so a failing test leaves no process behind."""

    def __init__(self, home: Path, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = home / "serve.log"
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "mltui", "serve", "--port", str(self.port), *args],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=_env(home), start_new_session=True)
        self.pgid = self.process.pid
        self._wait_for_page()

    def _wait_for_page(self, timeout: float = 60) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"mltui serve exited ({self.process.returncode}):\n"
                                     + self.output())
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(self.url, timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        self.kill()
        raise AssertionError(f"mltui serve did not answer within {timeout} s:\n"
                             + self.output())

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def sessions(self) -> list[str]:
        """The mltui processes of open tabs (the server's group, less the server)."""
        return [cmd for cmd in group_members(self.pgid) if " serve " not in cmd]

    def interrupt(self, timeout: float = 30) -> int:
        """Ctrl+C, as the person who started it would press it; the exit code."""
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(10)

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc: object) -> None:
        self.kill()


@contextlib.contextmanager
def browser(path: str) -> Iterator[Chromium]:
    chromium = Chromium(path)
    try:
        yield chromium
    finally:
        chromium.close()


def status_experiment(screen: str) -> str:
    """The experiment a runs screen shows: the status line's second field."""
    return screen.splitlines()[0].split("│")[1].strip()


async def test_the_app_in_a_browser_opens_an_experiment(chromium_path, demo_copy, tmp_path):
    from mlflow import MlflowClient

    client = MlflowClient(demo_copy)
    started = time.monotonic()
    with Served(tmp_path, demo_copy) as served:
        with browser(chromium_path) as chromium:
            async with chromium.page() as page:
                await page.open(served.url)
                experiments = [e.name for e in client.search_experiments()]
                screen = await page.wait_for_text("experiments", *experiments)
                assert "store/mlflow.db" in screen.splitlines()[0], screen
                assert len(served.sessions()) == 1, served.sessions()

                await page.evaluate("window.__mltuiTerminal.focus()")
                await page.press("Enter", "Enter", 13, "\r")
                screen = await page.wait_for_text("Run name")
                name = status_experiment(screen)
                assert name in experiments, screen
                runs = client.search_runs([client.get_experiment_by_name(name).experiment_id])
                top_level = [r.info.run_name for r in runs
                             if "mlflow.parentRunId" not in r.data.tags]
                assert top_level, name
                screen = await page.wait_for_text(*top_level[:5])
        # the tab is closed: its mltui quits, the server goes on
        wait_until(lambda: not served.sessions(), 20, "the closed tab's mltui quits")
        assert served.process.poll() is None
        assert served.interrupt() == 0, served.output()
        wait_until(lambda: not group_members(served.pgid), 10, "nothing of mltui serve left")
    print(f"\nbrowser test: {time.monotonic() - started:.1f} s")


async def test_ctrl_c_with_a_tab_open_ends_its_session_at_once(chromium_path, demo_copy,
                                                               tmp_path):
    """Without mltui's clean-up aiohttp waits ~20 s for the open tab to hang up."""
    with Served(tmp_path, "--read-only", demo_copy) as served, browser(chromium_path) as chromium:
        async with chromium.page() as page:
            await page.open(served.url)
            await page.wait_for_text("experiments")
            assert len(served.sessions()) == 1
            assert "--read-only" in served.sessions()[0]
            began = time.monotonic()
            assert served.interrupt() == 0, served.output()
            assert time.monotonic() - began < 10
            wait_until(lambda: not group_members(served.pgid), 10, "nothing left")
            # the page says the session ended
            await page.wait_for_body_class("-closed")


async def test_other_sites_cannot_open_a_session(demo_copy, tmp_path):
    """A page of another site (or a name pointed at 127.0.0.1) gets no session: a
    websocket is not bound by the same-origin rule, and the app can write."""
    import aiohttp

    with Served(tmp_path, demo_copy) as served:
        ws_url = f"ws://127.0.0.1:{served.port}/ws"
        async with aiohttp.ClientSession() as session:
            async with session.get(served.url) as page:
                assert page.status == 200
                assert f'"{ws_url}"' in await page.text()
            # through a port forward to another local port, the page follows the address
            async with session.get(served.url, headers={"Host": "localhost:9999"}) as page:
                assert page.status == 200
                assert '"ws://localhost:9999/ws"' in await page.text()
            async with session.get(served.url, headers={"Host": "evil.example"}) as page:
                assert page.status == 403
            for headers in ({"Origin": "http://evil.example"},
                            {"Origin": f"http://127.0.0.1:{served.port}",
                             "Host": "evil.example"}):
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await session.ws_connect(ws_url, headers=headers)
                assert refused.value.status == 403
            assert not served.sessions()
            # our own page's origin is welcome
            async with session.ws_connect(
                ws_url, headers={"Origin": f"http://127.0.0.1:{served.port}"}
            ) as ws:
                wait_until(lambda: len(served.sessions()) == 1, 20, "a session starts")
                await ws.close()
        wait_until(lambda: not served.sessions(), 20, "the session ends")
