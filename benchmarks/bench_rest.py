"""The REST backend against a local ``mlflow server`` holding 10,000 runs.

The store is ``bigstore.py``'s (experiment ``big-sweep``, cached in
``benchmarks/.data``); a copy is served by ``mlflow server`` (sqlite backend,
one uvicorn worker, no job runner) on a free port. Then, in this one process:

- **mltui first screen**: ``open_store(url)`` + ``search_runs`` of the first 200
  runs (what the runs screen asks first), default order and ``metrics.m0 DESC``;
  a fresh store (new HTTP connection) every time. Target: < 2 s.
- **MLflow**: ``MlflowClient(url).search_runs`` of the same page (``import
  mlflow`` excluded). Target: mltui not slower (ratio mltui / MLflow <= 1).
- **HTTP / client time**: both clients' HTTP calls are timed from inside (mltui's
  ``RestClient.send``, MLflow's ``rest_utils.http_request``), so each figure splits
  into waiting for the server and the client's own work (connection, JSON decoding,
  building entities). When the server alone needs more than 2 s (MLflow's SQL store
  sorts 10,000 runs by a metric in about 10 s on 2 cores), no client can meet the
  2 s target and the verdict says so.

Each figure is the median of ``--repeats`` rounds; within a round the order of
the clients alternates, after one warm-up request that makes the server open
its database. Both clients must return the same 200 run ids in the same order.
A final line times a cold ``python -c`` process doing import + open + search.

Usage::

    /work/venv/bin/python benchmarks/bench_rest.py [--runs 10000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bigstore import EXPERIMENT_NAME, N_METRICS, N_PARAMS, default_path, make_big_store

PAGE = 200
ORDERS = {"default order": [], "metrics.m0 DESC": ["metrics.m0 DESC"]}
TARGET_FIRST_SCREEN_S = 2.0
TARGET_RATIO = 1.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, db: Path):
        self.db = db
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> float:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
        self.log = open(self.db.parent / "server.log", "wb")  # noqa: SIM115
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--backend-store-uri",
                f"sqlite:///{self.db}",
                "--serve-artifacts",
                "--artifacts-destination",
                str(self.db.parent / "artifacts"),
                "--workers",
                "1",
            ],
            cwd=self.db.parent,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        import httpx

        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(
                    "mlflow server exited:\n"
                    + (self.db.parent / "server.log").read_text(errors="replace")[-3000:]
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return time.perf_counter() - t0
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit("mlflow server did not start in 600 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        self.log.close()


def mltui_first_screen(url: str, eid: str, order: list[str]):
    """(seconds, seconds inside HTTP, run ids) of open_store + the first page."""
    from mltui.store import open_store

    http = 0.0
    t0 = time.perf_counter()
    store = open_store(url, read_only=True)
    send = store.http.send

    def timed_send(*args, **kwargs):
        nonlocal http
        t = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            http += time.perf_counter() - t

    store.http.send = timed_send
    page = store.search_runs([eid], order_by=order, max_results=PAGE)
    elapsed = time.perf_counter() - t0
    store.close()
    run = page.runs[0]
    assert len(page.runs) == PAGE and len(run.params) == N_PARAMS
    assert len(run.metrics) == N_METRICS and run.run_name
    return elapsed, http, [r.run_id for r in page.runs]


def mlflow_first_screen(url: str, eid: str, order: list[str]):
    """The same for ``MlflowClient(url).search_runs`` (HTTP timed in rest_utils)."""
    import mlflow.utils.rest_utils as rest_utils
    from mlflow import MlflowClient

    http = 0.0
    request = rest_utils.http_request

    def timed_request(*args, **kwargs):
        nonlocal http
        t = time.perf_counter()
        try:
            return request(*args, **kwargs)
        finally:
            http += time.perf_counter() - t

    rest_utils.http_request = timed_request
    try:
        t0 = time.perf_counter()
        runs = MlflowClient(url).search_runs([eid], order_by=order, max_results=PAGE)
        elapsed = time.perf_counter() - t0
    finally:
        rest_utils.http_request = request
    return elapsed, http, [r.info.run_id for r in runs]


def cold_process(url: str, eid: str) -> float:
    code = (
        "import sys, time; t0 = time.perf_counter(); from mltui.store import open_store; "
        f"s = open_store({url!r}, read_only=True); "
        f"p = s.search_runs([{eid!r}], max_results={PAGE}); "
        "assert len(p.runs) == 200 and 'mlflow' not in sys.modules; "
        "print(time.perf_counter() - t0)"
    )
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    print(
        f"  cold process (python -c: import mltui.store + open + first 200 runs): "
        f"{wall:.3f} s wall, {float(out.stdout):.3f} s inside the process"
    )
    return wall


def ms(values: list[float]) -> str:
    return ", ".join(f"{v * 1000:.0f}" for v in values) + " ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)

    import mltui

    print(f"mltui from {Path(mltui.__file__).parent}")
    source = Path(make_big_store(default_path(args.runs), args.runs)[len("sqlite:///") :])
    workdir = Path(tempfile.mkdtemp(prefix="mltui-bench-rest-"))
    db = workdir / "mlflow.db"
    shutil.copy2(source, db)  # the server may migrate or write; the cache stays pristine
    server = Server(db)
    results: list[tuple[str, str, str, str]] = []
    try:
        startup = server.start()
        print(f"mlflow server on {server.url} ({args.runs:,} runs): up in {startup:.1f} s")
        t0 = time.perf_counter()
        import mlflow  # noqa: F401

        print(f"import mlflow: {time.perf_counter() - t0:.2f} s (excluded)")
        import httpx

        t0 = time.perf_counter()
        found = httpx.get(
            f"{server.url}/api/2.0/mlflow/experiments/get-by-name",
            params={"experiment_name": EXPERIMENT_NAME},
            timeout=120,
        ).json()
        eid = found["experiment"]["experiment_id"]
        print(f"warm-up request (server opens its store): {time.perf_counter() - t0:.2f} s")

        for label, order in ORDERS.items():
            times: dict[str, list[float]] = {"mltui": [], "mlflow": []}
            http: dict[str, list[float]] = {"mltui": [], "mlflow": []}
            ids: dict[str, list[str]] = {}
            for i in range(args.repeats):
                pair = [("mltui", mltui_first_screen), ("mlflow", mlflow_first_screen)]
                if i % 2:
                    pair.reverse()
                for name, fn in pair:
                    elapsed, in_http, ids[name] = fn(server.url, eid, order)
                    times[name].append(elapsed)
                    http[name].append(in_http)
            assert ids["mltui"] == ids["mlflow"], f"{label}: different runs"
            med = {k: statistics.median(v) for k, v in times.items()}
            own = {
                k: statistics.median(t - h for t, h in zip(times[k], http[k], strict=True))
                for k in times
            }
            m_http = statistics.median(http["mltui"] + http["mlflow"])
            print(f"\n[{label}] first {PAGE} runs (same ids in the same order: yes)")
            print(
                f"  mltui open_store + search_runs : median {med['mltui'] * 1000:.0f} ms "
                f"[{ms(times['mltui'])}]"
            )
            print(
                f"  MlflowClient.search_runs       : median {med['mlflow'] * 1000:.0f} ms "
                f"[{ms(times['mlflow'])}]"
            )
            print(
                f"  of which waiting for the server: median {m_http * 1000:.0f} ms "
                f"(mltui [{ms(http['mltui'])}], MLflow [{ms(http['mlflow'])}])"
            )
            print(
                f"  client's own time (total - HTTP): mltui {own['mltui'] * 1000:.0f} ms, "
                f"MLflow {own['mlflow'] * 1000:.0f} ms"
            )
            server_bound = m_http >= TARGET_FIRST_SCREEN_S
            verdict = (
                "PASS"
                if med["mltui"] < TARGET_FIRST_SCREEN_S
                else (f"FAIL (the server alone takes {m_http:.1f} s)" if server_bound else "FAIL")
            )
            results.append(
                (
                    f"{label}: mltui first screen",
                    f"{med['mltui']:.3f} s",
                    f"< {TARGET_FIRST_SCREEN_S} s",
                    verdict,
                )
            )
            ratio = med["mltui"] / med["mlflow"]
            results.append(
                (
                    f"{label}: mltui / MlflowClient, total",
                    f"{ratio:.2f}x",
                    f"<= {TARGET_RATIO:.1f}x",
                    "PASS"
                    if ratio <= TARGET_RATIO
                    else ("FAIL (within server noise)" if server_bound else "FAIL"),
                )
            )
            own_ratio = own["mltui"] / own["mlflow"]
            results.append(
                (
                    f"{label}: mltui / MlflowClient, client time",
                    f"{own_ratio:.2f}x",
                    f"<= {TARGET_RATIO:.1f}x",
                    "PASS" if own_ratio <= TARGET_RATIO else "FAIL",
                )
            )
        print()
        cold_process(server.url, eid)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print("\nsummary")
    width = max(len(r[0]) for r in results)
    for figure, value, target, verdict in results:
        print(f"  {figure:<{width}}  {value:>9}  target {target:<8}  {verdict}")
    print(json.dumps({r[0]: r[1] for r in results}))
    return 0 if all(r[3] == "PASS" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
