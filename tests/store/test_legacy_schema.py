"""Databases written by older MLflow versions.

Two kinds of old schema:

1. ``tests/data/mlflow-2.9.2.db``: written for real by MLflow 2.9.2 in its own
   virtualenv (``scripts/make_legacy_fixture.py`` says exactly how), with
   ``mlflow-2.9.2.json`` holding what that old ``MlflowClient`` read back.
   mltui must read the same.
2. Databases made by the current mlflow's own alembic migrations stopped at an
   older revision (MLflow 2.0 to 3.0 era: no ``experiments.creation_time``,
   no aliases table, no datasets, no ``inputs.step``...), filled with rows the
   way MLflow writes them. The reference is ``MlflowClient`` on the same rows
   in a database of the newest schema.
"""

from __future__ import annotations

import hashlib
import json
import math
import shutil
import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from mltui.store import open_store
from mltui.store.entities import ViewType
from mltui.store.errors import InvalidSearch, ResourceNotFound
from mltui.store.shared import MAX_FLOAT
from support.mlflow_match import assert_model_matches, assert_run_matches, assert_version_matches

DATA = Path(__file__).resolve().parents[1] / "data"
LEGACY_DB = DATA / "mlflow-2.9.2.db"
LEGACY_JSON = DATA / "mlflow-2.9.2.json"


def decode(value) -> float:
    """A value from the JSON as mltui must show it (NaN, +/-inf decoded)."""
    if value == "NaN":
        return math.nan
    if value in ("Infinity", "-Infinity"):
        return math.inf if value == "Infinity" else -math.inf
    if value >= MAX_FLOAT:
        return math.inf
    if value <= -MAX_FLOAT:
        return -math.inf
    return float(value)


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(LEGACY_JSON.read_text())


@pytest.fixture(scope="module")
def legacy():
    digest = hashlib.sha256(LEGACY_DB.read_bytes()).hexdigest()
    store = open_store(f"sqlite:///{LEGACY_DB}", read_only=True)
    yield store
    store.close()
    assert hashlib.sha256(LEGACY_DB.read_bytes()).hexdigest() == digest, "fixture modified"


# -- the database written by MLflow 2.9.2 ---------------------------------------------


def test_fixture_is_what_the_script_says(expected):
    assert expected["made_by"]["mlflow"] == "2.9.2"
    assert LEGACY_DB.stat().st_size < 1_000_000
    with sqlite3.connect(f"file:{LEGACY_DB}?mode=ro", uri=True) as conn:
        tables = sorted(
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        )
        columns = {r[1] for r in conn.execute("PRAGMA table_info(experiments)")}
        input_columns = {r[1] for r in conn.execute("PRAGMA table_info(inputs)")}
    assert tables == expected["tables"]
    # what makes it an old schema
    assert "workspace" not in columns
    assert "logged_models" not in tables
    assert "step" not in input_columns


def test_schema_detected(legacy, expected):
    assert legacy.schema.alembic_revision == expected["alembic_revision"]
    assert not legacy.schema.has("logged_models")
    assert not legacy.schema.has("experiments", "workspace")


@pytest.mark.parametrize("view", list(ViewType))
def test_legacy_experiments(legacy, expected, view):
    wanted = [e for e in expected["experiments"] if e["lifecycle_stage"] in view.stages]
    ours = legacy.list_experiments(view)
    assert [e.experiment_id for e in ours] == [e["experiment_id"] for e in wanted]
    for exp, ref in zip(ours, wanted, strict=True):
        assert exp.name == ref["name"]
        assert exp.artifact_location == ref["artifact_location"]
        assert exp.lifecycle_stage == ref["lifecycle_stage"]
        assert exp.creation_time == ref["creation_time"]
        assert exp.last_update_time == ref["last_update_time"]
        assert exp.tags == ref["tags"]
        runs = [r for r in expected["runs"] if r["experiment_id"] == exp.experiment_id
                and r["lifecycle_stage"] == "active"]
        assert exp.run_count == len(runs)
    sweep = legacy.get_experiment_by_name("legacy-sweep")
    assert sweep.description == "Made by MLflow 2.x\nfor mltui's tests"


