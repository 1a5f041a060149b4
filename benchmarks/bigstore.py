"""A big MLflow sqlite tracking store for benchmarks, built fast and cached.

The real ``mlflow`` package creates the schema (all migrations, the experiment
row); the runs are then bulk-inserted with ``sqlite3.executemany`` in one
transaction, row for row as MLflow's SQL store writes them:

* ``runs``: what ``SqlAlchemyStore.create_run`` + ``update_run_info`` leave
  (``source_type`` 'UNKNOWN', ``source_name``/``entry_point_name``/
  ``source_version`` '' -- MLflow 3.x never fills those columns, the source
  lives in tags; ``artifact_uri`` = ``<experiment artifact_location>/<run_id>/artifacts``
  built with MLflow's own ``append_to_uri_path``; ``end_time`` NULL while RUNNING);
* ``tags``: ``mlflow.runName``, ``mlflow.user``, ``mlflow.source.name``,
  ``mlflow.source.type`` (what ``mlflow.start_run`` sets);
* ``params``: p0..p9, string values;
* ``metrics``: m0..m4 x steps 0..9 (increasing timestamps, ``is_nan`` 0) and
  one ``latest_metrics`` row per key -- the max of (step, timestamp, value), as
  ``_update_latest_metrics_if_necessary`` keeps it.

No ``ANALYZE`` is run and no index is added: a real MLflow database has neither.

Use from code::

    from benchmarks.bigstore import big_store_uri, make_big_store
    uri = big_store_uri(100_000)            # benchmarks/.data/big-100000.db, cached

or from the shell::

    /work/venv/bin/python benchmarks/bigstore.py --runs 100000 [--check]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
import uuid
from pathlib import Path

EXPERIMENT_NAME = "big-sweep"
DATA_DIR = Path(__file__).resolve().parent / ".data"
N_PARAMS = 10
N_METRICS = 5
N_STEPS = 10
_BATCH = 2000  # runs generated per executemany round (all in one transaction)

_ADJECTIVES = (
    "amazing", "bold", "calm", "clever", "dapper", "eager", "fearless", "gentle", "honest",
    "judicious", "learned", "nimble", "rogue", "silent", "sneaky", "thundering", "wise",
    "zealous", "bittersweet", "capable",
)
_NOUNS = (
    "ant", "bass", "cat", "deer", "eel", "fox", "goat", "hawk", "ibis", "jay", "kite",
    "lark", "mole", "newt", "owl", "panda", "quail", "robin", "seal", "toad",
)
_USERS = ("alice", "bob", "carol", "dave", "erin")
_SOURCES = ("train.py", "sweep.py", "/home/alice/proj/train.py", "notebooks/tune.py")


def default_path(n_runs: int, seed: int = 0) -> Path:
    """The cache file for a store of ``n_runs`` runs: ``benchmarks/.data/big-<n>.db``."""
    suffix = "" if seed == 0 else f"-s{seed}"
    return DATA_DIR / f"big-{n_runs}{suffix}.db"


def big_store_uri(n_runs: int, seed: int = 0, *, quiet: bool = False) -> str:
    """The sqlite URI of the cached ``n_runs`` store, generating it if needed."""
    return make_big_store(default_path(n_runs, seed), n_runs, seed, quiet=quiet)


def is_complete(path: Path, n_runs: int) -> bool:
    """True if ``path`` is a finished store with ``n_runs`` runs in ``big-sweep``."""
    if not path.is_file():
        return False
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            row = conn.execute(
                "SELECT count(*) FROM runs r JOIN experiments e "
                "ON r.experiment_id = e.experiment_id WHERE e.name = ?",
                (EXPERIMENT_NAME,),
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return False
    return row is not None and row[0] == n_runs


def make_big_store(
    path: Path, n_runs: int, seed: int = 0, *, force: bool = False, quiet: bool = False
) -> str:
    """Build (or reuse) an MLflow sqlite store at ``path`` holding ``n_runs`` runs in
    the experiment ``big-sweep``; returns its ``sqlite:///`` URI.

    An existing complete file is reused unless ``force``. The store is built in
    ``<path>.tmp`` and renamed when done, so an interrupted build never leaves a
    half-filled file behind.
    """
    path = Path(path).resolve()
    uri = f"sqlite:///{path}"
    if not force and is_complete(path, n_runs):
        if not quiet:
            print(f"bigstore: reusing {path} ({n_runs:,} runs)", file=sys.stderr)
        return uri
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, Path(str(tmp) + "-journal")):
        if leftover.exists():
            leftover.unlink()

    t0 = time.perf_counter()
    # artifacts (none are written) would go next to the database, whatever the cwd
    artifacts = path.parent / f"{path.stem}-artifacts"
    experiment_id, artifact_location, append_to_uri_path = _create_schema(tmp, artifacts)
    t_schema = time.perf_counter() - t0

    t1 = time.perf_counter()
    counts = _bulk_insert(tmp, n_runs, seed, experiment_id, artifact_location,
                          append_to_uri_path)
    t_insert = time.perf_counter() - t1
    os.replace(tmp, path)
    if not quiet:
        total = time.perf_counter() - t0
        rows = sum(counts.values())
        size = path.stat().st_size / 1e6
        print(
            f"bigstore: generated {path.name}: {n_runs:,} runs, {rows:,} rows "
            f"({', '.join(f'{k} {v:,}' for k, v in counts.items())}), {size:,.0f} MB "
            f"in {total:.1f} s (mlflow schema {t_schema:.1f} s, bulk insert {t_insert:.1f} s)",
            file=sys.stderr,
        )
    return uri


def _create_schema(path: Path, artifacts: Path):
    """Let MLflow create every table and the ``big-sweep`` experiment."""
    import logging

    from mlflow import MlflowClient
    from mlflow.utils.uri import append_to_uri_path

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    client = MlflowClient(f"sqlite:///{path}")
    experiment_id = client.create_experiment(EXPERIMENT_NAME, artifact_location=str(artifacts))
    artifact_location = client.get_experiment(experiment_id).artifact_location
    store = client._tracking_client.store
    engine = getattr(store, "engine", None)
    if engine is not None:  # release the file before we write to it
        engine.dispose()
    return int(experiment_id), artifact_location, append_to_uri_path


def _param_values(rng: random.Random, i: int) -> list[str]:
    return [
        rng.choice(("0.1", "0.03", "0.01", "0.003", "0.001", "0.0003", "1e-4")),  # p0 lr
        rng.choice(("adam", "adamw", "sgd", "rmsprop", "lion")),  # p1 optimizer
        rng.choice(("16", "32", "64", "128", "256", "512")),  # p2 batch size
        f"{rng.random() * 0.5:.3f}",  # p3 dropout
        str(rng.randint(1, 24)),  # p4 layers
        rng.choice(("128", "256", "512", "768", "1024", "2048")),  # p5 hidden
        str(i),  # p6 seed
        rng.choice(("relu", "gelu", "silu", "tanh")),  # p7 activation
        f"{10 ** rng.uniform(-6, -2):.2e}",  # p8 weight decay
        f"s3://datasets/shard-{rng.randrange(64):02d}/train.parquet",  # p9 dataset
    ]


def _bulk_insert(path, n_runs, seed, experiment_id, artifact_location, append_to_uri_path):
    rng = random.Random(seed)
    now_ms = int(time.time() * 1000)
    gap_ms = 60_000  # a new run about every minute; the newest ones are still RUNNING
    first_start = now_ms - n_runs * gap_ms
    step_ms = 5_000
    counts = dict.fromkeys(("runs", "tags", "params", "metrics", "latest_metrics"), 0)

    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -262144")  # 256 MB for this connection only
        conn.execute("BEGIN")
        for lo in range(0, n_runs, _BATCH):
            runs, tags, params, metrics, latest = [], [], [], [], []
            for i in range(lo, min(n_runs, lo + _BATCH)):
                run_id = uuid.UUID(int=rng.getrandbits(128), version=4).hex
                name = f"{rng.choice(_ADJECTIVES)}-{rng.choice(_NOUNS)}-{rng.randrange(1000)}"
                user = rng.choice(_USERS)
                start = first_start + i * gap_ms + rng.randrange(gap_ms // 2)
                roll = rng.random()
                running = i >= n_runs - max(1, n_runs // 50) and roll < 0.8
                status = "RUNNING" if running else ("FAILED" if roll < 0.08 else "FINISHED")
                steps = N_STEPS
                end = None if running else start + steps * step_ms + rng.randrange(step_ms)
                runs.append((
                    run_id, name, "UNKNOWN", "", "", user, status, start, end, "", "active",
                    append_to_uri_path(artifact_location, run_id, "artifacts"), experiment_id,
                    None,
                ))
                tags += [
                    ("mlflow.user", user, run_id),
                    ("mlflow.source.name", rng.choice(_SOURCES), run_id),
                    ("mlflow.source.type", "LOCAL", run_id),
                    ("mlflow.runName", name, run_id),
                ]
                params += [
                    (f"p{k}", value, run_id) for k, value in enumerate(_param_values(rng, i))
                ]
                for k in range(N_METRICS):
                    key = f"m{k}"
                    # a noisy curve per run and key: random final values, real sort work
                    level = rng.gauss(0.0, 1.0)
                    slope = rng.uniform(-0.2, 0.2)
                    last = None
                    for step in range(steps):
                        ts = start + (step + 1) * step_ms + k * 7 + rng.randrange(500)
                        value = level + slope * step + rng.gauss(0.0, 0.05)
                        metrics.append((key, value, ts, run_id, step, 0))
                        last = (key, value, ts, step, 0, run_id)
                    latest.append(last)  # step 9 is the max (step, timestamp, value)
            conn.executemany(
                "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                "user_id, status, start_time, end_time, source_version, lifecycle_stage, "
                "artifact_uri, experiment_id, deleted_time) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                runs,
            )
            conn.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
            conn.executemany(
                "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params
            )
            conn.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                metrics,
            )
            conn.executemany(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                latest,
            )
            for name, rows in (("runs", runs), ("tags", tags), ("params", params),
                               ("metrics", metrics), ("latest_metrics", latest)):
                counts[name] += len(rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return counts


def check_with_mlflow(uri: str) -> None:
    """Read the store back with MLflow's client: the runs must look like MLflow's own."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    exp = client.get_experiment_by_name(EXPERIMENT_NAME)
    run = client.search_runs([exp.experiment_id], order_by=["metrics.m0 DESC"], max_results=1)[0]
    full = client.get_run(run.info.run_id)
    history = client.get_metric_history(run.info.run_id, "m0")
    assert len(full.data.params) == N_PARAMS, full.data.params
    assert set(full.data.metrics) == {f"m{k}" for k in range(N_METRICS)}, full.data.metrics
    assert len(history) == N_STEPS
    assert full.data.metrics["m0"] == max(history, key=lambda m: m.step).value
    assert full.data.tags["mlflow.runName"] == full.info.run_name
    print(
        f"check: MLflow reads run {full.info.run_id} ({full.info.run_name}, "
        f"{full.info.status}) m0={full.data.metrics['m0']:.4f}, "
        f"{len(full.data.params)} params, {len(history)} m0 steps, "
        f"artifact_uri={full.info.artifact_uri}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="number of runs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--path", type=Path, help="database file (default: the cache)")
    parser.add_argument("--force", action="store_true", help="rebuild even if cached")
    parser.add_argument(
        "--check", action="store_true", help="read a run back with MLflow's client"
    )
    args = parser.parse_args(argv)
    path = args.path or default_path(args.runs, args.seed)
    t0 = time.perf_counter()
    uri = make_big_store(path, args.runs, args.seed, force=args.force)
    print(f"{uri}  ({time.perf_counter() - t0:.1f} s)")
    if args.check:
        check_with_mlflow(uri)
    return 0


if __name__ == "__main__":
    sys.exit(main())
