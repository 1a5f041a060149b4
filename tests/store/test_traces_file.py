"""Traces in an mlruns folder (MLflow's file store), against MlflowClient.

MLflow 3.17's file store keeps traces under ``<experiment>/traces/<trace_id>/``:
``trace_info.yaml``, ``tags/``, ``request_metadata/``, ``assessments/*.yaml`` and
the spans in ``artifacts/traces.json`` (it cannot log spans to a table). Every
trace must read as MlflowClient reads it; then hostile folders on a private copy.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from mltui.store import open_store
from mltui.store.errors import InvalidSearch, ResourceNotFound
from mltui.store.span_tree import span_tree
from mltui.store.trace_entities import ARTIFACT_REPO
from support import trace_fixtures
from support.traces_builder import (
    ARTIFACTS,
    BIG_INPUT,
    DEEP,
    EMPTY,
    HOSTILE,
    MAIN,
    MAIN_COUNT,
    OTHER,
)
from support.traces_match import all_traces, assert_same_info, assert_same_spans, eid


@pytest.fixture(scope="module")
def backend():
    return trace_fixtures.file_backend()


@pytest.fixture(scope="module")
def store(backend):
    s = backend.open()
    yield s
    s.close()


@pytest.fixture(scope="module")
def client(backend):
    return backend.client()


def test_capability_and_counts(store):
    assert store.capabilities.traces
    assert store.has_traces([eid(store, MAIN)])
    assert not store.has_traces([eid(store, EMPTY)])
    assert store.count_traces([eid(store, MAIN)]) == MAIN_COUNT
    assert store.count_traces([eid(store, MAIN)], "tags.team = 'green'") == 2
    page = store.search_traces([eid(store, MAIN)], count_total=True, max_results=7)
    assert page.total == MAIN_COUNT and len(page.traces) == 7


@pytest.mark.parametrize("name", [MAIN, OTHER, EMPTY, HOSTILE, ARTIFACTS])
def test_infos_and_spans_match_mlflow(store, client, name):
    ours = all_traces(store, name)
    theirs = client.search_traces(locations=[eid(store, name)], max_results=1000,
                                  include_spans=False)
    assert [t.trace_id for t in ours] == [t.info.trace_id for t in theirs]
    for mine, ref in zip(ours, theirs, strict=True):
        assert_same_info(mine, ref.info)
        assert_same_info(store.get_trace_info(mine.trace_id), ref.info)
        assert mine.spans_location == ARTIFACT_REPO
        assert_same_spans(store.get_trace_spans(mine.trace_id),
                          client.get_trace(mine.trace_id).data.spans)


def test_hostile_payloads(store):
    traces = {t.name: t for t in all_traces(store, HOSTILE)}
    big = store.get_trace_spans(traces["big-input"].trace_id)
    assert len(big[0].inputs["prompt"]) == BIG_INPUT
    deep = span_tree(store.get_trace_spans(traces["level-0"].trace_id))
    assert [n.depth for n in deep] == list(range(DEEP))


def test_database_only_filters_are_refused(store):
    for text in ("span.name = 'chat'", "feedback.relevance > 0.5", "issue.id = 'x'"):
        with pytest.raises(InvalidSearch, match="need a database"):
            store.search_traces([eid(store, MAIN)], text)


def test_unknown_trace(store):
    for bad in ("tr-00000000000000000000000000000000", "../../etc", ""):
        with pytest.raises(ResourceNotFound):
            store.get_trace_info(bad)


# -- a private copy ---------------------------------------------------------------------


@pytest.fixture
def copy(tmp_path):
    uri = trace_fixtures.copy_of("file", tmp_path)
    return uri, Path(tmp_path / "mlruns")


def _trace_dir(root: Path, store, name: str, index: int = 0) -> Path:
    info = all_traces(store, name)[index]
    return root / info.experiment_id / "traces" / info.trace_id


def _own_traces_json(trace_dir: Path) -> Path:
    """Put the trace's traces.json in its own folder, where MLflow keeps it by default
    (the builder's experiments keep artifacts elsewhere), and drop the tag that
    points at the original store: the copy's file is the one read."""
    copy_root = trace_dir.parents[3]
    found = list(copy_root.glob(f"artifacts/*/traces/{trace_dir.name}/artifacts/traces.json"))
    assert len(found) == 1
    target = trace_dir / "artifacts" / "traces.json"
    target.parent.mkdir(exist_ok=True)
    shutil.copy2(found[0], target)
    (trace_dir / "tags" / "mlflow.artifactLocation").unlink()
    return target


def test_moved_folder_reads_its_own_traces_json(copy):
    """The tag still names the original folder: after moving, the copy's file is read."""
    uri, root = copy
    with open_store(uri) as store:
        trace_dir = _trace_dir(root, store, MAIN)
        _own_traces_json(trace_dir)
        (trace_dir / "tags" / "mlflow.artifactLocation").write_text(
            (root / "nowhere").as_uri())
        spans = store.get_trace_spans(trace_dir.name)
        assert spans and spans[0].parent_id is None
        os.remove(trace_dir / "artifacts" / "traces.json")
        with pytest.raises(ResourceNotFound, match=r"traces\.json"):
            store.get_trace_spans(trace_dir.name)


def test_lost_parent_cycle_and_junk(copy):
    uri, root = copy
    with open_store(uri) as store:
        path = _own_traces_json(_trace_dir(root, store, MAIN))
        trace_dir = path.parents[1]
        data = json.loads(path.read_text())
        spans = {s["name"]: s for s in data["spans"]}
        data["spans"] = [s for s in data["spans"] if s["name"] != "agent"]
        spans["lookup"]["parent_span_id"] = spans["chat"]["span_id"]
        spans["chat"]["parent_span_id"] = spans["lookup"]["span_id"]
        data["spans"] += [None, "junk", {"name": "bare"}]
        path.write_text(json.dumps(data))
        found = store.get_trace_spans(trace_dir.name)
    names = sorted(s.name for s in found)
    assert names == sorted([*(n for n in spans if n != "agent"), "bare"])
    assert sorted(n.span.name for n in span_tree(found)) == names


def test_broken_trace_folders_are_skipped(copy):
    uri, root = copy
    with open_store(uri) as store:
        experiment = eid(store, MAIN)
        first, second = _trace_dir(root, store, MAIN, 0), _trace_dir(root, store, MAIN, 1)
        (first / "trace_info.yaml").write_text("{{{ not yaml")
        shutil.rmtree(second / "tags")
        (root / experiment / "traces" / "empty-folder").mkdir()
        (root / experiment / "traces" / "stray-file").write_text("x")
        found = store.search_traces([experiment], max_results=1000).traces
        assert len(found) == MAIN_COUNT - 1
        assert first.name not in {t.trace_id for t in found}
        assert next(t for t in found if t.trace_id == second.name).tags == {}