def assert_legacy_run(run, ref) -> None:
    for field in (
        "run_id",
        "experiment_id",
        "run_name",
        "status",
        "start_time",
        "end_time",
        "user_id",
        "lifecycle_stage",
        "artifact_uri",
    ):
        assert getattr(run, field) == ref[field], field
    assert run.params == ref["params"]
    assert run.tags == ref["tags"]
    assert run.parent_run_id == ref["tags"].get("mlflow.parentRunId")
    assert set(run.metrics) == set(ref["metrics"])
    for key, metric in ref["metrics"].items():
        ours = run.metrics[key]
        assert same(ours.value, decode(metric["value"])), key
        assert (ours.timestamp, ours.step) == (metric["timestamp"], metric["step"])


def test_legacy_runs(legacy, expected):
    ids = [e["experiment_id"] for e in expected["experiments"]]
    page = legacy.search_runs(ids, view=ViewType.ALL, max_results=1000)
    # the JSON holds MLflow's own order (start_time DESC, run_id)
    assert [r.run_id for r in page.runs] == [r["run_id"] for r in expected["runs"]]
    assert page.total == len(expected["runs"])
    for run, ref in zip(page.runs, expected["runs"], strict=True):
        assert_legacy_run(run, ref)
    active = legacy.search_runs(ids, max_results=1000)
    assert [r.run_id for r in active.runs] == [
        r["run_id"] for r in expected["runs"] if r["lifecycle_stage"] == "active"
    ]


def test_legacy_nested_runs_and_special_values(legacy, expected):
    runs = {
        r.run_name: r
        for r in legacy.search_runs(
            [e["experiment_id"] for e in expected["experiments"]],
            view=ViewType.ALL,
            max_results=100,
        ).runs
    }
    parent = runs["parent"]
    for i in range(3):
        assert runs[f"child-{i}"].parent_run_id == parent.run_id
    assert runs["inf-run"].metric_value("score") == math.inf
    assert runs["neg-inf-run"].metric_value("score") == -math.inf
    assert math.isnan(runs["nan-run"].metric_value("score"))
    assert runs["failed-run"].status == "FAILED"
    assert runs["deleted-run"].lifecycle_stage == "deleted"


def test_legacy_get_run_and_inputs(legacy, expected):
    for ref in expected["runs"]:
        detail = legacy.get_run(ref["run_id"])
        assert_legacy_run(detail.run, ref)
        assert [
            {
                "name": d.name,
                "digest": d.digest,
                "source_type": d.source_type,
                "source": d.source,
                "schema": d.schema,
                "profile": d.profile,
                "tags": d.tags,
            }
            for d in detail.inputs
        ] == ref["inputs"]
        assert detail.outputs == [] and detail.model_inputs == []
    with_dataset = next(r for r in expected["runs"] if r["run_name"] == "with-dataset")
    assert legacy.get_run(with_dataset["run_id"]).inputs[0].context == "training"


def test_legacy_metric_history(legacy, expected):
    assert expected["metric_history"]
    for name, history in expected["metric_history"].items():
        run_id, key = name.split("/", 1)
        ours = legacy.get_metric_history(run_id, key)
        assert [(m.step, m.timestamp) for m in ours] == [
            (h["step"], h["timestamp"]) for h in history
        ]
        assert all(same(m.value, decode(h["value"])) for m, h in zip(ours, history, strict=True))
        if len(history) > 4:
            few = legacy.get_metric_history(run_id, key, max_points=4)
            assert len(few) <= 6
            assert few[0].step == history[0]["step"] and few[-1].step == history[-1]["step"]


@pytest.mark.parametrize(
    ("filter_string", "order_by", "predicate", "sort_key"),
    [
        (
            "tags.kind = 'child'",
            ["params.lr ASC"],
            lambda r: r["tags"].get("kind") == "child",
            lambda r: r["params"]["lr"],
        ),
        (
            "metrics.acc > 0.65",
            ["metrics.acc DESC"],
            lambda r: (
                "acc" in r["metrics"]
                and r["metrics"]["acc"]["value"] > 0.65
                and r["lifecycle_stage"] == "active"
            ),
            lambda r: -r["metrics"]["acc"]["value"],
        ),
        ("params.optimizer = 'adam'", [], lambda r: r["params"].get("optimizer") == "adam", None),
        ("attributes.status = 'FAILED'", [], lambda r: r["status"] == "FAILED", None),
        (
            "dataset.name = 'legacy-data' and dataset.context = 'training'",
            [],
            lambda r: bool(r["inputs"]),
            None,
        ),
        (
            "run_name LIKE 'child-%'",
            ["attributes.run_name DESC"],
            lambda r: r["run_name"].startswith("child-"),
            lambda r: [-ord(c) for c in r["run_name"]],
        ),
    ],
)
def test_legacy_search(legacy, expected, filter_string, order_by, predicate, sort_key):
    ids = [e["experiment_id"] for e in expected["experiments"]]
    wanted = [r for r in expected["runs"] if r["lifecycle_stage"] == "active" and predicate(r)]
    if sort_key is not None:
        wanted.sort(key=sort_key)
    page = legacy.search_runs(ids, filter_string, order_by, max_results=2)
    assert page.total == len(wanted)
    assert [r.run_id for r in page.runs] == [r["run_id"] for r in wanted[:2]]


