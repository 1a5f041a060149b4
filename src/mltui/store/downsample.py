"""Downsampling of a metric history in Python, with the SQL store's rule.

The SQL backend does this in the query (``sql.py``); the file and REST backends
do it here, so a chart looks the same whatever the store.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from .entities import Metric


def downsample(points: Sequence[Metric], max_points: int | None) -> list[Metric]:
    """Keep about ``max_points`` of ``points``: ``max_points // 2`` step buckets keep
    their lowest and highest value (NaN only when a bucket has nothing else), plus
    the first and last points; the same point is never kept twice."""
    points = sorted(points, key=lambda m: (m.step, m.timestamp))
    n = len(points)
    if max_points is None or n <= max_points:
        return points
    lo = points[0].step
    hi = points[-1].step
    if hi <= lo:
        return points
    buckets = max(1, max_points // 2)
    span = hi - lo + 1
    lows: dict[int, tuple] = {}
    highs: dict[int, tuple] = {}
    for index, m in enumerate(points):
        bucket = (m.step - lo) * buckets // span
        nan = math.isnan(m.value)
        value = 0.0 if nan else m.value  # MLflow stores NaN as 0 with is_nan
        low = (nan, value, m.step, index)
        high = (nan, -value, m.step, index)
        if bucket not in lows or low < lows[bucket]:
            lows[bucket] = low
        if bucket not in highs or high < highs[bucket]:
            highs[bucket] = high
    keep = {0, n - 1}
    keep.update(entry[3] for entry in lows.values())
    keep.update(entry[3] for entry in highs.values())
    result = []
    seen: set[tuple] = set()
    for index in sorted(keep):
        m = points[index]
        ident = (m.step, m.timestamp, "nan" if math.isnan(m.value) else m.value)
        if ident not in seen:
            seen.add(ident)
            result.append(m)
    return result
