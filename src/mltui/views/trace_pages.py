"""Pages of traces for the traces table: what to ask the store, which trace sits
on which line, and the text of each cell.

As for runs (``run_pages.py``), the table never holds every trace: it draws the
lines on screen and asks for the pages it lacks; a :class:`~.run_pages.PageBook`
keeps what was asked for the current query. Loading functions run in worker
threads. No Textual here: the screen starts workers and draws, this module decides.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from ..store.base import BaseStore
from ..store.errors import InvalidSearch
from ..store.trace_entities import Assessment, TraceInfo, TraceQuery
from ..textfmt import format_duration, format_number, format_relative, format_timestamp, safe_text

_SAFE_ID = re.compile(r"^[\w\-]+$")


# -- loading --------------------------------------------------------------------------


@dataclass
class LoadedTraces:
    """One page of the traces table as the store returned it (a ``PageAnswer``)."""

    page: int
    traces: list[TraceInfo]
    total: int | None = None
    """Traces of the whole query, when the store counted."""
    more: bool = False
    """Pages follow this one."""

    @property
    def row_count(self) -> int:
        return len(self.traces)


@dataclass(frozen=True)
class Refused:
    """The store refused the query itself (a filter it cannot answer, such as a span
    filter on an mlruns folder): the screen goes back to the previous filter rather
    than showing an empty table."""

    message: str


def trace_query(experiment_ids: Sequence[str], filter_text: str = "",
                order_by: Sequence[str] = (), run_id: str | None = None) -> TraceQuery:
    """The query of the traces table: ``filter_text`` as typed, narrowed to the
    traces made under ``run_id`` (MLflow's ``run_id`` key: request metadata
    ``mlflow.sourceRun``) when the table shows a run's traces."""
    text = filter_text.strip()
    if run_id is not None:
        if not _SAFE_ID.match(run_id):
            raise InvalidSearch(f"Unexpected run id {run_id!r}")
        # MLflow's grammar has AND but no parentheses: the user's clauses simply follow
        text = f"run_id = '{run_id}'" + (f" AND {text}" if text else "")
    return TraceQuery.of(experiment_ids, text, order_by)


def load_trace_page(
    store: BaseStore, query: TraceQuery, page: int, size: int, *, count: bool = False
) -> LoadedTraces | Refused:
    """Page ``page`` of ``query`` (``size`` traces from ``page * size``), counted when
    ``count``; a :class:`Refused` when the store refuses the query."""
    try:
        result = store.query_traces(query, max_results=size, offset=page * size,
                                    count_total=count)
    except InvalidSearch as exc:
        return Refused(str(exc))
    return LoadedTraces(page, list(result.traces), result.total, bool(result.next_page_token))


def reload_trace_pages(
    store: BaseStore, query: TraceQuery, pages: Sequence[int], size: int
) -> list[LoadedTraces | Refused]:
    """The pages on screen again (r); the first is counted."""
    return [load_trace_page(store, query, page, size, count=i == 0)
            for i, page in enumerate(pages)]


def count_trace_rows(store: BaseStore, query: TraceQuery) -> int:
    """Traces of the whole query (every page on a tracking server: a worker's job)."""
    return store.count_traces(query.experiment_ids, query.filter)


def any_traces(store: BaseStore, query: TraceQuery) -> bool:
    """Whether ``query`` finds a trace at all: the check before the traces screen
    opens. False, never an error, for a store or schema without traces."""
    if not store.capabilities.traces:
        return False
    if not query.filter:
        return store.has_traces(query.experiment_ids)
    return bool(store.query_traces(query, max_results=1).traces)


# -- which trace is on which line ------------------------------------------------------


