"""Any filter or order_by a person can type, on every backend: mltui gives the runs
MlflowClient gives on the same store, in the same order, or, where MLflow refuses
the string, a one-line error; and the store is unchanged afterwards (the sqlite
file and the mlruns folder byte for byte).

The strings are hypothesis' mutations of the differential suite's cases (a cut, a
doubled or dropped character, junk or SQL glued on, two cases joined by AND), so
most are near-misses of real filters, where parsers go wrong.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mlflow.entities import ViewType as MlflowViewType
from mlflow.exceptions import MlflowException

from mltui.store.entities import ViewType
from mltui.store.errors import InvalidSearch, StoreError
from support.search_cases import ORDER_BYS, VALID_FILTERS

SEEDS = [f for f in VALID_FILTERS if "{" not in f]
ORDERS = [list(o) for o in ORDER_BYS if not any("{" in c for c in o)]
JUNK = ["'", '"', "`", "(", ")", " AND", " OR 1=1", "; DROP TABLE runs", "--", "%", "\\",
        " IS NULL", "=", "\x00", "\u00e9", " IN ()", ",", ".", "  "]


@st.composite
def near_filters(draw) -> str:
    text = draw(st.sampled_from(SEEDS))
    how = draw(st.sampled_from(["as is", "cut", "junk", "drop", "double", "and"]))
    if how == "cut" and text:
        text = text[: draw(st.integers(0, len(text) - 1))]
    elif how == "junk":
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(JUNK)) + text[at:]
    elif how == "drop" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + text[at + 1:]
    elif how == "double" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + text[at] + text[at:]
    elif how == "and":
        text = f"{text} AND {draw(st.sampled_from(SEEDS))}"
    return text


@st.composite
def near_orders(draw) -> list[str]:
    order = list(draw(st.sampled_from(ORDERS)))
    if order and draw(st.booleans()):
        i = draw(st.integers(0, len(order) - 1))
        order[i] = order[i] + draw(st.sampled_from([" ASC", " DESC", " desc", " BAD", "`",
                                                    ", x", ""]))
    return order


def _fingerprint(uri: str) -> str | None:
    """A hash of the store's bytes (sqlite file or mlruns folder); None for servers."""
    if uri.startswith("sqlite:///"):
        paths = [Path(uri.removeprefix("sqlite:///"))]
    elif uri.startswith("file:"):
        root = Path(uri.removeprefix("file://"))
        paths = sorted(p for p in root.rglob("*") if p.is_file())
    else:
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(str(path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


EXAMPLES = settings(max_examples=60, derandomize=True, database=None, deadline=None,
                    suppress_health_check=list(HealthCheck))


def test_any_filter_and_order_gives_mlflows_runs_or_one_line(backend):
    client = backend.client()
    store = backend.open(read_only=True)
    experiments = [e.experiment_id
                   for e in client.search_experiments(view_type=MlflowViewType.ALL)]
    before = _fingerprint(backend.uri)
    outcomes: Counter[str] = Counter()

    @EXAMPLES
    @given(near_filters(), near_orders())
    def check(filter_string: str, order_by: list[str]) -> None:
        try:
            theirs = [r.info.run_id for r in client.search_runs(
                experiments, filter_string, run_view_type=MlflowViewType.ALL,
                max_results=1000, order_by=order_by)]
        except MlflowException:
            theirs = None
        try:
            ours = [r.run_id for r in store.search_runs(
                experiments, filter_string, order_by, ViewType.ALL, max_results=1000).runs]
        except (InvalidSearch, StoreError) as exc:
            message = str(exc)
            assert message and "\n" not in message and "Traceback" not in message, message
            ours = None
        if theirs is None or ours is None:
            # mltui may refuse more than MLflow (documented in test_search_grammar:
            # SQL that sqlparse glues into MLflow's tokens), never less
            assert ours is None or theirs is not None, (filter_string, order_by)
            outcomes["both refused" if theirs is None else "refused by mltui"] += 1
            return
        if order_by:
            assert ours == theirs, (filter_string, order_by)
        else:  # MLflow's default order ties on start time are broken by id: compare sets
            assert sorted(ours) == sorted(theirs), (filter_string, order_by)
        outcomes["same runs"] += 1

    try:
        check()
    finally:
        store.close()
    assert _fingerprint(backend.uri) == before
    # the strings reach both outcomes: not a test of junk only, nor of seeds only
    assert outcomes["same runs"] > 10 and outcomes["both refused"] > 5, outcomes

