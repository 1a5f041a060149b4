"""What the trace screen shows beside the waterfall: the header of the trace, the
selected span's inputs, outputs, attributes and events, and the assessments.

Values are what the application logged, so they may be huge (a 5 MB prompt),
deep, or hostile (escape codes, markup). The detail shows them as pretty JSON
with every long string cut to :data:`VALUE_LIMIT` characters, containers to
:data:`ITEM_LIMIT` items and nesting to :data:`DEPTH_LIMIT` levels (a bounded
walk: no RecursionError), and says what it cut; :func:`whole_text` gives the
whole value for the value viewer, one key away. Every text here has its control
characters made visible (``textfmt``); none is ever markup.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..store.span_tree import SpanNode
from ..store.trace_entities import SPAN_INPUTS, SPAN_OUTPUTS, Assessment, Span, TraceInfo
from ..textfmt import format_duration, format_timestamp, safe_multiline, safe_text
from .trace_view import format_ns

VALUE_LIMIT = 2_000
"""Characters of one string value drawn in the detail; the rest is one key away."""
ITEM_LIMIT = 200
"""Items of one list or object drawn in the detail."""
DEPTH_LIMIT = 40
"""Nesting levels drawn in the detail."""
TEXT_LIMIT = 60_000
"""Characters of one detail section: highlighting more would make the cursor lag."""
SHORT_LIMIT = 120
"""Characters of an assessment value in its one-line summary."""
SECTIONS = ("Inputs", "Outputs", "Attributes", "Events")


@dataclass
class _Cuts:
    count: int = 0


def _shorten(value: Any, cuts: _Cuts, depth: int = 0) -> Any:
    """A copy of ``value`` small enough to draw. The recursion is bounded by
    DEPTH_LIMIT, whatever the value's own depth."""
    if isinstance(value, str):
        if len(value) > VALUE_LIMIT:
            cuts.count += 1
            return f"{value[:VALUE_LIMIT]}… (+{len(value) - VALUE_LIMIT:,} characters)"
        return value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if depth >= DEPTH_LIMIT:
        cuts.count += 1
        return "… (nested deeper)"
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for n, (key, item) in enumerate(value.items()):
            if n == ITEM_LIMIT:
                cuts.count += 1
                out["…"] = f"{len(value) - ITEM_LIMIT:,} more keys"
                break
            key = str(key)
            if len(key) > VALUE_LIMIT:
                key = key[:VALUE_LIMIT] + "…"
            out[key] = _shorten(item, cuts, depth + 1)
        return out
    if isinstance(value, (list, tuple)):
        items = [_shorten(item, cuts, depth + 1) for item in value[:ITEM_LIMIT]]
        if len(value) > ITEM_LIMIT:
            cuts.count += 1
            items.append(f"… {len(value) - ITEM_LIMIT:,} more items")
        return items
    return _shorten(str(value), cuts, depth)


