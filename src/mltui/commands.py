"""The non-interactive commands: each takes an open store and parsed args and
returns a :class:`Tabular`."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from difflib import get_close_matches

from .columns import DEFAULT_ATTRIBUTES, Column, parse_columns
from .output import Tabular, color_wanted, escapes_wanted, nonfinite_token
from .store.base import BaseStore
from .store.entities import Experiment, ModelVersion, Run, RunKeys, ViewType
from .store.errors import InvalidSearch, InvalidValue
from .store.query import RunQuery
from .store.search import ATTRIBUTE, METRIC, PARAM, TAG, quote_key
from .textfmt import first_line, format_iso, format_relative, safe_text
from .views.registry import name_pattern
from .views.run_pages import first_runs

MAX_DEFAULT_KEY_COLUMNS = 6


def cmd_experiments(store: BaseStore, args: argparse.Namespace) -> Tabular:
    exps = store.list_experiments(ViewType.parse(args.view))
    columns = ["id", "name", "runs", "last_activity", "lifecycle", "description"]
    rows, records = [], []
    for e in exps:
        rows.append([
            e.experiment_id,
            safe_text(e.name),
            "" if e.run_count is None else str(e.run_count),
            format_relative(e.last_activity),
            e.lifecycle_stage,
            safe_text(first_line(e.description)),
        ])
        records.append({
            "id": e.experiment_id,
            "name": e.name,
            "runs": e.run_count,
            "last_activity": format_iso(e.last_activity),
            "lifecycle": e.lifecycle_stage,
            "description": e.description,
            "artifact_location": e.artifact_location,
            "tags": e.tags,
        })
    return Tabular(columns, rows, records)


def _default_columns(runs: list[Run]) -> list[Column]:
    metric_keys = sorted({k for r in runs for k in r.metrics})
    param_keys = sorted({k for r in runs for k in r.params})
    cols = [Column(ATTRIBUTE, "run_id"), *(Column(ATTRIBUTE, a) for a in DEFAULT_ATTRIBUTES)]
    cols += [Column(METRIC, k) for k in metric_keys[:MAX_DEFAULT_KEY_COLUMNS]]
    cols += [Column(PARAM, k) for k in param_keys[:MAX_DEFAULT_KEY_COLUMNS]]
    return cols


def cmd_runs(store: BaseStore, args: argparse.Namespace) -> Tabular:
    if args.max < 1:
        raise InvalidValue("--max must be at least 1")
    experiments = [store.find_experiment(ref) for ref in args.experiment]
    ids = [e.experiment_id for e in experiments]
    chosen = _chosen_columns(store, experiments, args.columns) if args.columns else None
    runs, total = _search_runs(store, ids, args)
    columns = _default_columns(runs) if chosen is None else chosen
    table_rows = [[_cell(c, r) for c in columns] for r in runs]
    records = []
    for r in runs:
        if args.columns or args.format == "csv":
            # csv prints the table's columns: records keyed by column spec
            records.append({c.spec: c.raw(r) for c in columns})
        else:
            records.append(_run_record(r))
    footer = None
    if args.format == "table" and total is not None and total > len(runs):
        footer = f"({len(runs)} of {total} runs; raise --max to see more)"
    return Tabular([c.spec for c in columns], table_rows, records, footer=footer)


def _search_runs(
    store: BaseStore, ids: list[str], args: argparse.Namespace
) -> tuple[list[Run], int | None]:
    """Up to ``--max`` matching runs, and how many match in all (None if unknown)."""
    query = RunQuery.of(ids, args.filter or "", args.order_by or (), ViewType.parse(args.view))
    return first_runs(store, query, args.max)


def _cell(column: Column, run: Run) -> str:
    # the table spells NaN and infinities as csv and json do, not as the TUI does
    token = nonfinite_token(column.value(run)) if column.kind == METRIC else None
    return column.text(run) if token is None else token


# -- --columns: every key must exist in the experiments' runs -------------------------

def _chosen_columns(store: BaseStore, experiments: list[Experiment], text: str) -> list[Column]:
    """The ``--columns`` list, refused when it names a key no run has: a typo would
    otherwise print an empty column that looks like missing data."""
    try:
        columns = parse_columns(text)
    except ValueError as exc:
        raise InvalidValue(str(exc)) from None
    if any(c.kind != ATTRIBUTE for c in columns):
        _check_keys_exist(store, experiments, columns)
    return columns


def _check_keys_exist(
    store: BaseStore, experiments: list[Experiment], columns: list[Column]
) -> None:
    ids = [e.experiment_id for e in experiments]
    known = _known_keys(store.run_keys(ids))
    if not any(known.values()):
        return  # no run yet: an empty table is the true answer, not a typo
    missing = [
        c for c in columns
        if c.kind != ATTRIBUTE and c.key not in known[c.kind] and not _some_run_has(store, ids, c)
    ]
    if missing:
        raise InvalidValue(_missing_keys_message(missing, known, experiments))


def _known_keys(keys: RunKeys) -> dict[str, set[str]]:
    return {METRIC: set(keys.metrics), PARAM: set(keys.params), TAG: set(keys.tags)}


def _some_run_has(store: BaseStore, ids: list[str], column: Column) -> bool:
    """Ask the store itself: the REST backend's run_keys reads only the newest runs."""
    ref = quote_key(column.kind, column.key)
    # "has the key" without IS NOT NULL, which servers before MLflow 3.11 reject:
    # metrics compare only with numbers (NaN-only keys are left to run_keys)
    probes = [f"{ref} >= 0", f"{ref} < 0"] if column.kind == METRIC else [f"{ref} LIKE '%'"]
    for probe in probes:
        try:
            page = store.search_runs(ids, probe, (), ViewType.ALL, max_results=1,
                                     count_total=False)
        except InvalidSearch:
            return False  # a key no filter can name (a backtick in it): run_keys decides
        if page.runs:
            return True
    return False


