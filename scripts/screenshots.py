"""Regenerate screenshots/*.svg, one for every screen, from the demo store.

    python scripts/screenshots.py [--out DIR] [--size 160x45]

Each screenshot drives the real app with Textual's Pilot, key by key, so the
pictures show what a person sees. The demo store is built afresh in
``$TMPDIR/mltui-screenshots-demo`` (a fixed path, so the paths shown do not change
between runs), with settings, state and colours isolated from the user's own, and
the clock (``time.time``) set back to ``FROZEN_NOW`` for the run: the same code
gives the same pictures, byte for byte.

Each shot waits until its screen shows a given text, and the script fails
naming the shot (and printing the screen) when it does not come: a screen that
changed shape is noticed here, not in a broken README. ``SHOTS`` lists the
files written, in the order the README shows them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "screenshots"
DEMO = Path(tempfile.gettempdir()) / "mltui-screenshots-demo"
TIMEOUT = 30.0
FROZEN_NOW = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc).timestamp()
"""The moment the demo is built and the pictures taken (the clock then runs on
from it): dates, "3h ago" and the demo's times come out the same every run."""

SHOTS = {
    "experiments": "the first screen: every experiment of the store",
    "runs-tree": "a sweep's runs, the parent folded",
    "runs-expanded": "the same sweep unfolded (o)",
    "runs-filter-error": "a filter typo, the caret under the mistake",
    "run": "one run: metrics with their histories as sparklines",
    "run-charts": "the run's Charts tab, filtered to the curves",
    "chart": "one metric of one run, full screen",
    "chart-overlay": "one metric of four runs overlaid, smoothed",
    "artifacts": "the artifact browser on an MLmodel folder",
    "artifacts-csv": "the artifact browser on a CSV file",
    "compare": "three runs side by side, only what differs",
    "compare-scatter": "a metric against a param over 1,500 runs",
    "models": "the model registry, prompts shown",
    "versions": "a model's versions, stages, aliases and the serve command",
    "prompt-diff": "a prompt's versions and the diff of two",
    "logged-models": "MLflow 3 logged models of an experiment",
    "logged-model": "one logged model: params, metrics, tags, files",
    "traces": "the traces of an experiment",
    "trace": "one trace: the span waterfall and a span's detail",
    "help": "help: the keys of the runs screen",
    "concepts": "help's Concepts page",
}


@contextlib.contextmanager
def frozen_clock() -> Iterator[None]:
    """``time.time`` starts at ``FROZEN_NOW`` and runs on from there (Textual's
    timers use the monotonic clock, untouched); mltui reads ``time.time()`` at call
    time, so every "now" it computes is this one."""
    real, start = time.time, time.monotonic()
    time.time = lambda: FROZEN_NOW + (time.monotonic() - start)
    try:
        yield
    finally:
        time.time = real


def build_demo() -> str:
    """Build the demo store afresh at ``DEMO``; its URI, relative to it (the header
    then shows ``sqlite:///mlflow.db``, as for a person who ran ``mltui`` there)."""
    from mltui.demo import build_demo_store

    shutil.rmtree(DEMO, ignore_errors=True)
    build_demo_store(DEMO, now_ms=int(FROZEN_NOW * 1000))
    os.chdir(DEMO)
    return "sqlite:///mlflow.db"


