"""ComposedStore, the hand-overs to a part written once for the three backends.

The parity suites check what each backend's parts do; these check the hand-over
itself, with no store behind it: every public method keeps the contract's
signature (``BaseStore``'s names, kinds and defaults, which callers rely on), and
passes its arguments to its part unchanged and in order, returning the part's
answer. A swapped pair of arguments of the same type would pass mypy."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields

import pytest

from mltui.store.base import BaseStore
from mltui.store.composed import ComposedStore, StoreParts

HANDED_OVER = sorted(
    name for name, value in vars(ComposedStore).items()
    if inspect.isfunction(value) and not name.startswith("_")
)
PASSED_THROUGH = [name for name in HANDED_OVER if name != "get_trace_spans"]


class Recorder:
    """A part that logs every call and answers it with its record."""

    def __init__(self, part: str, log: list[tuple]):
        self.part = part
        self.log = log

    def __getattr__(self, method: str) -> Callable[..., tuple]:
        def call(*args, **kwargs) -> tuple:
            self.log.append((self.part, method, args, kwargs))
            return self.log[-1]
        return call


class Fake(ComposedStore):
    kind = "fake"

    def __init__(self) -> None:
        super().__init__("fake://")
        self.log: list[tuple] = []
        self._parts = StoreParts(**{f.name: Recorder(f.name, self.log)
                                    for f in fields(StoreParts)})

    # the core reads ComposedStore leaves to each backend
    def query_runs(self, query, **page): raise AssertionError
    def get_run(self, run_id): raise AssertionError
    def run_keys(self, experiment_ids): raise AssertionError


def _shape(fn: Callable) -> list[tuple[str, object, object]]:
    return [(p.name, p.kind, p.default) for p in inspect.signature(fn).parameters.values()]


@pytest.mark.parametrize("name", HANDED_OVER)
def test_signature_is_the_contracts(name):
    assert _shape(getattr(ComposedStore, name)) == _shape(getattr(BaseStore, name))


@pytest.mark.parametrize("name", PASSED_THROUGH)
def test_arguments_reach_the_part_in_order(name):
    store = Fake()
    method = getattr(store, name)
    params = list(inspect.signature(method).parameters.values())
    args = [f"<{p.name}>" for p in params if p.kind is p.POSITIONAL_OR_KEYWORD]
    kwargs = {p.name: f"<{p.name}>" for p in params if p.kind is p.KEYWORD_ONLY}
    answer = method(*args, **kwargs)
    [(_, _, passed, passed_kwargs)] = store.log
    assert (list(passed), passed_kwargs) == (args + list(kwargs.values()), {})
    if inspect.signature(getattr(BaseStore, name)).return_annotation != "None":
        assert answer is store.log[0]


def test_spans_read_the_info_only_when_not_given():
    store = Fake()
    assert store.get_trace_spans("t-1", "<info>") == ("traces", "spans", ("<info>",), {})
    asked = store.get_trace_spans("t-1")
    assert asked == ("traces", "spans", (("traces", "info", ("t-1",), {}),), {})