def _missing_keys_message(
    missing: Sequence[Column], known: dict[str, set[str]], experiments: list[Experiment]
) -> str:
    names = ", ".join(f"'{e.name}'" for e in experiments)
    where = f"the runs of experiment{'s' if len(experiments) > 1 else ''} {names}"
    named = []
    for column in missing:
        close = _close_matches(column, known)
        hint = f" (did you mean {' or '.join(close)}?)" if close else ""
        named.append(column.spec + hint)
    if len(named) == 1:
        return f"{named[0]} does not exist in {where}"
    return f"{', '.join(named[:-1])} and {named[-1]} do not exist in {where}"


def _close_matches(column: Column, known: dict[str, set[str]], n: int = 3) -> list[str]:
    """Specs of existing keys the user may have meant: the same key of another kind
    (metrics.lr for params.lr) first, then similar keys of the same kind, ignoring case."""
    wanted = column.key.lower()
    elsewhere = [
        Column(kind, key).spec
        for kind, keys in known.items() if kind != column.kind
        for key in sorted(keys) if key.lower() == wanted
    ]
    by_lower = {key.lower(): key for key in sorted(known[column.kind])}
    similar = get_close_matches(wanted, list(by_lower), n=n, cutoff=0.6)
    return (elsewhere + [Column(column.kind, by_lower[k]).spec for k in similar])[:n]


def _run_record(run: Run) -> dict:
    return {
        "run_id": run.run_id,
        "run_name": run.run_name,
        "experiment_id": run.experiment_id,
        "status": run.status,
        "start_time": format_iso(run.start_time),
        "end_time": format_iso(run.end_time),
        "duration_ms": run.duration_ms,
        "user_id": run.user_id,
        "source": run.source,
        "lifecycle_stage": run.lifecycle_stage,
        "artifact_uri": run.artifact_uri,
        "parent_run_id": run.parent_run_id,
        "metrics": {k: m.value for k, m in run.metrics.items()},
        "params": dict(run.params),
        "tags": dict(run.tags),
    }


