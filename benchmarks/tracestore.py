"""A big MLflow sqlite store of traces for the trace benchmark, built fast and cached.

The real ``mlflow`` client creates the schema and logs two real traces in the
experiment ``big-traces``:

a template: ``@mlflow.trace`` on an agent calling a tool (2 spans), with a
feedback; its rows show what MLflow 3.17 writes for a trace. (The client takes
about 55 ms a span on sqlite, as it stores each span when it ends: 5,000 spans
would take five minutes, 100,000 traces hours.)

Then :data:`N_TRACES` - 1 more traces are inserted with ``sqlite3.executemany`` in
one transaction: ``wide-5000``, a trace of 5,000 spans (a root, 100 steps, 4,899
tool calls under them, each a copy of the template's tool span), and copies of
the template, each with its rows and fresh ids (hex request
ids, OpenTelemetry ids in base64 inside the span JSON), times spread over 100
days, random durations, names, states, tags and token columns:
``trace_info`` (with MLflow 3.17's ``trace_name`` and token columns),
``trace_tags`` (``mlflow.artifactLocation``, ``mlflow.trace.spansLocation``,
``team``), ``trace_request_metadata`` (the template's keys: source, user, sizes,
inputs and outputs...), ``spans`` (the template's two span dictionaries, ids and
times rewritten) and, for one trace in ten, an ``assessments`` row. No index is
added and no ``ANALYZE`` is run.

``python benchmarks/tracestore.py [--check]`` builds ``benchmarks/.data/traces-100000.db``
(about 2.5 minutes and 0.5 GB on 2 cores); ``--check`` compares a sample with
MlflowClient.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import random
import sqlite3
import sys
import time
from pathlib import Path

EXPERIMENT = "big-traces"
WIDE = "wide-5000"
N_TRACES = 100_000
N_WIDE_SPANS = 5000
DATA_DIR = Path(__file__).resolve().parent / ".data"
PATH = DATA_DIR / f"traces-{N_TRACES}.db"
_BATCH = 5000


def is_complete(path: Path = PATH) -> bool:
    if not path.is_file():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            (count,) = conn.execute("SELECT count(*) FROM trace_info").fetchone()
    except sqlite3.Error:
        return False
    return count == N_TRACES


def trace_store_uri(*, quiet: bool = False) -> str:
    """The URI of the cached store, built first when missing."""
    if not is_complete():
        build(PATH, quiet=quiet)
    elif not quiet:
        print(f"tracestore: reusing {PATH}", file=sys.stderr)
    return f"sqlite:///{PATH}"


def _real_traces(path: Path) -> tuple[int, str]:
    """MLflow makes the schema, the template trace and the 5,000-span trace."""
    import logging

    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    import mlflow
    from mlflow import MlflowClient

    for name in ("mlflow", "alembic"):
        logging.getLogger(name).setLevel(logging.WARNING)
    uri = f"sqlite:///{path}"
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    eid = client.create_experiment(EXPERIMENT, artifact_location=str(path.parent / "traces-art"))
    mlflow.set_experiment(experiment_id=eid)

    @mlflow.trace(span_type="TOOL")
    def search(query: str) -> list[str]:
        return [f"result for {query}", "another result"]

    @mlflow.trace(name="agent", span_type="AGENT")
    def agent(question: str) -> str:
        mlflow.update_current_trace(tags={"team": "red"})
        return f"{search(question)[0]}!"

    agent("what is the template question?")
    template = mlflow.get_last_active_trace_id()
    mlflow.log_feedback(trace_id=template, name="relevance", value=0.7, rationale="fine")

    client._tracking_client.store.engine.dispose()
    return int(eid), template


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def build(path: Path, *, quiet: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    for leftover in (tmp, Path(f"{tmp}-journal")):
        if leftover.exists():
            leftover.unlink()
    t0 = time.perf_counter()
    eid, template = _real_traces(tmp)
    t1 = time.perf_counter()
    rows = _copies(tmp, eid, template, N_TRACES - 1)
    os.replace(tmp, path)
    if not quiet:
        print(f"tracestore: built {path.name}: {N_TRACES:,} traces, {rows:,} rows, "
              f"{path.stat().st_size / 1e6:,.0f} MB in {time.perf_counter() - t0:.0f} s "
              f"(mlflow {t1 - t0:.0f} s)", file=sys.stderr)


class _Template:
    """The rows MLflow wrote for the template trace, to copy."""

    def __init__(self, conn: sqlite3.Connection, trace_id: str):
        def rows(sql: str) -> list[dict]:
            return [dict(r) for r in conn.execute(sql, (trace_id,))]

        self.trace_id = trace_id
        self.info = rows("SELECT * FROM trace_info WHERE request_id = ?")[0]
        self.tags = rows("SELECT * FROM trace_tags WHERE request_id = ?")
        self.meta = rows("SELECT * FROM trace_request_metadata WHERE request_id = ?")
        self.spans = rows("SELECT * FROM spans WHERE trace_id = ? "
                          "ORDER BY parent_span_id IS NOT NULL")
        self.assessment = rows("SELECT * FROM assessments WHERE trace_id = ?")[0]
        self.contents = [json.loads(r["content"]) for r in self.spans]
        self.columns = [c for c in self.spans[0] if c != "duration_ns"]  # a generated column


def _span_row(t: _Template, kind: int, tid: str, raw_id: bytes, span_id: bytes,
              parent: bytes | None, name: str, span_type: str, begin: int, length: int,
              error: bool) -> dict:
    """A copy of the template's span ``kind`` (0 the root, 1 the tool) renamed and moved."""
    row, body = t.spans[kind], copy.deepcopy(t.contents[kind])
    body.update(trace_id=_b64(raw_id), span_id=_b64(span_id), name=name,
                parent_span_id=_b64(parent) if parent else None,
                start_time_unix_nano=begin, end_time_unix_nano=begin + length)
    body["attributes"]["mlflow.traceRequestId"] = json.dumps(tid)
    body["attributes"]["mlflow.spanType"] = json.dumps(span_type)
    if error:
        body["status"] = {"code": "STATUS_CODE_ERROR", "message": "failed"}
    return {**{c: row[c] for c in t.columns}, "trace_id": tid, "span_id": span_id.hex(),
            "parent_span_id": parent.hex() if parent else None, "name": name,
            "type": span_type, "status": "ERROR" if error else row["status"],
            "start_time_unix_nano": begin, "end_time_unix_nano": begin + length,
            "content": json.dumps(body)}


