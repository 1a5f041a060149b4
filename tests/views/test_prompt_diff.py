"""The prompt screen's diff and version picking (``views.prompts``), without Textual:
the unified diff agrees with ``difflib.unified_diff``, the side-by-side rows hold
every line of both texts, chat prompts diff by message; and a prompt made by the
real client reads as ``mlflow.genai.load_prompt`` returns it."""

from __future__ import annotations

import difflib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mltui.store.entities import ModelVersion, RegisteredModel
from mltui.views.prompts import (
    ADD,
    HUNK,
    REMOVE,
    SAME,
    PromptVersion,
    PromptView,
    diff_versions,
    pick_pair,
    prompt_version,
    side_by_side,
    template_text,
    unified_diff,
)


def _difflib(old: str, new: str, n: int = 3) -> list[str]:
    lines = list(difflib.unified_diff(old.splitlines(), new.splitlines(), n=n, lineterm=""))
    return lines[2:]  # without the ---/+++ file headers


def _ours(old: str, new: str, n: int = 3) -> list[str]:
    sign = {ADD: "+", REMOVE: "-", SAME: " "}
    return [line.text if line.kind == HUNK else sign[line.kind] + line.text
            for line in unified_diff(old, new, n)]


def test_unified_diff_is_difflibs():
    old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten"
    new = "zero\none\ntwo\nTHREE\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven"
    assert _ours(old, new) == _difflib(old, new)
    assert _ours(old, new, 1) == _difflib(old, new, 1)
    assert _ours("", "a\nb") == _difflib("", "a\nb")
    assert _ours("a\nb", "") == _difflib("a\nb", "")
    assert unified_diff("same\ntext", "same\ntext") == []


lines = st.lists(st.sampled_from(["a", "b", "c", "{{x}}", "", "[bold]x[/]", "\x1b[31m"]),
                 max_size=12)


@settings(max_examples=200, deadline=None)
@given(lines, lines, st.integers(0, 4))
def test_unified_diff_agrees_with_difflib_on_any_lines(a, b, n):
    old, new = "\n".join(a), "\n".join(b)
    assert _ours(old, new, n) == _difflib(old, new, n)


@settings(max_examples=200, deadline=None)
@given(lines, lines)
def test_side_by_side_keeps_every_line_in_order(a, b):
    old, new = "\n".join(a), "\n".join(b)
    rows = side_by_side(old, new)
    assert [r.left for r in rows if r.left is not None] == old.splitlines()
    assert [r.right for r in rows if r.right is not None] == new.splitlines()
    for r in rows:
        if r.kind == SAME:
            assert r.left == r.right
        assert (r.left is None) == (r.old is None) and (r.right is None) == (r.new is None)


def test_line_numbers_and_kinds():
    diff = unified_diff("a\nb\nc", "a\nB\nc\nd")
    assert [(d.kind, d.text, d.old, d.new) for d in diff] == [
        (HUNK, "@@ -1,3 +1,4 @@", None, None),
        (SAME, "a", 1, 1), (REMOVE, "b", 2, None), (ADD, "B", None, 2),
        (SAME, "c", 3, 3), (ADD, "d", None, 4),
    ]
    rows = side_by_side("a\nb\nc", "a\nB\nc\nd")
    assert [(r.kind, r.left, r.right) for r in rows] == [
        (SAME, "a", "a"), ("change", "b", "B"), (SAME, "c", "c"), (ADD, None, "d")]


def test_a_chat_prompt_diffs_by_message():
    old = json.dumps([{"role": "system", "content": "Be terse."},
                      {"role": "user", "content": "Hi {{name}}"}])
    new = json.dumps([{"role": "system", "content": "Be terse."},
                      {"role": "user", "content": "Hello {{name}}"}])
    assert template_text(old, "chat") == "[system]\nBe terse.\n\n[user]\nHi {{name}}"
    diff = diff_versions(PromptVersion(2, new, "chat"), PromptVersion(1, old, "chat"))
    assert (diff.old, diff.new, diff.added, diff.removed) == (1, 2, 1, 1)
    assert [d.text for d in diff.unified if d.kind in (ADD, REMOVE)] == [
        "Hi {{name}}", "Hello {{name}}"]
    # not a list of messages: shown as stored
    assert template_text("[not json", "chat") == "[not json"
    assert template_text('{"a": 1}', "chat") == '{"a": 1}'


def _view(*numbers: int) -> PromptView:
    versions = [PromptVersion(n, f"text {n}") for n in sorted(numbers, reverse=True)]
    return PromptView(RegisteredModel("p"), versions)


@pytest.mark.parametrize(("marked", "cursor", "pair"), [
    ([], 3, (2, 3)),          # nothing marked: the cursor's version and the one before
    ([], 1, "first"),         # ... unless it is the first
    ([3], 1, (1, 3)),         # one marked: it and the cursor's
    ([3], 3, (2, 3)),         # ... the same one: as if none were marked
    ([1, 3], 2, (1, 3)),      # two marked: those, older first
    ([3, 1], 2, (1, 3)),
    ([1, 2, 3], 1, (2, 3)),   # the last two marks count
    ([9], 2, "gone"),
])
def test_which_versions_d_compares(marked, cursor, pair):
    found = pick_pair(marked, cursor, _view(1, 2, 3))
    if isinstance(pair, str):
        assert isinstance(found, str) and pair in found
    else:
        assert (found[0].version, found[1].version) == pair


def test_a_version_read_from_its_tags():
    mv = ModelVersion("p", 2, description="stricter", tags={
        "mlflow.prompt.is_prompt": "true", "mlflow.prompt.text": "Hi {{x}}",
        "_mlflow_prompt_type": "text", "team": "nlp"})
    v = prompt_version(mv, {"production": 2, "old": 1})
    assert (v.template, v.kind, v.message, v.aliases, v.tags) == (
        "Hi {{x}}", "text", "stricter", ("production",), {"team": "nlp"})


def test_a_prompt_made_by_mlflow_reads_as_load_prompt(tmp_path):
    import mlflow

    from mltui.store import open_store
    from mltui.views.prompts import load_prompt_view
    from support.genai_world import PROMPT, world

    uri, _ids = world("sqlite", tmp_path / "world")
    store = open_store(uri)
    try:
        view = load_prompt_view(store, PROMPT)
    finally:
        store.close()
    assert [v.version for v in view.versions] == [3, 2, 1]
    client = mlflow.MlflowClient(uri, registry_uri=uri)
    for v in view.versions:
        ref = client.load_prompt(f"prompts:/{PROMPT}/{v.version}")
        if v.kind == "chat":
            assert json.loads(v.template) == ref.template
        else:
            assert v.template == ref.template
        assert v.message == ref.commit_message
        assert sorted(v.aliases) == sorted(ref.aliases)
    diff = diff_versions(view.version(1), view.version(2))
    assert diff.added == 2 and diff.removed == 0