class Shooter:
    """Drives one app session and saves the screens it passes through."""

    def __init__(self, app, pilot, out: Path):
        self.app, self.pilot, self.out = app, pilot, out
        self.written: list[Path] = []

    def text(self) -> str:
        """The active screen as plain text."""
        strips = self.app.screen._compositor.render_strips()
        return "\n".join(strip.text.rstrip() for strip in strips)

    async def wait(self, *wanted: str, what: str = "") -> None:
        """Until the screen shows every one of ``wanted`` and the workers are done."""
        deadline = time.monotonic() + TIMEOUT
        while True:
            await self.pilot.pause(0.05)
            text = self.text()
            if all(w in text for w in wanted):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what or wanted}: {wanted} not on screen within "
                                   f"{TIMEOUT:.0f} s; the screen was:\n{text}")
        await self.app.workers.wait_for_complete()
        await self.pilot.pause(0.2)

    async def steady(self) -> None:
        """Until the screen stops changing (a preview that fills in, a scrollbar
        that finds its size): three looks 0.15 s apart that agree, within 5 s."""
        deadline = time.monotonic() + 5
        seen = [self.text()]
        while len(seen) < 3 or len(set(seen[-3:])) > 1:
            if time.monotonic() > deadline:
                return  # something animates: take it as it is
            await self.pilot.pause(0.15)
            await self.app.workers.wait_for_complete()
            seen.append(self.text())

    async def press(self, *keys: str) -> None:
        await self.pilot.press(*keys)

    async def type(self, text: str) -> None:
        await self.pilot.press(*text)

    async def save(self, name: str, *wanted: str) -> None:
        assert name in SHOTS, name
        await self.wait(*wanted, what=name)
        await self.steady()
        path = self.out / f"{name}.svg"
        self.app.save_screenshot(str(path))
        self.written.append(path)
        print(path, flush=True)

    async def experiment(self, name: str) -> None:
        """Put the experiments screen's cursor on ``name`` and open it."""
        screen = self.app.screen
        await self.wait(name, what=f"experiment {name}")
        names = [e.name for e in screen.shown]
        screen.table.move_cursor(row=names.index(name))
        await self.press("enter")

    async def back_to(self, screen: str) -> None:
        """escape until the active screen is the one of class name ``screen``."""
        deadline = time.monotonic() + TIMEOUT
        while type(self.app.screen).__name__ != screen:
            if time.monotonic() > deadline:
                raise RuntimeError(f"escape never led back to {screen}:\n{self.text()}")
            await self.press("escape")
            await self.pilot.pause(0.05)
        await self.wait()

    async def home(self) -> None:
        """Back to the experiments screen."""
        await self.back_to("ExperimentsScreen")


