"""Speed benchmarks of the store foundation (see benchmarks/README.md).

(a) mltui ``search_runs`` on the 100k-run store: first 100 runs by
    ``metrics.m0 DESC`` with latest metrics, params and tags; cold (fresh store
    object, includes reflection) and warm, with and without the total count.
(b) MLflow's ``MlflowClient.search_runs`` for the same query on a 10k-run store,
    mltui's time on the same store, and the ratio.
(c) ``mltui runs big-sweep --order-by "metrics.m0 DESC" --max 100`` as a whole
    process on the 100k store, with the imports that dominate its start.

Usage::

    /work/venv/bin/python benchmarks/bench_foundation.py [--runs 100000] [--small-runs 10000]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigstore import EXPERIMENT_NAME, N_METRICS, N_PARAMS, big_store_uri

ORDER_BY = ["metrics.m0 DESC"]
MAX_RESULTS = 100
TARGET_SEARCH_S = 0.5
TARGET_RATIO = 50.0
TARGET_PROCESS_S = 1.5

_results: list[tuple[str, str, str, str]] = []  # (figure, value, target, verdict)


def record(figure: str, value: float, target: float | None, *, unit: str = "s",
           higher_is_better: bool = False) -> None:
    text = f"{value:.3f} s" if unit == "s" else f"{value:,.0f}x"
    if target is None:
        _results.append((figure, text, "-", "info"))
        return
    ok = value >= target if higher_is_better else value < target
    tgt = (f">= {target:.0f}x" if higher_is_better else f"< {target} s")
    _results.append((figure, text, tgt, "PASS" if ok else "FAIL"))


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def timed_cpu(fn):
    """(wall, cpu of this process, result): cpu shows the work when the machine is busy."""
    t0, c0 = time.perf_counter(), time.process_time()
    result = fn()
    return time.perf_counter() - t0, time.process_time() - c0, result


def fmt_times(times: list[float]) -> str:
    return ", ".join(f"{t * 1000:.0f}" for t in times) + " ms"


def check_page(page, n_total: int | None) -> None:
    assert len(page.runs) == MAX_RESULTS, len(page.runs)
    values = [r.metrics["m0"].value for r in page.runs]
    assert values == sorted(values, reverse=True), "not sorted by m0 DESC"
    for run in page.runs:
        assert len(run.metrics) == N_METRICS and len(run.params) == N_PARAMS, run.run_id
        assert run.run_name and run.tags.get("mlflow.runName") == run.run_name
    if n_total is not None:
        assert page.total == n_total, (page.total, n_total)


# -- (a) ----------------------------------------------------------------------
def bench_mltui(uri: str, n_runs: int, label: str, *, warm_repeats: int = 5) -> dict:
    from mltui.store import open_store

    def fresh_store_search(count_total: bool):
        t_open, c_open, store = timed_cpu(lambda: open_store(uri, read_only=True))
        exp = store.get_experiment_by_name(EXPERIMENT_NAME)
        t_search, c_search, page = timed_cpu(lambda: store.search_runs(
            [exp.experiment_id], order_by=ORDER_BY, max_results=MAX_RESULTS,
            count_total=count_total))
        return store, exp, page, t_open, t_search, c_open + c_search

    # Throwaway first pass: brings the pages the query touches into the OS cache,
    # so "cold" below measures mltui's own first-call cost (reflection, engine).
    store, exp, page, t_open, t_search, _ = fresh_store_search(True)
    store.close()
    print(f"  [{label}] very first call (OS page cache in unknown state): open "
          f"{t_open * 1000:.0f} ms + search {t_search * 1000:.0f} ms")

    out = {}
    for count_total in (False, True):
        tag = "count_total=True " if count_total else "count_total=False"
        store, exp, page, t_open, t_search, cold_cpu = fresh_store_search(count_total)
        check_page(page, n_runs if count_total else None)
        warm, warm_cpu = [], []
        for _ in range(warm_repeats):
            t, c, page = timed_cpu(partial(
                store.search_runs, [exp.experiment_id], order_by=ORDER_BY,
                max_results=MAX_RESULTS, count_total=count_total))
            warm.append(t)
            warm_cpu.append(c)
        check_page(page, n_runs if count_total else None)
        store.close()
        cold = t_open + t_search
        med = statistics.median(warm)
        print(f"  [{label}] {tag}: cold {cold * 1000:.0f} ms (open_store {t_open * 1000:.0f} "
              f"+ first search {t_search * 1000:.0f}; cpu {cold_cpu * 1000:.0f}); "
              f"warm median {med * 1000:.0f} ms (cpu {statistics.median(warm_cpu) * 1000:.0f}) "
              f"[{fmt_times(warm)}]")
        out[count_total] = {"cold": cold, "warm": med, "ids": [r.run_id for r in page.runs]}
    return out


# -- (b) ----------------------------------------------------------------------
def bench_mlflow(uri: str, repeats: int = 3) -> dict:
    import logging

    t_import, _ = timed(lambda: __import__("mlflow"))
    from mlflow import MlflowClient

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    print(f"  [mlflow] import mlflow: {t_import:.2f} s (excluded from the figures below)")
    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(EXPERIMENT_NAME)  # store creation, schema check
    times, runs = [], []
    for _ in range(repeats):
        t, runs = timed(lambda: client.search_runs([exp.experiment_id], order_by=ORDER_BY,
                                                   max_results=MAX_RESULTS))
        times.append(t)
    med = statistics.median(times)
    print(f"  [mlflow] MlflowClient.search_runs: median {med:.2f} s [{fmt_times(times)}]")
    return {"median": med, "ids": [r.info.run_id for r in runs]}


# -- (c) ----------------------------------------------------------------------
def mltui_command(uri: str) -> list[str]:
    exe = Path(sys.executable).parent / "mltui"
    return [str(exe), "runs", EXPERIMENT_NAME, "--order-by", "metrics.m0 DESC",
            "--max", str(MAX_RESULTS), "--uri", uri]


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_process(cmd: list[str]) -> tuple[float, float]:
    """(wall, cpu) of one run of ``cmd``, stdout to /dev/null."""
    c0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {cmd}\n{proc.stderr}")
    return elapsed, _children_cpu() - c0


def bench_process(uri: str, repeats: int = 5) -> float:
    cmd = mltui_command(uri)
    first, _ = run_process(cmd)  # warm-up: bytecode caches, OS cache
    runs = [run_process(cmd) for _ in range(repeats)]
    times = [wall for wall, _ in runs]
    med = statistics.median(times)
    cpu = statistics.median(c for _, c in runs)
    t_python, _ = timed(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    print(f"  [process] warm-up {first * 1000:.0f} ms; median {med * 1000:.0f} ms "
          f"(cpu {cpu * 1000:.0f}) [{fmt_times(times)}]; bare python startup "
          f"{t_python * 1000:.0f} ms")
    return med


def import_breakdown(uri: str, top: int = 10) -> None:
    """Which imports dominate the command's start (``python -X importtime``)."""
    argv = mltui_command(uri)[1:]
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import sys; from mltui.cli import main; sys.exit(main())", *argv],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        head, cum_us, name = line.split("|", 2)
        self_us = head.split(":", 1)[1]
        depth = (len(name) - len(name.lstrip()) - 1) // 2
        rows.append((int(cum_us), int(self_us), depth, name.strip()))
    total = sum(cum for cum, _, depth, _ in rows if depth == 0)
    print(f"  [imports] total top-level import time {total / 1e6:.3f} s; "
          f"largest top-level imports (cumulative):")
    for cum, _, _, name in sorted((r for r in rows if r[2] == 0), reverse=True)[:top]:
        print(f"      {cum / 1000:8.1f} ms  {name}")
    mltui_rows = sorted((r for r in rows if r[3].startswith("mltui")), reverse=True)[:top]
    print("    mltui modules (cumulative, includes what they import):")
    for cum, _, _, name in mltui_rows:
        print(f"      {cum / 1000:8.1f} ms  {name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="big store size")
    parser.add_argument("--small-runs", type=int, default=10_000,
                        help="store size for the MLflow comparison")
    parser.add_argument("--skip-mlflow", action="store_true", help="skip (b)")
    parser.add_argument("--imports", action="store_true",
                        help="always show the import breakdown of (c)")
    args = parser.parse_args(argv)

    import mltui

    print(f"bench_foundation: python {sys.version.split()[0]}, {os.cpu_count()} cpus, "
          f"load {os.getloadavg()[0]:.2f}, mltui from {Path(mltui.__file__).parent}")
    t_gen, big_uri = timed(lambda: big_store_uri(args.runs))
    t_gen_small, small_uri = timed(lambda: big_store_uri(args.small_runs))
    print(f"stores ready: {args.runs:,} runs ({t_gen:.1f} s), {args.small_runs:,} runs "
          f"({t_gen_small:.1f} s)")

    t_imp, _ = timed(lambda: __import__("mltui.store.sql"))
    print(f"\n(a) mltui search_runs, {args.runs:,} runs (import of mltui.store.sql + "
          f"sqlalchemy {t_imp * 1000:.0f} ms, excluded)")
    big = bench_mltui(big_uri, args.runs, f"{args.runs // 1000}k")
    k = f"{args.runs // 1000}k"
    record(f"(a) {k} cold, count_total=True", big[True]["cold"], TARGET_SEARCH_S)
    record(f"(a) {k} warm, count_total=True", big[True]["warm"], TARGET_SEARCH_S)
    record(f"(a) {k} cold, count_total=False", big[False]["cold"], TARGET_SEARCH_S)
    record(f"(a) {k} warm, count_total=False", big[False]["warm"], TARGET_SEARCH_S)

    if not args.skip_mlflow:
        ks = f"{args.small_runs // 1000}k"
        print(f"\n(b) MLflow vs mltui, {args.small_runs:,} runs")
        small = bench_mltui(small_uri, args.small_runs, ks)
        ref = bench_mlflow(small_uri)
        same = ref["ids"] == small[True]["ids"]
        print(f"  same 100 run ids in the same order as MLflow: {same}")
        ratio = ref["median"] / small[True]["warm"]
        print(f"  ratio MLflow / mltui (warm, count_total=True): {ratio:,.0f}x")
        record(f"(b) MLflow search_runs {ks}", ref["median"], None)
        record(f"(b) mltui search_runs {ks} (warm, total)", small[True]["warm"], None)
        record(f"(b) ratio MLflow / mltui {ks}", ratio, TARGET_RATIO, unit="x",
               higher_is_better=True)
        if not same:
            _results.append((f"(b) same order as MLflow {ks}", "no", "yes", "FAIL"))

    print(f"\n(c) whole process: {' '.join(mltui_command('sqlite:///...'))}")
    proc = bench_process(big_uri)
    record(f"(c) mltui runs ... --max 100, {k}", proc, TARGET_PROCESS_S)
    if args.imports or proc >= TARGET_PROCESS_S * 0.5:
        import_breakdown(big_uri)

    print(f"\nload average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cpus "
          "(wall figures include waiting for the CPU when other processes run)")
    width = max(len(r[0]) for r in _results)
    print(f"\n{'figure':<{width}}  {'value':>10}  {'target':>9}  result")
    for figure, value, target, verdict in _results:
        print(f"{figure:<{width}}  {value:>10}  {target:>9}  {verdict}")
    return 1 if any(r[3] == "FAIL" for r in _results) else 0


if __name__ == "__main__":
    sys.exit(main())
