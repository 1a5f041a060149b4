"""Metric files of an ``mlruns`` folder: one ``timestamp value step`` line per point.

MLflow appends to these files while a run trains, so a reader may find a last line
half written, or (after a crash) a garbage line: both are handled here, so that
one bad line costs one point, not the run.
"""

from __future__ import annotations

import math


def parse_metric_line(line: str) -> tuple[int, float, int] | None:
    """``timestamp value [step [dataset_name dataset_digest]]`` -> (ts, value, step).

    MLflow writes 3 fields (5 with a dataset since MLflow 3; very old versions 2).
    Anything else is a garbage line: None. Values are Python float text, so
    ``nan``, ``inf`` and ``-inf`` come back as the floats they were.
    """
    parts = line.split()
    n = len(parts)
    if n not in (2, 3, 5):
        return None
    try:
        ts = _int(parts[0])
        value = float(parts[1])
        step = _int(parts[2]) if n > 2 else 0
    except (ValueError, OverflowError):
        return None
    return ts, value, step


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        number = float(text)
        if not math.isfinite(number):
            raise
        return int(number)


def parse_metric_data(
    data: bytes,
) -> tuple[list[tuple[int, float, int]], tuple[int, float, int] | None, int, int]:
    """Every readable point of a metric file, in file order.

    Returns ``(points, tail, bad_lines, consumed)``. Garbage lines are skipped
    and counted; ``consumed`` is the number of bytes up to the end of the last
    complete line. A last line without its newline may be half written (MLflow
    appends line by line): it comes apart as ``tail``, and only if it parses with
    at least as many fields as the line before it.
    """
    points: list[tuple[int, float, int]] = []
    bad = 0
    consumed = data.rfind(b"\n") + 1
    lines = data[:consumed].decode("utf-8", errors="replace").split("\n")
    last_fields = 0
    for line in lines:
        if not line or line.isspace():
            continue
        point = parse_metric_line(line)
        if point is None:
            bad += 1
            continue
        last_fields = len(line.split())
        points.append(point)
    tail = None
    rest = data[consumed:].decode("utf-8", errors="replace")
    if rest.strip():
        tail = parse_metric_line(rest)
        if tail is not None and last_fields and len(rest.split()) < last_fields:
            tail = None
    return points, tail, bad, consumed


def latest_point(points: list[tuple[int, float, int]]) -> tuple[int, float, int] | None:
    """The point MLflow reports as the metric's value: the max of (step, timestamp,
    value), with Python's own ``max`` so NaN ties break exactly as in MLflow."""
    if not points:
        return None
    best = max(points, key=lambda p: (p[2], p[0], p[1]))
    return best


def better_point(
    current: tuple[int, float, int] | None, points: list[tuple[int, float, int]]
) -> tuple[int, float, int] | None:
    """``latest_point(old_points + points)`` given ``current = latest_point(old_points)``."""
    if current is None:
        return latest_point(points)
    return latest_point([current, *points])
