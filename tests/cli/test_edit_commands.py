"""The everyday edits on the command line: ``mltui experiment|run|model|version ...``.

Each write runs through ``cli.main`` on a private copy of a store the real mlflow
made (sqlite and mlruns); MlflowClient makes the same change on a second, pristine
copy; both are read back with MlflowClient and must match: the same rows, and the
same timestamps moved. ``--read-only`` refuses every write and changes nothing;
refusals and errors are one line on stderr with exit code 2.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from mlflow.entities import ViewType as MlflowViewType

from mltui.cli import main
from support.clihelp import ok, one_line_error, run_cli

KINDS = ("sqlite", "file")
NOTE = "mlflow.note.content"
MANY = 1000





# -- one copy of the store, and what MlflowClient reads from it ---------------------------


@dataclass
class World:
    """One copy of the builders' store: its URI, its folder, and MlflowClient on it."""

    backend: object

    @property
    def uri(self) -> str:
        return self.backend.uri

    @property
    def root(self) -> Path:
        """The folder the copy lives in: mlflow.db or mlruns, and the artifacts."""
        uri = self.uri
        if uri.startswith("sqlite:///"):
            return Path(uri.removeprefix("sqlite:///")).parent
        return Path(uri.removeprefix("file://")).parent

    def client(self):
        return self.backend.client()  # sets mlflow's global URI for the file registry

    def exp_id(self, name: str) -> str:
        exp = self.client().get_experiment_by_name(name)
        assert exp is not None, name
        return exp.experiment_id

    def run_id(self, name: str, experiment: str = "sweep") -> str:
        client = self.client()
        runs = client.search_runs([self.exp_id(experiment)],
                                  f"attributes.run_name = '{name}'",
                                  run_view_type=MlflowViewType.ALL)
        assert len(runs) == 1, name
        return runs[0].info.run_id

    def logged_model_id(self) -> str:
        client = self.client()
        [model] = client.search_logged_models(experiment_ids=[self.exp_id("edge cases")])
        return model.model_id


def snapshot(world: World, since: int) -> dict:
    """Everything an edit could change, as MlflowClient reads it: the copy's folder
    written ``<root>``, ids of experiments replaced by names (the file store picks
    new ids at random), and each timestamp only ``old`` or ``new`` (since ``since``)."""
    client = world.client()
    root = str(world.root)

    def plain(value):
        if isinstance(value, str):
            return value.replace(root, "<root>")
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        return value

    def own_folder(exp) -> str:
        """The artifact location; a default one ends in the id, which the file store
        draws at random for a new experiment."""
        location = plain(exp.artifact_location)
        head, _, last = location.rpartition("/")
        return f"{head}/<id>" if last == exp.experiment_id else location

    def stamp(ms) -> str | None:
        if ms is None:
            return None
        return "new" if ms >= since else "old"

    exps = client.search_experiments(view_type=MlflowViewType.ALL, max_results=MANY)
    names = {e.experiment_id: e.name for e in exps}
    experiments = {
        e.name: (e.lifecycle_stage, dict(e.tags), own_folder(e),
                 stamp(e.creation_time), stamp(e.last_update_time))
        for e in exps
    }
    runs = {}
    found = client.search_runs(list(names), run_view_type=MlflowViewType.ALL,
                               max_results=MANY)
    assert len(found) < MANY
    for r in found:
        runs[r.info.run_id] = (names[r.info.experiment_id], r.info.run_name,
                               r.info.lifecycle_stage, dict(r.data.tags),
                               stamp(r.info.end_time))
    models = {}
    for m in client.search_registered_models(max_results=MANY):
        versions = {}
        for found_mv in client.search_model_versions(f"name = '{m.name}'"):
            mv = client.get_model_version(m.name, found_mv.version)
            versions[int(mv.version)] = (
                mv.current_stage, sorted(mv.aliases), dict(mv.tags), mv.description or "",
                plain(mv.source), mv.run_id or "", mv.status,
                stamp(mv.creation_timestamp), stamp(mv.last_updated_timestamp),
            )
        models[m.name] = (
            m.description or "", dict(m.tags), {a: int(v) for a, v in m.aliases.items()},
            stamp(m.creation_timestamp), stamp(m.last_updated_timestamp), versions,
        )
    return {"experiments": experiments, "runs": runs, "models": models}


