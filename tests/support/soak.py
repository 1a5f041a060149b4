"""A live writer beside mltui (issue 14): a training loop logs metrics at 50 Hz while
the app, refreshing every half second, shows the runs table, then the run, then a
chart of the metric being written. Shared by ``benchmarks/soak_writer.py`` (60 s per
backend) and ``tests/ui/test_soak_short.py`` (a few seconds).

The writer is a separate process, as a training job is: ``python soak.py URI
EXPERIMENT SECONDS HZ`` creates a run, waits for ``go`` on stdin, and until ``stop``
(``SECONDS`` at most) logs ``progress`` = the step (one
``log_metric`` per tick, and every fifth tick a ``log_batch`` of ``progress``,
``loss`` and ``acc``), counting failed writes (``database is locked`` apart). It
prints JSON lines: the run id, its progress each second, then its totals.

:func:`watch` drives the app with Pilot and samples, every 0.2 s, the value of
``progress`` each screen holds, whether it is drawn (the runs table's line of the
run, the run's metrics table, the chart's legend) and how long ago it was written;
it records every notification and every stale state (a refresh that failed) as an
error.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

METRIC = "progress"
"""Logged as the step itself: every value is new and the newest is known."""
EXPERIMENT = "soak"
HZ = 50.0
REFRESH = 0.5
"""The app's refresh interval in the soak, seconds."""
SAMPLE = 0.2
"""How often the screen is looked at, seconds."""


# -- the writer (a process of its own) ------------------------------------------------------


def write(uri: str, experiment: str, seconds: float, hz: float) -> None:
    """The training loop: a run, ``progress`` logged ``hz`` times a second from the
    line ``go`` on stdin until the line ``stop`` (or ``seconds``, a safety limit)."""
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    client = MlflowClient(uri)
    found = client.get_experiment_by_name(experiment)
    exp_id = found.experiment_id if found else client.create_experiment(experiment)
    run_id = client.create_run(exp_id, run_name="soak-train").info.run_id
    print(json.dumps({"run_id": run_id}), flush=True)
    sys.stdin.readline()  # go: the app shows the run
    stop = threading.Event()
    threading.Thread(target=lambda: (sys.stdin.readline(), stop.set()), daemon=True).start()
    period = 1.0 / hz
    start = time.monotonic()
    tick = start
    step = writes = errors = locks = late = 0
    last_ok = -1
    messages: list[str] = []
    next_report = start + 1.0
    while not stop.is_set() and time.monotonic() - start < seconds:
        ts = int(time.time() * 1000)
        try:
            if step % 5 == 4:
                client.log_batch(run_id, metrics=[
                    Metric(METRIC, float(step), ts, step),
                    Metric("loss", 1.0 / (1.0 + step / 100.0), ts, step),
                    Metric("acc", 1.0 - 0.5 * math.exp(-step / 500.0), ts, step)])
            else:
                client.log_metric(run_id, METRIC, float(step), timestamp=ts, step=step)
            writes += 1
            last_ok = step
        except Exception as exc:  # counted: a training job must not lose writes
            errors += 1
            locks += "locked" in str(exc).lower()
            if len(messages) < 5:
                messages.append(f"{type(exc).__name__}: {str(exc)[:200]}")
        step += 1
        now = time.monotonic()
        if now >= next_report:
            print(json.dumps({"t": now - start, "step": last_ok, "writes": writes,
                              "errors": errors}), flush=True)
            next_report += 1.0
        tick += period
        if tick > now:
            time.sleep(tick - now)
        elif now - tick > 1.0:  # more than a second behind: count it and carry on
            late += 1
            tick = now
    elapsed = time.monotonic() - start
    client.set_terminated(run_id)
    print(json.dumps({"done": True, "writes": writes, "errors": errors, "locks": locks,
                      "last_step": last_ok, "seconds": elapsed, "hz": writes / elapsed,
                      "late": late, "messages": messages}), flush=True)


