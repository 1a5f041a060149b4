"""Benchmark of the browsing issue, measured on the real app in a real terminal.

Drives ``mltui`` inside tmux on the 100,000-run store of the foundation
benchmark and watches the screen with ``tmux capture-pane``:

* start-up: from launching ``mltui URI --experiment big-sweep`` to the first
  run rows on screen (target < 2 s), against a bare Textual app with one
  DataTable from launch to its first paint (ratio, aim < 1.5x);
* ``G``: to the last row shown (target < 0.5 s);
* a new sort by ``metrics.m3`` shown (target < 1 s);
* resident memory after paging through the whole table (target < 300 MB).

Run: ``python benchmarks/bench_tui.py [--runs 100000] [--skip-scroll]``.
Needs tmux.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from benchmarks.bigstore import big_store_uri  # noqa: E402

MLTUI = str(Path(sys.executable).with_name("mltui"))
SESSION = "mltui-bench"
WIDTH, HEIGHT = 160, 45

BARE_APP = """
from textual.app import App
from textual.widgets import DataTable
class Bare(App):
    def compose(self):
        yield DataTable()
    def on_mount(self):
        t = self.query_one(DataTable)
        t.add_columns("name", "value")
        t.add_row("bare-ready", "1")
Bare().run()
"""


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def screen() -> str:
    return tmux("capture-pane", "-p", "-t", SESSION)


def start(command: str) -> float:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    t0 = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", str(WIDTH), "-y", str(HEIGHT),
         f"{command}; sleep 600")
    return t0


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.01) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        text = screen()
        if predicate(text):
            return time.perf_counter()
        time.sleep(interval)
    raise TimeoutError(f"screen never matched; last screen:\n{screen()}")


def stop() -> None:
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def app_pid() -> int:
    pane_pid = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())
    out = subprocess.run(["pgrep", "-P", str(pane_pid)], capture_output=True, text=True).stdout
    children = [int(p) for p in out.split()]
    for pid in children:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"mltui" in cmd or b"python" in cmd:
            return pid
    raise RuntimeError("mltui process not found")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def expected_names(db: Path) -> tuple[str, str, str]:
    """Newest run, oldest run (MLflow's default order) and the top run by m3."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    order = "ORDER BY start_time DESC, run_uuid"
    newest = con.execute(f"SELECT name FROM runs {order} LIMIT 1").fetchone()[0]
    oldest = con.execute(f"SELECT name FROM runs {order} LIMIT 1 OFFSET "
                         "(SELECT COUNT(*) - 1 FROM runs)").fetchone()[0]
    top_m3 = con.execute(
        "SELECT r.name FROM runs r JOIN latest_metrics m ON m.run_uuid = r.run_uuid "
        "AND m.key = 'm3' ORDER BY m.value DESC, r.start_time DESC, r.run_uuid LIMIT 1"
    ).fetchone()[0]
    con.close()
    return newest, oldest, top_m3


def body_rows(text: str) -> list[str]:
    return text.splitlines()[2:-1]


def measure_startup(uri: str, newest: str, config_home: str) -> float:
    env = f"XDG_CONFIG_HOME={shlex.quote(config_home)} "
    t0 = start(f"{env}{shlex.quote(MLTUI)} {shlex.quote(uri)} --experiment big-sweep")
    t1 = wait_for(lambda s: newest in s)
    return t1 - t0


def measure_bare() -> float:
    script = Path(tempfile.mkdtemp()) / "bare.py"
    script.write_text(BARE_APP)
    t0 = start(f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    t1 = wait_for(lambda s: "bare-ready" in s)
    stop()
    return t1 - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-scroll", action="store_true")
    args = parser.parse_args()
    if not shutil.which("tmux"):
        sys.exit("tmux is needed")
    uri = big_store_uri(args.runs)
    db = Path(uri.removeprefix("sqlite:///"))
    newest, oldest, top_m3 = expected_names(db)
    config_home = tempfile.mkdtemp(prefix="mltui-bench-config-")
    (Path(config_home) / "mltui").mkdir(parents=True)
    # live refresh off: it would add queries during the measurements
    (Path(config_home) / "mltui" / "config.toml").write_text("refresh_interval = 0\n")

    startups, bares = [], []
    for _ in range(args.repeat):
        bares.append(measure_bare())
        startups.append(measure_startup(uri, newest, config_home))
        stop()
    startup = statistics.median(startups)
    bare = statistics.median(bares)

    # G, then a sort by m3, in one session
    measure_startup(uri, newest, config_home)
    time.sleep(1.0)  # let column-key discovery finish, as a person would
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, "G")
    end_time = wait_for(lambda s: oldest in s) - t0

    # focus the m3 column: columns are created, duration, user, source, m0..m4
    tmux("send-keys", "-t", SESSION, "g")
    wait_for(lambda s: newest in s)
    screen_now = screen()
    header = screen_now.splitlines()[1]
    moves = ["created", "Duration", "User", "Source", "m0", "m1", "m2", "m3"]
    assert "m3" in header, header
    tmux("send-keys", "-t", SESSION, *(["l"] * (len(moves) - 1)))
    time.sleep(0.3)
    t0 = time.perf_counter()
    tmux("send-keys", "-t", SESSION, "s")
    sort_time = wait_for(
        lambda s: "↓ m3" in s and body_rows(s) and top_m3 in body_rows(s)[0]
    ) - t0

    rss_after = None
    scroll_time = None
    if not args.skip_scroll:
        pid = app_pid()
        tmux("send-keys", "-t", SESSION, "S")  # back to default order
        wait_for(lambda s: newest in s and "newest first" in s)
        t0 = time.perf_counter()
        pages = args.runs // (HEIGHT - 4) + 2
        for i in range(pages):
            tmux("send-keys", "-t", SESSION, "PageDown")
            if i % 25 == 0:
                time.sleep(0.05)
        wait_for(lambda s: oldest in s, timeout=600)
        scroll_time = time.perf_counter() - t0
        rss_after = rss_mb(pid)
    stop()

    rows = [
        ("start-up to first rows (s)", startup, "< 2.0", startup < 2.0),
        ("bare Textual DataTable first paint (s)", bare, "-", True),
        ("start-up ratio vs bare DataTable", startup / bare, "< 1.5 (aim)", startup / bare < 1.5),
        ("G to last row shown (s)", end_time, "< 0.5", end_time < 0.5),
        ("sort by metrics.m3 shown (s)", sort_time, "< 1.0", sort_time < 1.0),
    ]
    if rss_after is not None:
        rows.append(("RSS after scrolling all rows (MB)", rss_after, "< 300", rss_after < 300))
        rows.append(("time to page through all rows (s)", scroll_time, "-", True))
    print(f"\nmltui TUI benchmark on {args.runs:,} runs ({WIDTH}x{HEIGHT} tmux, "
          f"median of {args.repeat} start-ups; each: {', '.join(f'{x:.2f}' for x in startups)})")
    for name, value, target, ok in rows:
        print(f"  {name:<42} {value:>8.3f}   target {target:<12} {'PASS' if ok else 'FAIL'}")


if __name__ == "__main__":
    os.environ.setdefault("TERM", "xterm-256color")
    main()
