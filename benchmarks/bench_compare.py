"""Run comparison (issue 12): the table of many params, and a scatter of every run.

(a) 20 runs x 200 params (and 20 metrics of 50 steps, 10 tags): the comparison
    rows (``views.compare.compare_rows`` + ``shown_rows``) and the table's text
    (``to_markdown``), from runs already read; target < 0.5 s. Also shown: the
    read of the 20 runs, the min/max ranges (``read_ranges``), and the comparison
    screen in a headless app from push to its table filled (the DataTable's own
    cost, target < 0.5 s too).
(b) A scatter of two fields over the 100,000 runs of ``big-100000.db``
    (``bigstore.py``): ``read_scatter`` (one ``query_values`` of ``params.p0``
    and ``metrics.m0``) + ``render_scatter`` at 150x40; target < 2 s, cold (a
    fresh store) and warm (median of 3). Checked: every run is a point, and five
    runs' values are MlflowClient's.

The 20-run store is built once with the real MlflowClient into
``benchmarks/.data/compare-20x200.db``. Every timing line shows CPU time next
to wall time (the machine is shared).

Usage::

    /work/venv/bin/python benchmarks/bench_compare.py [--runs 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigstore import DATA_DIR, EXPERIMENT_NAME, big_store_uri

N_RUNS, N_PARAMS, N_METRICS, N_STEPS, N_TAGS = 20, 200, 20, 50, 10
COMPARE_EXPERIMENT = "compare-bench"
TARGET_TABLE_S = 0.5
TARGET_SCATTER_S = 2.0
SCATTER_SIZE = (150, 40)

_results: list[tuple[str, str, str, str]] = []  # (figure, value, target, verdict)


def record(figure: str, seconds: float, cpu: float, target: float | None) -> None:
    value = f"{seconds:.3f} s (cpu {cpu:.3f})"
    if target is None:
        _results.append((figure, value, "-", "info"))
    else:
        _results.append((figure, value, f"< {target} s",
                         "PASS" if seconds < target else "FAIL"))


def timed_cpu(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - t0, time.process_time() - c0, result


def median_of(fn, repeats: int):
    """(median wall, median cpu, last result) of ``repeats`` calls."""
    walls, cpus, result = [], [], None
    for _ in range(repeats):
        wall, cpu, result = timed_cpu(fn)
        walls.append(wall)
        cpus.append(cpu)
    return statistics.median(walls), statistics.median(cpus), result


# -- the 20 x 200 store ------------------------------------------------------------------


def compare_store_uri() -> str:
    """``benchmarks/.data/compare-20x200.db``, built with MlflowClient when missing
    (in a temporary file renamed when complete)."""
    path = DATA_DIR / f"compare-{N_RUNS}x{N_PARAMS}.db"
    if path.is_file():
        return f"sqlite:///{path}"
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    t0 = time.perf_counter()
    client = MlflowClient(f"sqlite:///{tmp}")
    exp = client.create_experiment(COMPARE_EXPERIMENT,
                                   artifact_location=str(DATA_DIR / "compare-artifacts"))
    rng = random.Random(12)
    start = 1_700_000_000_000
    for i in range(N_RUNS):
        rid = client.create_run(exp, run_name=f"trial-{i:02d}",
                                start_time=start + i * 60_000).info.run_id
        # about half the params differ between runs, the rest are shared settings
        params = [Param(f"param_{k:03d}", str(rng.choice((1, 2, 4, 8)) if k % 2 else k))
                  for k in range(N_PARAMS)]
        for j in range(0, len(params), 100):
            client.log_batch(rid, params=params[j : j + 100])
        tags = [RunTag(f"tag_{k}", "shared" if k % 3 else f"v{rng.randrange(5)}")
                for k in range(N_TAGS)]
        metrics = [Metric(key, rng.gauss(1.0, 0.3) / (step + 1), start + step * 1000, step)
                   for key in [*(f"metric_{k:02d}" for k in range(N_METRICS - 2)),
                               "val_loss", "val_acc"]
                   for step in range(N_STEPS)]
        client.log_batch(rid, tags=tags)
        for j in range(0, len(metrics), 1000):
            client.log_batch(rid, metrics=metrics[j : j + 1000])
        client.set_terminated(rid, "FINISHED", end_time=start + i * 60_000 + 30_000)
    store = client._tracking_client.store
    engine = getattr(store, "engine", None)
    if engine is not None:
        engine.dispose()
    os.replace(tmp, path)
    print(f"built {path.name} with MlflowClient in {time.perf_counter() - t0:.1f} s",
          file=sys.stderr)
    return f"sqlite:///{path}"


# -- (a) -----------------------------------------------------------------------------------


def bench_table(uri: str) -> list:
    from mltui.store import open_store
    from mltui.views.compare import compare_rows, read_ranges, shown_rows, to_markdown

    store = open_store(uri, read_only=True)
    exp = store.find_experiment(COMPARE_EXPERIMENT)
    ids = [r.run_id for r in store.search_runs([exp.experiment_id], max_results=100).runs]
    assert len(ids) == N_RUNS, len(ids)
    t_read, c_read, found = median_of(lambda: store.get_runs(ids), 3)
    runs = [found[rid] for rid in ids]
    assert all(len(r.params) == N_PARAMS and len(r.metrics) == N_METRICS for r in runs)
    record(f"(a) read {N_RUNS} runs (get_runs)", t_read, c_read, None)

    def table() -> tuple[list, str]:
        rows = compare_rows(runs)
        return rows, to_markdown(runs, shown_rows(rows, False))

    table()  # warm-up: imports, caches
    t_rows, c_rows, (rows, text) = median_of(table, 5)
    want = 4 + N_PARAMS + N_METRICS + N_TAGS
    assert len(rows) == want and len(text.splitlines()) == want + 2, (len(rows), want)
    print(f"  (a) {len(rows)} rows x {N_RUNS} runs, {len(text):,} characters of Markdown; "
          f"{sum(r.differs for r in rows)} rows differ")
    record(f"(a) rows + table text, {N_RUNS} x {N_PARAMS} params", t_rows, c_rows,
           TARGET_TABLE_S)
    t_ranges, c_ranges, ranges = median_of(lambda: read_ranges(store, runs), 3)
    assert len(ranges) == N_RUNS * N_METRICS, len(ranges)
    record(f"(a) min/max ranges ({N_RUNS} x {N_METRICS} metrics)", t_ranges, c_ranges, None)
    t_min, c_min, _ = median_of(lambda: compare_rows(runs, mode="min", ranges=ranges), 5)
    record("(a) rows in min mode", t_min, c_min, None)
    store.close()
    return runs


async def drive_screen(uri: str, runs: list) -> list[tuple[float, float]]:
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.screens.compare import CompareScreen
    from mltui.store import open_store

    app = MltuiApp(store=open_store(uri, read_only=True),
                   settings=Settings(refresh_interval=0.0))
    tries = []
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause(0.5)
        for _ in range(4):
            t0, c0 = time.perf_counter(), time.process_time()
            screen = CompareScreen(runs)
            app.push_screen(screen)
            while not (screen.is_mounted and screen.table.row_count > 0):
                await pilot.pause(0.002)
            await pilot.pause()  # the first frame of the table
            tries.append((time.perf_counter() - t0, time.process_time() - c0))
            assert screen.table.row_count == len(screen.shown) > 0
            # the table holds the runs that fit (a window moved with left / right)
            assert 2 <= len(screen.table.columns) <= N_RUNS + 1
            await pilot.press("escape")
            await pilot.pause(0.1)
    return tries[1:]  # the first pays for the CSS and imports


# -- (b) -------------------------------------------------------------------------------------


def bench_scatter(n_runs: int) -> None:
    from mltui.columns import Column
    from mltui.store import open_store
    from mltui.store.query import RunQuery
    from mltui.store.search import METRIC, PARAM
    from mltui.views.compare_charts import read_scatter, render_scatter

    uri = big_store_uri(n_runs, quiet=True)
    x, y = Column(PARAM, "p0"), Column(METRIC, "m0")

    def scatter(store, query):
        points = read_scatter(store, x, y, query=query)
        return points, render_scatter(points, *SCATTER_SIZE)

    # throwaway pass: the file's pages into the OS cache (cold = mltui's own cost)
    store = open_store(uri, read_only=True)
    query = RunQuery.of([store.find_experiment(EXPERIMENT_NAME).experiment_id])
    scatter(store, query)
    store.close()

    t0, c0 = time.perf_counter(), time.process_time()
    store = open_store(uri, read_only=True)
    query = RunQuery.of([store.find_experiment(EXPERIMENT_NAME).experiment_id])
    points, text = scatter(store, query)
    cold, cold_cpu = time.perf_counter() - t0, time.process_time() - c0
    assert len(points.run_ids) + points.missing == n_runs and not points.more
    assert points.x.log, "p0 spans 1e-4 to 0.1: a log axis"
    assert "params.p0 (log)" in text
    record(f"(b) scatter {n_runs:,} runs, cold (open + read + draw)", cold, cold_cpu,
           TARGET_SCATTER_S)
    t_read, c_read, _ = median_of(lambda: read_scatter(store, x, y, query=query), 3)
    record(f"(b) scatter {n_runs:,} runs, read only (warm)", t_read, c_read, None)
    t_warm, c_warm, (points, text) = median_of(lambda: scatter(store, query), 3)
    record(f"(b) scatter {n_runs:,} runs, read + draw (warm)", t_warm, c_warm,
           TARGET_SCATTER_S)
    store.close()
    print(f"  (b) {len(points.run_ids):,} points, {points.missing} without both values; "
          f"chart {len(text.splitlines())} lines")
    check_with_mlflow(uri, points)


def check_with_mlflow(uri: str, points) -> None:
    """Five points are MlflowClient's values (log10 of the param on x)."""
    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    client = MlflowClient(uri)
    rng = random.Random(5)
    for i in rng.sample(range(len(points.run_ids)), 5):
        ref = client.get_run(points.run_ids[i])
        assert math.isclose(points.xs[i], math.log10(float(ref.data.params["p0"])))
        assert points.ys[i] == ref.data.metrics["m0"], points.run_ids[i]
    print("  (b) five points checked against MlflowClient.get_run: same values")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000,
                        help="runs of the big store for the scatter (default 100000)")
    args = parser.parse_args()
    import mltui

    print(f"bench_compare: python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}, mltui from {Path(mltui.__file__).parent}")
    uri = compare_store_uri()
    print(f"\n(a) {N_RUNS} runs x {N_PARAMS} params, {N_METRICS} metrics x {N_STEPS} steps, "
          f"{N_TAGS} tags ({uri})")
    runs = bench_table(uri)
    tries = asyncio.run(drive_screen(uri, runs))
    wall = statistics.median(t for t, _ in tries)
    cpu = statistics.median(c for _, c in tries)
    print("  (a) screen tries: " + ", ".join(f"{t * 1000:.0f} ms" for t, _ in tries))
    record(f"(a) compare screen: push to table drawn, {N_RUNS} x {N_PARAMS}", wall, cpu,
           TARGET_TABLE_S)

    print(f"\n(b) scatter of params.p0 against metrics.m0 over {args.runs:,} runs")
    bench_scatter(args.runs)

    print(f"\nload average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus "
          "(wall figures include waiting for the CPU when other processes run)")
    width = max(len(r[0]) for r in _results)
    print(f"\n{'figure':<{width}}  {'value':>22}  {'target':>7}  result")
    for figure, value, target, verdict in _results:
        print(f"{figure:<{width}}  {value:>22}  {target:>7}  {verdict}")
    return 1 if any(r[3] == "FAIL" for r in _results) else 0


if __name__ == "__main__":
    sys.exit(main())
