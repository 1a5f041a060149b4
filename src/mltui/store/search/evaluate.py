"""The search evaluated in Python (file store, REST fallbacks, tests), as MLflow's
``SearchUtils.filter`` and ``SearchUtils.sort`` do."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence

from ..entities import DATASET_CONTEXT_TAG, DatasetInput, Run
from .terms import ATTRIBUTE, DATASET, METRIC, PARAM, TAG, Clause, OrderKey


def _like_regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    regex = re.escape(pattern).replace("%", ".*").replace("_", ".")
    if not pattern.startswith("%"):
        regex = "^" + regex
    if not pattern.endswith("%"):
        regex = regex + "$"
    return re.compile(regex, flags | re.DOTALL)


def compare(comparator: str, lhs, rhs) -> bool:
    if comparator == "=":
        return lhs == rhs
    if comparator == "!=":
        return lhs != rhs
    if comparator == ">":
        return lhs > rhs
    if comparator == ">=":
        return lhs >= rhs
    if comparator == "<":
        return lhs < rhs
    if comparator == "<=":
        return lhs <= rhs
    if comparator == "LIKE":
        return _like_regex(rhs).match(lhs) is not None
    if comparator == "ILIKE":
        return _like_regex(rhs, re.IGNORECASE).match(lhs) is not None
    if comparator == "IN":
        return lhs in rhs
    if comparator == "NOT IN":
        return lhs not in rhs
    raise ValueError(comparator)


def _attribute(run: Run, key: str):
    if key == "run_id":
        return run.run_id
    if key == "run_name":
        return run.run_name
    return getattr(run, key)


def run_matches(run: Run, clauses: Sequence[Clause], inputs: Sequence[DatasetInput] = ()) -> bool:
    """True if ``run`` satisfies every clause (MLflow's ``_does_run_match_clause``)."""
    return all(_clause_matches(run, c, inputs) for c in clauses)


def _clause_matches(run: Run, clause: Clause, inputs: Sequence[DatasetInput]) -> bool:
    kind, key, comparator, value = clause.kind, clause.key, clause.comparator, clause.value
    if kind == DATASET:
        for dataset in inputs:
            lhs = (
                dataset.tags.get(DATASET_CONTEXT_TAG) if key == "context" else getattr(dataset, key)
            )
            if key == "context" and DATASET_CONTEXT_TAG not in dataset.tags:
                continue
            if lhs is not None and compare(comparator, lhs, value):
                return True
        return False
    if kind == METRIC:
        lhs = run.metric_value(key)
    elif kind == PARAM:
        lhs = run.params.get(key)
    elif kind == TAG:
        lhs = run.tags.get(key)
    else:
        lhs = _attribute(run, key)
    if comparator == "IS NULL":
        return lhs is None
    if comparator == "IS NOT NULL":
        return lhs is not None
    if lhs is None:
        return False
    return compare(comparator, lhs, value)


def _sort_value(run: Run, key: OrderKey):
    if key.kind == METRIC:
        return run.metric_value(key.key)
    if key.kind == PARAM:
        return run.params.get(key.key)
    if key.kind == TAG:
        return run.tags.get(key.key)
    return _attribute(run, key.key)


def sort_runs(runs: Iterable[Run], order: Sequence[OrderKey]) -> list[Run]:
    """Sort as MLflow's SQL store does: ``NaN`` after values, missing last, then
    start time descending and run id as the tie-breakers."""
    result = sorted(runs, key=lambda r: r.run_id)
    if not any(k.kind == ATTRIBUTE and k.key == "start_time" for k in order):
        result.sort(key=lambda r: -(r.start_time or 0))
    for key in reversed(order):
        result = _sort_stable(result, key)
    return result


def _sort_stable(runs: list[Run], key: OrderKey) -> list[Run]:
    present, nans, missing = [], [], []
    for run in runs:
        value = _sort_value(run, key)
        if value is None:
            missing.append(run)
        elif isinstance(value, float) and math.isnan(value):
            nans.append(run)
        else:
            present.append((value, run))
    present.sort(key=lambda pair: pair[0], reverse=not key.ascending)
    return [run for _, run in present] + nans + missing


Filter = list[Clause]
RunPredicate = Callable[[Run], bool]
