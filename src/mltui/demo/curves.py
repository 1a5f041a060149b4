"""Training curves and timestamps that look like real runs.

Charts are only worth testing on data with the shapes people meet: exponential
progress with noise, plateaus, spikes that decay, a cosine learning-rate schedule,
steps logged at a jittered pace, values printed at a logger's precision. Every
helper takes the caller's seeded ``random.Random`` so a demo is reproducible, and
times are milliseconds since the epoch, as MLflow stores them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import datetime, timezone

SECOND = 1000
"""Milliseconds, MLflow's unit of time."""
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

Point = tuple[int, int, float]
"""(step, timestamp, value) as ``mlflow.log_metric`` logs one."""


def curve(
    rng: random.Random,
    n: int,
    start: float,
    end: float,
    *,
    rate: float = 5.0,
    noise: float = 0.02,
    plateaus: Sequence[tuple[float, float]] = (),
    spikes: Sequence[tuple[int, float]] = (),
) -> list[float]:
    """A training curve from ``start`` towards ``end``: exponential progress with
    multiplicative noise; progress stalls inside ``plateaus`` (fractions of the run);
    ``spikes`` are (step, height) bumps that decay over about 1% of the run."""
    last = max(1, n - 1)
    stalled = [(int(a * last), int(b * last)) for a, b in plateaus]
    clock, t = [], 0.0
    for i in range(n):
        t += 0.08 if any(a <= i < b for a, b in stalled) else 1.0
        clock.append(t)
    total = clock[-1] if clock else 1.0
    width = max(1.0, n / 100)
    gauss, exp, k = rng.gauss, math.exp, -rate / total
    out = [(end + (start - end) * exp(k * c)) * (1 + gauss(0, noise)) for c in clock]
    for step, height in spikes:
        # a bump that has decayed to nothing after 20 widths
        for i in range(step, min(n, step + int(20 * width))):
            out[i] += height * exp(-(i - step) / width)
    return out


def cosine_lr(n: int, peak: float, warmup: int) -> list[float]:
    """A learning rate per step: linear warm-up to ``peak``, then a cosine decay to 0."""
    out = []
    for i in range(n):
        if i < warmup:
            out.append(peak * (i + 1) / warmup)
        else:
            progress = (i - warmup) / max(1, n - warmup)
            out.append(peak * 0.5 * (1 + math.cos(math.pi * progress)))
    return out


def points(
    values: Sequence[float], times: Sequence[int], every: int = 1, digits: int = 6
) -> list[Point]:
    """(step, timestamp, value) for steps 0, every, 2*every... (value i is step i),
    rounded to ``digits`` significant digits of the largest value (as a logger
    printing a fixed precision would)."""
    finite = [abs(v) for v in values if math.isfinite(v) and v]
    places = digits - 1 - math.floor(math.log10(max(finite))) if finite else digits
    return [
        (step, times[step], round(v, places) if math.isfinite(v) else v)
        for step, v in enumerate(values)
        if step % every == 0 or step == len(values) - 1
    ]


def step_times(
    rng: random.Random, start: int, n: int, step_ms: int, limit: int | None = None
) -> list[int]:
    """Timestamps of ``n`` steps: roughly ``step_ms`` apart, jittered, increasing,
    squeezed to end before ``limit`` (a running job never logs in the future)."""
    out, t = [], start + rng.randint(2 * SECOND, 20 * SECOND)
    for _ in range(n):
        t += max(1, int(step_ms * rng.uniform(0.85, 1.15)))
        out.append(t)
    if limit is not None and out and out[-1] > limit:
        scale = (limit - start) / (out[-1] - start)
        out = [start + int((t - start) * scale) for t in out]
    return out


def log_time(ms: int) -> str:
    """A timestamp as Python's ``logging`` prints it (UTC), for the demo's log files."""
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%d %H:%M:%S,") + f"{ms % 1000:03d}"
