"""Searching runs: pages in MLflow's order, counts, ids, children, keys.

A search is compiled to one statement by :mod:`.search` (MLflow's filter and
order_by rules); the page's runs are then loaded by :class:`RunLoader`. The
filter is parsed before the order_by and before any query, so a bad search
fails fast and with the error MLflow would give first.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..base import VALUE_ATTRIBUTES, encode_page_token
from ..entities import PARENT_RUN_TAG, RunKeys, RunPage, ViewType
from ..errors import InvalidValue
from ..query import RunQuery
from ..search import ATTRIBUTE, METRIC, PARAM, TAG, parse_filter, parse_order_by
from .database import Database, chunks
from .run_rows import RunLoader, decode_metric_value
from .search import RUN_COLUMNS, filter_conditions, order_clauses


class RunSearch:
    """Run searches over ``runs`` and the tables their filters name."""

    def __init__(self, db: Database, loader: RunLoader):
        self.db = db
        self.loader = loader

    def conditions(
        self, experiment_ids: Sequence[str], filter_string: str, view: ViewType,
        top_level: bool = False,
    ) -> list[sa.ColumnElement[bool]]:
        """The WHERE conditions of a search. ``top_level`` keeps the runs whose
        parent is not among the runs shown (NOT EXISTS), so a deleted parent's
        children stay visible. Raises InvalidSearch for a bad filter or id."""
        clauses = parse_filter(filter_string)  # a bad filter fails before any query
        schema = self.db.schema
        runs = schema["runs"]
        ids = self.db.visible_experiment_ids(experiment_ids)
        where = [
            runs.c.experiment_id.in_(ids),
            runs.c.lifecycle_stage.in_(view.stages),
            *filter_conditions(schema, clauses),
        ]
        if top_level:
            tag, parent = schema["tags"].alias("parent_tag"), runs.alias("parent_run")
            where.append(~sa.exists().where(
                tag.c.run_uuid == runs.c.run_uuid,
                tag.c.key == PARENT_RUN_TAG,
                parent.c.run_uuid == tag.c.value,
                parent.c.experiment_id.in_(ids),
                parent.c.lifecycle_stage.in_(view.stages),
            ))
        return where

    def page(self, query: RunQuery, max_results: int, offset: int, count_total: bool) -> RunPage:
        """``max_results`` runs of ``query`` from ``offset``; one more id is read to
        know whether a next page exists, and the total only when asked."""
        # the filter is parsed (and rejected) before the order_by, as MLflow does
        where = self.conditions(query.experiment_ids, query.filter, query.view, query.top_level)
        order = parse_order_by(query.order_by)
        runs = self.db.schema["runs"]
        ordering, joins = order_clauses(self.db.schema, order)
        source: sa.FromClause = runs
        for sub, on in joins:
            source = source.outerjoin(sub, on)
        stmt = (
            sa.select(runs.c.run_uuid).select_from(source).where(*where)
            .order_by(*ordering).offset(offset).limit(max_results + 1)
        )
        with self.db.read() as conn:
            ids = [row[0] for row in conn.execute(stmt)]
            more = len(ids) > max_results
            ids = ids[:max_results]
            total = None
            if count_total:
                total = conn.execute(
                    sa.select(sa.func.count()).select_from(runs).where(*where)
                ).scalar()
            found = self.loader.load(conn, ids)
        token = encode_page_token(offset + max_results) if more else None
        return RunPage(runs=[found[i] for i in ids if i in found], total=total,
                       next_page_token=token, offset=offset)

    def values(
        self, query: RunQuery, fields: Sequence[tuple[str, str]], limit: int | None
    ) -> list[tuple[str, tuple]]:
        """Run ids and the value of each field, in one query."""
        where = self.conditions(query.experiment_ids, query.filter, query.view, query.top_level)
        schema = self.db.schema
        runs = schema["runs"]
        source: sa.FromClause = runs
        columns: list[sa.ColumnElement] = [runs.c.run_uuid]
        metric_at: list[int] = []  # the positions holding (value, is_nan) pairs
        # sqlite walks an outer join per field fastest (1.3 s for 100,000 runs x 2, a
        # lookup per row 1.5 s); elsewhere a lookup per row on the (run_uuid, key)
        # primary key, since PostgreSQL without statistics planned the joins as
        # nested loops over whole tables (minutes for 15 fields)
        joins = self.db.engine.dialect.name == "sqlite"
        for n, (kind, key) in enumerate(fields):
            if kind == ATTRIBUTE:
                if key not in VALUE_ATTRIBUTES:
                    raise InvalidValue(f"'{key}' is not a run attribute one can plot "
                                       f"(use one of {', '.join(VALUE_ATTRIBUTES)})")
                columns.append(runs.c[RUN_COLUMNS[key]])
                continue
            table = schema[{METRIC: "latest_metrics", PARAM: "params", TAG: "tags"}[kind]]
            match = sa.and_(table.c.run_uuid == runs.c.run_uuid, table.c.key == key)
            picked = [table.c.value, table.c.is_nan] if kind == METRIC else [table.c.value]
            if joins:
                sub = sa.select(table.c.run_uuid, *picked).where(table.c.key == key) \
                    .subquery(f"field_{n}")
                source = source.outerjoin(sub, sub.c.run_uuid == runs.c.run_uuid)
                found = [sub.c[c.name] for c in picked]
            else:
                found = [sa.select(c).where(match).limit(1).scalar_subquery()
                         .label(f"field_{n}_{c.name}") for c in picked]
            if kind == METRIC:
                metric_at.append(len(columns))
            columns += found
        stmt = sa.select(*columns).select_from(source).where(*where)
        if limit is not None:
            stmt = stmt.limit(limit)
        with self.db.read() as conn:
            result = conn.execute(stmt)
            # sqlite converts none of these columns (floats, text, 0/1): the driver's
            # tuples spare a Row object per run (0.3 s for 100,000). Elsewhere the
            # dialect's conversions matter (MySQL's DOUBLE comes as a Decimal)
            rows = result.cursor.fetchall() if joins else result.all()
        # column by column: a hundred thousand rows in a few list comprehensions
        ids = [row[0] for row in rows]
        cells: list[list] = []
        i = 1
        while i < len(columns):
            if i in metric_at:
                cells.append([None if row[i] is None and not row[i + 1]
                              else decode_metric_value(row[i], row[i + 1]) for row in rows])
                i += 2
            else:
                cells.append([row[i] for row in rows])
                i += 1
        return list(zip(ids, zip(*cells, strict=True), strict=True)) if cells else \
            [(rid, ()) for rid in ids]

    def count(
        self, experiment_ids: Sequence[str], filter_string: str, view: ViewType,
        top_level: bool,
    ) -> int:
        """How many runs match, in one COUNT."""
        runs = self.db.schema["runs"]
        stmt = sa.select(sa.func.count()).select_from(runs).where(
            *self.conditions(experiment_ids, filter_string, view, top_level)
        )
        with self.db.read() as conn:
            return conn.execute(stmt).scalar() or 0

    def ids(self, experiment_ids: Sequence[str], filter_string: str, view: ViewType) -> list[str]:
        """The ids of every matching run, unordered, without loading the runs."""
        runs = self.db.schema["runs"]
        stmt = sa.select(runs.c.run_uuid).where(
            *self.conditions(experiment_ids, filter_string, view)
        )
        with self.db.read() as conn:
            return [rid for (rid,) in conn.execute(stmt)]

    def child_counts(
        self, experiment_ids: Sequence[str], parent_ids: Sequence[str], filter_string: str,
        view: ViewType,
    ) -> dict[str, int]:
        """Matching runs per parent id, grouped in the database (parents without
        a matching child are left out)."""
        runs, tags = self.db.schema["runs"], self.db.schema["tags"]
        where = self.conditions(experiment_ids, filter_string, view)
        counts: dict[str, int] = {}
        with self.db.read() as conn:
            for chunk in chunks(list(parent_ids)):
                stmt = (
                    sa.select(tags.c.value, sa.func.count())
                    .select_from(runs.join(tags, tags.c.run_uuid == runs.c.run_uuid))
                    .where(tags.c.key == PARENT_RUN_TAG, tags.c.value.in_(chunk), *where)
                    .group_by(tags.c.value)
                )
                counts.update({pid: n for pid, n in conn.execute(stmt)})
        return counts

    def has_nested(self, experiment_ids: Sequence[str]) -> bool:
        """Whether any run of these experiments, in any view, has a parent tag."""
        runs, tags = self.db.schema["runs"], self.db.schema["tags"]
        stmt = (
            sa.select(sa.literal(1))
            .select_from(tags.join(runs, runs.c.run_uuid == tags.c.run_uuid))
            .where(tags.c.key == PARENT_RUN_TAG,
                   runs.c.experiment_id.in_(self.db.visible_experiment_ids(experiment_ids)))
            .limit(1)
        )
        with self.db.read() as conn:
            return conn.execute(stmt).first() is not None

    def keys(self, experiment_ids: Sequence[str]) -> RunKeys:
        """The metric, param and tag keys used by runs of these experiments, sorted."""
        ids = self.db.visible_experiment_ids(experiment_ids)
        keys = RunKeys()
        schema = self.db.schema
        runs = schema["runs"]
        with self.db.read() as conn:
            skip_scan = False
            if schema.dialect == "sqlite" and ids:
                # When the experiments hold most of the store, walking the
                # distinct keys of the (key, run_uuid) index is far cheaper
                # than collecting the keys of every run.
                mine = conn.execute(sa.select(sa.func.count()).where(
                    runs.c.experiment_id.in_(ids))).scalar() or 0
                every = conn.execute(sa.select(sa.func.count()).select_from(runs)).scalar() or 1
                skip_scan = mine * 5 >= every
            for attr, name in (("metrics", "latest_metrics"), ("params", "params"),
                               ("tags", "tags")):
                table = schema.table(name)
                if table is None:
                    continue
                found = (self._keys_by_skip_scan(conn, table, ids) if skip_scan
                         else self._keys_by_join(conn, table, ids))
                setattr(keys, attr, sorted(found))
        return keys

    def _keys_by_join(self, conn: sa.Connection, table: sa.Table, ids: list[int]) -> list[str]:
        runs = self.db.schema["runs"]
        stmt = (
            sa.select(table.c.key)
            .select_from(runs.join(table, table.c.run_uuid == runs.c.run_uuid))
            .where(runs.c.experiment_id.in_(ids))
            .distinct()
        )
        return [k for (k,) in conn.execute(stmt)]

    def _keys_by_skip_scan(
        self, conn: sa.Connection, table: sa.Table, ids: list[int]
    ) -> list[str]:
        # table.name is one of three fixed MLflow tables, never user text
        walk = sa.text(
            f"""WITH RECURSIVE k(key) AS (
                  SELECT MIN("key") FROM {table.name}
                  UNION ALL
                  SELECT (SELECT MIN("key") FROM {table.name} WHERE "key" > k.key)
                  FROM k WHERE k.key IS NOT NULL)
                SELECT key FROM k WHERE key IS NOT NULL"""
        )
        runs = self.db.schema["runs"]
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