def _wide_spans(t: _Template, rng: random.Random, tid: str, raw_id: bytes, start_ns: int,
                duration_ns: int) -> list[dict]:
    """A root, 100 steps under it and 4,899 tool calls under the steps."""
    def new_id() -> bytes:
        return rng.getrandbits(64).to_bytes(8, "big")

    root = new_id()
    rows = [_span_row(t, 0, tid, raw_id, root, None, WIDE, "AGENT", start_ns, duration_ns, False)]
    tools = [49] * 99 + [48]
    slot = duration_ns // 100
    for step, count in enumerate(tools):
        step_id, begin = new_id(), start_ns + step * slot
        rows.append(_span_row(t, 1, tid, raw_id, step_id, root, f"step-{step}", "CHAIN",
                              begin, slot, False))
        for tool in range(count):
            rows.append(_span_row(t, 1, tid, raw_id, new_id(), step_id, f"tool-{tool}",
                                  "TOOL", begin + tool * (slot // 50), slot // 50,
                                  tool == 7 and step == 42))
    assert len(rows) == N_WIDE_SPANS
    return rows


def _copies(path: Path, eid: int, template: str, count: int) -> int:
    rng = random.Random(7)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.row_factory = sqlite3.Row
    t = _Template(conn, template)
    now = int(time.time() * 1000)
    total = 0
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")

    def insert(table: str, items: list[dict]) -> None:
        nonlocal total
        if items:
            cols = list(items[0])
            conn.executemany(f"INSERT INTO {table} ({', '.join(cols)}) VALUES "
                             f"({', '.join('?' for _ in cols)})",
                             [tuple(i[c] for c in cols) for i in items])
            total += len(items)

    for lo in range(0, count, _BATCH):
        infos, tag_rows, meta_rows, span_rows, assessments = [], [], [], [], []
        for n in range(lo, min(count, lo + _BATCH)):
            raw_id = rng.getrandbits(128).to_bytes(16, "big")
            tid = f"tr-{raw_id.hex()}"
            wide = n == 0
            start = now - (0 if wide else rng.randrange(100 * 86_400_000))
            duration = 90_000 if wide else int(rng.expovariate(1 / 800)) + 1
            state = "ERROR" if rng.random() < 0.07 else "OK"
            tokens = rng.randrange(50, 5000)
            infos.append({**t.info, "request_id": tid, "timestamp_ms": start,
                          "execution_time_ms": duration, "status": state,
                          "request_preview": json.dumps({"question": f"question {n}?"}),
                          "response_preview": json.dumps(f"answer {n}"),
                          "trace_name": WIDE if wide else
                          rng.choice(("agent", "chat", "rag", "summarize")),
                          "input_tokens": tokens, "output_tokens": tokens // 3,
                          "total_tokens": tokens + tokens // 3})
            for tag in t.tags:
                value = tag["value"].replace(template, tid) if tag["key"] != "team" else \
                    rng.choice(("red", "blue", "green"))
                tag_rows.append({**tag, "request_id": tid, "value": value})
            for m in t.meta:
                value = m["value"]
                if wide and m["key"] == "mlflow.trace.sizeStats":
                    value = json.dumps({**json.loads(value), "num_spans": N_WIDE_SPANS})
                meta_rows.append({**m, "request_id": tid, "value": value})
            if wide:
                span_rows += _wide_spans(t, rng, tid, raw_id, start * 1_000_000,
                                         duration * 1_000_000)
            else:
                root, child = (rng.getrandbits(64).to_bytes(8, "big") for _ in range(2))
                gap = t.contents[1]["start_time_unix_nano"] - t.contents[0]["start_time_unix_nano"]
                begin, length = start * 1_000_000, duration * 1_000_000
                span_rows.append(_span_row(t, 0, tid, raw_id, root, None, "agent", "AGENT",
                                           begin, length, state == "ERROR"))
                span_rows.append(_span_row(t, 1, tid, raw_id, child, root, "search", "TOOL",
                                           begin + gap, max(1, length - gap), False))
            if n % 10 == 0:
                score = round(rng.random(), 3)
                assessments.append({**t.assessment,
                                    "assessment_id": f"a-{rng.getrandbits(128):032x}",
                                    "trace_id": tid, "trace_timestamp_ms": start,
                                    "value": json.dumps(score), "aggregate_value": score})
        insert("trace_info", infos)
        insert("trace_tags", tag_rows)
        insert("trace_request_metadata", meta_rows)
        insert("spans", span_rows)
        insert("assessments", assessments)
    conn.execute("COMMIT")
    conn.close()
    return total


def check(uri: str) -> None:
    """A sample read back by MlflowClient: the first page, a copied trace's spans."""
    from mlflow import MlflowClient

    client = MlflowClient(uri)
    eid = client.get_experiment_by_name(EXPERIMENT).experiment_id
    page = client.search_traces(locations=[eid], max_results=20, include_spans=False)
    assert len(page) == 20, len(page)
    trace = client.get_trace(page[3].info.trace_id)
    assert len(trace.data.spans) == 2 and trace.data.spans[0].name == "agent", trace
    assert trace.data.spans[1].parent_id == trace.data.spans[0].span_id
    assert trace.data.spans[1].inputs == {"query": "what is the template question?"}
    assert trace.info.token_usage and trace.info.token_usage["total_tokens"] > 0
    wide = client.search_traces(locations=[eid], filter_string=f"name = '{WIDE}'",
                                include_spans=False)[0]
    spans = client.get_trace(wide.info.trace_id).data.spans
    assert len(spans) == N_WIDE_SPANS and spans[0].name == WIDE
    assert sum(1 for s in spans if s.status.status_code.value == "ERROR") == 1
    print(f"tracestore: MlflowClient reads {page[3].info.trace_id} and the {N_WIDE_SPANS:,}-span "
          "trace back: OK", file=sys.stderr)


if __name__ == "__main__":
    store_uri = trace_store_uri()
    if "--check" in sys.argv:
        check(store_uri)