def cmd_models(store: BaseStore, args: argparse.Namespace) -> Tabular:
    models = store.search_registered_models(name_pattern(args.name),
                                            include_prompts=args.prompts)
    columns = ["name", "latest", "versions", "stages", "aliases", "updated", "description"]
    rows, records = [], []
    for m in models:
        stages = ", ".join(f"{s}:{n}" for s, n in sorted(m.stage_counts.items()))
        aliases = ", ".join(f"@{a}→v{v}" for a, v in sorted(m.aliases.items()))
        rows.append([
            safe_text(m.name),
            "" if m.latest_version is None else f"v{m.latest_version}",
            str(m.version_count or 0),
            safe_text(stages),
            safe_text(aliases),
            format_relative(m.last_updated_time),
            safe_text(first_line(m.description)),
        ])
        records.append({
            "name": m.name,
            "latest": m.latest_version,
            "versions": m.version_count,
            "stages": m.stage_counts,
            "aliases": m.aliases,
            "updated": format_iso(m.last_updated_time),
            "description": m.description,
            "tags": m.tags,
        })
    return Tabular(columns, rows, records)


def version_record(mv: ModelVersion) -> dict:
    return {
        "name": mv.name,
        "version": mv.version,
        "stage": mv.current_stage,
        "aliases": mv.aliases,
        "status": mv.status,
        "run_id": mv.run_id,
        "source": mv.source,
        "created": format_iso(mv.creation_time),
        "updated": format_iso(mv.last_updated_time),
        "description": mv.description,
        "tags": mv.tags,
    }


def versions_table(versions: list[ModelVersion], title: str | None = None) -> Tabular:
    columns = ["version", "stage", "aliases", "status", "run_id", "created", "updated",
               "description"]
    rows = [
        [
            str(mv.version),
            mv.current_stage,
            safe_text(", ".join(f"@{a}" for a in mv.aliases)),
            safe_text(mv.status),
            mv.run_id,
            format_relative(mv.creation_time),
            format_relative(mv.last_updated_time),
            safe_text(first_line(mv.description)),
        ]
        for mv in versions
    ]
    return Tabular(columns, rows, [version_record(mv) for mv in versions], title=title)


def cmd_model(store: BaseStore, args: argparse.Namespace) -> Tabular:
    model = store.get_registered_model(args.name)
    versions = store.get_model_versions(args.name)
    title = f"{safe_text(model.name)}: {len(versions)} versions"
    if model.description:
        title += f" — {safe_text(first_line(model.description))}"
    table = versions_table(versions, title)
    if args.format == "json":
        table.records = [{
            "name": model.name,
            "description": model.description,
            "tags": model.tags,
            "aliases": model.aliases,
            "versions": table.records,
        }]
    return table



def cmd_stage(store: BaseStore, args: argparse.Namespace) -> Tabular:
    """Move a version to a stage, as ``MlflowClient.transition_model_version_stage``."""
    before = store.get_model_versions(args.name)
    mv = store.transition_stage(args.name, args.version, args.stage, args.archive_existing)
    archived = [
        v for v in before
        if args.archive_existing and v.version != mv.version and v.current_stage == mv.current_stage
    ]
    title = f"{safe_text(mv.name)} v{mv.version} is now in {mv.current_stage}"
    if archived:
        title += "; archived " + ", ".join(f"v{v.version}" for v in archived)
    return versions_table([mv], title)


def cmd_alias(store: BaseStore, args: argparse.Namespace) -> Tabular:
    """Set, move or delete an alias, as ``MlflowClient.set/delete_registered_model_alias``."""
    model = store.get_registered_model(args.name)
    previous = model.aliases.get(args.alias)
    if args.delete:
        if args.version is not None:
            raise InvalidValue("Give either a VERSION or --delete, not both")
        store.delete_alias(args.name, args.alias)
        title = (f"Deleted @{safe_text(args.alias)} (was v{previous})" if previous is not None
                 else f"@{safe_text(args.alias)} did not exist; nothing changed")
        return Tabular([], [], [{"alias": args.alias, "deleted": previous is not None}],
                       title=title)
    if args.version is None:
        raise InvalidValue("Give the VERSION the alias should point to (or --delete)")
    store.set_alias(args.name, args.alias, args.version)
    mv = store.get_model_version(args.name, args.version)
    moved = f" (moved from v{previous})" if previous not in (None, mv.version) else ""
    return versions_table([mv], f"@{safe_text(args.alias)} → v{mv.version}{moved}")