async def tour(s: Shooter) -> None:
    await s.save("experiments", "7 of 7 experiments", "churn-sweep")

    # runs: a sweep as a tree, unfolded, and a filter with a typo
    await s.experiment("churn-sweep")
    await s.save("runs-tree", "1 top-level run", "tpe-study-churn-v2")
    await s.press("o")
    await s.save("runs-expanded", "trial-027", "trial-002")
    await s.press("slash")
    await s.type("params.optimizer = 'bogus")
    await s.press("enter")
    await s.save("runs-filter-error", "^ Unclosed quote")
    await s.home()

    # one run, its charts, one chart full size
    await s.experiment("llm-finetune")
    await s.wait("llama3-8b-lora-r64")
    await s.press("j", "j", "enter")
    await s.save("run", "llama3-8b-lora-r64", "eval/perplexity", "▁")
    await s.press("2")
    await s.wait("╭─ grad_norm")
    await s.press("slash")
    await s.type("loss|perplexity")
    await s.press("enter")
    await s.save("run-charts", "╭─ train_loss", "╭─ val_loss", "╭─ eval/perplexity")
    await s.press("tab", "tab", "enter")
    await s.save("chart", "│ chart │ val_loss")
    # the four runs overlaid: mark all, v, one metric full size, smoothed
    await s.back_to("RunsScreen")
    await s.press("A", "v")
    await s.wait("│ charts │", "6 of 6 metrics")
    await s.press("slash")
    await s.type("train_loss")
    await s.press("enter")
    await s.wait("1 of 6 metrics")
    await s.press("enter")
    await s.wait("│ chart │ train_loss │ 4 runs")
    await s.press("s", "s", "s")
    await s.save("chart-overlay", "│ chart │ train_loss │ 4 runs")
    await s.home()

    # artifacts of a finished run: the model folder (MLmodel), then a CSV
    await s.experiment("fraud-detection")
    await s.wait("xgb-depth6-final")
    await s.press("a")
    await s.wait("│ artifacts │ xgb-depth6-final", "predictions.csv")
    await s.press("j")
    await s.save("artifacts", "MLmodel", "mlflow models serve -m runs:/")
    await s.press("j", "j", "j")
    await s.save("artifacts-csv", "CSV · 6 columns · 500 rows")

    # compare three runs
    await s.back_to("RunsScreen")
    await s.press("space", "j", "space", "space", "C")
    await s.save("compare", "│ compare │ 3 runs", "★")
    await s.home()

    # a scatter over every run of a random search
    await s.experiment("ctr-random-search")
    await s.wait("rs-1499")
    await s.press("space", "space", "space", "C")
    await s.wait("│ compare │ 3 runs")
    await s.press("3")
    await s.wait("against")
    for key, field in (("y", "metrics.auc"), ("x", "params.lr")):
        await s.press(key)
        await s.pilot.pause(0.2)
        await s.type(field)
        await s.press("enter")
        await s.wait(field)
    await s.press("a")
    await s.save("compare-scatter", "metrics.auc against params.lr", "runs of the experiment")
    await s.home()

    # the registry: models (with prompts), a model's versions, a prompt's diff
    await s.press("m", "P")
    await s.save("models", "support-triage-prompt (prompt)", "fraud-detector")
    await s.press("enter")
    await s.save("versions", "│ model │ churn-classifier",
                 "serve: mlflow models serve -m models:/churn-classifier@")
    await s.back_to("ModelsScreen")
    await s.press("G", "enter")
    await s.wait("│ prompt │ support-triage-prompt")
    await s.press("space", "j", "space", "d")
    await s.save("prompt-diff", "diff v1 → v3")
    await s.home()

    # MLflow 3: logged models and traces of the agent experiment
    screen = s.app.screen
    names = [e.name for e in screen.shown]
    screen.table.move_cursor(row=names.index("support-agent"))
    await s.press("M")
    await s.save("logged-models", "│ logged models │ support-agent", "m-")
    await s.press("j", "enter")
    await s.save("logged-model", "│ logged model │ support-agent", "retriever_k")
    await s.home()
    screen.table.move_cursor(row=names.index("support-agent"))
    await s.press("T")
    await s.save("traces", "traces of support-agent", "ERROR")
    await s.press("j", "j", "enter")
    await s.wait("│ trace │ support-agent │ ERROR", "lookup_invoice")
    await s.press("e")
    await s.save("trace", "span lookup_invoice")
    await s.home()

    # help on the runs screen: its keys, then the Concepts page
    await s.experiment("churn-sweep")
    await s.wait("tpe-study-churn-v2")
    await s.press("o")
    await s.wait("trial-027")
    await s.press("question_mark")
    await s.save("help", "1 Keys", "This screen")
    await s.press("2")
    await s.save("concepts", "Experiment", "A folder for runs")


async def shoot(uri: str, out: Path, size: tuple[int, int]) -> list[Path]:
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.store import open_store

    store = open_store(uri)
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0))
    try:
        async with app.run_test(size=size) as pilot:
            shooter = Shooter(app, pilot, out)
            await tour(shooter)
    finally:
        store.close()
    missing = set(SHOTS) - {p.stem for p in shooter.written}
    if missing:
        raise RuntimeError(f"shots not taken: {sorted(missing)}")
    return shooter.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT,
                        help=f"folder for the SVG files (default: {OUT})")
    parser.add_argument("--size", default="160x45", help="terminal COLUMNSxLINES")
    args = parser.parse_args(argv)
    width, height = (int(x) for x in args.size.split("x"))
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    cwd = Path.cwd()
    from mltui.demo.folder import locked  # two runs at once take turns with the demo

    with tempfile.TemporaryDirectory() as home, locked(DEMO.with_suffix(".lock")), \
            frozen_clock():
        # settings, state, theme and colours of the person running it stay out
        for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            os.environ[var] = str(Path(home) / var.lower())
        for var in ("NO_COLOR", "MLFLOW_TRACKING_URI", "TEXTUAL_THEME"):
            os.environ.pop(var, None)
        os.environ["TZ"] = "UTC"
        time.tzset()
        try:
            uri = build_demo()
            written = asyncio.run(shoot(uri, out, (width, height)))
        finally:
            os.chdir(cwd)
            shutil.rmtree(DEMO, ignore_errors=True)
    print(f"{len(written)} screenshots in {out} ({time.monotonic() - started:.0f} s)",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
