"""Metric charts on long histories (issue 10), driven with Pilot like a person.

Store: ``chartstore.py`` (a run with a 1,000,000-point metric, twenty runs of
100,000 points). Each figure is the median of a few tries, wall time:

- (a) 1M points: from pushing the chart screen to the chart drawn; RSS growth;
- (b) the store's downsampled read of the 1M points against
  ``MlflowClient.get_metric_history`` of the same metric (ratio);
- (c) 20 runs x 100,000 points overlaid: pushed to drawn;
- (d) a zoom step (z) on the 1M chart: key to the new range drawn, and the step
  that reads the narrower range from the store (the chart reads ``DETAIL`` times
  the points its width needs, so the first zoom steps draw from memory; past
  that, the range is read again): key to the read points drawn;
- (e) a terminal resize: from the terminal's resize event to the chart drawn at
  the new size (the event is posted as Pilot does, without Pilot's wait for the
  whole app to go idle, which is not part of the redraw).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from chartstore import EXPERIMENT, build

TARGETS = {"a": 1.0, "a_mem": 50.0, "c": 1.5, "d": 0.3, "d_read": 0.3, "e": 0.1}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def wait(pilot, condition, timeout: float = 60.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not met")
        await pilot.pause(0.005)
    return time.perf_counter() - start


def send_key(app, key: str) -> None:
    """The key as the terminal driver delivers it (Pilot's press also waits for
    the whole app to go idle, which is not part of the answer to the key)."""
    from textual import events

    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    app._driver.send_message(event)


async def drive(uri: str) -> dict[str, list[float]]:
    from textual.events import Resize
    from textual.geometry import Size

    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.screens.charts import ChartScreen
    from mltui.store import open_store

    store = open_store(uri)
    exp = store.find_experiment(EXPERIMENT)
    runs = store.search_runs([exp.experiment_id], max_results=100).runs
    million = next(r for r in runs if r.run_name == "million")
    overlay = [r for r in runs if r.run_name != "million"]
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0.0))
    figures: dict[str, list[float]] = {k: [] for k in ("a", "a_mem", "c", "d", "d_read", "e")}
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause(0.5)
        for _ in range(3):
            before = rss_mb()
            start = time.perf_counter()
            screen = ChartScreen([million], ["loss"], "loss")
            app.push_screen(screen)
            await wait(pilot, lambda s=screen: s.reads >= 1 and s.chart.builds >= 1)
            figures["a"].append(time.perf_counter() - start)
            figures["a_mem"].append(rss_mb() - before)
            # (d) zoom steps around the middle, until one reads the store
            screen.settings = screen.settings.__class__(cursor=500_000.0)
            for _ in range(8):
                reads, builds = screen.reads, screen.chart.builds
                start = time.perf_counter()
                send_key(app, "z")
                await wait(pilot, lambda s=screen, b=builds: s.chart.builds > b
                           and not s.reading)
                took = time.perf_counter() - start
                if screen.reads > reads:
                    figures["d_read"].append(took)
                    break
                figures["d"].append(took)
            await pilot.press("0")
            await wait(pilot, lambda s=screen: s.settings.zoom is None and not s.reading)
            # (e) resizes, posted as the terminal would
            for width, height in ((140, 40), (160, 45)):
                builds = screen.chart.builds
                start = time.perf_counter()
                app._driver._size = Size(width, height)
                app.post_message(Resize(Size(width, height), Size(width, height)))
                await wait(pilot, lambda s=screen, b=builds: s.chart.builds > b)
                figures["e"].append(time.perf_counter() - start)
            # a resize wider than the points read reads again: let it finish, so the
            # next figure does not share the cores with it
            await wait(pilot, lambda s=screen: not s.reading)
            await pilot.press("escape")
            await pilot.pause(0.2)
        for _ in range(3):
            start = time.perf_counter()
            screen = ChartScreen(overlay, ["loss"], "loss")
            app.push_screen(screen)
            await wait(pilot, lambda s=screen: s.reads >= 1 and s.chart.builds >= 1)
            figures["c"].append(time.perf_counter() - start)
            await pilot.press("escape")
            await pilot.pause(0.2)
    return figures


def mlflow_ratio(uri: str) -> tuple[float, float, int, int]:
    from mlflow import MlflowClient

    from mltui.store import open_store

    store = open_store(uri)
    exp = store.find_experiment(EXPERIMENT)
    rid = store.search_runs([exp.experiment_id], "attributes.run_name = 'million'").runs[0].run_id
    start = time.perf_counter()
    ours = store.get_metric_history(rid, "loss", max_points=320)
    mltui_s = time.perf_counter() - start
    client = MlflowClient(uri)
    start = time.perf_counter()
    theirs = client.get_metric_history(rid, "loss")
    mlflow_s = time.perf_counter() - start
    return mltui_s, mlflow_s, len(ours), len(theirs)


def main() -> int:
    uri = build()
    figures = asyncio.run(drive(uri))
    mltui_s, mlflow_s, ours, theirs = mlflow_ratio(uri)
    med = {k: statistics.median(v) for k, v in figures.items()}
    rows = [
        ("(a) 1M points: pushed to drawn", f"{med['a']:.3f} s", "< 1 s", med["a"] < TARGETS["a"]),
        ("(a) 1M points: RSS growth", f"{med['a_mem']:.1f} MB", "< 50 MB",
         med["a_mem"] < TARGETS["a_mem"]),
        ("(b) downsampled read, mltui", f"{mltui_s:.3f} s ({ours} points)", "-", True),
        ("(b) MlflowClient.get_metric_history", f"{mlflow_s:.3f} s ({theirs:,} points)", "-",
         True),
        ("(b) ratio MLflow / mltui", f"{mlflow_s / mltui_s:.0f}x", "-", True),
        ("(c) 20 runs x 100k overlaid", f"{med['c']:.3f} s", "< 1.5 s", med["c"] < TARGETS["c"]),
        ("(d) zoom step (from memory)", f"{med['d']:.3f} s", "< 0.3 s",
         med["d"] < TARGETS["d"]),
        ("(d) zoom step that reads the store", f"{med['d_read']:.3f} s", "< 0.3 s",
         med["d_read"] < TARGETS["d_read"]),
        ("(e) resize redraw", f"{med['e']:.3f} s", "< 0.1 s", med["e"] < TARGETS["e"]),
    ]
    print(f"\n{'figure':42} {'value':>26}  {'target':>8}  result")
    for name, value, target, ok in rows:
        print(f"{name:42} {value:>26}  {target:>8}  {'PASS' if ok else 'FAIL'}")
    print("all tries:", {k: [round(x, 3) for x in v] for k, v in figures.items()})
    return 0 if all(ok for *_, ok in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