def test_legacy_bad_filter(legacy):
    with pytest.raises(InvalidSearch):
        legacy.search_runs(["1"], "metrics.acc >>> 1")


def test_legacy_run_keys(legacy, expected):
    ids = [e["experiment_id"] for e in expected["experiments"]]
    keys = legacy.run_keys(ids)
    assert keys.metrics == sorted({k for r in expected["runs"] for k in r["metrics"]})
    assert keys.params == sorted({k for r in expected["runs"] for k in r["params"]})
    assert keys.tags == sorted({k for r in expected["runs"] for k in r["tags"]})


def assert_legacy_version(mv, ref) -> None:
    assert (mv.name, mv.version, mv.current_stage) == (
        ref["name"],
        ref["version"],
        ref["current_stage"],
    )
    assert mv.creation_time == ref["creation_timestamp"]
    assert mv.last_updated_time == ref["last_updated_timestamp"]
    assert mv.description == ref["description"]
    assert mv.source == ref["source"]
    assert mv.run_id == ref["run_id"]
    assert mv.status == ref["status"]
    assert mv.user_id == ref["user_id"]
    assert mv.tags == ref["tags"]
    assert mv.aliases == ref["aliases"]


def test_legacy_registered_models(legacy, expected):
    ours = legacy.search_registered_models()
    refs = sorted(expected["registered_models"], key=lambda m: m["name"])
    assert [m.name for m in ours] == [m["name"] for m in refs]
    for model, ref in zip(ours, refs, strict=True):
        assert model.description == ref["description"]
        assert model.tags == ref["tags"]
        assert model.aliases == ref["aliases"]
        assert model.creation_time == ref["creation_timestamp"]
        assert model.last_updated_time == ref["last_updated_timestamp"]
        latest = {mv.current_stage: mv for mv in model.latest_versions}
        assert set(latest) == {v["current_stage"] for v in ref["latest_versions"]}
        for v in ref["latest_versions"]:
            assert_legacy_version(latest[v["current_stage"]], v)
        assert legacy.get_registered_model(model.name) == model
    assert legacy.get_registered_model("legacy-model").aliases == {"champion": 2, "challenger": 3}
    assert [m.name for m in legacy.search_registered_models("LEGACY%")] == ["legacy-model"]


def test_legacy_model_versions(legacy, expected):
    for name in {v["name"] for v in expected["model_versions"]}:
        refs = sorted(
            (v for v in expected["model_versions"] if v["name"] == name),
            key=lambda v: -v["version"],
        )
        ours = legacy.get_model_versions(name)
        assert [mv.version for mv in ours] == [v["version"] for v in refs]
        for mv, ref in zip(ours, refs, strict=True):
            assert_legacy_version(mv, ref)
    champion = legacy.get_model_version_by_alias("legacy-model", "champion")
    assert (champion.version, champion.current_stage) == (2, "Production")
    assert legacy.get_model_versions("empty-model") == []


def test_legacy_has_no_logged_models(legacy, expected):
    for exp in expected["experiments"]:
        assert legacy.list_logged_models(exp["experiment_id"]) == []


def test_legacy_delete_and_restore(tmp_path, expected):
    path = tmp_path / "legacy.db"
    shutil.copy(LEGACY_DB, path)
    child = next(r for r in expected["runs"] if r["run_name"] == "child-0")
    with open_store(f"sqlite:///{path}") as store:
        store.delete_runs([child["run_id"]])
        assert store.get_run(child["run_id"]).run.lifecycle_stage == "deleted"
        with sqlite3.connect(path) as conn:
            stage, deleted_time = conn.execute(
                "SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?",
                (child["run_id"],),
            ).fetchone()
        assert stage == "deleted" and deleted_time > 0
        store.restore_runs([child["run_id"]])
        with sqlite3.connect(path) as conn:
            assert conn.execute(
                "SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?",
                (child["run_id"],),
            ).fetchone() == ("active", None)


