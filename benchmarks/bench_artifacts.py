"""Benchmark of the artifact browser issue.

* preview of a 500 MB log: ``views.previews.load_preview`` on a run of a sqlite
  store with file artifacts (target < 0.5 s, memory growth < 20 MB), and the
  same through ``mlflow server --serve-artifacts`` (HTTP Range);
* a folder of 10,000 files: listed by the store into tree items (target < 1 s),
  and those items put into the ``ArtifactTree`` widget of a headless app;
* a 4000x3000 PNG: decoded, shrunk and made into half-block cells for a
  120x40 pane (target < 0.5 s).

Each figure is the median of several runs after one warm-up (the first read of
a file from a cold page cache is the disk's speed, not mltui's). Memory growth
is the peak of Python allocations during the preview (tracemalloc) and the
growth of the process's resident size.

Run: ``python benchmarks/bench_artifacts.py [--skip-server]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPEAT = 5


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def median_time(fn, repeat: int = REPEAT) -> tuple[float, object]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def write_log(path: Path, megabytes: int) -> None:
    line = b"2024-05-01 12:00:00 INFO step %08d loss 0.123456 lr 0.001 grad_norm 1.2345\n"
    block = b"".join(line % i for i in range(14_000))  # ~1 MB
    with open(path, "wb") as fh:
        for _ in range(megabytes):
            fh.write(block)


def write_png(path: Path, width: int, height: int) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    x = np.linspace(0, 255, width, dtype=np.float32)
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    rgb = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1)
    rgb += rng.normal(0, 12, rgb.shape)  # a photo's noise: the PNG filters work hard
    Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8)).save(path, "PNG")


def make_store(root: Path) -> tuple[str, str, Path]:
    """A sqlite store with one run; its artifact folder on disk."""
    from mlflow import MlflowClient

    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp = client.create_experiment("bench", artifact_location=(root / "artifacts").as_uri())
    run = client.create_run(exp).info.run_id
    folder = root / "artifacts" / run / "artifacts"
    folder.mkdir(parents=True)
    return uri, run, folder


def item_for(store, run_id: str, path: str):
    from mltui.views.artifacts import ArtifactItem, ArtifactSource

    source = ArtifactSource(store, store.get_run(run_id).run)
    parent = path.rpartition("/")[0]
    entry = next(e for e in source.entries(parent) if e.path == path)
    return ArtifactItem(source, entry)


def bench_log(store, run_id: str, label: str) -> None:
    from mltui.views.previews import load_preview

    item = item_for(store, run_id, "train.log")
    seconds, preview = median_time(lambda: load_preview(item))
    rss = rss_mb()
    tracemalloc.start()
    load_preview(item)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    grown = rss_mb() - rss
    peak_mb = peak / 2**20
    lines = len(preview.head) + len(preview.tail)
    print(f"  500 MB log preview, {label:<16} {seconds:.3f} s (< 0.5 s "
          f"{'PASS' if seconds < 0.5 else 'FAIL'}), {lines:,} lines shown; allocations peak "
          f"{peak_mb:.1f} MB, RSS +{max(grown, 0):.1f} MB (< 20 MB "
          f"{'PASS' if peak_mb < 20 and grown < 20 else 'FAIL'})")


def bench_listing(store, run_id: str) -> None:
    from mltui.views.artifacts import load_children

    folder = item_for(store, run_id, "many")
    seconds, items = median_time(lambda: load_children(folder))
    print(f"  10,000 files listed (store + items) {seconds:.3f} s (< 1 s "
          f"{'PASS' if seconds < 1 else 'FAIL'}), {len(items):,} entries")
    widget = asyncio.run(_fill_tree(items))
    total = seconds + widget
    print(f"  ... put into the tree widget        {widget:.3f} s; listed and shown "
          f"{total:.3f} s (< 1 s {'PASS' if total < 1 else 'FAIL'})")


async def _fill_tree(items) -> float:
    from textual.app import App, ComposeResult

    from mltui.widgets.artifact_tree import ArtifactTree

    class TreeApp(App):
        def compose(self) -> ComposeResult:
            yield ArtifactTree()

    app = TreeApp()
    async with app.run_test(size=(120, 40)) as pilot:
        tree = app.query_one(ArtifactTree)
        times = []
        for _ in range(3):
            t = time.perf_counter()
            tree.fill_root(items)
            await pilot.pause()  # laid out and drawn
            times.append(time.perf_counter() - t)
        return statistics.median(times)


def bench_png(store, run_id: str) -> None:
    from mltui.views.previews import load_preview

    item = item_for(store, run_id, "big.png")

    def preview_and_cells():
        preview = load_preview(item)
        return preview, preview.cells(120, 40)

    seconds, (preview, cells) = median_time(preview_and_cells)
    print(f"  4000x3000 PNG ({item.entry.size / 2**20:.1f} MB) previewed {seconds:.3f} s "
          f"(< 0.5 s {'PASS' if seconds < 0.5 else 'FAIL'}), {preview.summary}, "
          f"{len(cells[0])}x{len(cells)} cells")


def bench_server(root: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from mlflow import MlflowClient

    from mltui.store import open_store
    from support.servers import MlflowServer

    server = MlflowServer(root)
    server.start()
    try:
        server.wait_ready()
        client = MlflowClient(server.uri)
        run = client.create_run(client.create_experiment("bench")).info.run_id
        # put the log where the proxy keeps it (uploading 500 MB would time the upload)
        uri = client.get_run(run).info.artifact_uri  # mlflow-artifacts:/1/<run>/artifacts
        folder = server.root / "artifacts" / uri.split(":", 1)[1].lstrip("/")
        folder.mkdir(parents=True, exist_ok=True)
        write_log(folder / "train.log", 500)
        store = open_store(server.uri)
        bench_log(store, run, "tracking server")
        store.close()
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-server", action="store_true", help="no mlflow server run")
    args = parser.parse_args()
    import mltui
    from mltui.store import open_store

    print(f"mltui artifact benchmark ({mltui.__file__})")
    with tempfile.TemporaryDirectory(prefix="mltui-bench-artifacts-") as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        uri, run, folder = make_store(root)
        write_log(folder / "train.log", 500)
        (folder / "many").mkdir()
        for i in range(10_000):
            (folder / "many" / f"sample-{i:05d}.json").write_text("{}")
        write_png(folder / "big.png", 4000, 3000)
        print(f"  data made in {time.perf_counter() - t:.1f} s under {root}")
        store = open_store(uri)
        bench_log(store, run, "sqlite + files")
        bench_listing(store, run)
        bench_png(store, run)
        store.close()
        if not args.skip_server:
            (root / "server").mkdir()
            bench_server(root / "server")
    return 0


if __name__ == "__main__":
    sys.exit(main())
