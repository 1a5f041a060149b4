"""Start the first query of ``mltui --experiment X`` before the UI exists.

Importing Textual and starting the app takes about as long as sorting a big
experiment's runs; doing both at once (sqlite releases the GIL while it
works) puts the first rows on screen sooner. Imports nothing from textual.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .store.base import BaseStore
from .store.entities import Experiment, RunPage, ViewType


@dataclass
class FirstPage:
    """What the runs screen would fetch first, in its default state."""

    experiment: Experiment
    nested: bool
    page: RunPage
    counts: dict[str, int] = field(default_factory=dict)


def load_page(
    store: BaseStore,
    ids: list[str],
    filter_text: str,
    order_by: list[str],
    view: ViewType,
    size: int,
    page: int,
    count: bool,
    tree: bool,
    nested: bool | None,
) -> tuple[RunPage, dict[str, int], bool | None]:
    """One page of the runs table. In tree view (``tree``) only top-level runs are
    listed; it learns first whether anything is nested, and asks for the child
    counts of the page's parents."""
    if tree and nested is None:
        nested = store.has_nested_runs(ids)
    if tree and nested is False:
        tree = False  # no run has a parent: the tree is flat, skip the parent check
    result = store.search_runs(
        ids, filter_text, order_by, view, max_results=size, offset=page * size,
        count_total=count, top_level=tree,
    )
    counts = {}
    if tree and result.runs:
        counts = store.child_counts(ids, [r.run_id for r in result.runs], "", view)
    return result, counts, nested


def load_first_page(store: BaseStore, ref: str, page_size: int, tree: bool) -> FirstPage:
    exp = store.find_experiment(ref)
    page, counts, nested = load_page(
        store, [exp.experiment_id], "", [], ViewType.ACTIVE,
        page_size, 0, False, tree, None,
    )
    return FirstPage(exp, bool(nested), page, counts)


class Prefetch:
    """Runs :func:`load_first_page` in a thread; ``result()`` waits for it and
    re-raises its error."""

    def __init__(self, store: BaseStore, ref: str, page_size: int, tree: bool):
        self._result: FirstPage | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, args=(store, ref, page_size, tree), daemon=True,
            name="mltui-prefetch",
        )
        self._thread.start()

    def _run(self, store: BaseStore, ref: str, page_size: int, tree: bool) -> None:
        try:
            self._result = load_first_page(store, ref, page_size, tree)
        except BaseException as exc:  # delivered to the UI by result()
            self._error = exc

    def result(self) -> FirstPage:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result
