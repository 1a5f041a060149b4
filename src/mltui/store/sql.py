"""The SQL backend: MLflow's own schema (sqlite, PostgreSQL, MySQL), read with
SQLAlchemy Core.

Each public method is one short transaction: a training job may be writing
to the same sqlite file, and a long read would block it.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from .base import BaseStore, Capabilities, decode_page_token, encode_page_token
from .entities import (
    PARENT_RUN_TAG,
    RUN_NAME_TAG,
    DatasetInput,
    Experiment,
    LoggedModel,
    Metric,
    ModelOutput,
    Run,
    RunDetail,
    RunKeys,
    RunPage,
    ViewType,
)
from .errors import InvalidSearch, ResourceNotFound, StoreError
from .search import parse_filter, parse_order_by
from .sql_registry import SqlRegistryMixin
from .sql_registry_writes import SqlRegistryWritesMixin
from .sql_schema import Schema, create_engine, describe_db_error, safe_uri
from .sql_search import filter_conditions, order_clauses
from .sql_writes import SqlWritesMixin

MAX_FLOAT = 1.7976931348623157e308
_CHUNK = 500  # ids per IN (...): sqlite allows 999 bound parameters at most


def decode_metric_value(value: float | None, is_nan) -> float:
    """MLflow stores NaN as 0 with ``is_nan`` and +/-inf as +/-1.797e308."""
    if is_nan:
        return math.nan
    if value is None:
        return math.nan
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return float(value)


def _chunks(items: Sequence[str], size: int = _CHUNK) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


class SqlStore(SqlRegistryMixin, SqlRegistryWritesMixin, SqlWritesMixin, BaseStore):
    kind = "sql"
    capabilities = Capabilities()

    def __init__(self, uri: str, *, read_only: bool = False):
        super().__init__(uri, read_only=read_only)
        self.engine = create_engine(uri, writable=False)
        self._write_engine: sa.Engine | None = None
        try:
            self.schema = Schema(self.engine, uri)
        except Exception:
            self.engine.dispose()
            raise
        self.workspace = os.environ.get("MLFLOW_WORKSPACE") or "default"

    @property
    def display_uri(self) -> str:
        return safe_uri(self.uri)

    def close(self) -> None:
        self.engine.dispose()
        if self._write_engine is not None:
            self._write_engine.dispose()

    @contextmanager
    def _read(self):
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise StoreError(describe_db_error(exc, self.uri)) from None

    # -- experiments --------------------------------------------------------
    def _experiment_scope(self, table: sa.Table) -> list:
        if "workspace" in table.c:
            return [table.c.workspace == self.workspace]
        return []

    def list_experiments(self, view: ViewType = ViewType.ACTIVE) -> list[Experiment]:
        exps = self.schema["experiments"]
        runs = self.schema["runs"]
        stmt = (
            sa.select(exps)
            .where(exps.c.lifecycle_stage.in_(view.stages), *self._experiment_scope(exps))
            .order_by(exps.c.experiment_id)
        )
        # active runs: what the default runs view shows, as MLflow's UI counts
        counts = sa.select(
            runs.c.experiment_id, sa.func.count(), sa.func.max(runs.c.start_time)
        ).where(runs.c.lifecycle_stage == "active").group_by(runs.c.experiment_id)
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()
            stats = {str(eid): (n, last) for eid, n, last in conn.execute(counts)}
            tags = self._experiment_tags(conn, [str(r["experiment_id"]) for r in rows])
        result = []
        for row in rows:
            exp = self._experiment_from_row(row, tags.get(str(row["experiment_id"]), {}))
            exp.run_count, exp.last_run_time = stats.get(exp.experiment_id, (0, None))
            result.append(exp)
        return result

    def _experiment_from_row(self, row, tags: dict[str, str]) -> Experiment:
        return Experiment(
            experiment_id=str(row["experiment_id"]),
            name=row["name"],
            artifact_location=row.get("artifact_location"),
            lifecycle_stage=row.get("lifecycle_stage") or "active",
            creation_time=row.get("creation_time"),
            last_update_time=row.get("last_update_time"),
            tags=tags,
        )

    def _experiment_tags(self, conn, ids: Sequence[str]) -> dict[str, dict[str, str]]:
        table = self.schema.table("experiment_tags")
        out: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None or not ids:
            return out
        for chunk in _chunks([int(i) for i in ids]):
            stmt = sa.select(table.c.experiment_id, table.c.key, table.c.value).where(
                table.c.experiment_id.in_(chunk)
            )
            for eid, key, value in conn.execute(stmt):
                out[str(eid)][key] = value if value is not None else ""
        return out

    def get_experiment(self, experiment_id: str) -> Experiment:
        exps = self.schema["experiments"]
        try:
            eid = int(experiment_id)
        except (TypeError, ValueError):
            raise ResourceNotFound(f"No experiment with id {experiment_id!r}") from None
        runs = self.schema["runs"]
        with self._read() as conn:
            row = (
                conn.execute(
                    sa.select(exps).where(
                        exps.c.experiment_id == eid, *self._experiment_scope(exps)
                    )
                )
                .mappings()
                .first()
            )
            if row is None:
                raise ResourceNotFound(f"No experiment with id {experiment_id!r}")
            tags = self._experiment_tags(conn, [str(eid)])
            count, last = conn.execute(
                sa.select(sa.func.count(), sa.func.max(runs.c.start_time)).where(
                    runs.c.experiment_id == eid, runs.c.lifecycle_stage == "active"
                )
            ).one()
        exp = self._experiment_from_row(row, tags.get(str(eid), {}))
        exp.run_count, exp.last_run_time = count, last
        return exp

    def find_experiment(self, ref: str) -> Experiment:
        # without run counts: counting scans every run, and opening a runs
        # table needs only the id and the name
        exps = self.schema["experiments"]
        scope = self._experiment_scope(exps)
        with self._read() as conn:
            row = conn.execute(sa.select(exps).where(exps.c.name == ref, *scope)).mappings().first()
            if row is None and ref.isdigit():
                row = conn.execute(
                    sa.select(exps).where(exps.c.experiment_id == int(ref), *scope)
                ).mappings().first()
            if row is None:
                raise ResourceNotFound(
                    f"No experiment named or numbered '{ref}' (see: mltui experiments)"
                )
            eid = str(row["experiment_id"])
            return self._experiment_from_row(row, self._experiment_tags(conn, [eid]).get(eid, {}))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        exps = self.schema["experiments"]
        with self._read() as conn:
            eid = conn.execute(
                sa.select(exps.c.experiment_id).where(
                    exps.c.name == name, *self._experiment_scope(exps)
                )
            ).scalar()
        return None if eid is None else self.get_experiment(str(eid))

    # -- runs ---------------------------------------------------------------
    def _experiment_ids(self, experiment_ids: Sequence[str]) -> list[int]:
        ids = []
        for eid in experiment_ids:
            try:
                ids.append(int(eid))
            except (TypeError, ValueError):
                raise InvalidSearch(f"Invalid experiment id {eid!r}") from None
        exps = self.schema["experiments"]
        scope = self._experiment_scope(exps)
        if scope and ids:
            # As MLflow's workspace-aware store: runs of experiments in another
            # workspace are invisible, even when asked for by id.
            visible: set[int] = set()
            with self._read() as conn:
                for chunk in _chunks(ids):
                    visible.update(
                        conn.execute(
                            sa.select(exps.c.experiment_id).where(
                                exps.c.experiment_id.in_(chunk), *scope
                            )
                        ).scalars()
                    )
            ids = [i for i in ids if i in visible]
        return ids

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        view: ViewType = ViewType.ACTIVE,
        max_results: int = 100,
        offset: int = 0,
        page_token: str | None = None,
        count_total: bool = True,
        top_level: bool = False,
    ) -> RunPage:
        # the filter is parsed (and rejected) before the order_by, as MLflow does
        where = self._run_conditions(experiment_ids, filter_string, view, top_level)
        order = parse_order_by(order_by)
        if page_token:
            offset = decode_page_token(page_token)
        runs = self.schema["runs"]
        ordering, joins = order_clauses(self.schema, order)
        source: sa.FromClause = runs
        for sub, on in joins:
            source = source.outerjoin(sub, on)
        stmt = (
            sa.select(runs.c.run_uuid)
            .select_from(source)
            .where(*where)
            .order_by(*ordering)
            .offset(offset)
            .limit(max_results + 1)
        )
        with self._read() as conn:
            ids = [row[0] for row in conn.execute(stmt)]
            more = len(ids) > max_results
            ids = ids[:max_results]
            total = None
            if count_total:
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(runs).where(*where)
                ).scalar()
            found = self._load_runs(conn, ids)
        page = [found[i] for i in ids if i in found]
        token = encode_page_token(offset + max_results) if more else None
        return RunPage(runs=page, total=total, next_page_token=token, offset=offset)

    def _run_conditions(
        self, experiment_ids: Sequence[str], filter_string: str, view: ViewType,
        top_level: bool = False,
    ) -> list:
        clauses = parse_filter(filter_string)  # a bad filter fails before any query
        runs = self.schema["runs"]
        ids = self._experiment_ids(experiment_ids)
        where = [
            runs.c.experiment_id.in_(ids),
            runs.c.lifecycle_stage.in_(view.stages),
            *filter_conditions(self.schema, clauses),
        ]
        if top_level:
            # no parent among the runs shown: a deleted parent's children stay visible
            tag, parent = self.schema["tags"].alias("parent_tag"), runs.alias("parent_run")
            where.append(~sa.exists().where(
                tag.c.run_uuid == runs.c.run_uuid,
                tag.c.key == PARENT_RUN_TAG,
                parent.c.run_uuid == tag.c.value,
                parent.c.experiment_id.in_(ids),
                parent.c.lifecycle_stage.in_(view.stages),
            ))
        return where

    def count_runs(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE, top_level: bool = False,
    ) -> int:
        runs = self.schema["runs"]
        stmt = sa.select(sa.func.count()).select_from(runs).where(
            *self._run_conditions(experiment_ids, filter_string, view, top_level)
        )
        with self._read() as conn:
            return conn.execute(stmt).scalar() or 0

    def search_run_ids(
        self, experiment_ids: Sequence[str], filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> list[str]:
        runs = self.schema["runs"]
        stmt = sa.select(runs.c.run_uuid).where(
            *self._run_conditions(experiment_ids, filter_string, view)
        )
        with self._read() as conn:
            return [rid for (rid,) in conn.execute(stmt)]

    def child_counts(
        self,
        experiment_ids: Sequence[str],
        parent_ids: Sequence[str],
        filter_string: str = "",
        view: ViewType = ViewType.ACTIVE,
    ) -> dict[str, int]:
        runs, tags = self.schema["runs"], self.schema["tags"]
        where = self._run_conditions(experiment_ids, filter_string, view)
        counts: dict[str, int] = {}
        with self._read() as conn:
            for chunk in _chunks(list(parent_ids)):
                stmt = (
                    sa.select(tags.c.value, sa.func.count())
                    .select_from(runs.join(tags, tags.c.run_uuid == runs.c.run_uuid))
                    .where(tags.c.key == PARENT_RUN_TAG, tags.c.value.in_(chunk), *where)
                    .group_by(tags.c.value)
                )
                counts.update({pid: n for pid, n in conn.execute(stmt)})
        return counts

    def _load_runs(self, conn, ids: Sequence[str]) -> dict[str, Run]:
        """Runs by id, with latest metrics, params and tags (4 queries per chunk)."""
        runs = self.schema["runs"]
        result: dict[str, Run] = {}
        for chunk in _chunks(ids):
            for row in conn.execute(sa.select(runs).where(runs.c.run_uuid.in_(chunk))).mappings():
                result[row["run_uuid"]] = self._run_from_row(row)
            self._attach_children(conn, chunk, result)
        for run in result.values():
            if not run.run_name:
                run.run_name = run.tags.get(RUN_NAME_TAG, "")
        return result

    def _attach_children(self, conn, chunk: Sequence[str], result: dict[str, Run]) -> None:
        latest = self.schema.table("latest_metrics")
        if latest is not None:
            stmt = sa.select(
                latest.c.run_uuid,
                latest.c.key,
                latest.c.value,
                latest.c.timestamp,
                latest.c.step,
                latest.c.is_nan,
            ).where(latest.c.run_uuid.in_(chunk))
            for rid, key, value, ts, step, is_nan in conn.execute(stmt):
                result[rid].metrics[key] = Metric(
                    key, decode_metric_value(value, is_nan), ts or 0, step or 0
                )
        params = self.schema["params"]
        for rid, key, value in conn.execute(
            sa.select(params.c.run_uuid, params.c.key, params.c.value).where(
                params.c.run_uuid.in_(chunk)
            )
        ):
            result[rid].params[key] = value if value is not None else ""
        tags = self.schema["tags"]
        for rid, key, value in conn.execute(
            sa.select(tags.c.run_uuid, tags.c.key, tags.c.value).where(tags.c.run_uuid.in_(chunk))
        ):
            result[rid].tags[key] = value if value is not None else ""

    @staticmethod
    def _run_from_row(row) -> Run:
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

    def get_run(self, run_id: str) -> RunDetail:
        with self._read() as conn:
            found = self._load_runs(conn, [run_id])
            if run_id not in found or not self._experiment_ids([found[run_id].experiment_id]):
                raise ResourceNotFound(f"No run with id {run_id!r}")
            run = found[run_id]
            inputs = self._dataset_inputs(conn, run_id)
            model_inputs, outputs = self._model_io(conn, run_id)
        return RunDetail(run=run, inputs=inputs, model_inputs=model_inputs, outputs=outputs)

    def _dataset_inputs(self, conn, run_id: str) -> list[DatasetInput]:
        if not (self.schema.has("inputs") and self.schema.has("datasets")):
            return []
        inputs, datasets = self.schema["inputs"], self.schema["datasets"]
        input_tags = self.schema.table("input_tags")
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

    def _model_io(self, conn, run_id: str) -> tuple[list[str], list[ModelOutput]]:
        inputs = self.schema.table("inputs")
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

    def get_metric_history(
        self,
        run_id: str,
        key: str,
        min_step: int | None = None,
        max_step: int | None = None,
        max_points: int | None = None,
    ) -> list[Metric]:
        metrics = self.schema["metrics"]
        where = [metrics.c.run_uuid == run_id, metrics.c.key == key]
        if min_step is not None:
            where.append(metrics.c.step >= min_step)
        if max_step is not None:
            where.append(metrics.c.step <= max_step)
        cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        ordered = (metrics.c.step, metrics.c.timestamp)
        with self._read() as conn:
            if max_points is not None:
                n, lo, hi = conn.execute(
                    sa.select(
                        sa.func.count(), sa.func.min(metrics.c.step), sa.func.max(metrics.c.step)
                    ).where(*where)
                ).one()
                if n > max_points and hi > lo:
                    rows = self._downsampled(conn, where, lo, hi, max(1, max_points // 2))
                    return [self._metric(key, *r) for r in rows]
            rows = conn.execute(sa.select(*cols).where(*where).order_by(*ordered)).all()
        return [self._metric(key, *r) for r in rows]

    def _downsampled(self, conn, where: list, lo: int, hi: int, buckets: int) -> list[tuple]:
        metrics = self.schema["metrics"]
        bucket = ((metrics.c.step - lo) * buckets) // (hi - lo + 1)
        rank_base = [metrics.c.is_nan.asc()]
        ranked = (
            sa.select(
                metrics.c.step,
                metrics.c.timestamp,
                metrics.c.value,
                metrics.c.is_nan,
                sa.func.row_number()
                .over(partition_by=bucket, order_by=[*rank_base, metrics.c.value.asc(),
                                                     metrics.c.step.asc()])
                .label("rmin"),
                sa.func.row_number()
                .over(partition_by=bucket, order_by=[*rank_base, metrics.c.value.desc(),
                                                     metrics.c.step.asc()])
                .label("rmax"),
            )
            .where(*where)
            .subquery()
        )
        cols = [ranked.c.step, ranked.c.timestamp, ranked.c.value, ranked.c.is_nan]
        picked = conn.execute(
            sa.select(*cols).where(sa.or_(ranked.c.rmin == 1, ranked.c.rmax == 1))
        ).all()
        metrics_cols = [metrics.c.step, metrics.c.timestamp, metrics.c.value, metrics.c.is_nan]
        first = conn.execute(
            sa.select(*metrics_cols).where(*where).order_by(metrics.c.step, metrics.c.timestamp)
            .limit(1)
        ).first()
        last = conn.execute(
            sa.select(*metrics_cols)
            .where(*where)
            .order_by(metrics.c.step.desc(), metrics.c.timestamp.desc())
            .limit(1)
        ).first()
        unique = {tuple(r) for r in picked}
        unique.update(tuple(r) for r in (first, last) if r is not None)
        return sorted(unique, key=lambda r: (r[0], r[1]))

    @staticmethod
    def _metric(key: str, step, timestamp, value, is_nan) -> Metric:
        return Metric(key, decode_metric_value(value, is_nan), timestamp or 0, step or 0)

    def run_keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        ids = self._experiment_ids(experiment_ids)
        keys = RunKeys()
        runs = self.schema["runs"]
        with self._read() as conn:
            skip_scan = False
            if self.schema.dialect == "sqlite" and ids:
                # When the experiments hold most of the store, walking the
                # distinct keys of the (key, run_uuid) index is far cheaper
                # than collecting the keys of every run.
                mine = conn.execute(sa.select(sa.func.count()).where(
                    runs.c.experiment_id.in_(ids))).scalar() or 0
                every = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() or 1
                skip_scan = mine * 5 >= every
            for attr, name in (("metrics", "latest_metrics"), ("params", "params"),
                               ("tags", "tags")):
                table = self.schema.table(name)
                if table is None:
                    continue
                found = (self._keys_by_skip_scan(conn, table, ids) if skip_scan
                         else self._keys_by_join(conn, table, ids))
                setattr(keys, attr, sorted(found))
        return keys

    def _keys_by_join(self, conn, table: sa.Table, ids: list[int]) -> list[str]:
        runs = self.schema["runs"]
        stmt = (
            sa.select(table.c.key)
            .select_from(runs.join(table, table.c.run_uuid == runs.c.run_uuid))
            .where(runs.c.experiment_id.in_(ids))
            .distinct()
        )
        return [k for (k,) in conn.execute(stmt)]

    def _keys_by_skip_scan(self, conn, table: sa.Table, ids: list[int]) -> list[str]:
        # table.name is one of three fixed MLflow tables, never user text
        walk = sa.text(
            f"""WITH RECURSIVE k(key) AS (
                  SELECT MIN("key") FROM {table.name}
                  UNION ALL
                  SELECT (SELECT MIN("key") FROM {table.name} WHERE "key" > k.key)
                  FROM k WHERE k.key IS NOT NULL)
                SELECT key FROM k WHERE key IS NOT NULL"""
        )
        runs = self.schema["runs"]
        found = []
        for (key,) in conn.execute(walk):
            used = conn.execute(
                sa.select(sa.literal(1))
                .select_from(table.join(runs, runs.c.run_uuid == table.c.run_uuid))
                .where(table.c.key == key, runs.c.experiment_id.in_(ids))
                .limit(1)
            ).first()
            if used is not None:
                found.append(key)
        return found

    def has_nested_runs(self, experiment_ids: Sequence[str]) -> bool:
        runs, tags = self.schema["runs"], self.schema["tags"]
        stmt = (
            sa.select(sa.literal(1))
            .select_from(tags.join(runs, runs.c.run_uuid == tags.c.run_uuid))
            .where(tags.c.key == PARENT_RUN_TAG,
                   runs.c.experiment_id.in_(self._experiment_ids(experiment_ids)))
            .limit(1)
        )
        with self._read() as conn:
            return conn.execute(stmt).first() is not None

    # -- logged models -------------------------------------------------------
    def list_logged_models(self, experiment_id: str) -> list[LoggedModel]:
        table = self.schema.table("logged_models")
        if table is None:
            return []
        stmt = (
            sa.select(table)
            .where(table.c.experiment_id.in_(self._experiment_ids([experiment_id])))
            .order_by(table.c.creation_timestamp_ms.desc())
        )
        with self._read() as conn:
            rows = conn.execute(stmt).mappings().all()
            ids = [r["model_id"] for r in rows]
            tags = self._logged_model_children(conn, "logged_model_tags", ids, "tag_key",
                                               "tag_value")
            params = self._logged_model_children(conn, "logged_model_params", ids, "param_key",
                                                 "param_value")
        return [
            LoggedModel(
                model_id=r["model_id"],
                experiment_id=str(r["experiment_id"]),
                name=r["name"],
                artifact_location=r["artifact_location"],
                creation_time=r["creation_timestamp_ms"],
                last_updated_time=r["last_updated_timestamp_ms"],
                status=_LOGGED_MODEL_STATUS.get(r["status"], str(r["status"])),
                model_type=r.get("model_type") or "",
                source_run_id=r.get("source_run_id") or "",
                tags=tags.get(r["model_id"], {}),
                params=params.get(r["model_id"], {}),
            )
            for r in rows
        ]

    def _logged_model_children(
        self, conn, name: str, ids: list[str], key_col: str, value_col: str
    ) -> dict[str, dict[str, str]]:
        table = self.schema.table(name)
        out: dict[str, dict[str, str]] = defaultdict(dict)
        if table is None:
            return out
        for chunk in _chunks(ids):
            stmt = sa.select(table.c.model_id, table.c[key_col], table.c[value_col]).where(
                table.c.model_id.in_(chunk)
            )
            for mid, key, value in conn.execute(stmt):
                out[mid][key] = value
        return out


# LoggedModelStatus enum values as MLflow stores them (protos)
_LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}
