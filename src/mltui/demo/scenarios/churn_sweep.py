"""``churn-sweep``: an Optuna study running now, 30 trials nested under a parent run.

The tree view's case: a RUNNING parent with 30 child runs from 3 workers, the last
round still in progress (started minutes ago, histories ending just before the
build), two trials that diverged to inf and NaN, one killed, and a parent that
logs the best value so far as trials finish. The registry's ``churn-classifier``
versions come from the best finished trials.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass

from ..builder import DemoBuilder, DemoExperiment, DemoRun
from ..curves import DAY, HOUR, MINUTE, SECOND, curve, points, step_times
from ..files import to_yaml, write_artifact, yaml_value

TRIALS = 30
EPOCHS = 60
"""Epochs every trial plans; curves are drawn for all and cut where a trial stopped."""
RUNNING = {27: 4 * MINUTE, 28: 11 * MINUTE, 29: 17 * MINUTE}
"""Trials of the last round, still running: trial -> how long ago it started."""
FATES = {7: ("FAILED", 9), 19: ("FAILED", 14), 13: ("KILLED", 21)}
"""Trials that did not finish: trial -> (status, epochs done)."""


@dataclass
class Trial:
    """The hyperparameters one trial sampled (logged as params in this order)."""

    lr: float
    batch_size: int
    optimizer: str
    depth: int
    hidden_units: int
    dropout: float
    weight_decay: float


def _trials(rng: random.Random) -> list[Trial]:
    """The sampled hyperparameters of every trial (two of them set to diverge)."""
    trials = [
        Trial(
            lr=10 ** rng.uniform(-4, -1),
            batch_size=rng.choice([32, 64, 128, 256]),
            optimizer=rng.choice(["adam", "adamw", "sgd"]),
            depth=rng.randint(2, 8),
            hidden_units=rng.choice([64, 128, 256, 512]),
            dropout=round(rng.uniform(0.0, 0.5), 2),
            weight_decay=rng.choice([0.0, 1e-05, 0.0001, 0.001]),
        )
        for _ in range(TRIALS)
    ]
    trials[7].lr, trials[7].optimizer = 0.0871, "sgd"  # diverges
    trials[19].lr, trials[19].optimizer = 0.0642, "adam"  # diverges
    return trials


def _schedule(
    demo: DemoBuilder, rng: random.Random, trials: list[Trial]
) -> dict[int, tuple[int, int, int]]:
    """trial -> (start, epochs done, ms an epoch): 3 workers run trials k, k+3, k+6...
    back to back, the last round running now; planned backwards from it."""
    schedule: dict[int, tuple[int, int, int]] = {}
    for worker in range(3):
        next_start = None
        for k in reversed(range(worker, TRIALS, 3)):
            epoch_ms = (4 + trials[k].depth // 3) * MINUTE * 64 // trials[k].batch_size
            epoch_ms = max(50 * SECOND, min(epoch_ms, 6 * MINUTE))
            if k in RUNNING:
                start = demo.now - RUNNING[k]
                done = max(1, min(EPOCHS, (RUNNING[k] - 20 * SECOND) // epoch_ms))
            else:
                done = FATES.get(k, ("FINISHED", EPOCHS))[1]
                assert next_start is not None
                start = next_start - rng.randint(8, 40) * SECOND - done * epoch_ms
            schedule[k] = (start, done, epoch_ms)
            next_start = start
    return schedule


def churn_sweep(demo: DemoBuilder) -> dict[str, DemoRun]:
    """Record ``churn-sweep``; return its trials (the child runs) by name."""
    rng = random.Random("churn-sweep")
    trials = _trials(rng)
    schedule = _schedule(demo, rng, trials)
    parent_start = min(s for s, _, _ in schedule.values()) - 45 * SECOND
    exp = demo.experiment(
        "churn-sweep",
        min(demo.now - 3 * DAY, parent_start - 2 * HOUR),
        {
            "mlflow.note.content": (
                "Hyperparameter sweep for the churn classifier (TPE, 30 trials, 3 workers).\n"
                "Trials are nested under the study run. Objective: maximise val_auc."
            ),
            "team": "growth",
            "sweep": "churn-v2",
        },
        user="bob",
        source="churn/sweep.py",
    )
    study = {
        "n_trials": TRIALS,
        "sampler": "TPESampler",
        "seed": 42,
        "n_workers": 3,
        "objective": "val_auc",
        "direction": "maximize",
    }
    note = {"mlflow.note.content": "Optuna study; every trial is a child run."}
    prng = random.Random("churn-parent")
    parent = demo.run(exp, "tpe-study-churn-v2", prng, (parent_start, None), "RUNNING", study, note)
    children: dict[str, DemoRun] = {}
    finished: list[tuple[int, float]] = []  # (end time, val auc)
    for k in range(TRIALS):
        child, peak_auc = _trial(demo, exp, parent, k, trials[k], schedule[k])
        children[child.name] = child
        if child.status == "FINISHED":
            finished.append((child.end or 0, peak_auc))
    best = -1.0
    for i, (ts, value) in enumerate(sorted(finished)):
        best = max(best, value)
        parent.log("best_val_auc", [(i, ts, round(best, 6))])
        parent.log("completed_trials", [(i, ts, float(i + 1))])
    return children


def _trial(
    demo: DemoBuilder,
    exp: DemoExperiment,
    parent: DemoRun,
    k: int,
    trial: Trial,
    scheduled: tuple[int, int, int],
) -> tuple[DemoRun, float]:
    """Record trial ``k`` as a child of ``parent``, its histories and its config;
    return it with its best val_auc before rounding (what the study saw)."""
    trng = random.Random(f"churn-trial-{k}")
    start, done, epoch_ms = scheduled
    status = "RUNNING" if k in RUNNING else FATES.get(k, ("FINISHED", 0))[0]
    times = step_times(trng, start, done, epoch_ms, demo.now - SECOND)
    end = None if status == "RUNNING" else times[-1] + trng.randint(5, 30) * SECOND
    quality = (
        0.885
        - 0.02 * abs(math.log10(trial.lr) + 2.5)
        - 0.004 * abs(trial.depth - 5)
        + (0.006 if trial.optimizer == "adamw" else 0.0)
        - 0.01 * abs(trial.dropout - 0.2)
        + trng.gauss(0, 0.004)
    )
    params = {**asdict(trial), "epochs": EPOCHS, "trial_number": k}
    tags = {"optuna.trial": str(k)}
    child = demo.run(exp, f"trial-{k:03d}", trng, (start, end), status, params, tags, parent)
    # Curves for the full 60 epochs, cut at the epochs done.
    val_floor = 0.52 - (quality - 0.8) * 1.5
    overfit = 0.06 + trial.depth * 0.01
    train = curve(trng, EPOCHS, 0.69, val_floor - overfit, rate=4, noise=0.01)[:done]
    plateaus = [(0.4, 0.55)] if k % 4 == 0 else []
    val = curve(trng, EPOCHS, 0.69, val_floor, rate=4, noise=0.012, plateaus=plateaus)
    val = val[:done]
    auc = curve(trng, EPOCHS, 0.6, quality, rate=4.5, noise=0.002)[:done]
    acc = [0.71 + (a - 0.6) * 0.75 for a in auc]
    lr = [trial.lr * (0.5 ** (e // 20)) for e in range(done)]
    if status == "FAILED":
        train[-2:] = [math.inf, math.nan]
        val[-2:] = [val[-3] * 4.2, math.nan]
    child.log("train_loss", points(train, times))
    child.log("val_loss", points(val, times))
    child.log("val_auc", points(auc, times))
    child.log("accuracy", points(acc, times))
    child.log("learning_rate", points(lr, times))
    config = {"trial": k, "params": {n: yaml_value(v) for n, v in child.params.items()}}
    write_artifact(child, "config.yaml", to_yaml(config, sort_keys=False))
    return child, max(auc)