class TraceRows:
    """Line -> trace over pages kept in a small LRU cache (no tree, unlike runs)."""

    def __init__(self, page_size: int = 200, max_pages: int = 40):
        self.page_size = page_size
        self.max_pages = max_pages
        self.total = 0
        """Lines of the table: the book's total (exact, or what is seen so far)."""
        self.pages: OrderedDict[int, list[TraceInfo]] = OrderedDict()

    def reset(self, total: int = 0) -> None:
        self.total = total
        self.pages.clear()

    def page_of(self, index: int) -> int:
        return index // self.page_size

    def has_page(self, page: int) -> bool:
        return page in self.pages

    def set_page(self, page: int, traces: list[TraceInfo]) -> None:
        self.pages[page] = traces
        self.pages.move_to_end(page)
        while len(self.pages) > self.max_pages:
            self.pages.popitem(last=False)

    def trace_at(self, index: int) -> TraceInfo | None:
        page = self.pages.get(self.page_of(index))
        offset = index % self.page_size
        if page is None or offset >= len(page):
            return None
        return page[offset]

    def pages_needed(self, first: int, last: int) -> set[int]:
        """Pages holding lines ``first`` to ``last`` (exclusive) of the table."""
        last = min(last, self.total)
        if last <= first:
            return set()
        return set(range(self.page_of(first), self.page_of(last - 1) + 1))

    def find(self, trace_id: str) -> int | None:
        for page, traces in self.pages.items():
            for offset, info in enumerate(traces):
                if info.trace_id == trace_id:
                    return page * self.page_size + offset
        return None

    def loaded(self) -> Iterable[TraceInfo]:
        for traces in self.pages.values():
            yield from traces


# -- columns and cells -------------------------------------------------------------------


@dataclass(frozen=True)
class TraceColumn:
    """A column of the traces table."""

    key: str
    header: str
    order_key: str | None = None
    """The attribute MLflow sorts by (``timestamp_ms``...); None: not sortable."""
    descending_first: bool = False
    """The first ``s`` sorts this way (newest, slowest first)."""
    right: bool = False
    """Numbers line up on the right."""
    min_width: int = 6
    max_width: int = 24

    def order_by(self, ascending: bool) -> str | None:
        if self.order_key is None:
            return None
        return f"{self.order_key} {'ASC' if ascending else 'DESC'}"


COLUMNS: tuple[TraceColumn, ...] = (
    TraceColumn("time", "Time", "timestamp_ms", descending_first=True, min_width=8),
    TraceColumn("status", "Status", "status", min_width=6, max_width=12),
    TraceColumn("duration", "Duration", "execution_time_ms", descending_first=True,
                right=True, min_width=8, max_width=10),
    TraceColumn("name", "Name", "name", min_width=8, max_width=24),
    TraceColumn("request", "Request", min_width=12, max_width=44),
    TraceColumn("response", "Response", min_width=12, max_width=44),
    TraceColumn("tokens", "Tokens", right=True, max_width=10),
    TraceColumn("cost", "Cost", right=True, max_width=10),
    TraceColumn("assessments", "Assessments", min_width=12, max_width=40),
    TraceColumn("tags", "Tags", min_width=8, max_width=32),
    TraceColumn("trace_id", "Trace id", "request_id", min_width=10, max_width=36),
)
COLUMN = {c.key: c for c in COLUMNS}
SORT_CYCLE = ("time", "duration", "status", "name")
"""What ``s`` steps through from a column MLflow cannot sort traces by."""

STATE_SYMBOLS = {"OK": "✔", "ERROR": "✘", "IN_PROGRESS": "▶"}


def state_text(state: str) -> str:
    """The state as MLflow names it (the table draws its symbol in front of every row)."""
    return safe_text(state).replace("STATE_UNSPECIFIED", "unspecified")


def preview_text(preview: str | None) -> str:
    """A request or response preview on one line: a JSON string shown without its
    quotes (``"answer"`` -> ``answer``), anything else as MLflow stored it."""
    if not preview:
        return ""
    text = preview
    if text.startswith('"'):
        try:
            value = json.loads(text)
        except (ValueError, RecursionError):
            value = None
        if isinstance(value, str):
            text = value
    return safe_text(text)


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def tokens_text(info: TraceInfo) -> str:
    """Total tokens (``mlflow.trace.tokenUsage``), or input + output when only those
    were logged; empty where nothing was."""
    usage = info.token_usage or {}
    total = _number(usage.get("total_tokens"))
    if total is None:
        parts = [_number(usage.get(k)) for k in ("input_tokens", "output_tokens")]
        if all(p is None for p in parts):
            return ""
        total = sum(p for p in parts if p is not None)
    return f"{int(total):,}" if float(total).is_integer() else format_number(total)


def cost_text(info: TraceInfo) -> str:
    """Total cost in USD (``mlflow.trace.cost``), where logged."""
    cost = info.cost or {}
    total = _number(cost.get("total_cost"))
    if total is None:
        parts = [_number(cost.get(k)) for k in ("input_cost", "output_cost")]
        if all(p is None for p in parts):
            return ""
        total = sum(p for p in parts if p is not None)
    return f"${total:.4f}" if total < 1 else f"${total:,.2f}"