# -- databases stopped at older alembic revisions -----------------------------------------

REVISIONS = {
    # revision: what it is (the newest migration it includes)
    "cc1f77228345": "MLflow 2.0: no experiments.creation_time, aliases or datasets",
    "97727af70f4d": "MLflow 2.2: experiment times, still no registry aliases",
    "7f2a7d5fae7d": "MLflow 2.4: aliases and datasets",
    "400f98739977": "MLflow 3.0 dev: logged_models, but inputs has no step yet",
}
T0 = 1_650_000_000_000


def migrate(url: str, revision: str) -> None:
    """What MLflow's ``_initialize_tables`` does, stopped at ``revision``."""
    from alembic import command
    from mlflow.store.db.utils import InitialBase, _get_alembic_config

    engine = sa.create_engine(url)
    try:
        InitialBase.metadata.create_all(engine)
        config = _get_alembic_config(url)
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, revision)
    finally:
        engine.dispose()


class Filler:
    """Inserts rows as MLflow writes them, using only the columns this schema has."""

    def __init__(self, conn):
        self.conn = conn
        self.meta = sa.MetaData()
        self.meta.reflect(conn)

    def has(self, table: str) -> bool:
        return table in self.meta.tables

    def add(self, table: str, **values) -> None:
        t = self.meta.tables[table]
        self.conn.execute(sa.insert(t).values({k: v for k, v in values.items() if k in t.c}))


def fill_old_schema(conn) -> dict:
    f = Filler(conn)
    for eid, name, stage in [
        (0, "Default", "active"),
        (1, "mid", "active"),
        (2, "gone", "deleted"),
    ]:
        f.add(
            "experiments",
            experiment_id=eid,
            name=name,
            artifact_location=f"/art/{eid}",
            lifecycle_stage=stage,
            creation_time=T0 + eid,
            last_update_time=T0 + eid,
        )
    f.add("experiment_tags", experiment_id=1, key="mlflow.note.content", value="Mid 2.x")
    f.add("experiment_tags", experiment_id=1, key="team", value="ml")
    ids = {}

    def run(name, experiment=1, status="FINISHED", stage="active", start=0, parent=None):
        rid = uuid.uuid4().hex
        ids[name] = rid
        f.add(
            "runs",
            run_uuid=rid,
            name=name,
            source_type="UNKNOWN",
            source_name="",
            entry_point_name="",
            user_id="alice",
            status=status,
            start_time=T0 + start,
            end_time=T0 + start + 500,
            source_version="",
            lifecycle_stage=stage,
            artifact_uri=f"/art/{experiment}/{rid}/artifacts",
            experiment_id=experiment,
            deleted_time=T0 + 999 if stage == "deleted" else None,
        )
        f.add("tags", run_uuid=rid, key="mlflow.runName", value=name)
        f.add("tags", run_uuid=rid, key="mlflow.user", value="alice")
        f.add("tags", run_uuid=rid, key="mlflow.source.name", value="train.py")
        if parent:
            f.add("tags", run_uuid=rid, key="mlflow.parentRunId", value=ids[parent])
        return rid

    def metric(rid, key, points):
        for step, value in points:
            nan = isinstance(value, float) and math.isnan(value)
            stored = 0.0 if nan else max(-MAX_FLOAT, min(MAX_FLOAT, value))
            f.add(
                "metrics",
                run_uuid=rid,
                key=key,
                value=stored,
                timestamp=T0 + step,
                step=step,
                is_nan=nan,
            )
        step, value = points[-1]
        nan = isinstance(value, float) and math.isnan(value)
        f.add(
            "latest_metrics",
            run_uuid=rid,
            key=key,
            value=0.0 if nan else max(-MAX_FLOAT, min(MAX_FLOAT, value)),
            timestamp=T0 + step,
            step=step,
            is_nan=nan,
        )

    run("parent", start=0)
    for i in range(3):
        rid = run(
            f"child-{i}", start=10 + i, parent="parent", status=["FINISHED", "FAILED", "RUNNING"][i]
        )
        f.add("params", run_uuid=rid, key="lr", value=["0.1", "0.01", "0.001"][i])
        f.add("params", run_uuid=rid, key="optimizer", value="adam" if i % 2 else "sgd")
        metric(rid, "loss", [(s, 1.0 / (s + 1) + i) for s in range(40)])
        metric(rid, "acc", [(0, 0.6 + 0.1 * i)])
    metric(run("nan-run", start=20), "score", [(0, math.nan)])
    metric(run("inf-run", start=21), "score", [(0, math.inf)])
    metric(run("neg-inf-run", start=22), "score", [(0, -math.inf)])
    run("deleted-run", start=23, stage="deleted")
    run("old-run", experiment=2, start=1)

    if f.has("registered_models"):
        f.add(
            "registered_models",
            name="mid-model",
            creation_time=T0,
            last_updated_time=T0 + 9,
            description="from the 2.x days",
        )
        if f.has("registered_model_tags"):
            f.add("registered_model_tags", name="mid-model", key="team", value="risk")
        for version, stage in [(1, "Archived"), (2, "Production"), (3, "Staging"), (4, "None")]:
            f.add(
                "model_versions",
                name="mid-model",
                version=version,
                creation_time=T0 + version,
                last_updated_time=T0 + 10 + version,
                description=f"v{version}",
                user_id="",
                current_stage=stage,
                source=f"/art/1/{ids['child-0']}/artifacts/model",
                run_id=ids["child-0"],
                status="READY",
                status_message="",
                run_link="",
                storage_location=None,
            )
            if f.has("model_version_tags"):
                f.add(
                    "model_version_tags",
                    name="mid-model",
                    version=version,
                    key="validated",
                    value=str(version % 2 == 0).lower(),
                )
        if f.has("registered_model_aliases"):
            f.add("registered_model_aliases", name="mid-model", alias="champion", version=2)
    return ids


