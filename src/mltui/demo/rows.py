"""The demo's database rows, buffered per table and inserted in one go at the end.

Scenarios add rows as they go; nothing touches sqlite until the whole demo has been
generated, so a build is one transaction of ``executemany`` calls (fast) and a
failed generation never leaves a half-written database. Columns are listed in
MLflow's order; the ones MLflow added over time are dropped when the shipped schema
lacks them, so the same scenarios build against an older ``mlflow_schema.sql``.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable

MAX_FLOAT = 1.7976931348623157e308
"""How MLflow stores +/-inf (SQL has no infinity)."""

OPTIONAL_COLUMNS = frozenset({
    "workspace", "storage_location", "deleted_time",
    # trace_info's columns since MLflow 3.x (older releases keep these in tags and
    # metadata), and the spans' costs and model
    "db_payload_generation", "trace_name", "input_tokens", "output_tokens", "total_tokens",
    "input_cost", "output_cost", "total_cost", "model_name", "model_provider",
})
"""Columns MLflow added over time; dropped when the shipped schema lacks them."""
WORKSPACE = "default"
"""The workspace every demo row belongs to (MLflow's default one)."""

Row = tuple[object, ...]
"""One row, values in the order of its table's ``COLUMNS``."""

COLUMNS: dict[str, tuple[str, ...]] = {
    table: tuple(columns.split())
    for table, columns in {
        "experiments": (
            "experiment_id name artifact_location lifecycle_stage creation_time "
            "last_update_time workspace"
        ),
        "experiment_tags": "key value experiment_id",
        "runs": (
            "run_uuid name source_type source_name entry_point_name user_id status "
            "start_time end_time source_version lifecycle_stage artifact_uri experiment_id "
            "deleted_time"
        ),
        "tags": "key value run_uuid",
        "params": "key value run_uuid",
        "metrics": "key value timestamp run_uuid step is_nan",
        "latest_metrics": "key value timestamp step is_nan run_uuid",
        "logged_models": (
            "model_id experiment_id name artifact_location creation_timestamp_ms "
            "last_updated_timestamp_ms status lifecycle_stage model_type source_run_id "
            "status_message"
        ),
        "logged_model_tags": "model_id experiment_id tag_key tag_value",
        "logged_model_params": "model_id experiment_id param_key param_value",
        "logged_model_metrics": (
            "model_id metric_name metric_timestamp_ms metric_step metric_value "
            "experiment_id run_id dataset_uuid dataset_name dataset_digest"
        ),
        "inputs": "input_uuid source_type source_id destination_type destination_id step",
        "registered_models": "name creation_time last_updated_time description workspace",
        "registered_model_tags": "key value name workspace",
        "model_versions": (
            "name version creation_time last_updated_time description user_id "
            "current_stage source run_id status status_message run_link storage_location "
            "workspace"
        ),
        "model_version_tags": "key value name version workspace",
        "registered_model_aliases": "alias version name workspace",
        "trace_info": (
            "request_id experiment_id timestamp_ms execution_time_ms status "
            "client_request_id request_preview response_preview db_payload_generation "
            "trace_name input_tokens output_tokens total_tokens input_cost output_cost "
            "total_cost"
        ),
        "trace_tags": "key value request_id",
        "trace_request_metadata": "key value request_id",
        "spans": (
            "trace_id experiment_id span_id parent_span_id name type status "
            "start_time_unix_nano end_time_unix_nano content input_cost output_cost "
            "total_cost model_name model_provider"
        ),
    }.items()
}
"""Columns written per table, in MLflow's order (inserted in this table order too)."""


def sanitize(value: float) -> tuple[float, int]:
    """(stored value, is_nan) as MLflow's SQL store writes a metric."""
    if math.isnan(value):
        return 0.0, 1
    if math.isinf(value):
        return (MAX_FLOAT if value > 0 else -MAX_FLOAT), 0
    return value, 0


class Rows:
    """Rows per table, inserted in one go at the end."""

    def __init__(self) -> None:
        self.tables: dict[str, list[Row]] = {name: [] for name in COLUMNS}
        """table -> rows in the order they were added."""

    def add(self, table: str, **values: object) -> None:
        """One row by column name; columns not given are NULL, ``workspace`` defaults."""
        columns = COLUMNS[table]
        if "workspace" in columns:
            values.setdefault("workspace", WORKSPACE)
        unknown = set(values) - set(columns)
        if unknown:
            raise KeyError(f"{table} has no column {sorted(unknown)}")
        self.tables[table].append(tuple(values.get(c) for c in columns))

    def extend(self, table: str, rows: Iterable[Row]) -> None:
        """Rows as tuples in column order; a trailing ``workspace`` may be left out."""
        columns = COLUMNS[table]
        default = (WORKSPACE,) if columns[-1] == "workspace" else ()
        for row in rows:
            if len(row) == len(columns) - len(default):
                row = (*row, *default)
            if len(row) != len(columns):
                raise ValueError(f"{table} rows have {len(columns)} columns: {row!r}")
            self.tables[table].append(row)

    def insert(self, conn: sqlite3.Connection) -> None:
        """Insert every buffered row, leaving out the optional columns the schema lacks."""
        for table, rows in self.tables.items():
            if not rows:
                continue
            present = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            columns = COLUMNS[table]
            missing = set(columns) - present
            if missing - OPTIONAL_COLUMNS:
                raise RuntimeError(f"the shipped schema lacks {table}.{sorted(missing)}")
            keep = [i for i, c in enumerate(columns) if c in present]
            if len(keep) != len(columns):
                rows = [tuple(r[i] for i in keep) for r in rows]
            names = ", ".join(f'"{columns[i]}"' for i in keep)
            marks = ", ".join("?" for _ in keep)
            conn.executemany(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', rows)