def files_digest(world: World) -> str:
    """Every file of the copy with its content: proof that nothing was written."""
    digest = hashlib.sha256()
    for folder, dirs, files in sorted(os.walk(world.root)):
        dirs.sort()
        for name in sorted(files):
            path = Path(folder, name)
            digest.update(str(path.relative_to(world.root)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.fixture
def copies(writable_backend):
    """The copy the CLI writes, and a function making the pristine twin."""
    return World(writable_backend), lambda: World(writable_backend.twin())


def only_sqlite_and_file(func):
    return pytest.mark.parametrize("writable_backend", KINDS, indirect=True)(func)


# -- each write, and the MlflowClient call it must equal ---------------------------------
#
# A case gets the CLI's copy (for ids, which the copies share) and returns the
# command, and what MlflowClient does on the twin given the twin's World.

Case = Callable[[World], tuple[list[str], Callable[[World], object]]]


def new_experiment(w: World):
    return (["experiment", "create", "new one", "--artifact-location",
             (w.root / "new-art").as_uri(), "--tag", "team=infra", "--tag", "q=a=b"],
            lambda t: t.client().create_experiment(
                "new one", artifact_location=(t.root / "new-art").as_uri(),
                tags={"team": "infra", "q": "a=b"}))


def new_plain_experiment(w: World):
    return (["experiment", "create", "plain"],
            lambda t: t.client().create_experiment("plain"))


def rename_by_name(w: World):
    eid = w.exp_id("sweep")
    return (["experiment", "rename", "sweep", "sweep two"],
            lambda t: t.client().rename_experiment(eid, "sweep two"))


def rename_by_id(w: World):
    eid = w.exp_id("edge cases")
    return (["experiment", "rename", eid, "edges"],
            lambda t: t.client().rename_experiment(eid, "edges"))


def delete_experiment(w: World):
    eid = w.exp_id("sweep")
    return (["experiment", "delete", "sweep"],
            lambda t: t.client().delete_experiment(eid))


def restore_experiment(w: World):
    eid = w.exp_id("old-experiment")  # deleted: found by name all the same
    return (["experiment", "restore", "old-experiment"],
            lambda t: t.client().restore_experiment(eid))


def tag_experiment(w: World):
    eid = w.exp_id("sweep")
    return (["experiment", "tag", eid, "team=platform"],
            lambda t: t.client().set_experiment_tag(eid, "team", "platform"))


def untag_experiment(w: World):
    eid = w.exp_id("sweep")
    return (["experiment", "tag", "sweep", "--delete", "team"],
            lambda t: t.client().delete_experiment_tag(eid, "team"))


def describe_experiment(w: World):
    eid = w.exp_id("edge cases")
    text = "# Edge cases\n\nhostile [red]names[/]"
    return (["experiment", "describe", "edge cases", text],
            lambda t: t.client().set_experiment_tag(eid, NOTE, text))


def rename_run(w: World):
    rid = w.run_id("child-0")
    return (["run", "rename", rid, "first child"],
            lambda t: t.client().update_run(rid, name="first child"))


def rename_run_by_name(w: World):
    rid = w.run_id("child-1")
    return (["run", "rename", "child-1", "-e", "sweep", "second child"],
            lambda t: t.client().update_run(rid, name="second child"))


def tag_runs(w: World):
    rids = [w.run_id(f"child-{i}") for i in range(3)]

    def twin(t: World) -> None:
        for rid in rids:
            t.client().set_tag(rid, "owner", "carol")

    return (["run", "tag", *rids, "owner=carol"], twin)


def tag_runs_by_name(w: World):
    # the names, then --experiment, then the tag: argparse ends RUN... at the option
    rids = [w.run_id("child-0"), w.run_id("child-1")]

    def twin(t: World) -> None:
        for rid in rids:
            t.client().set_tag(rid, "owner", "dave")

    return (["run", "tag", "child-0", "child-1", "-e", "sweep", "owner=dave"], twin)


def untag_runs(w: World):
    rids = [w.run_id("child-2"), w.run_id("child-3")]

    def twin(t: World) -> None:
        for rid in rids:
            t.client().delete_tag(rid, "owner")

    return (["run", "tag", *rids, "--delete", "owner"], twin)


def note_run(w: World):
    rid = w.run_id("bare")
    return (["run", "note", rid, "nothing logged\nsecond line"],
            lambda t: t.client().set_tag(rid, NOTE, "nothing logged\nsecond line"))


def new_model(w: World):
    return (["model", "create", "new-model", "--description", "a *new* model",
             "--tag", "team=risk"],
            lambda t: t.client().create_registered_model(
                "new-model", tags={"team": "risk"}, description="a *new* model"))


def rename_model(w: World):
    # MLflow's file store cannot rename a model whose versions have tags (it passes
    # the tag keys where it wants tags): there the twin renames one without
    name = "churn-model" if w.backend.kind == "file" else "fraud-detector"
    return (["model", "rename", name, "renamed model ü"],
            lambda t: t.client().rename_registered_model(name, "renamed model ü"))


def delete_model(w: World):
    return (["model", "delete", "fraud-detector", "--yes"],
            lambda t: t.client().delete_registered_model("fraud-detector"))


def version_from_run(w: World):
    rid = w.run_id("child-4")
    source = f"runs:/{rid}/model"
    return (["version", "create", "fraud-detector", source],
            lambda t: t.client().create_model_version("fraud-detector", source, run_id=rid))


def version_from_uri(w: World):
    return (["version", "create", "churn-model", "s3://bucket/churn-3",
             "--description", "third", "--tag", "k=v"],
            lambda t: t.client().create_model_version(
                "churn-model", "s3://bucket/churn-3", description="third", tags={"k": "v"}))


def version_from_logged_model(w: World):
    source = f"models:/{w.logged_model_id()}"

    def twin(t: World):
        import mlflow

        # MLflow's registry looks the logged model up through the global tracking URI
        mlflow.set_tracking_uri(t.uri)
        return t.client().create_model_version("churn-model", source)

    return (["version", "create", "churn-model", source], twin)


def delete_version(w: World):
    return (["version", "delete", "fraud-detector", "3", "--yes"],
            lambda t: t.client().delete_model_version("fraud-detector", "3"))


CASES: dict[str, Case] = {
    case.__name__: case for case in (
        new_experiment, new_plain_experiment, rename_by_name, rename_by_id,
        delete_experiment, restore_experiment, tag_experiment, untag_experiment,
        describe_experiment, rename_run, rename_run_by_name, tag_runs, tag_runs_by_name,
        untag_runs,
        note_run, new_model, rename_model, delete_model, version_from_run,
        version_from_uri, version_from_logged_model, delete_version,
    )
}


DEFAULT_LOCATION = {"new_plain_experiment": "plain"}
"""Cases making an experiment in the default artifact location, which is not
compared: MLflow puts it under its ``--default-artifact-root`` (for a sqlite URI
``./mlruns`` of the current folder), which mltui cannot know; mltui puts it next to
the Default experiment's folder."""


def without_location(state: dict, name: str) -> dict:
    lifecycle, tags, location, created, updated = state["experiments"][name]
    assert location.endswith("/<id>"), location
    return {**state, "experiments": {**state["experiments"],
                                     name: (lifecycle, tags, "<default>", created, updated)}}


@only_sqlite_and_file
@pytest.mark.parametrize("case", list(CASES))
def test_write_is_what_mlflow_makes(capsys, copies, case):
    ours, make_twin = copies
    command, mlflow_does = CASES[case](ours)
    since = int(time.time() * 1000)
    before = snapshot(ours, since)

    out = ok(capsys, *command, "--uri", ours.uri)

    twin = make_twin()
    assert snapshot(twin, since) == before
    answer = mlflow_does(twin)
    after, expected = snapshot(ours, since), snapshot(twin, since)
    assert after != before
    if case in DEFAULT_LOCATION:
        after = without_location(after, DEFAULT_LOCATION[case])
        expected = without_location(expected, DEFAULT_LOCATION[case])
    assert after == expected

    # a create prints what scripts need: the new id or version number, alone
    if command[:2] == ["experiment", "create"]:
        assert out == ours.exp_id(command[2]) + "\n"
    elif command[:2] == ["version", "create"]:
        assert out == f"{answer.version}\n"
    else:
        assert len(out.splitlines()) == 1


@only_sqlite_and_file
def test_read_only_refuses_every_write(capsys, copies):
    # a refused write changes nothing, so one copy serves every case in turn
    ours, _ = copies
    since = int(time.time() * 1000)
    before = snapshot(ours, since)
    files = files_digest(ours)
    for case, make in CASES.items():
        command, _ = make(ours)
        line = one_line_error(*run_cli(capsys, *command, "--uri", ours.uri, "--read-only"))
        assert "read-only" in line.lower(), case
        assert files_digest(ours) == files, case
    assert snapshot(ours, since) == before


# -- refusals and errors: one line, exit 2, nothing changed --------------------------------


REFUSED = {
    "a taken experiment name": (["experiment", "create", "sweep"], "sweep"),
    "a deleted experiment's name": (["experiment", "create", "old-experiment"],
                                    "old-experiment"),
    "rename to a taken name": (["experiment", "rename", "sweep", "edge cases"], "edge cases"),
    "an unknown experiment": (["experiment", "restore", "no-such-exp"], "no-such-exp"),
    "an unknown run id": (["run", "tag", "0123456789abcdef", "k=v"], "0123456789abcdef"),
    "an unknown run to rename": (["run", "rename", "nope", "x"], "nope"),
    "a run name without -e": (["run", "note", "child-0", "text"], "--experiment"),
    "no KEY=VALUE": (["run", "tag", "a", "b"], "KEY=VALUE"),
    "a tag without =": (["experiment", "tag", "sweep", "team"], "KEY=VALUE"),
    "both a tag and --delete": (["experiment", "tag", "sweep", "a=b", "--delete", "a"],
                                "--delete"),
    "a bad --tag": (["model", "create", "m", "--tag", "=v"], "KEY=VALUE"),
    "a taken model name": (["model", "create", "fraud-detector"], "fraud-detector"),
    "an unknown model": (["model", "delete", "no-such-model", "--yes"], "no-such-model"),
    "an unknown version": (["version", "delete", "fraud-detector", "99", "--yes"], "99"),
    "a version that is no number": (["version", "delete", "fraud-detector", "v3", "--yes"],
                                    "v3"),
    "model delete without --yes": (
        ["model", "delete", "fraud-detector"],
        "4 versions and the aliases @challenger, @champion",
    ),
    "a model without aliases": (["model", "delete", "churn-model"], "2 versions"),
    "version delete without --yes": (
        ["version", "delete", "fraud-detector", "3"], "version 3 of 'fraud-detector' with "
        "the alias @challenger",
    ),
}


@only_sqlite_and_file
def test_refusals_are_one_line_and_change_nothing(capsys, copies):
    ours, _ = copies  # nothing is written, so one copy serves every refusal
    since = int(time.time() * 1000)
    before = snapshot(ours, since)
    files = files_digest(ours)
    for refusal, (command, named) in REFUSED.items():
        line = one_line_error(*run_cli(capsys, *command, "--uri", ours.uri))
        assert named in line, refusal
        if "without --yes" in refusal or "without aliases" in refusal:
            assert "--yes" in line and "undo" in line, refusal
        assert files_digest(ours) == files, refusal
    assert snapshot(ours, since) == before


@pytest.mark.parametrize("writable_backend", ["sqlite"], indirect=True)
def test_tag_runs_is_all_or_none(capsys, copies):
    """One unknown run among known ones: not one of them is tagged."""
    ours, _ = copies
    since = int(time.time() * 1000)
    before = snapshot(ours, since)
    rid = ours.run_id("child-0")
    line = one_line_error(*run_cli(capsys, "run", "tag", rid, "feedbeef", "k=v",
                                   "--uri", ours.uri))
    assert "feedbeef" in line
    assert snapshot(ours, since) == before


@pytest.mark.parametrize("writable_backend", ["sqlite"], indirect=True)
def test_deleted_experiment_round_trip_by_id(capsys, copies):
    """Delete by name, restore by the id the delete printed, as MLflow reads it."""
    ours, _ = copies
    eid = ours.exp_id("sweep")
    said = ok(capsys, "experiment", "delete", "sweep", "--uri", ours.uri)
    assert f"mltui experiment restore {eid}" in said
    assert ours.client().get_experiment(eid).lifecycle_stage == "deleted"
    ok(capsys, "experiment", "restore", eid, "--uri", ours.uri)
    assert ours.client().get_experiment(eid).lifecycle_stage == "active"


# -- the command line itself ------------------------------------------------------------


def help_text(capsys, *args: str) -> str:
    with pytest.raises(SystemExit) as info:
        main([*args, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize(
    ("group", "actions"),
    [
        ("experiment", ("create", "rename", "delete", "restore", "tag", "describe")),
        ("run", ("rename", "tag", "note")),
        ("model", ("show", "create", "rename", "delete")),
        ("version", ("create", "delete")),
    ],
)
def test_every_action_answers_its_help(capsys, group, actions):
    listing = help_text(capsys, group)
    for action in actions:
        assert action in listing
        out = help_text(capsys, group, action)
        assert f"usage: mltui {group} {action}" in out
        assert "--read-only" in out


def test_model_name_alone_still_shows_the_model(capsys, sql_uri):
    """``mltui model NAME`` is ``mltui model show NAME``, options before or after."""
    shown = ok(capsys, "model", "fraud-detector", "--uri", sql_uri)
    assert shown.startswith("fraud-detector: 4 versions")
    assert ok(capsys, "model", "show", "fraud-detector", "--uri", sql_uri) == shown
    assert ok(capsys, "--uri", sql_uri, "model", "fraud-detector") == shown
    as_json = ok(capsys, "model", "--format", "json", "fraud-detector", "--uri", sql_uri)
    assert as_json.lstrip().startswith("[")


def test_create_in_a_real_process_prints_the_id(tmp_path):
    """``ID=$(mltui experiment create NAME)``: the id alone on stdout, nothing else."""
    from mlflow import MlflowClient

    from support.builders import copy_store

    uri = copy_store("sqlite", tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}

    def mltui(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "mltui", *args, "--uri", uri],
                              capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=60)

    done = mltui("experiment", "create", "from a script")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert done.stdout == MlflowClient(uri).get_experiment_by_name(
        "from a script").experiment_id + "\n"

    again = mltui("experiment", "create", "from a script")
    assert again.returncode == 2 and again.stdout == ""
    [line] = again.stderr.splitlines()
    assert line.startswith("mltui: error: ") and "from a script" in line