@pytest.fixture(scope="module")
def newest_schema(tmp_path_factory) -> Path:
    """An empty database with the newest schema (made once: ~8 s of migrations)."""
    path = tmp_path_factory.mktemp("head") / "head.db"
    migrate(f"sqlite:///{path}", "heads")
    return path


def copy_rows(source: str, target: str) -> None:
    """Every row of ``source`` into the same tables of ``target`` (a newer schema):
    what an upgrade does to these tables, without running 40 migrations per test."""
    src, dst = sa.create_engine(source), sa.create_engine(target)
    try:
        old_meta, new_meta = sa.MetaData(), sa.MetaData()
        old_meta.reflect(src)
        new_meta.reflect(dst)
        with src.connect() as read, dst.begin() as write:
            for table in old_meta.sorted_tables:
                if table.name == "alembic_version":
                    continue
                rows = [dict(r) for r in read.execute(sa.select(table)).mappings()]
                if rows:
                    write.execute(sa.insert(new_meta.tables[table.name]), rows)
    finally:
        src.dispose()
        dst.dispose()


@pytest.fixture(scope="module", params=list(REVISIONS), ids=list(REVISIONS))
def old_schema(request, tmp_path_factory, newest_schema):
    """(old database uri, the same rows in the newest schema, run ids, revision)."""
    revision = request.param
    folder = tmp_path_factory.mktemp(f"rev-{revision}")
    old, new = folder / "old.db", folder / "new.db"
    url = f"sqlite:///{old}"
    migrate(url, revision)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == (
            revision
        )
        ids = fill_old_schema(conn)
    engine.dispose()
    shutil.copy(newest_schema, new)
    copy_rows(url, f"sqlite:///{new}")
    return url, f"sqlite:///{new}", ids, revision


