"""What a search of runs asks for, as one value.

The runs table, its live refresh, the count, exports and the CLI all ask the
store the same kind of question; a :class:`RunQuery` carries it, so the
parameter list is written once and two callers cannot disagree on it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from .entities import ViewType


@dataclass(frozen=True)
class RunQuery:
    """Which runs, in which order."""

    experiment_ids: tuple[str, ...]
    filter: str = ""
    """MLflow's filter grammar (``metrics.acc > 0.9 AND params.lr = '0.01'``)."""
    order_by: tuple[str, ...] = ()
    """MLflow's order_by strings; empty is MLflow's default (newest first)."""
    view: ViewType = ViewType.ACTIVE
    top_level: bool = False
    """Only runs whose parent run is not among the runs of this view: the rows of
    the tree view (runs without a parent, and orphans of a deleted parent)."""

    @classmethod
    def of(
        cls,
        experiment_ids: Sequence[str],
        filter: str = "",
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE,
        top_level: bool = False,
    ) -> RunQuery:
        if isinstance(order_by, str):
            order_by = [order_by]
        return cls(tuple(str(e) for e in experiment_ids), filter or "", tuple(order_by), view,
                   top_level)

    def replace(self, **changes) -> RunQuery:
        return dataclasses.replace(self, **changes)
