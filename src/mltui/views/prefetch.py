"""Start the first query of ``mltui --experiment X`` before the UI exists.

Importing Textual and starting the app takes about as long as sorting a big
experiment's runs; doing both at once (sqlite releases the GIL while it
works) puts the first rows on screen sooner.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from ..store.base import BaseStore
from ..store.entities import Experiment
from ..store.query import RunQuery
from .run_pages import LoadedPage, load_page


@dataclass
class FirstPage:
    """What the runs screen would fetch first, in its default state."""

    experiment: Experiment
    page: LoadedPage
    tree: bool
    """Whether it was asked as a tree (top-level runs)."""


def load_first_page(store: BaseStore, ref: str, page_size: int, tree: bool) -> FirstPage:
    exp = store.find_experiment(ref)
    query = RunQuery.of([exp.experiment_id], top_level=tree)
    return FirstPage(exp, load_page(store, query, 0, page_size), tree)


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