class Writer:
    """The writer process and what it has said so far."""

    def __init__(self, uri: str, seconds: float = 3600, hz: float = HZ,
                 experiment: str = EXPERIMENT, python: str | None = None,
                 env: dict[str, str] | None = None):
        self._log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [python or sys.executable, str(Path(__file__).resolve()), uri, experiment,
             str(seconds), str(hz)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            env=env)
        self.run_id: str | None = None
        self.progress: list[tuple[float, int]] = []
        """(monotonic time here, last step written) each second."""
        self.totals: dict[str, Any] | None = None
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            try:
                data = json.loads(line)
            except ValueError:
                continue
            if "run_id" in data:
                self.run_id = data["run_id"]
                self.ready.set()
            elif data.get("done"):
                self.totals = data
            elif "step" in data:
                self.progress.append((time.monotonic(), int(data["step"])))
        self.ready.set()

    def go(self) -> None:
        """Start writing (the writer waits for this once its run exists)."""
        self._say("go")

    def finish(self) -> None:
        """Stop writing: the run is ended and the totals printed."""
        self._say("stop")

    def _say(self, word: str) -> None:
        assert self.proc.stdin is not None
        try:
            self.proc.stdin.write(word + "\n")
            self.proc.stdin.flush()
        except OSError:  # it ended already (its safety limit)
            pass

    def wait_started(self, timeout: float = 300) -> str:
        if not self.ready.wait(timeout) or self.run_id is None:
            self.stop()
            raise RuntimeError(f"the writer did not start:\n{self._stderr()}")
        return self.run_id

    def wait_done(self, timeout: float = 300) -> dict[str, Any]:
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        deadline = time.monotonic() + 5
        while self.totals is None and time.monotonic() < deadline:
            time.sleep(0.05)
        if self.totals is None:
            raise RuntimeError(f"the writer ended without totals:\n{self._stderr()}")
        return self.totals

    def _stderr(self) -> str:
        self._log.seek(0)
        return self._log.read()[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()


# -- the app beside it -------------------------------------------------------------------------


@dataclass
class Phase:
    """What one screen showed while the writer wrote."""

    name: str
    samples: int = 0
    shown: list[float] = field(default_factory=list)
    """Each new value of ``progress`` the screen held and drew."""
    not_drawn: int = 0
    """Samples where the value held was not found on screen."""
    ages: list[float] = field(default_factory=list)
    """Per look: seconds since the value held was written (how far the screen
    trails the writer: the refresh interval plus the read, at best)."""

    @property
    def new_values(self) -> int:
        return len(self.shown)


@dataclass
class Watched:
    """The app's side of a soak."""

    phases: list[Phase] = field(default_factory=list)
    refreshes: dict[str, int] = field(default_factory=dict)
    """Live reads delivered: runs table refreshes, run screen loads, chart reads."""
    errors: list[str] = field(default_factory=list)
    """Notifications and stale states (refreshes that failed), as shown."""
    final_shown: bool = False
    """The newest value written was drawn on the chart after the writer stopped."""

    @property
    def lock_errors(self) -> int:
        return sum("locked" in e.lower() for e in self.errors)


async def watch(uri: str, writer: Writer, seconds: float, *, refresh: float = REFRESH,
                final_timeout: float = 60.0) -> Watched:
    """Drive the app on ``uri`` while ``writer`` writes: the runs table, the run, the
    chart of :data:`METRIC`, a third of ``seconds`` each; then stop the writer and wait
    for the newest value on the chart."""
    from mltui.screens.charts import ChartScreen
    from mltui.screens.run import RunScreen
    from mltui.screens.runs import RunsScreen
    from mltui.textfmt import format_number
    from mltui.widgets.metric_chart import MetricChart

    from .apphelp import make_app, screen_text, wait_for, widget_lines

    async def on_screen(cls: type) -> Any:
        """The screen once on top (not apphelp.wait_screen: its wait for every worker to
        finish never ends while refreshes follow each other)."""
        return await wait_for(pilot, lambda: isinstance(app.screen, cls) and app.screen,
                              cls.__name__)

    run_id = writer.run_id
    watched = Watched()
    app = make_app(uri, experiment=EXPERIMENT, tree=False, live=refresh)
    notify = app.notify

    def recording(message: str, **kwargs: Any) -> None:  # an observer: notify as ever
        watched.errors.append(f"{kwargs.get('severity', 'information')}: {message}")
        notify(message, **kwargs)

    app.notify = recording  # type: ignore[method-assign]
    seen_stale: set[str] = set()

    def stale(screen: Any) -> None:
        why = getattr(screen, "stale", None)
        if why and why not in seen_stale:
            seen_stale.add(why)
            watched.errors.append(f"stale {type(screen).__name__}: {why}")

    async def sample(phase: Phase, read) -> None:
        """Look at the screen every SAMPLE seconds for a third of the soak."""
        end = time.monotonic() + seconds / 3
        while time.monotonic() < end:
            value, drawn, written_ms = read()
            phase.samples += 1
            stale(app.screen)
            if value is not None:
                if not drawn:
                    phase.not_drawn += 1
                elif not phase.shown or value != phase.shown[-1]:
                    phase.shown.append(value)
                phase.ages.append(max(0.0, time.time() - written_ms / 1000))
            await pilot.pause(SAMPLE)
        watched.phases.append(phase)

    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        runs = await on_screen(RunsScreen)
        await wait_for(pilot, lambda: runs.table.current_run is not None
                       and runs.table.current_run.run_id == run_id, "the writer's run")
        writer.go()

        def in_table() -> tuple[float | None, bool, int]:
            run = runs.table.current_run
            metric = run.metrics.get(METRIC) if run is not None else None
            if metric is None:
                return None, False, 0
            lines = [line for line in widget_lines(runs.table) if "soak-train" in line]
            return metric.value, any(f" {format_number(metric.value)} " in f"{line} "
                                     for line in lines), metric.timestamp

        await sample(Phase("runs table"), in_table)
        watched.refreshes["runs table"] = runs.refreshes

        await pilot.press("enter")
        run_screen = await on_screen(RunScreen)
        loads: set[float] = set()

        def in_run() -> tuple[float | None, bool, int]:
            if run_screen.last_good is not None:
                loads.add(run_screen.last_good)
            metric = run_screen.run.metrics.get(METRIC)
            if metric is None or run_screen.view is None:
                return None, False, 0
            return (metric.value, format_number(metric.value) in screen_text(app),
                    metric.timestamp)

        await sample(Phase("run screen"), in_run)
        watched.refreshes["run screen"] = len(loads)

        await pilot.press("2")
        chart = await wait_for(pilot, lambda: next(
            (c for c in run_screen.query(MetricChart) if c.key == METRIC), None),
            "the chart of the metric")
        chart.focus()
        await pilot.press("enter")
        chart_screen = await on_screen(ChartScreen)

        def on_chart() -> tuple[float | None, bool, int]:
            series = chart_screen.series
            if not series or not series[0].values:
                return None, False, 0
            value = series[0].values[-1]
            return (value, f"soak-train {format_number(value)}" in screen_text(app),
                    series[0].timestamps[-1])

        await sample(Phase("chart"), on_chart)
        writer.finish()
        totals = await _wait_writer(pilot, writer)
        last = float(totals["last_step"])
        try:
            await wait_for(pilot, lambda: on_chart()[:2] == (last, True),
                           "the newest value drawn", final_timeout)
            watched.final_shown = True
        except AssertionError:
            watched.final_shown = False
        stale(app.screen)
        watched.refreshes["chart"] = chart_screen.reads
    return watched


async def _wait_writer(pilot, writer: Writer) -> dict[str, Any]:
    """The writer's totals, waited for without blocking the app."""
    while writer.proc.poll() is None:
        await pilot.pause(0.1)
    import asyncio

    return await asyncio.to_thread(writer.wait_done, 30)


if __name__ == "__main__":
    write(sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4]))