def assessment_value(assessment: Assessment) -> str:
    """``yes`` / ``no`` for a boolean, a number as numbers are shown, ``error`` for a
    judge that failed, JSON for anything else."""
    if assessment.error:
        return "error"
    value = assessment.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if _number(value) is not None:
        return format_number(value)
    if isinstance(value, str):
        return value
    if value is None:
        return "–"
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return str(value)


def assessments_text(info: TraceInfo) -> str:
    """``correct: yes  relevance: 0.9``: the valid feedback (an overridden one is
    left out), then the expectations, each by name."""
    valid = [a for a in info.assessments if a.valid]
    ordered = sorted(valid, key=lambda a: (a.kind != "feedback", a.name))
    return "  ".join(f"{a.name}: {assessment_value(a)}" for a in ordered)


def user_tags_text(info: TraceInfo) -> str:
    """Tags the application set (``team=red``); MLflow's own ``mlflow.*`` left out."""
    return ", ".join(f"{k}={v}" for k, v in sorted(info.tags.items())
                     if not k.startswith("mlflow."))


def cell_text(column: TraceColumn, info: TraceInfo, *, relative: bool = True,
              now_ms: float | None = None) -> str:
    """What ``column`` shows for ``info``: one line, control characters made visible."""
    key = column.key
    if key == "time":
        return format_relative(info.request_time, now_ms) if relative else \
            format_timestamp(info.request_time)
    if key == "status":
        return state_text(info.state)
    if key == "duration":
        return format_duration(info.execution_duration)
    if key == "name":
        return safe_text(info.name or "")
    if key == "request":
        return preview_text(info.request_preview)
    if key == "response":
        return preview_text(info.response_preview)
    if key == "tokens":
        return tokens_text(info)
    if key == "cost":
        return cost_text(info)
    if key == "assessments":
        return safe_text(assessments_text(info))
    if key == "tags":
        return safe_text(user_tags_text(info))
    if key == "trace_id":
        return safe_text(info.trace_id)
    return ""


def whole_value(column: TraceColumn, info: TraceInfo) -> str:
    """The focused cell whole, for the value viewer (``w``): previews as stored,
    every assessment and tag on its own line, the exact time."""
    key = column.key
    if key == "time":
        return f"{format_timestamp(info.request_time)}  ({info.request_time} ms)"
    if key == "request":
        return info.request_preview or ""
    if key == "response":
        return info.response_preview or ""
    if key == "tokens":
        return json.dumps(info.token_usage, indent=2) if info.token_usage else ""
    if key == "cost":
        return json.dumps(info.cost, indent=2) if info.cost else ""
    if key == "assessments":
        return "\n".join(f"{a.name} ({a.kind}{'' if a.valid else ', overridden'}): "
                         f"{assessment_value(a)}" + (f"\n  {a.rationale}" if a.rationale else "")
                         for a in sorted(info.assessments, key=lambda a: (a.kind, a.name)))
    if key == "tags":
        return "\n".join(f"{k} = {v}" for k, v in sorted(info.tags.items()))
    return cell_text(column, info, relative=False)


@dataclass
class SortState:
    """The order of the table: a column and a direction, or MLflow's default."""

    column: TraceColumn | None = None
    ascending: bool = False

    @property
    def order_by(self) -> list[str]:
        if self.column is None:
            return []
        order = self.column.order_by(self.ascending)
        return [order] if order else []

    @property
    def label(self) -> str:
        if self.column is None:
            return "newest first"
        return f"{self.column.header.lower()} {'↑' if self.ascending else '↓'}"

    def by(self, column: TraceColumn) -> bool:
        """Sort by ``column`` (the same column again: the other direction). False
        when MLflow cannot sort traces by it."""
        if column.order_key is None:
            return False
        if self.column == column:
            self.ascending = not self.ascending
        else:
            self.column, self.ascending = column, not column.descending_first
        return True

    def cycle(self) -> TraceColumn:
        """The next key of :data:`SORT_CYCLE` after the current one."""
        keys = list(SORT_CYCLE)
        current = self.column.key if self.column is not None else "time"
        # from the default (newest first: time descending) the first step is duration
        start = keys.index(current) + 1 if current in keys else 0
        if self.column is None:
            start = 1
        column = COLUMN[keys[start % len(keys)]]
        self.column, self.ascending = column, not column.descending_first
        return column

    def reset(self) -> None:
        self.column, self.ascending = None, False
