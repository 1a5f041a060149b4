"""Top-level runs (the tree view's rows) from a tracking server that cannot
select them itself.

No MLflow server can say "runs whose parent is not among the runs shown" (and
servers before MLflow 3.11 cannot even say ``IS NULL``). So the runs come in
the server's order and are filtered here: a run stays unless its parent is
one of the runs of the same search, which one ``run_id IN (...)`` request
per batch tells. Reaching top-level row N means reading every run before it;
checkpoints (top-level index -> server offset) remember how far earlier
scans got, so later pages, ``G`` and the count do not start over. A scan
from the first row starts fresh (a reload, a live refresh of the top), so
what is shown is never older than the last look at the top.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

from ..entities import PARENT_RUN_TAG, Run

SCAN_BATCH = 500
"""Runs read per request while scanning."""
MAX_SCANS = 8
"""Queries whose checkpoints are kept (the runs screen uses one or two at a time)."""

Fetch = Callable[[int, int], list[Run]]
"""``fetch(offset, limit)``: runs of the search in the server's order."""
Present = Callable[[Sequence[str]], set[str]]
"""``present(ids)``: which of these run ids are runs of the same search."""


@dataclass
class _Scan:
    tops: list[int] = field(default_factory=lambda: [0])
    """Top-level index at each checkpoint (sorted)."""
    offsets: list[int] = field(default_factory=lambda: [0])
    """Server offset at each checkpoint."""
    total: int | None = None
    """Top-level runs in all, once a scan reached the end."""
    parents: dict[str, bool] = field(default_factory=dict)
    """Parent id -> whether it is one of the runs of the search."""


class TopLevelRuns:
    """Pages of top-level runs for any number of searches, keyed by the caller."""

    def __init__(self, batch: int = SCAN_BATCH):
        self.batch = batch
        self._scans: OrderedDict[Hashable, _Scan] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every checkpoint (after a write changed which runs exist)."""
        with self._lock:
            self._scans.clear()

    def _scan(self, key: Hashable, fresh: bool) -> _Scan:
        with self._lock:
            scan = None if fresh else self._scans.get(key)
            if scan is None:
                scan = self._scans[key] = _Scan()
            self._scans.move_to_end(key)
            while len(self._scans) > MAX_SCANS:
                self._scans.popitem(last=False)
            return scan

    def page(
        self, key: Hashable, fetch: Fetch, present: Present, offset: int, limit: int
    ) -> tuple[list[Run], bool, int | None]:
        """Top-level runs ``offset .. offset + limit``, whether more follow, and the
        total when known."""
        scan = self._scan(key, fresh=offset == 0)
        found: list[Run] = []
        with self._lock:
            i = bisect.bisect_right(scan.tops, offset) - 1
            top, server = scan.tops[i], scan.offsets[i]
        while len(found) <= limit:
            runs = fetch(server, self.batch)
            for run in self._top_level(scan, runs, present):
                if top >= offset:
                    found.append(run)
                top += 1
            server += len(runs)
            if len(runs) < self.batch:
                with self._lock:
                    scan.total = top
                break
            self._checkpoint(scan, top, server)
        return found[:limit], len(found) > limit, scan.total

    def count(self, key: Hashable, fetch: Fetch, present: Present) -> int:
        """Every top-level run of the search (reads them all, from the last checkpoint)."""
        scan = self._scan(key, fresh=False)
        if scan.total is not None:
            return scan.total
        with self._lock:
            top, server = scan.tops[-1], scan.offsets[-1]
        while True:
            runs = fetch(server, self.batch)
            top += sum(1 for _ in self._top_level(scan, runs, present))
            server += len(runs)
            if len(runs) < self.batch:
                with self._lock:
                    scan.total = top
                return top
            self._checkpoint(scan, top, server)

    def _checkpoint(self, scan: _Scan, top: int, server: int) -> None:
        with self._lock:
            i = bisect.bisect_left(scan.tops, top)
            if i == len(scan.tops) or scan.tops[i] != top:
                scan.tops.insert(i, top)
                scan.offsets.insert(i, server)

    def _top_level(self, scan: _Scan, runs: list[Run], present: Present) -> list[Run]:
        with self._lock:
            unknown = {r.tags[PARENT_RUN_TAG] for r in runs if r.tags.get(PARENT_RUN_TAG)}
            unknown -= scan.parents.keys()
        if unknown:
            found = present(sorted(unknown))
            with self._lock:
                for pid in unknown:
                    scan.parents[pid] = pid in found
        with self._lock:
            return [r for r in runs if not scan.parents.get(r.tags.get(PARENT_RUN_TAG) or "")]