def test_old_revision_reads_like_mlflow(old_schema):
    from mlflow import MlflowClient
    from mlflow.entities import ViewType as MlflowViewType

    old_uri, new_uri, ids, revision = old_schema
    client = MlflowClient(new_uri)
    with open_store(old_uri, read_only=True) as store:
        assert store.schema.alembic_revision == revision
        exps = client.search_experiments(view_type=MlflowViewType.ALL)
        ours = {e.experiment_id: e for e in store.list_experiments(ViewType.ALL)}
        assert set(ours) == {e.experiment_id for e in exps} == {"0", "1", "2"}
        for ref in exps:
            exp = ours[ref.experiment_id]
            assert (exp.name, exp.lifecycle_stage, exp.artifact_location, exp.tags) == (
                ref.name,
                ref.lifecycle_stage,
                ref.artifact_location,
                ref.tags,
            )
            assert (exp.creation_time, exp.last_update_time) == (
                ref.creation_time,
                ref.last_update_time,
            )
        assert ours["1"].description == "Mid 2.x"
        assert ours["1"].run_count == 7  # active runs; "deleted-run" is not counted

        all_ids = sorted(ours)
        theirs = client.search_runs(all_ids, run_view_type=MlflowViewType.ALL, max_results=100)
        page = store.search_runs(all_ids, view=ViewType.ALL, max_results=100)
        assert [r.run_id for r in page.runs] == [r.info.run_id for r in theirs]
        for run, ref in zip(page.runs, theirs, strict=True):
            assert_run_matches(run, ref)
            detail = store.get_run(run.run_id)
            assert detail.run == run
            assert detail.inputs == [] and detail.outputs == []
        runs = {r.run_name: r for r in page.runs}
        assert runs["inf-run"].metric_value("score") == math.inf
        assert runs["neg-inf-run"].metric_value("score") == -math.inf
        assert math.isnan(runs["nan-run"].metric_value("score"))
        assert runs["child-1"].parent_run_id == ids["parent"]

        for flt, order in [
            ("metrics.acc > 0.65", ["metrics.acc DESC"]),
            ("params.optimizer = 'sgd'", ["params.lr"]),
            ("tags.`mlflow.parentRunId` != ''", ["attributes.start_time"]),
            ("attributes.status != 'FINISHED'", []),
        ]:
            ref = client.search_runs(all_ids, flt, order_by=order)
            got = store.search_runs(all_ids, flt, order)
            assert [r.run_id for r in got.runs] == [r.info.run_id for r in ref], flt
            assert got.total == len(ref)

        child = ids["child-0"]
        history = store.get_metric_history(child, "loss")
        ref_history = sorted(client.get_metric_history(child, "loss"), key=lambda m: m.step)
        assert [(m.step, m.value, m.timestamp) for m in history] == [
            (m.step, m.value, m.timestamp) for m in ref_history
        ]
        few = store.get_metric_history(child, "loss", max_points=6)
        assert len(few) <= 8 and few[0].step == 0 and few[-1].step == 39

        keys = store.run_keys(all_ids)
        assert keys.params == ["lr", "optimizer"]
        assert keys.metrics == ["acc", "loss", "score"]

        models = store.search_registered_models()
        ref_models = client.search_registered_models()
        assert [m.name for m in models] == [m.name for m in ref_models] == ["mid-model"]
        assert_model_matches(models[0], client.get_registered_model("mid-model"))
        versions = store.get_model_versions("mid-model")
        ref_versions = sorted(
            client.search_model_versions("name = 'mid-model'"), key=lambda v: -int(v.version)
        )
        assert len(versions) == len(ref_versions) == 4
        for mv, ref in zip(versions, ref_versions, strict=True):
            assert_version_matches(mv, ref)
            assert mv.aliases == client.get_model_version("mid-model", ref.version).aliases

        has_aliases = store.schema.has("registered_model_aliases")
        assert has_aliases == (revision not in ("cc1f77228345", "97727af70f4d"))
        if has_aliases:
            assert store.get_model_version_by_alias("mid-model", "champion").version == 2
        else:
            assert models[0].aliases == {}
            with pytest.raises(ResourceNotFound):
                store.get_model_version_by_alias("mid-model", "champion")
        for eid in all_ids:
            assert store.list_logged_models(eid) == []


def test_old_revision_delete_and_restore(old_schema, tmp_path):
    old_uri, _, ids, _ = old_schema
    path = tmp_path / "copy.db"
    shutil.copy(old_uri[len("sqlite:///") :], path)
    with open_store(f"sqlite:///{path}") as store:
        store.delete_runs([ids["child-0"]])
        assert [r.run_name for r in store.search_runs(["1"], view=ViewType.DELETED).runs] == [
            "deleted-run",
            "child-0",
        ]
        store.restore_runs([ids["child-0"]])
        assert store.get_run(ids["child-0"]).run.lifecycle_stage == "active"
    with sqlite3.connect(path) as conn:
        row = conn.execute(
            "SELECT lifecycle_stage, deleted_time FROM runs WHERE run_uuid = ?", (ids["child-0"],)
        ).fetchone()
    assert row == ("active", None)
