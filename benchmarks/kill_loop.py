"""Kill loop: SIGKILL ``mltui stage`` / ``mltui alias`` at random points, then
check that the registry is consistent and that mltui opens it without help.

Each try starts one write as a subprocess on a copy of the registry store
(``benchmarks/.data/registry-<models>x<versions>.db``, made by
``bench_registry.make_registry`` on first use) and kills it after a random
delay: half the tries at a time spread over the command's normal run time
(start-up included, so most land before or after the write), half 0-10 ms
after the write's rollback journal appears (inside the transaction or its
commit). After each
try, in this order:

1. mltui, with nothing else having touched the file: ``open_store`` read-only,
   then ``get_registered_model`` and ``get_model_versions`` of the models
   written to (a crashed writer's hot journal must not lock it out);
2. MlflowClient reads the same models and must see what mltui saw;
3. invariants: each version's stage is one of MLflow's four; each alias points
   at an existing version; and the write is atomic: the state is either the one
   before the command or the one it asked for (the version in the new stage,
   with ``--archive-existing`` every other version of that stage Archived; the
   alias on the new version or, with ``--delete``, gone), never a mix.

Prints tries, kills (the process was still running when killed), kills that
left a journal behind, and failures. Exit status 1 if anything failed.

Run: ``python benchmarks/kill_loop.py [--kills 100] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_registry import DATA, STAGES, make_registry

MODELS = ("model-000", "model-001", "model-002")
ALIASES = ("champion", "challenger", "canary")
JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
"""The first bytes of a synced rollback journal: sqlite will roll it back."""

State = dict[str, tuple[dict[int, str], dict[str, int]]]
"""Per model: {version: stage}, {alias: version}."""


def mltui_state(uri: str) -> State:
    """What mltui reads, opened from scratch as a new ``mltui`` process would."""
    from mltui.store import open_store

    state: State = {}
    with open_store(uri, read_only=True) as store:
        for name in MODELS:
            model = store.get_registered_model(name)
            versions = {mv.version: mv.current_stage for mv in store.get_model_versions(name)}
            state[name] = (versions, dict(model.aliases))
    return state


def client_state(uri: str) -> State:
    """What MlflowClient reads."""
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    state: State = {}
    for name in MODELS:
        model = client.get_registered_model(name)
        versions = {int(mv.version): str(mv.current_stage)
                    for mv in client.search_model_versions(f"name='{name}'")}
        state[name] = (versions, {a: int(v) for a, v in model.aliases.items()})
    return state


def apply(state: State, op: tuple) -> State:
    """The state ``op`` asks for, computed from ``state``."""
    new = {name: (dict(v), dict(a)) for name, (v, a) in state.items()}
    if op[0] == "stage":
        _, name, version, stage, archive = op
        versions = new[name][0]
        if archive and stage in ("Staging", "Production"):
            for v, s in versions.items():
                if v != version and s == stage:
                    versions[v] = "Archived"
        versions[version] = stage
    else:
        _, name, alias, version = op
        if version is None:
            new[name][1].pop(alias, None)
        else:
            new[name][1][alias] = version
    return new


def command(uri: str, op: tuple) -> list[str]:
    exe = [sys.executable, "-m", "mltui"]
    if op[0] == "stage":
        _, name, version, stage, archive = op
        return [*exe, "stage", "--uri", uri, name, str(version), stage,
                *(["--archive-existing"] if archive else [])]
    _, name, alias, version = op
    if version is None:
        return [*exe, "alias", "--uri", uri, "--delete", name, alias]
    return [*exe, "alias", "--uri", uri, name, alias, str(version)]


def random_op(rng: random.Random, state: State) -> tuple:
    name = rng.choice(MODELS)
    versions = sorted(state[name][0])
    if rng.random() < 0.65:
        stage = rng.choice(STAGES)
        archive = stage in ("Staging", "Production") and rng.random() < 0.6
        return ("stage", name, rng.choice(versions), stage, archive)
    alias = rng.choice(ALIASES)
    if alias in state[name][1] and rng.random() < 0.2:
        return ("alias", name, alias, None)
    return ("alias", name, alias, rng.choice(versions))


def problems(state: State, before: State, after: State) -> list[str]:
    found = []
    for name, (versions, aliases) in state.items():
        bad = {v: s for v, s in versions.items() if s not in STAGES}
        if bad:
            found.append(f"{name}: stages outside MLflow's four: {bad}")
        dangling = {a: v for a, v in aliases.items() if v not in versions}
        if dangling:
            found.append(f"{name}: aliases to missing versions: {dangling}")
    if state not in (before, after):
        found.append("neither the state before the write nor the one it asked for "
                     "(a partial transaction)")
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", type=int, default=500)
    parser.add_argument("--versions", type=int, default=40)
    parser.add_argument("--max-tries", type=int, default=0,
                        help="stop after this many tries (default: 3 x --kills)")
    args = parser.parse_args()
    DATA.mkdir(exist_ok=True)
    source = DATA / f"registry-{args.models}x{args.versions}.db"
    make_registry(source, args.models, args.versions)
    import mlflow  # noqa: F401 - imported once, before timing starts

    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="mltui-kill-loop-"))  # a real disk: fsync is real
    db = work / "registry.db"
    shutil.copy2(source, db)
    uri = f"sqlite:///{db}"
    journal = db.with_name(db.name + "-journal")
    state = mltui_state(uri)

    # how long one command takes when left alone: kills are spread over that
    durations = []
    for _ in range(4):
        op = random_op(rng, state)
        t0 = time.perf_counter()
        subprocess.run(command(uri, op), check=True, capture_output=True)
        durations.append(time.perf_counter() - t0)
        state = mltui_state(uri)
    span = statistics.median(durations)
    print(f"store {source.name} copied to {db}; one command takes {span:.2f} s (median)")

    tries = kills = journals = hot = failures = 0
    max_tries = args.max_tries or 3 * args.kills
    started = time.perf_counter()
    try:
        while kills < args.kills and tries < max_tries:
            tries += 1
            op = random_op(rng, state)
            expected = apply(state, op)
            child = subprocess.Popen(command(uri, op), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
            if rng.random() < 0.5:
                # anywhere in the command's run, start-up included
                time.sleep(rng.uniform(0.3, 1.1) * span)
            else:
                # inside the write: as soon as its journal appears, plus 0-10 ms
                deadline = time.perf_counter() + 3 * span
                while (not journal.exists() and child.poll() is None
                       and time.perf_counter() < deadline):
                    time.sleep(0.0002)
                time.sleep(rng.uniform(0, 0.010))
            killed = child.poll() is None
            if killed:
                os.kill(child.pid, signal.SIGKILL)
                kills += 1
            child.wait()
            if killed and journal.exists():
                journals += 1
                with open(journal, "rb") as fh:
                    hot += fh.read(8) == JOURNAL_MAGIC
            if child.returncode not in (0, -signal.SIGKILL):
                assert child.stderr is not None
                err = child.stderr.read().decode(errors="replace").strip()
                print(f"try {tries}: {' '.join(command(uri, op)[3:])} exited "
                      f"{child.returncode}: {err}")
                failures += 1
            if child.stderr is not None:
                child.stderr.close()
            try:
                seen = mltui_state(uri)
            except Exception as exc:  # mltui could not open it by itself: the bug
                failures += 1
                print(f"try {tries}: mltui cannot read the store: {type(exc).__name__}: {exc}")
                # let MlflowClient recover it so the loop can go on
                seen = client_state(uri)
            else:
                by_client = client_state(uri)
                if by_client != seen:
                    failures += 1
                    print(f"try {tries}: mltui and MlflowClient disagree")
            found = problems(seen, state, expected)
            if found:
                failures += 1
                print(f"try {tries}: {op}: " + "; ".join(found))
            state = seen
            if tries % 10 == 0:
                print(f"... tries {tries}, kills {kills}, journals {journals}, hot {hot}, "
                      f"failures {failures}", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    elapsed = time.perf_counter() - started
    print(f"tries {tries}, kills {kills} ({journals} left a journal behind, {hot} of them "
          f"hot), "
          f"failures {failures}, {elapsed:.0f} s")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