def _dumps(value: Any, indent: int | None = 2) -> str:
    try:
        return json.dumps(value, indent=indent, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        return repr(value)


def whole_text(value: Any) -> str:
    """The whole value as pretty JSON (for the value viewer, which draws it inert)."""
    if isinstance(value, str):
        return value  # a plain string reads better without quotes and escapes
    return _dumps(value)


@dataclass(frozen=True)
class Section:
    """One tab of the span detail."""

    title: str
    value: Any
    """What it shows, whole (for ``v``)."""
    text: str
    """Pretty JSON, cut where long, control characters visible."""
    cuts: int = 0
    """How many values were cut short (0: the text is the whole value)."""

    @property
    def empty(self) -> bool:
        return self.value is None or self.value == {} or self.value == []


def section(title: str, value: Any) -> Section:
    cuts = _Cuts()
    if value is None:
        return Section(title, None, "")
    text = _dumps(_shorten(value, cuts))
    if len(text) > TEXT_LIMIT:
        cuts.count += 1
        text = text[:TEXT_LIMIT] + f"\n… (+{len(text) - TEXT_LIMIT:,} characters)"
    return Section(title, value, safe_multiline(text), cuts.count)


def event_values(span: Span, trace_start_ns: int) -> list[dict[str, Any]]:
    """The span's events as plain values, each with its time from the trace's start."""
    out = []
    for event in span.events:
        entry: dict[str, Any] = {"name": event.name}
        if event.timestamp_ns:
            entry["at"] = format_ns(max(0, event.timestamp_ns - trace_start_ns))
        if event.attributes:
            entry["attributes"] = event.attributes
        out.append(entry)
    return out


@dataclass(frozen=True)
class SpanDetail:
    """The selected span: a summary and the four sections."""

    span: Span
    summary: list[tuple[str, str]]
    """(label, text) pairs, safe."""
    sections: dict[str, Section] = field(default_factory=dict)


def span_detail(node: SpanNode, trace_start_ns: int) -> SpanDetail:
    span = node.span
    # the inputs and outputs are attributes too (mlflow.spanInputs / spanOutputs):
    # shown once, in their own tabs, not a second 5 MB copy under Attributes
    attributes = {k: v for k, v in span.attributes.items() if k not in (SPAN_INPUTS,
                                                                         SPAN_OUTPUTS)}
    status = span.status_code
    if span.status_message:
        status += f": {span.status_message}"
    parent = span.parent_id or "—"
    if node.orphan:
        parent += " (not in this trace)"
    offset = max(0, span.start_time_ns - trace_start_ns) if span.start_time_ns else 0
    summary = [
        ("span", span.name),
        ("type", span.span_type or "—"),
        ("status", status),
        ("start", f"+{format_ns(offset)}"),
        ("duration", format_ns(span.duration_ns) if span.duration_ns is not None
         else "still open"),
        ("id", span.span_id),
        ("parent", parent),
    ]
    sections = {
        "Inputs": section("Inputs", span.inputs),
        "Outputs": section("Outputs", span.outputs),
        "Attributes": section("Attributes", attributes),
        "Events": section("Events", event_values(span, trace_start_ns)),
    }
    return SpanDetail(span, [(k, safe_text(v)) for k, v in summary], sections)


# -- the trace's header ----------------------------------------------------------------------
def trace_summary(info: TraceInfo, span_count: int | None = None) -> list[tuple[str, str]]:
    """(label, text) pairs for the header: id, name, state, duration, when, tokens,
    cost, run, session, user tags. Safe text."""
    out: list[tuple[str, str]] = [("trace", info.trace_id)]
    if info.name:
        out.append(("name", info.name))
    out.append(("state", info.state))
    out.append(("duration", format_duration(info.execution_duration)
                if info.execution_duration is not None else "in progress"))
    out.append(("request", format_timestamp(info.request_time)))
    if span_count is not None:
        out.append(("spans", f"{span_count:,}"))
    usage = info.token_usage
    if usage:
        parts = [f"{k.removesuffix('_tokens')} {usage[k]}" for k in
                 ("input_tokens", "output_tokens", "total_tokens") if k in usage]
        out.append(("tokens", " · ".join(parts)))
    cost = info.cost
    if cost and "total_cost" in cost:
        out.append(("cost", f"${cost['total_cost']}"))
    if info.run_id:
        out.append(("run", info.run_id))
    if info.session_id:
        out.append(("session", info.session_id))
    tags = {k: v for k, v in info.tags.items() if not k.startswith("mlflow.")}
    if tags:
        out.append(("tags", ", ".join(f"{k}={v}" for k, v in sorted(tags.items()))))
    return [(k, safe_text(v)) for k, v in out]


# -- assessments ---------------------------------------------------------------------------
@dataclass(frozen=True)
class AssessmentLine:
    """One assessment as the panel lists it (safe text)."""

    assessment: Assessment
    name: str
    value: str
    """The value as short JSON (cut at SHORT_LIMIT), or the error of a failed judge."""
    source: str
    rationale: str
    error: str
    valid: bool
    """False once overridden: shown dimmed."""


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else _dumps(value, indent=None)
    text = safe_text(text)
    return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 1] + "…"


def assessment_line(a: Assessment) -> AssessmentLine:
    source = a.source_type or ""
    if a.source_id:
        source = f"{source} {a.source_id}".strip()
    return AssessmentLine(
        a, safe_text(a.name), _short(a.value) if a.value is not None else "—",
        safe_text(source), safe_text(a.rationale or ""), safe_text(a.error or a.error_code or ""),
        a.valid)


ASSESSMENT_GROUPS = (("feedback", "Feedback"), ("expectation", "Expectations"),
                     ("issue", "Issues"))


def assessment_groups(assessments: Sequence[Assessment]) -> list[tuple[str, list[AssessmentLine]]]:
    """The assessments by kind (feedback, then expectations, then issues), each kind
    by name then time; kinds without any are left out."""
    out = []
    for kind, title in ASSESSMENT_GROUPS:
        group = sorted((a for a in assessments if a.kind == kind),
                       key=lambda a: (a.name, a.create_time or 0, a.assessment_id))
        if group:
            out.append((title, [assessment_line(a) for a in group]))
    others = [a for a in assessments if a.kind not in {k for k, _ in ASSESSMENT_GROUPS}]
    if others:
        out.append(("Other", [assessment_line(a) for a in others]))
    return out
