"""A store of MLflow 3 traces for the trace tests, made by the real ``mlflow`` client.

``python tests/support/traces_builder.py URI ARTIFACT_ROOT`` fills the store at URI
(sqlite, PostgreSQL or an mlruns folder). Tests get it with
``cached_store("traces-sqlite")`` / ``cached_store("traces-file")`` or, for
PostgreSQL, through ``BuiltStores(..., script="traces_builder.py")``.

Experiments:

- ``traces-main`` (:data:`MAIN`): :data:`MAIN_COUNT` traces from ``@mlflow.trace``
  on nested functions: agent / chat / lookup roots, a child span that raises in
  every third trace (the trace stays OK), two roots that raise (trace ERROR),
  tags (``team``, ``priority``) from ``update_current_trace`` and
  ``client.set_trace_tag``, a session and a user in the metadata, token usage on
  the chat spans, a ``client_request_id`` on some, feedback (numbers, booleans,
  strings, an error, an override) and expectations (string, object), four traces
  made inside a run (:data:`RUN_NAME`).
- ``traces-other`` (:data:`OTHER`): two traces, to check experiments are kept apart.
- ``traces-none`` (:data:`EMPTY`): an experiment without traces.
- ``traces-hostile`` (:data:`HOSTILE`): a span with a :data:`BIG_INPUT`-byte input,
  a chain of :data:`DEEP` nested spans, names with markup and escape codes.
- ``traces-artifacts`` (:data:`ARTIFACTS`): on a database, traces whose spans
  went to ``traces.json`` because the store "could not" log spans (as through a
  server that lacks the span endpoint); on mlruns every trace is like that.

Traces are made a few milliseconds apart so their order is well defined.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

MAIN = "traces-main"
OTHER = "traces-other"
EMPTY = "traces-none"
HOSTILE = "traces-hostile"
ARTIFACTS = "traces-artifacts"
RUN_NAME = "traced-run"
MAIN_COUNT = 18
BIG_INPUT = 5 * 1024 * 1024
DEEP = 1000
HOSTILE_NAME = "[bold red]boom[/] \x1b[31mred\x1b[0m \u202e"


def build(uri: str, artifact_root: str) -> None:
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import AssessmentError, AssessmentSource
    from mlflow.tracing.constant import SpanAttributeKey

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    os.makedirs(artifact_root, exist_ok=True)

    def experiment(name: str) -> str:
        return client.create_experiment(
            name, artifact_location=Path(artifact_root, name).as_uri())

    def pause() -> None:
        time.sleep(0.005)

    # -- the application -----------------------------------------------------------
    @mlflow.trace(span_type="TOOL")
    def lookup(query: str) -> list[str]:
        return [f"doc-{len(query)}", "doc-b"]

    @mlflow.trace(span_type="CHAT_MODEL")
    def chat(messages: list[dict], tokens: int) -> dict:
        span = mlflow.get_current_active_span()
        span.set_attribute(SpanAttributeKey.CHAT_USAGE, {
            "input_tokens": tokens, "output_tokens": tokens // 2,
            "total_tokens": tokens + tokens // 2})
        return {"role": "assistant", "content": f"answer to {messages[-1]['content']}"}

    @mlflow.trace
    def flaky(i: int) -> int:
        raise ValueError(f"flaky step {i} failed")

    @mlflow.trace(name="agent", span_type="AGENT")
    def agent(i: int, question: str) -> str:
        meta = {"mlflow.trace.session": f"session-{i % 3}", "mlflow.trace.user": f"user-{i % 2}"}
        mlflow.update_current_trace(
            tags={"team": "red" if i % 2 else "blue", "index": str(i)},
            metadata=meta,
            client_request_id=f"req-{i}" if i % 4 == 0 else None,
        )
        docs = lookup(question)
        if i % 3 == 0:
            with contextlib.suppress(ValueError):
                flaky(i)
        reply = chat([{"role": "user", "content": question}, {"role": "system",
                                                             "content": str(docs)}], 10 * i + 7)
        if i in (5, 11):
            raise RuntimeError(f"agent {i} gave up")
        return reply["content"]

    @mlflow.trace(name="lookup-only", span_type="RETRIEVER")
    def lookup_only(i: int) -> list[str]:
        mlflow.update_current_trace(tags={"team": "green"})
        return lookup(f"q{i}")

    def made(i: int) -> str:
        pause()
        return mlflow.get_last_active_trace_id()

    # -- traces-main --------------------------------------------------------------------
    main = experiment(MAIN)
    mlflow.set_experiment(experiment_id=main)
    ids = []
    for i in range(MAIN_COUNT - 4):
        with contextlib.suppress(RuntimeError):
            if i % 5 == 4:
                lookup_only(i)
            else:
                agent(i, f"question {i}?")
        ids.append(made(i))
    with mlflow.start_run(run_name=RUN_NAME):
        for i in range(MAIN_COUNT - 4, MAIN_COUNT):
            agent(i, f"in a run {i}")
            ids.append(made(i))

    human = AssessmentSource(source_type="HUMAN", source_id="alice@example.com")
    judge = AssessmentSource(source_type="LLM_JUDGE", source_id="gpt-judge")
    for n, tid in enumerate(ids):
        if n % 2 == 0:
            mlflow.log_feedback(trace_id=tid, name="relevance", value=n / 20, source=judge,
                                rationale=f"judged {n}")
        if n % 3 == 0:
            mlflow.log_feedback(trace_id=tid, name="correct", value=n % 2 == 0, source=human)
        if n % 4 == 1:
            mlflow.log_expectation(trace_id=tid, name="expected_answer", value=f"answer {n}",
                                   source=human)
        if n == 7:
            mlflow.log_expectation(trace_id=tid, name="expected_facts",
                                   value={"facts": ["a", "b"], "count": 2}, source=human)
            mlflow.log_feedback(trace_id=tid, name="tone", value="friendly", source=human)
        if n == 9:
            mlflow.log_feedback(trace_id=tid, name="relevance", source=judge,
                                error=AssessmentError(error_code="TIMEOUT",
                                                      error_message="judge timed out"))
    first = client.get_trace(ids[0]).info.assessments
    relevance = next(a for a in first if a.name == "relevance")
    mlflow.override_feedback(trace_id=ids[0], assessment_id=relevance.assessment_id, value=0.9,
                             rationale="a human disagreed", source=human)
    for n, tid in enumerate(ids):
        if n % 4 == 2:
            client.set_trace_tag(tid, "priority", "high" if n % 8 == 2 else "low")

    # -- traces-other, traces-none --------------------------------------------------------
    mlflow.set_experiment(experiment_id=experiment(OTHER))
    for i in range(2):
        lookup_only(100 + i)
        made(i)
    experiment(EMPTY)

    # -- traces-hostile ---------------------------------------------------------------------
    mlflow.set_experiment(experiment_id=experiment(HOSTILE))
    with mlflow.start_span("big-input", span_type="LLM") as span:
        span.set_inputs({"prompt": "x" * BIG_INPUT})
        span.set_outputs("short")
    made(0)
    with contextlib.ExitStack() as stack:
        for level in range(DEEP):
            stack.enter_context(mlflow.start_span(f"level-{level}"))
    made(1)
    with mlflow.start_span(HOSTILE_NAME, span_type=HOSTILE_NAME) as span:
        span.set_inputs({"[b]key[/b]": "\x1b[2J\x07"})
        with mlflow.start_span("child \x00 nul"):
            pass
    made(2)

    # -- traces-artifacts: spans in traces.json ---------------------------------------------
    mlflow.set_experiment(experiment_id=experiment(ARTIFACTS))
    store = client._tracking_client.store
    cls = type(store)
    original = getattr(cls, "log_spans", None)

    def refuse(self, *args, **kwargs):
        raise NotImplementedError("spans go to traces.json")

    cls.log_spans = refuse  # as a store that cannot log spans: MLflow falls back to traces.json
    try:
        for i in range(3):
            with contextlib.suppress(RuntimeError):
                agent(200 + i, f"artifact question {i}")
            made(i)
    finally:
        if original is not None:
            cls.log_spans = original


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
