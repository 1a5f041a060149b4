"""Runs side by side, without Textual: one row per attribute, param, metric and tag,
a column per run; which rows differ; the best run of each metric; exports.

What "best" means is guessed from the metric's name (``val_loss`` is best low,
``f1`` high) and can be flipped per row; a name that says nothing gets no mark
rather than a wrong one. Metrics show their last value, or the lowest or highest
of the whole history (``metric_ranges``, one grouped read).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..columns import Column
from ..output import nonfinite_token
from ..store.base import BaseStore
from ..store.entities import RUN_NAME_TAG, Run
from ..store.search import ATTRIBUTE
from ..textfmt import format_number, format_timestamp, safe_text

MIN_RUNS, MAX_RUNS = 2, 50
METRIC_MODES = ("last", "min", "max")
ONLY_DIFFERENCES_PAST = 10
"""Only differences is on when the comparison has more rows than this."""
SECTIONS = ("run", "params", "metrics", "tags")

RUN_ROWS = (Column(ATTRIBUTE, "status"), Column(ATTRIBUTE, "start_time"),
            Column(ATTRIBUTE, "duration"), Column(ATTRIBUTE, "user"))
_HIDDEN_TAGS = frozenset({RUN_NAME_TAG})  # the column header already says it

# name parts that say which way is better; the last one found wins ("f1_loss" is a loss)
_LOWER = frozenset({
    "loss", "losses", "error", "err", "errors", "mae", "mse", "rmse", "rmsle", "msle", "mape",
    "smape", "wape", "mdape", "perplexity", "ppl", "wer", "cer", "ter", "nll", "logloss",
    "crossentropy", "xent", "brier", "fpr", "fnr", "far", "frr", "distance", "regret", "cost",
    "latency", "duration", "time", "seconds", "runtime", "eer", "kl", "divergence",
})
_HIGHER = frozenset({
    "acc", "accuracy", "auc", "roc", "auroc", "aupr", "prauc", "ap", "map", "f1", "f2",
    "fbeta", "precision", "recall", "r2", "ndcg", "mrr", "bleu", "rouge", "rougel", "meteor",
    "chrf", "iou", "miou", "dice", "score", "reward", "rewards", "return", "returns", "tpr",
    "tnr", "mcc", "kappa", "sharpe", "hit", "hits", "hitrate", "top1", "top5", "sensitivity",
    "specificity", "throughput", "fps", "qps", "jaccard", "psnr", "ssim", "coverage", "elpd",
    "likelihood",
})


def guess_direction(key: str) -> str | None:
    """"min" when a lower value is better, "max" when higher is, None when the name
    does not say. ``neg_``-prefixed names (scikit-learn's ``neg_mean_squared_error``)
    flip."""
    parts = [p for p in re.split(r"[^a-z0-9]+", key.lower()) if p]
    for part in reversed(parts):
        word = part.rstrip("0123456789") if part not in _HIGHER | _LOWER else part
        direction = "min" if word in _LOWER else "max" if word in _HIGHER else None
        if direction:
            if "neg" in parts[: parts.index(part)]:
                direction = "max" if direction == "min" else "min"
            return direction
    return None


@dataclass
class CompareRow:
    section: str
    """One of SECTIONS."""
    key: str
    values: list
    """Per run, in run order: the raw value (float, str, int), None where missing."""
    texts: list[str]
    """Per run: one line of safe text ("" where missing)."""
    differs: bool
    direction: str | None = None
    """Metrics: "min" or "max" when the best run is marked."""
    best: frozenset[int] = field(default_factory=frozenset)
    """Indexes of the runs holding the best value (ties share it)."""

    @property
    def label(self) -> str:
        """``params.lr``, ``metrics.val/loss``, ``status``: as a column spec names it."""
        return self.key if self.section == "run" else f"{self.section}.{self.key}"

    @property
    def data_label(self) -> str:
        """The label in CSV and JSON, where the duration is a number of milliseconds."""
        return "duration_ms" if self.section == "run" and self.key == "duration" else self.label


def run_label(run: Run) -> str:
    """A column header: the run's name and the start of its id."""
    name = safe_text(run.run_name) if run.run_name else ""
    return f"{name} ({run.run_id[:8]})" if name else run.run_id[:8]


def compare_rows(
    runs: Sequence[Run], *, mode: str = "last",
    ranges: Mapping[tuple[str, str], tuple[float, float]] | None = None,
    directions: Mapping[str, str | None] | None = None,
) -> list[CompareRow]:
    """Every row of the comparison, differing or not, in section order.

    ``mode`` picks the metric value: ``last``, or the ``min``/``max`` of the history
    from ``ranges`` (None there means not read yet: such cells say "…").
    ``directions`` overrides the guessed best direction per metric key (None: no
    mark)."""
    if mode not in METRIC_MODES:
        raise ValueError(f"mode must be one of {', '.join(METRIC_MODES)}")
    rows: list[CompareRow] = []
    experiments = {run.experiment_id for run in runs}
    attributes = list(RUN_ROWS)
    if len(experiments) > 1:
        attributes.insert(0, Column(ATTRIBUTE, "experiment_id"))
    for column in attributes:
        values = [column.raw(run) for run in runs]
        texts = [format_timestamp(run.start_time) if column.key == "start_time"
                 else column.text(run, relative=False) for run in runs]
        rows.append(CompareRow("run", column.key, values, texts, _differ(values)))
    for key in sorted({k for run in runs for k in run.params}):
        values = [run.params.get(key) for run in runs]
        rows.append(CompareRow("params", key, values, [safe_text(v) for v in values],
                               _differ(values)))
    for key in sorted({k for run in runs for k in run.metrics}):
        rows.append(_metric_row(runs, key, mode, ranges, directions))
    for key in sorted({k for run in runs for k in run.tags} - _HIDDEN_TAGS):
        values = [run.tags.get(key) for run in runs]
        rows.append(CompareRow("tags", key, values, [safe_text(v) for v in values],
                               _differ(values)))
    return rows


def _metric_row(runs: Sequence[Run], key: str, mode: str,
                ranges: Mapping[tuple[str, str], tuple[float, float]] | None,
                directions: Mapping[str, str | None] | None) -> CompareRow:
    values: list[float | None] = []
    texts: list[str] = []
    for run in runs:
        if mode == "last" or key not in run.metrics:
            value = run.metric_value(key)
            text = format_number(value) if value is not None else ""
        elif ranges is None:
            value, text = None, "…"
        else:
            low_high = ranges.get((run.run_id, key))
            value = None if low_high is None else low_high[0 if mode == "min" else 1]
            # logged, but never a finite value: there is no lowest
            text = format_number(value) if value is not None else "no finite value"
        values.append(value)
        texts.append(text)
    direction = directions[key] if directions and key in directions else guess_direction(key)
    return CompareRow("metrics", key, values, texts, _differ(values), direction,
                      best_of(values, direction))


def best_of(values: Sequence[float | None], direction: str | None) -> frozenset[int]:
    """The indexes holding the best finite value; none when fewer than two runs
    have one or they are all equal (nothing to choose between)."""
    if direction is None:
        return frozenset()
    finite = [(i, v) for i, v in enumerate(values)
              if isinstance(v, float | int) and math.isfinite(v)]
    if len(finite) < 2:
        return frozenset()
    pick = min if direction == "min" else max
    target = pick(v for _i, v in finite)
    if all(v == target for _i, v in finite):
        return frozenset()
    return frozenset(i for i, v in finite if v == target)


def _differ(values: Sequence) -> bool:
    first = values[0] if values else None
    for value in values[1:]:
        if isinstance(first, float) and isinstance(value, float) and math.isnan(first) \
                and math.isnan(value):
            continue
        if value != first:
            return True
    return False


def shown_rows(rows: Sequence[CompareRow], only_differences: bool) -> list[CompareRow]:
    return [r for r in rows if r.differs] if only_differences else list(rows)


def read_ranges(
    store: BaseStore, runs: Sequence[Run]
) -> dict[tuple[str, str], tuple[float, float]]:
    """The lowest and highest value of every metric of these runs. May block."""
    keys = sorted({k for run in runs for k in run.metrics})
    return store.metric_ranges([run.run_id for run in runs], keys)


# -- exports -------------------------------------------------------------------------


def exact_text(value) -> str:
    """A value in full: floats to the last digit (repr), NaN and inf by name."""
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    return str(value)


def to_markdown(runs: Sequence[Run], rows: Sequence[CompareRow], *, mode: str = "last") -> str:
    """A GitHub table: a column per run, the best value of a metric in bold.
    Control characters are drawn visible; pipes and newlines escaped."""
    def cell(text: str) -> str:
        return safe_text(text.replace("\\", "\\\\").replace("|", "\\|"))

    metric_label = "" if mode == "last" else f" ({mode})"
    lines = ["| key | " + " | ".join(cell(run_label(r)) for r in runs) + " |",
             "|---|" + "---|" * len(runs)]
    for row in rows:
        label = row.label + (metric_label if row.section == "metrics" else "")
        cells = []
        for i, value in enumerate(row.values):
            # the run's own fields as read on screen (7.0s, not 7000); values in full
            text = cell(row.texts[i] if row.section == "run" else exact_text(value))
            cells.append(f"**{text}**" if i in row.best and text else text)
        lines.append(f"| {cell(label)} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def to_csv(runs: Sequence[Run], rows: Sequence[CompareRow], *, safe: bool = False) -> str:
    """A row per key, a column per run (headed by its id; the next row names them).
    ``safe`` (a terminal, the clipboard) draws control characters visible and
    quotes a text that a spreadsheet would run as a formula (``'=cmd…``); without
    it every value is exact."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")

    def clean(values: list[str]) -> list[str]:
        return [_inert_cell(safe_text(v)) for v in values] if safe else values

    writer.writerow(clean(["key", *[r.run_id for r in runs]]))
    writer.writerow(clean(["run_name", *[r.run_name or "" for r in runs]]))
    for row in rows:
        writer.writerow(clean([row.data_label, *[exact_text(v) for v in row.values]]))
    return out.getvalue()


def _inert_cell(text: str) -> str:
    """A text cell a spreadsheet would evaluate (= + - @ first, as OWASP lists)
    gets a leading apostrophe; numbers such as -0.5 stay as they are."""
    if not text.startswith(("=", "+", "-", "@", "\t", "\r")):
        return text
    try:
        float(text)
    except ValueError:
        return "'" + text
    return text


def to_json(runs: Sequence[Run], rows: Sequence[CompareRow], *, mode: str = "last") -> str:
    """The runs and the rows, values native (NaN and infinities as strings, JSON has
    none, spelled as ``mltui runs --format json`` spells them)."""
    def native(value):
        token = nonfinite_token(value)
        return value if token is None else token

    return json.dumps({
        "metric_value": mode,
        "runs": [{"run_id": r.run_id, "run_name": r.run_name,
                  "experiment_id": r.experiment_id} for r in runs],
        "rows": [{"key": row.data_label, "values": {r.run_id: native(v)
                                                for r, v in zip(runs, row.values, strict=True)},
                  **({"best": [runs[i].run_id for i in sorted(row.best)],
                      "direction": row.direction} if row.section == "metrics" else {})}
                 for row in rows],
    }, indent=2) + "\n"


EXPORTERS = {"md": "Markdown", "csv": "CSV", "json": "JSON"}


def export_text(fmt: str, runs: Sequence[Run], rows: Sequence[CompareRow], mode: str,
                *, safe: bool = False) -> str:
    if fmt == "md":
        return to_markdown(runs, rows, mode=mode)
    if fmt == "csv":
        return to_csv(runs, rows, safe=safe)
    if fmt == "json":
        return to_json(runs, rows, mode=mode)
    raise ValueError(f"unknown format {fmt!r}")