def cmd_plot(store: BaseStore, args: argparse.Namespace) -> str:
    """The chart the TUI draws, printed: colours when stdout is a terminal."""
    import shutil
    import sys

    from .views.charts import MAX_RUNS, ChartSettings, RunColors, load_all_series, notes, render

    if not 0 <= args.smooth < 1:
        raise InvalidValue("--smooth takes a weight from 0 up to (not including) 1")
    if len(args.runs) > MAX_RUNS:
        raise InvalidValue(f"plot draws at most {MAX_RUNS} runs, got {len(args.runs)}")
    runs = resolve_runs(store, args.runs, args.experiment)
    width = args.width or shutil.get_terminal_size((100, 25)).columns
    height = args.height or 25
    if width < 20 or height < 5:
        raise InvalidValue("--width must be at least 20 and --height at least 5")
    series = load_all_series(store, runs, args.metric, RunColors(), width=width)
    if not any(s.values for s in series) and not any(s.nan or s.inf for s in series):
        raise InvalidValue(f"no run here logged the metric '{args.metric}'")
    settings = ChartSettings(x_mode=args.x, log_y=args.log, smoothing=args.smooth)
    chart = render(series, settings, width, height, title=args.metric,
                   color=color_wanted(sys.stdout))
    said = notes(series, settings)
    return chart.rstrip("\n") + ("\n" + "; ".join(said) if said else "")


def cmd_compare(store: BaseStore, args: argparse.Namespace) -> str:
    """The comparison screen's export, printed: Markdown, CSV or JSON."""
    import sys

    from .views.compare import (
        MAX_RUNS,
        MIN_RUNS,
        compare_rows,
        export_text,
        read_ranges,
        shown_rows,
    )

    if not MIN_RUNS <= len(args.runs) <= MAX_RUNS:
        raise InvalidValue(f"compare takes {MIN_RUNS} to {MAX_RUNS} runs, got {len(args.runs)}")
    runs = resolve_runs(store, args.runs, args.experiment)
    if len({run.run_id for run in runs}) < len(runs):
        raise InvalidValue("the same run is named twice")
    ranges = read_ranges(store, runs) if args.metric_value != "last" else None
    rows = shown_rows(compare_rows(runs, mode=args.metric_value, ranges=ranges), args.diff)
    safe = escapes_wanted(getattr(args, "escapes", None), sys.stdout)
    text = export_text(args.format, runs, rows, args.metric_value, safe=safe)
    return text.rstrip("\n")


def resolve_runs(store: BaseStore, refs: Sequence[str], experiment: str | None) -> list[Run]:
    """Runs by id, or by name within ``experiment``; one line naming what is missing."""
    exp = store.find_experiment(experiment) if experiment else None
    runs = []
    for ref in refs:
        found = store.get_runs([ref]).get(ref)
        quote = "'" if "'" not in ref else '"'
        if found is None and exp is not None and quote not in ref:
            named = store.search_runs([exp.experiment_id],
                                      f"attributes.run_name = {quote}{ref}{quote}",
                                      max_results=2, count_total=False).runs
            if len(named) > 1:
                raise InvalidValue(f"two or more runs of '{exp.name}' are named '{ref}': "
                                   "give the run id")
            found = named[0] if named else None
        if found is None:
            where = f" in '{exp.name}'" if exp is not None else " (names need --experiment)"
            raise InvalidValue(f"no run '{ref}'{where}")
        runs.append(found)
    return runs
