"""Experiment and run edits (issue 16) made by mltui and by MlflowClient on twin
copies of the builders' store, on every backend: what MlflowClient reads back
must be the same after each step, each timestamp changed (to "now") or left
alone as MLflow's own store does; on SQL the raw rows, and on mlruns the files,
must be the same too (times aside, checked set and close).

The twin machinery is the parity suite's (``twin_compare`` in
``test_store_parity.py``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
import sqlalchemy as sa
import yaml
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException
from test_store_parity import (  # the parity suite's helpers, shared
    _no_client_retries,  # noqa: F401 - an autouse fixture, used by being imported
    _test_tracking_uri,  # noqa: F401
    now_ms,
    twin_compare,
)

from mltui.store.errors import InvalidValue, ReadOnlyError, ResourceNotFound

HOSTILE = "it's \"quoted\" \x1b[31mred\x1b[0m [b]markup[/b] ✓ 名前 ⚠"
TIME_COLUMNS = ("creation_time", "last_update_time", "deleted_time")


def _store_folder(client) -> str | None:
    """The folder of a file store (its copies differ only by it), else None."""
    uri = client._tracking_client.tracking_uri
    if uri.startswith("file:"):
        return str(Path(unquote(urlparse(uri).path)).parent)
    return None


def tracking_state(client, known: frozenset[str] = frozenset()) -> dict:
    """What MlflowClient sees of experiments and runs, timestamps named
    ``*timestamp`` for ``changes``. Experiments are keyed by id, those not in
    ``known`` (made during the test) by their order of creation: the file store
    draws ids at random."""
    folder = _store_folder(client)
    exps = client.search_experiments(view_type=MlflowViewType.ALL)
    new = sorted((e for e in exps if known and e.experiment_id not in known),
                 key=lambda e: (e.creation_time, e.name))
    keys = {e.experiment_id: e.experiment_id for e in exps}
    keys.update({e.experiment_id: f"new-{i}" for i, e in enumerate(new)})
    experiments = {}
    for e in exps:
        location = e.artifact_location or ""
        if folder:
            location = location.replace(folder, "<store>")
        experiments[keys[e.experiment_id]] = {
            "name": e.name,
            "lifecycle_stage": e.lifecycle_stage,
            "tags": dict(e.tags),
            "artifact_location": location.replace(e.experiment_id, "<id>"),
            "creation_timestamp": e.creation_time,
            "last_update_timestamp": e.last_update_time,
        }
    runs = client.search_runs(list(keys), "", MlflowViewType.ALL, 1000)
    return {
        "experiments": experiments,
        "runs": {
            r.info.run_id: {
                "experiment": keys[r.info.experiment_id],
                "run_name": r.info.run_name,
                "lifecycle_stage": r.info.lifecycle_stage,
                "status": r.info.status,
                "end_time": r.info.end_time,
                "tags": dict(r.data.tags),
            }
            for r in runs
        },
    }


def state_with_known(client) -> Callable[[object], dict]:
    """:func:`tracking_state` knowing the experiments ``client`` sees now."""
    known = frozenset(
        e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL))
    return lambda c: tracking_state(c, known)


def _eid(api, name: str) -> str:
    exp = api.get_experiment_by_name(name)
    assert exp is not None, name
    return exp.experiment_id


def _run_ids(client) -> dict[str, str]:
    exps = [e.experiment_id for e in client.search_experiments(view_type=MlflowViewType.ALL)]
    return {r.info.run_name: r.info.run_id
            for r in client.search_runs(exps, "", MlflowViewType.ALL, 1000)}


def hostile_experiment_name(kind: str) -> str:
    """MLflow's file store cannot make an experiment whose name has a single quote
    (its name check builds a filter string unescaped, and refuses it): elsewhere
    the name keeps one."""
    return HOSTILE.replace("'", "\u2019") if kind == "file" else HOSTILE


def edit_steps(ids: dict[str, str], kind: str) -> list[tuple]:
    """(what, mltui's write, MlflowClient's write)."""
    hostile = hostile_experiment_name(kind)
    children = [ids[f"child-{i}"] for i in range(3)]
    return [
        ("create", lambda s: s.create_experiment(
            "fresh exp", tags={"team": "x", "mlflow.note.content": "about\nit"}),
         lambda c: c.create_experiment(
             "fresh exp", tags={"team": "x", "mlflow.note.content": "about\nit"})),
        ("create hostile", lambda s: s.create_experiment(hostile),
         lambda c: c.create_experiment(hostile)),
        ("rename", lambda s: s.rename_experiment(
            _eid(s, "fresh exp"), "renamed exp", expected_name="fresh exp"),
         lambda c: c.rename_experiment(_eid(c, "fresh exp"), "renamed exp")),
        ("set experiment tag", lambda s: s.set_experiment_tag(_eid(s, "sweep"), "k", "v"),
         lambda c: c.set_experiment_tag(_eid(c, "sweep"), "k", "v")),
        ("overwrite experiment tag",
         lambda s: s.set_experiment_tag(_eid(s, "sweep"), "mlflow.note.content", "new ✓"),
         lambda c: c.set_experiment_tag(_eid(c, "sweep"), "mlflow.note.content", "new ✓")),
        ("delete experiment tag", lambda s: s.delete_experiment_tag(_eid(s, "sweep"), "team"),
         lambda c: c.delete_experiment_tag(_eid(c, "sweep"), "team")),
        ("rename run", lambda s: s.rename_run(children[0], "renamed-run"),
         lambda c: c.update_run(children[0], name="renamed-run")),
        ("hostile run name", lambda s: s.rename_run(children[1], HOSTILE),
         lambda c: c.update_run(children[1], name=HOSTILE)),
        ("tag runs", lambda s: s.set_run_tags(children, "note key", "it's\nhere"),
         lambda c: [c.set_tag(r, "note key", "it's\nhere") for r in children]),
        ("run name by tag", lambda s: s.set_run_tags(children[2:], "mlflow.runName", "by-tag"),
         lambda c: c.set_tag(children[2], "mlflow.runName", "by-tag")),
        ("delete run tags", lambda s: s.delete_run_tags([*children[:2], ids["bare"]], "note key"),
         lambda c: [c.delete_tag(r, "note key") for r in children[:2]]),
        ("delete experiment", lambda s: s.delete_experiment(_eid(s, "edge cases")),
         lambda c: c.delete_experiment(_eid(c, "edge cases"))),
        ("restore experiment", lambda s: s.restore_experiment(_eid(s, "edge cases")),
         lambda c: c.restore_experiment(_eid(c, "edge cases"))),
        ("restore old", lambda s: s.restore_experiment(_eid(s, "old-experiment")),
         lambda c: c.restore_experiment(_eid(c, "old-experiment"))),
        ("delete created", lambda s: s.delete_experiment(_eid(s, "renamed exp")),
         lambda c: c.delete_experiment(_eid(c, "renamed exp"))),
    ]


class _Recorder:
    """The writable backend, keeping the twin ``twin_compare`` asks for."""

    def __init__(self, backend):
        self.backend = backend
        self.twin_backend = None

    def client(self):
        return self.backend.client()

    def open(self, read_only: bool = False):
        return self.backend.open(read_only=read_only)

    def twin(self):
        self.twin_backend = self.backend.twin()
        return self.twin_backend


@pytest.fixture
def mlflow_default_root(writable_backend, monkeypatch):
    """MLflow's client places a new SQL experiment under ``./mlruns`` of the current
    folder; mltui under the parent of the Default experiment's location. Run
    MlflowClient from the folder the store was made in, where both agree."""
    if writable_backend.kind in ("sqlite", "postgresql", "mysql"):
        location = writable_backend.client().get_experiment("0").artifact_location
        assert location.endswith("/mlruns/0"), location
        monkeypatch.chdir(location[: -len("/mlruns/0")])
    return writable_backend


def _rows(uri: str) -> dict[str, list[dict]]:
    engine = sa.create_engine(uri)
    try:
        meta = sa.MetaData()
        meta.reflect(engine, only=["experiments", "experiment_tags", "runs", "tags"])
        with engine.connect() as conn:
            out = {}
            for name, table in meta.tables.items():
                rows = [dict(r) for r in conn.execute(sa.select(table)).mappings()]
                out[name] = sorted(rows, key=lambda r: repr(sorted(
                    (k, v) for k, v in r.items() if k not in TIME_COLUMNS)))
            return out
    finally:
        engine.dispose()


def _assert_same_rows(ours: dict, theirs: dict, start: int, end: int) -> None:
    assert ours.keys() == theirs.keys()
    for table in ours:
        assert len(ours[table]) == len(theirs[table]), table
        for a, b in zip(ours[table], theirs[table], strict=True):
            plain = {k: v for k, v in a.items() if k not in TIME_COLUMNS}
            assert plain == {k: v for k, v in b.items() if k not in TIME_COLUMNS}, table
            for column in TIME_COLUMNS:
                if column in a and a[column] != b[column]:
                    # stamped by each call: both set, both during the test
                    assert a[column] is not None and b[column] is not None, (table, column)
                    assert start <= a[column] <= end and start <= b[column] <= end


def _tree(folder: str) -> dict[str, object]:
    """An mlruns folder's experiments and runs: meta.yaml minus times, tag files,
    where each experiment lives (active or .trash); experiments by name."""
    out: dict[str, object] = {}
    for parent, where in ((folder, "active"), (os.path.join(folder, ".trash"), "trash")):
        for eid in sorted(os.listdir(parent)):
            exp_dir = os.path.join(parent, eid)
            meta_path = os.path.join(exp_dir, "meta.yaml")
            if not os.path.isfile(meta_path):
                continue
            meta = yaml.safe_load(open(meta_path, encoding="utf-8").read())  # noqa: SIM115
            name = meta["name"]

            def clean(data: dict, eid=eid) -> dict:
                cleaned = {}
                for k, v in data.items():
                    if k in TIME_COLUMNS:
                        v = "set" if v is not None else None
                    elif isinstance(v, str):
                        v = v.replace(folder, "<store>").replace(eid, "<id>")
                    cleaned[k] = v
                return cleaned

            out[f"{where}/{name}/meta.yaml"] = clean(meta)
            for root, _, files in os.walk(exp_dir):
                rel = os.path.relpath(root, exp_dir)
                parts = rel.split(os.sep)
                if "artifacts" in parts or "metrics" in parts or "params" in parts:
                    continue
                for f in files:
                    path = os.path.join(root, f)
                    key = f"{where}/{name}/{rel}/{f}"
                    if f == "meta.yaml" and rel != ".":
                        out[key] = clean(yaml.safe_load(open(path, encoding="utf-8").read()))  # noqa: SIM115
                    elif "tags" in parts:
                        out[key] = open(path, "rb").read()  # noqa: SIM115
    return out


def _folder(backend) -> str:
    return unquote(urlparse(backend.uri).path)


def test_edits_as_mlflow_makes_them(mlflow_default_root):
    backend = mlflow_default_root
    ids = _run_ids(backend.client())
    steps = edit_steps(ids, backend.kind)
    recorder = _Recorder(backend)
    start = now_ms()
    ours_tree = None
    if backend.kind == "file":
        # the twin of a file store is another copy: read ours before it is made
        original_twin = recorder.twin

        def twin_after_tree():
            nonlocal ours_tree
            ours_tree = _tree(_folder(backend))
            return original_twin()

        recorder.twin = twin_after_tree  # type: ignore[method-assign]
    ours_rows = None
    if backend.kind in ("sqlite", "postgresql", "mysql"):
        original = recorder.twin

        def twin_after_rows():
            nonlocal ours_rows
            ours_rows = _rows(backend.uri)
            return original()

        recorder.twin = twin_after_rows  # type: ignore[method-assign]
    _, after, changed = twin_compare(
        recorder, [(w, o) for w, o, _ in steps], [(w, t) for w, _, t in steps],
        state_with_known(backend.client()),
    )
    end = now_ms()
    assert all(changed.values()), changed
    exps = {e["name"]: e for e in after["experiments"].values()}
    runs = after["runs"]
    assert exps[hostile_experiment_name(backend.kind)]["lifecycle_stage"] == "active"
    assert exps["renamed exp"]["lifecycle_stage"] == "deleted"
    assert "fresh exp" not in exps
    assert exps["sweep"]["tags"] == {"mlflow.note.content": "new ✓", "k": "v"}
    assert runs[ids["child-0"]]["run_name"] == "renamed-run"
    assert runs[ids["child-0"]]["tags"]["mlflow.runName"] == "renamed-run"
    assert runs[ids["child-1"]]["run_name"] == HOSTILE
    assert runs[ids["child-2"]]["run_name"] == "by-tag"
    assert runs[ids["child-2"]]["tags"]["note key"] == "it's\nhere"
    assert "note key" not in runs[ids["child-0"]]["tags"]
    # restoring an experiment brings back every run, even one deleted before it
    assert runs[ids["old-run"]]["lifecycle_stage"] == "active"
    if ours_rows is not None:
        _assert_same_rows(ours_rows, _rows(recorder.twin_backend.uri), start, end)
    if ours_tree is not None:
        assert ours_tree == _tree(_folder(recorder.twin_backend))


def test_read_only_refuses_every_edit(writable_backend):
    client = writable_backend.client()
    before = tracking_state(client)
    ids = _run_ids(client)
    sweep = _eid(client, "sweep")
    old = _eid(client, "old-experiment")
    rid = ids["child-0"]
    with writable_backend.open(read_only=True) as store:
        for write in (
            lambda: store.create_experiment("new"),
            lambda: store.rename_experiment(sweep, "other"),
            lambda: store.delete_experiment(sweep),
            lambda: store.restore_experiment(old),
            lambda: store.set_experiment_tag(sweep, "k", "v"),
            lambda: store.delete_experiment_tag(sweep, "team"),
            lambda: store.rename_run(rid, "x"),
            lambda: store.set_run_tags([rid], "k", "v"),
            lambda: store.delete_run_tags([rid], "kind"),
        ):
            with pytest.raises(ReadOnlyError) as info:
                write()
            assert "\n" not in str(info.value)
    assert tracking_state(client) == before


def _mlflow_message(call) -> str:
    with pytest.raises(MlflowException) as info:
        call()
    return info.value.message


def test_mlflow_messages_for_bad_names(writable_backend):
    client = writable_backend.client()
    before = tracking_state(client)
    sweep = _eid(client, "sweep")
    with writable_backend.open() as store:
        for ours_call, theirs_call in (
            (lambda: store.create_experiment("sweep"), lambda: client.create_experiment("sweep")),
            (lambda: store.create_experiment(""), lambda: client.create_experiment("")),
            (lambda: store.rename_experiment(sweep, ""),
             lambda: client.rename_experiment(sweep, "")),
            (lambda: store.create_experiment("x" * 501),
             lambda: client.create_experiment("x" * 501)),
            (lambda: store.set_experiment_tag(sweep, "bad*key", "v"),
             lambda: client.set_experiment_tag(sweep, "bad*key", "v")),
        ):
            with pytest.raises(InvalidValue) as info:
                ours_call()
            ours = str(info.value)
            assert "\n" not in ours
            theirs = " ".join(_mlflow_message(theirs_call).split())
            theirs = re.sub(r"^[A-Z_]+: ", "", theirs)  # the REST client's error code
            assert theirs.startswith(ours.rstrip(".")) or ours.startswith(theirs[:60]), (
                ours, theirs)
    assert tracking_state(client) == before


def test_set_run_tags_is_all_or_nothing(writable_backend):
    client = writable_backend.client()
    before = tracking_state(client)
    ids = _run_ids(client)
    with writable_backend.open() as store:
        with pytest.raises(ResourceNotFound):
            store.set_run_tags([ids["child-0"], "f" * 32, ids["child-1"]], "k", "v")
        with pytest.raises(InvalidValue):  # a deleted run: MLflow refuses, so do we
            store.set_run_tags([ids["child-0"], ids["deleted-run"]], "k", "v")
        with pytest.raises(ResourceNotFound):
            store.delete_run_tags([ids["child-0"]], "no-such-tag")
    assert tracking_state(client) == before
    if writable_backend.kind != "sqlite":
        return
    # many runs, one transaction: a database failure half-way leaves nothing
    many = [r for r in before["runs"] if before["runs"][r]["lifecycle_stage"] == "active"]
    engine = sa.create_engine(writable_backend.uri)
    with engine.begin() as conn:
        conn.execute(sa.text(
            "CREATE TRIGGER refuse AFTER INSERT ON tags WHEN NEW.run_uuid = :rid "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END".replace(":rid", f"'{many[1]}'")))
    engine.dispose()
    with writable_backend.open() as store, pytest.raises(Exception):  # noqa: B017
        store.set_run_tags(many, "batch", "1")
    assert tracking_state(client) == before
