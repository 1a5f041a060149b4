"""Benchmark of the registry issue: 500 registered models x 40 versions.

* models screen: from pressing ``m`` to the models table filled (target < 1 s);
* a transition: from confirming with ``y`` to the versions table updated with
  the new stage (target < 0.3 s).

Times run from the key press to the moment the screen has put the new rows in
its table (noted by the app itself); the terminal shows them on the next frame.

The store's schema is made by the real mlflow; models, versions, tags and
aliases are then bulk-inserted as MLflow's SQL store lays them out. The app
is driven in-process with Textual's Pilot, timing from the key press to the
moment the screen shows the result.

Run: ``python benchmarks/bench_registry.py [--models 500 --versions 40]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

DATA = Path(__file__).resolve().parent / ".data"
STAGES = ("None", "Staging", "Production", "Archived")


def make_registry(path: Path, n_models: int, n_versions: int, n_runs: int = 200) -> str:
    uri = f"sqlite:///{path}"
    if path.exists():
        return uri
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    from mlflow import MlflowClient

    client = MlflowClient(f"sqlite:///{tmp}")
    exp = client.create_experiment("registry-bench")
    client.search_registered_models()  # touches the registry tables
    rng = random.Random(0)
    now = int(time.time() * 1000)
    con = sqlite3.connect(tmp)
    has_ws = any(r[1] == "workspace" for r in con.execute("PRAGMA table_info(registered_models)"))
    ws = ("default",) if has_ws else ()
    ws_col = ", workspace" if has_ws else ""
    ws_q = ", ?" if has_ws else ""
    runs = []
    for i in range(n_runs):
        rid = uuid.uuid4().hex
        start = now - rng.randint(1, 30 * 86400) * 1000
        runs.append((rid, f"train-{i:03d}", start))
    con.executemany(
        "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, "
        "status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, "
        "experiment_id) VALUES (?, ?, 'UNKNOWN', '', '', 'bench', 'FINISHED', ?, ?, '', "
        "'active', ?, ?)",
        [(rid, name, start, start + 60_000, f"/tmp/art/{rid}/artifacts", int(exp))
         for rid, name, start in runs],
    )
    con.executemany(
        "INSERT INTO tags (key, value, run_uuid) VALUES ('mlflow.runName', ?, ?)",
        [(name, rid) for rid, name, _ in runs],
    )
    models, versions, vtags, aliases = [], [], [], []
    for m in range(n_models):
        name = f"model-{m:03d}"
        created = now - rng.randint(10, 60) * 86400_000
        models.append((name, created, now - rng.randint(0, 9) * 86400_000,
                       f"Model {m} for the benchmark.", *ws))
        prod = rng.randint(1, n_versions)
        for v in range(1, n_versions + 1):
            rid, _, _ = rng.choice(runs)
            stage = "Production" if v == prod else rng.choice(("None", "Archived", "Staging",
                                                              "None"))
            t = created + v * 3_600_000
            versions.append((name, v, t, t, f"version {v}", None, stage,
                             f"/tmp/art/{rid}/artifacts/model", rid, "READY", None, "",
                             f"/tmp/art/{rid}/artifacts/model", *ws))
            vtags.append(("validated", str(v % 2 == 0).lower(), name, v, *ws))
        aliases.append(("champion", prod, name, *ws))
        aliases.append(("challenger", max(1, prod - 1), name, *ws))
    con.executemany(
        f"INSERT INTO registered_models (name, creation_time, last_updated_time, description"
        f"{ws_col}) VALUES (?, ?, ?, ?{ws_q})", models)
    con.executemany(
        "INSERT INTO model_versions (name, version, creation_time, last_updated_time, "
        "description, user_id, current_stage, source, run_id, status, status_message, "
        f"run_link, storage_location{ws_col}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?"
        f"{ws_q})", versions)
    con.executemany(
        f"INSERT INTO model_version_tags (key, value, name, version{ws_col}) "
        f"VALUES (?, ?, ?, ?{ws_q})", vtags)
    con.executemany(
        f"INSERT INTO registered_model_aliases (alias, version, name{ws_col}) "
        f"VALUES (?, ?, ?{ws_q})", aliases)
    con.commit()
    con.close()
    tmp.rename(path)
    return uri


async def wait_until(pilot, predicate, timeout: float = 30.0) -> float:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return time.perf_counter()
        await pilot.pause(0.002)
    raise TimeoutError("condition not met")


class Stamps:
    """When a screen last finished filling its table (Pilot's polling is too coarse
    to time sub-second events, so the app itself notes the moment)."""

    def __init__(self) -> None:
        self.filled: float | None = None

    def wrap(self, cls, name: str) -> None:
        original = getattr(cls, name)

        def wrapper(screen, *args, **kwargs):
            result = original(screen, *args, **kwargs)
            self.filled = time.perf_counter()
            return result

        setattr(cls, name, wrapper)

    async def wait(self, pilot, predicate) -> float:
        await wait_until(pilot, lambda: self.filled is not None and predicate())
        return self.filled


async def measure(uri: str, n_models: int, repeat: int) -> tuple[list[float], list[float]]:
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.screens.experiments import ExperimentsScreen
    from mltui.screens.models import ModelsScreen
    from mltui.screens.versions import VersionsScreen
    from mltui.store import open_store

    models_times, transition_times = [], []
    stamps = Stamps()
    stamps.wrap(ModelsScreen, "_loaded")
    stamps.wrap(VersionsScreen, "_fill")
    store = open_store(uri)
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0))
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        await app.workers.wait_for_complete()
        for _ in range(repeat):
            stamps.filled = None
            t0 = time.perf_counter()
            await pilot.press("m")
            t1 = await stamps.wait(
                pilot, lambda: isinstance(app.screen, ModelsScreen)
                and app.screen.table.row_count == n_models)
            models_times.append(t1 - t0)
            await pilot.press("enter")
            await wait_until(pilot, lambda: isinstance(app.screen, VersionsScreen)
                             and app.screen.versions)
            await app.workers.wait_for_complete()
            for _ in range(3):
                screen = app.screen
                mv = screen.current
                target = "Staging" if mv.current_stage != "Staging" else "Production"
                await pilot.press("s")
                await pilot.pause(0.05)
                menu = app.screen.query_one("OptionList")
                menu.highlighted = STAGES.index(target)
                await pilot.press("enter")
                await pilot.pause(0.05)
                stamps.filled = None
                t0 = time.perf_counter()
                await pilot.press("y")
                t1 = await stamps.wait(
                    pilot, lambda s=screen, v=mv.version, t=target: any(
                        x.version == v and x.current_stage == t for x in s.shown))
                transition_times.append(t1 - t0)
                await app.workers.wait_for_complete()
            await pilot.press("escape")  # back to models
            await pilot.press("escape")  # back to experiments
            await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
    store.close()
    return models_times, transition_times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--versions", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    t = time.perf_counter()
    uri = make_registry(DATA / f"registry-{args.models}x{args.versions}.db", args.models,
                        args.versions)
    print(f"registry store ready in {time.perf_counter() - t:.1f} s: {uri}")
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_CONFIG_HOME"] = home
        models_times, transitions = asyncio.run(measure(uri, args.models, args.repeat))
    m = statistics.median(models_times)
    tr = statistics.median(transitions)
    print(f"\nmltui registry benchmark, {args.models} models x {args.versions} versions "
          f"(Pilot, 160x45)")
    print(f"  models screen shown (s)            median {m:.3f}  "
          f"[{', '.join(f'{x:.3f}' for x in models_times)}]  target < 1.0  "
          f"{'PASS' if m < 1.0 else 'FAIL'}")
    print(f"  transition confirmed -> shown (s)  median {tr:.3f}  "
          f"[{', '.join(f'{x:.3f}' for x in transitions)}]  target < 0.3  "
          f"{'PASS' if tr < 0.3 else 'FAIL'}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    main()
