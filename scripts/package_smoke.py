"""Build the wheel and install it as a newcomer would, on a clean machine.

``python scripts/package_smoke.py`` (run by ``.ci/run`` after the tests):

1. builds the wheel of this checkout (``pip wheel --no-deps``);
2. installs it into a fresh venv with pip, then with ``pipx install`` and
   ``uv tool install`` (each in its own temporary home, so nothing of this
   machine's is used or changed);
3. runs ``mltui --version`` from each, and ``mltui --demo`` in a real
   pseudo-terminal: the demo store is built, the experiments screen drawn,
   ``q`` quits with status 0 and no traceback.

Prints one line per check and exits 1 on the first failure.
"""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREEN_TEXT = "ctr-random-search"
"""An experiment of the demo store: the experiments screen is drawn."""


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, env=env,
                          timeout=900)
    if done.returncode != 0:
        raise SystemExit(f"FAIL {' '.join(map(str, cmd))}\n{done.stdout[-2000:]}"
                         f"{done.stderr[-2000:]}")
    return done.stdout


def wheel(out: Path) -> Path:
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, ROOT)
    (found,) = out.glob("mltui-*.whl")
    print(f"ok   built {found.name}")
    return found


def demo_in_a_terminal(mltui: Path, home: Path) -> None:
    """``mltui --demo`` in a pty, 120x35: wait for the experiments, press q."""
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config"), "TERM": "xterm-256color",
           "COLUMNS": "120", "LINES": "35"}
    env.pop("MLFLOW_TRACKING_URI", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes mltui on the pty
        os.execve(str(mltui), [str(mltui), "--demo"], env)
    seen = b""
    deadline = time.monotonic() + 120
    pressed = False
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    break  # the child closed the terminal: it exited
                if not chunk:
                    break
                seen += chunk
            text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", seen)
            if not pressed and SCREEN_TEXT.encode() in text:
                time.sleep(1.0)  # let it settle, as a person would look first
                os.write(fd, b"q")
                pressed = True
        _, status = os.waitpid(pid, 0)
    finally:
        os.close(fd)
    if not pressed:
        raise SystemExit(f"FAIL mltui --demo never drew {SCREEN_TEXT!r}:\n{seen[-3000:]!r}")
    if b"Traceback" in seen or os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"FAIL mltui --demo ended with {status}:\n{seen[-3000:]!r}")
    print("ok   mltui --demo drew the experiments in a terminal and quit on q")


def version(mltui: Path, how: str) -> None:
    out = run(mltui, "--version").strip()
    if not re.search(r"\d+\.\d+", out):
        raise SystemExit(f"FAIL {how}: mltui --version said {out!r}")
    print(f"ok   {how}: mltui --version -> {out}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="mltui-package-") as tmp:
        base = Path(tmp)
        built = wheel(base / "dist")

        venv = base / "venv"
        run(sys.executable, "-m", "venv", venv)
        run(venv / "bin" / "pip", "install", "-q", built)
        version(venv / "bin" / "mltui", "pip install (fresh venv)")
        demo_in_a_terminal(venv / "bin" / "mltui", base / "home-pip")

        # pipx and uv come from PyPI into a venv of their own, as a person would get them
        tools = base / "tools"
        run(sys.executable, "-m", "venv", tools)
        run(tools / "bin" / "pip", "install", "-q", "pipx", "uv")
        env = {**os.environ, "PIPX_HOME": str(base / "pipx"),
               "PIPX_BIN_DIR": str(base / "pipx-bin"),
               "UV_TOOL_DIR": str(base / "uv-tools"), "UV_TOOL_BIN_DIR": str(base / "uv-bin"),
               "UV_CACHE_DIR": str(base / "uv-cache")}
        run(tools / "bin" / "pipx", "install", built, env=env)
        version(base / "pipx-bin" / "mltui", "pipx install")
        run(tools / "bin" / "uv", "tool", "install", "--python", sys.executable, built,
            env=env)
        version(base / "uv-bin" / "mltui", "uv tool install")
        demo_in_a_terminal(base / "uv-bin" / "mltui", base / "home-uv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
