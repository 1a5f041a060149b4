"""Traces (issue 13): the store reads the traces screens will stand on.

Store: ``tracestore.py`` (100,000 traces in ``big-traces``, and one trace of 5,000
spans, in MLflow 3.17's sqlite schema). Each figure is the median of a few tries,
wall time, with ``MlflowClient`` doing the same read in the same run as the peer:

- (a) the first page (100 traces, newest first, with tags, metadata and
  assessments) from a store opened for it: what the traces table waits for;
  also warm (the store already open), with the total counted, filtered
  (``tags.team = 'red' AND attributes.status = 'OK'``), sorted by
  ``execution_time_ms DESC``, filtered on spans (``span.type = 'TOOL'``), and
  filters that match one trace or none (each trace is looked at);
- (b) the 5,000 spans of one trace, decoded (inputs, outputs, attributes, events),
  then ordered as a tree (``span_tree``): what the trace screen waits for;
- (c) the traces screen itself, driven headless like a person: from pushing it
  on the 100,000 traces to the first rows drawn, then from ``r`` (refresh) to
  the rows drawn again. (``bench_trace_tree.py`` times the trace screen.)

Targets for the screens: first rows under 2 s, a 5,000-span tree under 1 s.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tracestore import EXPERIMENT, N_TRACES, N_WIDE_SPANS, WIDE, trace_store_uri

TARGETS = {"a": 2.0, "b": 1.0}
TRIES = 5


def timed(fn, tries: int = TRIES) -> tuple[float, object]:
    times, result = [], None
    for _ in range(tries):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


async def screen_times(uri: str, exp: str) -> tuple[float, float]:
    """Medians of pushed -> first rows drawn, and r -> rows drawn again."""
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.screens.traces import TracesScreen
    from mltui.store import open_store

    def drawn(screen) -> bool:
        # the first trace's name on the table's first line (not only in memory)
        first = screen.rows.trace_at(0)
        if first is None or not screen.table.size.height:
            return False
        name = first.tags.get("mlflow.traceName", "")
        return bool(name) and name[:12] in screen.table.render_line(1).text

    async def wait(pilot, condition) -> None:
        deadline = time.perf_counter() + 60
        while not condition():
            if time.perf_counter() > deadline:
                raise TimeoutError("rows never drawn")
            await pilot.pause(0.005)

    app = MltuiApp(store=open_store(uri), settings=Settings(refresh_interval=0.0))
    pushed, refreshed = [], []
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause(0.5)
        for _ in range(TRIES):
            start = time.perf_counter()
            screen = TracesScreen([exp])
            app.push_screen(screen)
            await wait(pilot, lambda s=screen: drawn(s))
            pushed.append(time.perf_counter() - start)
            start = time.perf_counter()
            screen.reload()
            await pilot.pause(0)
            await wait(pilot, lambda s=screen: drawn(s))
            refreshed.append(time.perf_counter() - start)
            app.pop_screen()
            await pilot.pause(0.2)
    return statistics.median(pushed), statistics.median(refreshed)


def main() -> int:
    import mltui
    from mltui.store import open_store
    from mltui.store.span_tree import span_tree

    uri = trace_store_uri()
    print(f"mltui from {Path(mltui.__file__).parent}; store {uri}")

    def first_page_cold():
        with open_store(uri) as s:
            exp = s.get_experiment_by_name(EXPERIMENT).experiment_id
            return s.search_traces([exp], max_results=100)

    store = open_store(uri)
    exp = store.get_experiment_by_name(EXPERIMENT).experiment_id
    rows = []

    cold, page = timed(first_page_cold)
    assert len(page.traces) == 100 and page.next_page_token
    times = [t.request_time for t in page.traces]
    assert times == sorted(times, reverse=True)
    rows.append(("(a) first 100 of 100,000, store opened for it", cold, TARGETS["a"]))
    for label, kwargs in [
        ("(a) warm", {}),
        ("(a) warm, with the total", {"count_total": True}),
        ("(a) tags.team = 'red' AND status = 'OK'",
         {"filter_string": "tags.team = 'red' AND attributes.status = 'OK'"}),
        ("(a) sorted by execution_time_ms DESC", {"order_by": ["execution_time_ms DESC"]}),
        ("(a) span.type = 'TOOL'", {"filter_string": "span.type = 'TOOL'"}),
        # few or no matches: every trace is looked at
        ("(a) span.name = 'tool-7' (1 trace)", {"filter_string": "span.name = 'tool-7'"}),
        ("(a) feedback.relevance > 0.95", {"filter_string": "feedback.relevance > 0.95"}),
        ("(a) tags.team = 'purple' (none)", {"filter_string": "tags.team = 'purple'"}),
    ]:
        took, found = timed(lambda kw=kwargs: store.search_traces([exp], max_results=100, **kw))
        few = "(" in label[4:]
        assert few or len(found.traces) == 100
        if kwargs.get("count_total"):
            assert found.total == N_TRACES, found.total
        # the target is for a page of rows; a search that matches (almost) nothing
        # reads every trace to say so, and is shown for information
        rows.append((label, took, None if few else TARGETS["a"]))

    wide = store.search_traces([exp], f"name = '{WIDE}'").traces[0]
    read, spans = timed(lambda: store.get_trace_spans(wide.trace_id, wide))
    assert len(spans) == N_WIDE_SPANS
    tree, nodes = timed(lambda: span_tree(spans))
    assert len(nodes) == N_WIDE_SPANS and nodes[0].span.name == WIDE
    rows.append(("(b) 5,000 spans read and decoded", read, TARGETS["b"]))
    rows.append(("(b) ... ordered as a tree", tree, None))
    rows.append(("(b) read + tree", read + tree, TARGETS["b"]))

    store.close()

    import asyncio

    pushed, refreshed = asyncio.run(screen_times(uri, exp))
    rows.append(("(c) traces screen: pushed to first rows drawn", pushed, TARGETS["a"]))
    rows.append(("(c) traces screen: r to rows drawn again", refreshed, TARGETS["a"]))

    failed = False
    print(f"\n{'figure':52} {'time':>9} {'target':>8}")
    for label, took, target in rows:
        verdict = ""
        if target is not None:
            verdict = "PASS" if took < target else "FAIL"
            failed |= took >= target
        shown = f"< {target:g} s" if target else ""
        print(f"{label:52} {took:8.3f}s {shown:>8} {verdict}", flush=True)

    # the peer: MLflow's own client on the same store. Not 'span.name = tool-7':
    # MLflow's query walks every span of the experiment for each trace there, and
    # had not answered after 15 minutes.
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    for label, fn, tries in [
        ("search_traces, first 100", lambda: client.search_traces(
            locations=[exp], max_results=100, include_spans=False), 3),
        ("get_trace, 5,000 spans", lambda: client.get_trace(wide.trace_id), 3),
        ("search_traces span.type = 'TOOL'", lambda: client.search_traces(
            locations=[exp], filter_string="span.type = 'TOOL'", max_results=100,
            include_spans=False), 1),
    ]:
        print(f"{'MlflowClient.' + label + ' (peer)':52} {timed(fn, tries)[0]:8.3f}s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
