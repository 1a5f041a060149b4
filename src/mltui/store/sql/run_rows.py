"""Runs by id: the ``runs`` row with its latest metrics, params and tags, and
for one run its dataset and model inputs and outputs.

Every page of a search and every lookup by id goes through
:meth:`RunLoader.load`, so a run reads the same whichever way it was found.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from ..entities import RUN_NAME_TAG, DatasetInput, Metric, ModelOutput, Run, RunDetail
from ..errors import ResourceNotFound
from ..shared import MAX_FLOAT
from .database import Database, chunks


def decode_metric_value(value: float | None, is_nan: Any) -> float:
    """MLflow stores NaN as 0 with ``is_nan`` and +/-inf as +/-1.797e308; a chart
    or a table must show nan and inf, not 0 and 1.8e308."""
    if is_nan:
        return math.nan
    if value is None:
        return math.nan
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return float(value)


class RunLoader:
    """Builds :class:`Run` values from the rows of ``runs`` and its child tables."""

    def __init__(self, db: Database):
        self.db = db

    def load(
        self, conn: sa.Connection, ids: Sequence[str], *, visible_only: bool = False
    ) -> dict[str, Run]:
        """Runs among ``ids`` by id, with latest metrics, params and tags: four
        queries per chunk of ids, whatever their number. ``visible_only`` leaves
        out the runs of experiments in another workspace (lookups by id; searches
        have already kept their experiments)."""
        runs = self.db.schema["runs"]
        where = []
        visible = self.db.visible_experiments() if visible_only else None
        if visible is not None:
            where.append(runs.c.experiment_id.in_(visible))
        result: dict[str, Run] = {}
        for chunk in chunks(ids):
            stmt = sa.select(runs).where(runs.c.run_uuid.in_(chunk), *where)
            for row in conn.execute(stmt).mappings():
                result[row["run_uuid"]] = run_from_row(row)
            found = [rid for rid in chunk if rid in result]
            if found:
                self._attach_children(conn, found, result)
        for run in result.values():
            if not run.run_name:
                run.run_name = run.tags.get(RUN_NAME_TAG, "")
        return result

    def get_runs(self, run_ids: Sequence[str]) -> dict[str, Run]:
        """The runs among ``run_ids`` that exist and are visible, in the order
        asked, each run once."""
        ids = [str(rid) for rid in dict.fromkeys(run_ids)]
        if not ids:
            return {}
        with self.db.read() as conn:
            found = self.load(conn, ids, visible_only=True)
        return {rid: found[rid] for rid in ids if rid in found}

    def get_run(self, run_id: str) -> RunDetail:
        """One run with its dataset inputs and logged-model inputs and outputs;
        ResourceNotFound when it does not exist or lives in another workspace."""
        with self.db.read() as conn:
            found = self.load(conn, [run_id], visible_only=True)
            if run_id not in found:
                raise ResourceNotFound(f"No run with id {run_id!r}")
            inputs = self._dataset_inputs(conn, run_id)
            model_inputs, outputs = self._model_io(conn, run_id)
        return RunDetail(run=found[run_id], inputs=inputs, model_inputs=model_inputs,
                         outputs=outputs)

    def _attach_children(
        self, conn: sa.Connection, chunk: Sequence[str], result: dict[str, Run]
    ) -> None:
        schema = self.db.schema
        latest = schema.table("latest_metrics")
        if latest is not None:
            stmt = sa.select(
                latest.c.run_uuid, latest.c.key, latest.c.value, latest.c.timestamp,
                latest.c.step, latest.c.is_nan,
            ).where(latest.c.run_uuid.in_(chunk))
            for rid, key, value, ts, step, is_nan in conn.execute(stmt):
                result[rid].metrics[key] = Metric(
                    key, decode_metric_value(value, is_nan), ts or 0, step or 0
                )
        params = schema["params"]
        for rid, key, value in conn.execute(
            sa.select(params.c.run_uuid, params.c.key, params.c.value).where(
                params.c.run_uuid.in_(chunk)
            )
        ):
            result[rid].params[key] = value if value is not None else ""
        tags = schema["tags"]
        for rid, key, value in conn.execute(
            sa.select(tags.c.run_uuid, tags.c.key, tags.c.value).where(tags.c.run_uuid.in_(chunk))
        ):
            result[rid].tags[key] = value if value is not None else ""

    def _dataset_inputs(self, conn: sa.Connection, run_id: str) -> list[DatasetInput]:
        schema = self.db.schema
        if not (schema.has("inputs") and schema.has("datasets")):
            return []
        inputs, datasets = schema["inputs"], schema["datasets"]
        input_tags = schema.table("input_tags")
        stmt = (
            sa.select(inputs.c.input_uuid, datasets)
            .select_from(inputs.join(datasets, inputs.c.source_id == datasets.c.dataset_uuid))
            .where(inputs.c.destination_type == "RUN", inputs.c.destination_id == run_id)
        )
        by_input: dict[str, DatasetInput] = {}
        for row in conn.execute(stmt).mappings():
            by_input[row["input_uuid"]] = DatasetInput(
                name=row["name"],
                digest=row["digest"],
                source_type=row["dataset_source_type"],
                source=row["dataset_source"],
                schema=row.get("dataset_schema"),
                profile=row.get("dataset_profile"),
            )
        if input_tags is not None and by_input:
            stmt = sa.select(input_tags).where(input_tags.c.input_uuid.in_(list(by_input)))
            for row in conn.execute(stmt).mappings():
                by_input[row["input_uuid"]].tags[row["name"]] = row["value"]
        return list(by_input.values())

    def _model_io(self, conn: sa.Connection, run_id: str) -> tuple[list[str], list[ModelOutput]]:
        inputs = self.db.schema.table("inputs")
        if inputs is None or "step" not in inputs.c:
            return [], []
        outputs = [
            ModelOutput(model_id=dest, step=step or 0)
            for dest, step in conn.execute(
                sa.select(inputs.c.destination_id, inputs.c.step).where(
                    inputs.c.source_type == "RUN_OUTPUT",
                    inputs.c.source_id == run_id,
                    inputs.c.destination_type == "MODEL_OUTPUT",
                )
            )
        ]
        model_inputs = [
            src
            for (src,) in conn.execute(
                # MLflow writes a run's model inputs as RUN_INPUT(run) -> MODEL_INPUT(model)
                sa.select(inputs.c.destination_id).where(
                    inputs.c.source_type == "RUN_INPUT",
                    inputs.c.source_id == run_id,
                    inputs.c.destination_type == "MODEL_INPUT",
                )
            )
        ]
        return model_inputs, outputs


def run_from_row(row: sa.RowMapping) -> Run:
    """A :class:`Run` (no metrics, params or tags yet) from a ``runs`` row."""
    return Run(
        run_id=row["run_uuid"],
        experiment_id=str(row["experiment_id"]),
        run_name=row.get("name") or "",
        status=row.get("status") or "",
        start_time=row.get("start_time"),
        end_time=row.get("end_time"),
        user_id=row.get("user_id") or "",
        source_type=row.get("source_type") or "",
        source_name=row.get("source_name") or "",
        lifecycle_stage=row.get("lifecycle_stage") or "active",
        artifact_uri=row.get("artifact_uri") or "",
    )
