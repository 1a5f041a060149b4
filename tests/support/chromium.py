"""A headless Chromium driven through the Chrome DevTools protocol, for tests.

Debian's ``chromium`` package is the browser (``apt-get install chromium``;
``.ci/run`` installs it). The protocol is spoken over a websocket with aiohttp,
which ``mltui[serve]`` brings anyway: no Playwright, whose own browser download
cannot work without network and whose driver weighs ~40 MB.

textual-serve's page draws the terminal with xterm.js on a canvas (WebGL or 2D),
so the DOM holds no text. :data:`KEEP_TERMINAL` runs before the page's scripts
and keeps the xterm ``Terminal`` that the page stores as ``this.terminal``;
:meth:`Page.screen_text` reads the visible lines from its buffer, as a screen
reader would.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
CHROMIUM_ENV = "MLTUI_TEST_CHROMIUM"
"""The browser to use, if not found on PATH under one of :data:`CANDIDATES`."""

KEEP_TERMINAL = """
Object.defineProperty(Object.prototype, "terminal", {
  configurable: true,
  get() { return undefined; },
  set(value) {
    // an own property from now on, as the plain assignment would have made
    Object.defineProperty(this, "terminal",
      {value, writable: true, configurable: true, enumerable: true});
    if (value && value.buffer && !window.__mltuiTerminal) window.__mltuiTerminal = value;
  },
});
"""

SCREEN_TEXT = """
(() => {
  const t = window.__mltuiTerminal;
  if (!t) return null;
  const b = t.buffer.active, lines = [];
  for (let i = 0; i < t.rows; i++) {
    const line = b.getLine(b.viewportY + i);
    lines.push(line ? line.translateToString(true) : "");
  }
  return lines.join("\\n");
})()
"""


def find_chromium() -> str | None:
    given = os.environ.get(CHROMIUM_ENV)
    if given:
        return given if os.access(given, os.X_OK) else None
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class CdpError(RuntimeError):
    """The browser answered a command with an error, or did not start."""


class Page:
    """One browser tab: send commands, evaluate JavaScript, press keys."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[Any]] = {}
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                break
            data = json.loads(message.data)
            future = self._waiting.pop(data.get("id", -1), None)
            if future is None or future.done():
                continue  # an event: nobody here listens to them
            if "error" in data:
                future.set_exception(CdpError(str(data["error"])))
            else:
                future.set_result(data.get("result", {}))
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(CdpError("the browser closed the connection"))

    async def send(self, method: str, timeout: float = 30, **params: Any) -> Any:
        call_id = next(self._ids)
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting[call_id] = future
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        return await asyncio.wait_for(future, timeout)

    async def open(self, url: str) -> None:
        """Load ``url`` with :data:`KEEP_TERMINAL` run before the page's own scripts
        (the Page domain must be enabled for that script to be injected)."""
        await self.send("Page.enable")
        await self.send("Page.addScriptToEvaluateOnNewDocument", source=KEEP_TERMINAL)
        await self.send("Page.navigate", url=url)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression,
                                 returnByValue=True)
        if "exceptionDetails" in result:
            raise CdpError(str(result["exceptionDetails"]))
        return result["result"].get("value")

    async def screen_text(self) -> str | None:
        """The terminal's visible lines, or None before the page made its terminal."""
        return await self.evaluate(SCREEN_TEXT)

    async def wait_for_text(self, *wanted: str, timeout: float = 60) -> str:
        """The screen once it shows every one of ``wanted``; on timeout an
        AssertionError holding the last screen seen."""
        deadline = time.monotonic() + timeout
        text: str | None = None
        while time.monotonic() < deadline:
            text = await self.screen_text()
            if text is not None and all(w in text for w in wanted):
                return text
            await asyncio.sleep(0.2)
        if text is None:
            state = await self.evaluate("location.href + ' body: ' + document.body.className")
            raise AssertionError(f"no terminal on the page within {timeout} s ({state})")
        raise AssertionError(f"{wanted} not on screen within {timeout} s; it showed:\n{text}")

    async def wait_for_body_class(self, name: str, timeout: float = 30) -> None:
        """Until the page's body has class ``name`` (textual-serve marks its states so:
        ``-first-byte`` once the app drew, ``-closed`` once the session ended)."""
        deadline = time.monotonic() + timeout
        check = f"document.body.classList.contains({json.dumps(name)})"
        while not await self.evaluate(check):
            if time.monotonic() > deadline:
                raise AssertionError(f"the page's body never got class {name}")
            await asyncio.sleep(0.1)

    async def press(self, key: str, code: str, key_code: int, text: str = "") -> None:
        """A key as a person types it: keyDown (with its text) then keyUp, sent to
        the focused element by the browser's own input pipeline."""
        common = {"key": key, "code": code, "windowsVirtualKeyCode": key_code,
                  "nativeVirtualKeyCode": key_code}
        down = {**common, "text": text} if text else common
        await self.send("Input.dispatchKeyEvent", type="keyDown", **down)
        await self.send("Input.dispatchKeyEvent", type="keyUp", **common)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._ws.close()


class Chromium:
    """A headless Chromium process in its own profile folder and process group."""

    def __init__(self, executable: str, width: int = 1400, height: int = 900) -> None:
        self.profile = Path(tempfile.mkdtemp(prefix="mltui-chromium-"))
        args = [
            executable, "--headless=new", "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--mute-audio",
            # no GPU here: xterm.js falls back to WebGL on SwiftShader or a 2D canvas
            "--disable-gpu", "--disable-dev-shm-usage",
        ]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with it
        args.append("about:blank")
        self.log = self.profile.with_suffix(".log")
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.port = self._wait_for_port()

    def _wait_for_port(self, timeout: float = 30) -> int:
        # with --remote-debugging-port=0 Chromium picks a free port and writes it here
        active = self.profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError, ValueError, IndexError):
                return int(active.read_text().split()[0])
            time.sleep(0.05)
        self.close()
        raise CdpError(f"Chromium did not start:\n{self.log.read_text(errors='replace')}")

    @contextlib.asynccontextmanager
    async def page(self) -> AsyncIterator[Page]:
        """The tab Chromium opened on about:blank, over its own websocket."""
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{self.port}/json/list") as answer:
                targets = await answer.json()
            url = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
            ws = await session.ws_connect(url, max_msg_size=0)
            page = Page(ws)
            try:
                yield page
            finally:
                await page.close()

    def close(self) -> None:
        """Stop the browser and every process it started, then delete its profile."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
        # the renderer and GPU helpers share the group; none may outlive the test
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)
        self.log.unlink(missing_ok=True)
