"""Metric histories from a tracking server, downsampled as the SQL backend
downsamples them wherever the API allows.

``max_points`` uses ``get-history-bulk-interval``: when it returns the whole
range (fewer than :data:`BULK_MAX` points) the points are bucketed here
exactly as the SQL backend buckets them. Longer histories are read whole with
``get-history`` when they hold at most :data:`FULL_HISTORY_BUDGET` points
(same result as SQL); beyond that the server's evenly spaced sample of
:data:`BULK_MAX` points is bucketed, so a spike between two sampled points can
be missed. A server without the endpoint (HTTP 404) gets ``get-history`` and
the same bucketing, and is not asked for the endpoint again.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..downsample import downsample
from ..entities import Metric
from ..errors import ResourceNotFound
from . import decode
from .client import RestClient
from .failures import EndpointNotFound

BULK_MAX = 2500
"""``max_results`` per run of ``get-history-bulk-interval`` (the server's maximum)."""
FULL_HISTORY_BUDGET = 25_000
"""Points of a history read whole to downsample it exactly."""
HISTORY_PAGE = 25_000
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Histories:
    """Metric history reads; remembers whether the server has the bulk endpoint."""

    def __init__(self, client: RestClient):
        self.client = client
        self.bulk_interval = True
        """False once the server answered 404 for get-history-bulk-interval."""

    def metric_history(
        self, run_id: str, key: str, min_step: int | None, max_step: int | None,
        max_points: int | None,
    ) -> list[Metric]:
        """The history of one metric in ``min_step .. max_step``, ordered by step then
        timestamp; about ``max_points`` of them when given, downsampled as SQL does it
        (see the module notes)."""
        if min_step is not None and max_step is not None and min_step > max_step:
            return []
        if max_points is None:
            return _in_range(self._full(run_id, key) or [], min_step, max_step)
        sample = self._bulk_sample(run_id, key, min_step, max_step)
        if sample is not None and len(sample) < BULK_MAX:
            return downsample(sample, max_points)
        budget = FULL_HISTORY_BUDGET if sample is not None else None
        full = self._full(run_id, key, budget)
        if full is None:  # longer than the budget: bucket the server's sample
            return downsample(sample or [], max_points)
        return downsample(_in_range(full, min_step, max_step), max_points)

    def _full(self, run_id: str, key: str, budget: int | None = None) -> list[Metric] | None:
        """The whole history (None if it holds more than ``budget`` points)."""
        points: list[Metric] = []
        token = None
        while True:
            try:
                data = self.client.call(
                    "GET",
                    "metrics/get-history",
                    params={
                        "run_id": run_id,
                        "metric_key": key,
                        "max_results": HISTORY_PAGE,
                        "page_token": token,
                    },
                )
            except ResourceNotFound:
                return []  # as SQL: an unknown run has an empty history
            points.extend(decode.metric(m, key) for m in data.get("metrics") or ())
            token = data.get("next_page_token")
            if not token:
                return points
            if budget is not None and len(points) >= budget:
                return None

    def _bulk_sample(
        self, run_id: str, key: str, min_step: int | None, max_step: int | None
    ) -> list[Metric] | None:
        """The server's downsampled history (None when it lacks the endpoint)."""
        if not self.bulk_interval:
            return None
        params: dict = {"run_ids": [run_id], "metric_key": key, "max_results": BULK_MAX}
        if min_step is not None or max_step is not None:
            params["start_step"] = INT64_MIN if min_step is None else int(min_step)
            params["end_step"] = INT64_MAX if max_step is None else int(max_step)
        try:
            data = self.client.call("GET", "metrics/get-history-bulk-interval", params=params)
        except EndpointNotFound:
            self.bulk_interval = False
            return None
        except ResourceNotFound:
            return []
        points = [decode.metric(m, key) for m in data.get("metrics") or ()]
        points.sort(key=lambda m: (m.step, m.timestamp))
        return points


def _in_range(points: Iterable[Metric], lo: int | None, hi: int | None) -> list[Metric]:
    kept = [m for m in points if (lo is None or m.step >= lo) and (hi is None or m.step <= hi)]
    kept.sort(key=lambda m: (m.step, m.timestamp))
    return kept
