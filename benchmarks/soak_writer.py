"""Live-writer soak (issue 14): a training loop writes beside mltui for a minute on
each backend, and nothing breaks.

For each backend (sqlite, PostgreSQL, a real ``mlflow server``), a separate process
runs a training loop with MlflowClient (``log_metric`` each tick, ``log_batch`` every
fifth) asked for 50 Hz, while mltui's app (driven with Pilot, refresh interval 0.5 s)
shows the runs table, then the run screen, then the full-size chart of the metric
being written, a third of ``--seconds`` each. The loop logs ``progress`` = its step,
so every value is new and the newest is known; the app's screens are sampled every
0.2 s for the value they hold and whether it is drawn. Then the writer stops and the
chart must end on the newest value written.

Printed per backend: writes and the rate reached (and, first, the rate of the same
loop with no mltui beside it, ``--baseline`` seconds), failed writes (``database is
locked`` apart), the app's live reads per screen, its errors (every notification and
every stale state, lock errors apart), new values drawn per screen, how far the
screen trailed the writer, and whether the newest value was drawn. Exit status 1 if
a write failed, the app showed an error, a screen drew no new value, or the newest
value never showed.

The stores: a copy of the test suite's sqlite store (``tests/support/builders.py``), a
throwaway PostgreSQL server (``tests/support/servers.py``; skipped with a message when
its binaries are missing), and ``mlflow server`` over a copy of the sqlite store.

Run: ``python benchmarks/soak_writer.py [--seconds 60] [--backends sqlite,postgresql,rest]
[--hz 50] [--refresh 0.5] [--baseline 10]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from support.builders import cached_store, copy_store  # noqa: E402
from support.servers import MlflowServer, PostgresServer, find_postgres_bin  # noqa: E402
from support.soak import REFRESH, Watched, Writer, watch  # noqa: E402

BACKENDS = ("sqlite", "postgresql", "rest")


@contextlib.contextmanager
def backend_uri(kind: str, scratch: Path) -> Iterator[str]:
    """A store of ``kind`` for the soak, stopped and deleted afterwards."""
    folder = scratch / kind
    folder.mkdir()
    if kind == "sqlite":
        yield copy_store("sqlite", folder)
    elif kind == "postgresql":
        bindir = find_postgres_bin()
        if bindir is None:
            raise LookupError("PostgreSQL binaries not found (apt-get install postgresql)")
        with PostgresServer(bindir) as server:
            yield server.create_database("soak")
    elif kind == "rest":
        shutil.copy(cached_store("sqlite") / "mlflow.db", folder / "mlflow.db")
        server = MlflowServer(folder)
        server.start()
        try:
            server.wait_ready()
            yield server.uri
        finally:
            server.stop()
    else:
        raise ValueError(kind)


def baseline(uri: str, seconds: float, hz: float) -> dict:
    """The same loop with no mltui beside it (another experiment, its own run)."""
    writer = Writer(uri, seconds=seconds * 10, hz=hz, experiment="soak-baseline")
    try:
        writer.wait_started()
        writer.go()
        time.sleep(seconds)
        writer.finish()
        return writer.wait_done(120)
    finally:
        writer.stop()


async def soak(uri: str, seconds: float, hz: float, refresh: float) -> tuple[dict, Watched]:
    writer = Writer(uri, seconds=seconds * 10, hz=hz)
    try:
        await asyncio.to_thread(writer.wait_started)
        watched = await watch(uri, writer, seconds, refresh=refresh)
        totals = await asyncio.to_thread(writer.wait_done, 120)
    finally:
        writer.stop()
    return totals, watched


def report(kind: str, alone: dict | None, totals: dict, watched: Watched, hz: float) -> bool:
    """Print the figures of one backend; True when nothing failed."""
    rate = totals["hz"]
    print(f"\n== {kind}")
    if alone is not None:
        print(f"  writer alone        {alone['writes']:6d} writes in {alone['seconds']:.1f} s"
              f" = {alone['hz']:.1f} Hz (asked {hz:g}), {alone['errors']} failed")
    print(f"  writer beside mltui {totals['writes']:6d} writes in {totals['seconds']:.1f} s"
          f" = {rate:.1f} Hz (asked {hz:g}), {totals['errors']} failed "
          f"({totals['locks']} 'database is locked'), {totals['late']} times >1 s behind")
    for message in totals["messages"]:
        print(f"    {message}")
    reads = ", ".join(f"{name} {n}" for name, n in watched.refreshes.items())
    print(f"  app live reads      {reads}")
    print(f"  app errors          {len(watched.errors)} ({watched.lock_errors} lock errors)")
    for error in watched.errors[:5]:
        print(f"    {error}")
    ok = totals["errors"] == 0 and not watched.errors and watched.final_shown
    for phase in watched.phases:
        ages = phase.ages or [math.nan]
        print(f"  {phase.name:<19} {phase.new_values:4d} new values drawn in {phase.samples}"
              f" looks; value shown written {statistics.median(ages):.2f} s before (median),"
              f" {max(ages):.2f} s at most; {phase.not_drawn} looks held a value not yet"
              " drawn")
        ok = ok and phase.new_values >= 2
    print(f"  newest value ({totals['last_step']}) drawn on the chart at the end: "
          f"{'yes' if watched.final_shown else 'NO'}")
    print(f"  {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0,
                        help="seconds of writing watched per backend (default 60)")
    parser.add_argument("--backends", default=",".join(BACKENDS),
                        help="comma-separated: sqlite, postgresql, rest")
    parser.add_argument("--hz", type=float, default=50.0, help="writes asked per second")
    parser.add_argument("--refresh", type=float, default=REFRESH,
                        help="the app's refresh interval, seconds (default 0.5)")
    parser.add_argument("--baseline", type=float, default=10.0,
                        help="seconds of the writer alone first, per backend (0: none)")
    args = parser.parse_args()
    kinds = [k.strip() for k in args.backends.split(",") if k.strip()]
    unknown = set(kinds) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backends: {', '.join(sorted(unknown))}")

    scratch = Path(tempfile.mkdtemp(prefix="mltui-soak-"))
    # the app's settings and state, and MLflow's, kept out of the person's own
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(scratch / "home" / name.lower())
    for name in [n for n in os.environ if n.startswith("MLFLOW_")]:
        del os.environ[name]
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"soak_writer: mltui {commit or '?'}, {args.seconds:g} s per backend, "
          f"{args.hz:g} Hz asked, refresh {args.refresh:g} s, {os.cpu_count()} cores, "
          f"load {load}")
    failed = False
    try:
        for kind in kinds:
            try:
                with backend_uri(kind, scratch) as uri:
                    alone = baseline(uri, args.baseline, args.hz) if args.baseline else None
                    totals, watched = asyncio.run(soak(uri, args.seconds, args.hz,
                                                       args.refresh))
                    failed |= not report(kind, alone, totals, watched, args.hz)
            except LookupError as exc:
                print(f"\n== {kind}\n  SKIPPED: {exc}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
