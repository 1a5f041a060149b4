"""``support-agent``: an LLM support agent, as MLflow 3's GenAI features record it.

Two evaluation runs each log the agent as a logged model
(``mlflow.pyfunc.log_model(name="support-agent", python_model=...)``, with params and
metrics on the model), a third model was only initialized (PENDING, no run, no
files), and both logged agents are registered as versions of ``support-agent``
(source ``models:/m-…``; ``@champion`` on the second). The experiment also holds
a few traces of the agent answering tickets, one of them failing in a tool, laid
out as MLflow 3.17 writes them with its spans in the tracking store.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass, field

from ..builder import DemoBuilder, DemoExperiment, DemoRun, random_hex
from ..curves import DAY, HOUR, MINUTE, SECOND
from ..models import model_files
from .registry import model_version

MODEL_NAME = "support-agent"
"""The logged models' name and the registered model's."""
TICKETS = [
    ("I was charged twice for my March invoice", "billing",
     "Sorry about that! I have refunded the duplicate charge of $49."),
    ("The dashboard shows a 502 error since this morning", "outage",
     "We are investigating an outage in eu-west; status page: status.example.com."),
    ("How do I rotate my API key?", "how-to",
     "Open Settings → API keys, click Rotate, then update your clients."),
    ("Can I get an invoice with my VAT number on it?", "billing", None),
    ("Please delete my account and all my data", "account",
     "Done: your account is scheduled for deletion within 30 days."),
    ("Why is the export so slow for large projects?", "how-to",
     "Exports over 1 GB run in the background; you get an email when ready."),
]
"""(ticket, label, reply): a reply of None is the trace whose tool call failed."""


def genai(demo: DemoBuilder) -> dict[str, DemoRun]:
    """Record ``support-agent``, created four days ago."""
    created = demo.now - 4 * DAY
    exp = demo.experiment(
        "support-agent",
        created,
        {"mlflow.note.content": "The support agent: ticket triage and replies. Logged "
         "models are the agent versions; traces are its answers."},
        user="carol",
        source="agent/evaluate.py",
    )
    runs: dict[str, DemoRun] = {}
    models: list[tuple[str, DemoRun]] = []
    for i, (name, llm, temperature, correctness) in enumerate((
        ("agent-v1-eval", "gpt-4o-mini", 0.2, 0.81),
        ("agent-v2-eval", "gpt-4o-mini", 0.0, 0.88),
    )):
        rng = random.Random(f"genai-{name}")
        start = created + (6 + i * 30) * HOUR
        end = start + 7 * MINUTE
        params = {"llm": llm, "temperature": temperature, "retriever_k": 4 + i * 2,
                  "prompt": f"prompts:/support-triage-prompt/{i + 2}"}
        run = demo.run(exp, name, rng, (start, end), "FINISHED", params)
        run.log("answer_correctness", [(0, end - 20 * SECOND, correctness)])
        run.log("latency_p50_s", [(0, end - 20 * SECOND, round(rng.uniform(1.1, 1.9), 3))])
        runs[name] = run
        models.append((logged_model(demo, exp, run, rng, f"v{i + 1}"), run))
    pending(demo, exp, created + 3 * DAY)
    register(demo, models)
    traces(demo, exp, runs["agent-v2-eval"])
    return runs


def logged_model(demo: DemoBuilder, exp: DemoExperiment, run: DemoRun,
                 rng: random.Random, label: str) -> str:
    """A READY logged model of ``run``: the run's params and scores on the model,
    the ``inputs`` row linking it as the run's output, and its files."""
    model_id = f"m-{random_hex(rng)}"
    made = (run.end or demo.now) - 3 * MINUTE
    location = f"{exp.artifact_location}/models/{model_id}/artifacts"
    eid = exp.experiment_id
    demo.rows.add(
        "logged_models", model_id=model_id, experiment_id=eid, name=MODEL_NAME,
        artifact_location=location, creation_timestamp_ms=made,
        last_updated_timestamp_ms=made + 2 * SECOND, status=2, lifecycle_stage="active",
        model_type="agent", source_run_id=run.run_id, status_message=None,
    )
    sources = [k for k in run.tags if k.startswith("mlflow.source.") or k == "mlflow.user"]
    tags = {k: run.tags[k] for k in sources} | {"agent_version": label}
    demo.rows.extend("logged_model_tags", [(model_id, eid, k, v) for k, v in tags.items()])
    demo.rows.extend("logged_model_params",
                     [(model_id, eid, k, v) for k, v in run.params.items()])
    metrics = []
    for key, points in run.histories.items():
        step, ts, value = points[-1]
        metrics.append((model_id, key, ts, step, value, eid, run.run_id, None, None, None))
    demo.rows.extend("logged_model_metrics", metrics)
    demo.rows.extend(
        "inputs", [(random_hex(rng), "RUN_OUTPUT", run.run_id, "MODEL_OUTPUT", model_id, 0)])
    folder = exp.folder / "models" / model_id / "artifacts"
    model_files(demo, folder, run, rng, ["ticket"], flavor="pyfunc",
                artifact_path=location, model_id=model_id)
    return model_id


def pending(demo: DemoBuilder, exp: DemoExperiment, made: int) -> None:
    """``mlflow.initialize_logged_model(name=...)`` outside a run: PENDING, no files yet."""
    model_id = f"m-{random_hex(random.Random('genai-pending'))}"
    demo.rows.add(
        "logged_models", model_id=model_id, experiment_id=exp.experiment_id,
        name=f"{MODEL_NAME}-v3", artifact_location=(
            f"{exp.artifact_location}/models/{model_id}/artifacts"),
        creation_timestamp_ms=made, last_updated_timestamp_ms=made, status=1,
        lifecycle_stage="active", model_type="agent", source_run_id=None,
        status_message=None,
    )


def register(demo: DemoBuilder, models: list[tuple[str, DemoRun]]) -> None:
    """``mlflow.register_model("models:/m-…", "support-agent")`` for each model: the
    source is the model's URI, the storage location its files."""
    created = (models[0][1].end or demo.now) + 30 * MINUTE
    made = created
    for number, (model_id, run) in enumerate(models, start=1):
        made = max(made, (run.end or demo.now) + 30 * MINUTE)
        files = f"{run.experiment.artifact_location}/models/{model_id}/artifacts"
        model_version(demo, MODEL_NAME, number, made, made, "None", f"models:/{model_id}",
                      run.run_id, f"Agent v{number}.", {}, storage_location=files)
    demo.rows.extend("registered_models", [(MODEL_NAME, created, made,
                                            "The support agent, registered from its "
                                            "logged models.")])
    demo.rows.extend("registered_model_tags", [("team", "assistant", MODEL_NAME)])
    demo.rows.extend("registered_model_aliases", [("champion", 2, MODEL_NAME)])


def _b64(hex_id: str) -> str:
    """An id as the span's JSON holds it (OpenTelemetry: base64 of the bytes)."""
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


@dataclass
class _Trace:
    """The spans of one trace as MLflow 3.17 stores them: a row each, with the
    span's OpenTelemetry JSON (ids base64, attributes JSON-encoded) as content."""

    trace_hex: str
    rng: random.Random
    spans: list[dict] = field(default_factory=list)

    def span(self, name: str, kind: str, begin: int, ms: int, parent: str | None,
             inputs: object, outputs: object, error: str | None = None,
             extra: dict | None = None) -> str:
        """Add a span lasting ``ms`` from ``begin`` (ns); its hex id. With ``error``
        it failed: ERROR status and an exception event, as ``start_span`` records."""
        span_hex = random_hex(self.rng, 64)
        attributes = {
            "mlflow.traceRequestId": json.dumps(f"tr-{self.trace_hex}"),
            "mlflow.spanType": json.dumps(kind),
            "mlflow.spanInputs": json.dumps(inputs),
        }
        if outputs is not None:
            attributes["mlflow.spanOutputs"] = json.dumps(outputs)
        attributes.update({k: json.dumps(v) for k, v in (extra or {}).items()})
        attributes["mlflow.spanLogLevel"] = "40" if error else "20"
        end = begin + ms * 1_000_000
        events = []
        if error:
            events.append({"name": "exception", "time_unix_nano": end - 1000, "attributes": {
                "exception.message": error, "exception.type": "TimeoutError",
                "exception.stacktrace": f"Traceback (most recent call last):\n"
                                        f"TimeoutError: {error}"}})
        self.spans.append({
            "span_hex": span_hex, "parent_hex": parent, "name": name, "type": kind,
            "status": "ERROR" if error else "OK", "start": begin, "end": end,
            "llm": kind == "LLM",
            "content": {
                "trace_id": _b64(self.trace_hex), "span_id": _b64(span_hex),
                "parent_span_id": _b64(parent) if parent else None, "name": name,
                "start_time_unix_nano": begin, "end_time_unix_nano": end, "events": events,
                "status": {"code": "STATUS_CODE_ERROR" if error else "STATUS_CODE_OK",
                           "message": f"TimeoutError: {error}" if error else ""},
                "attributes": attributes, "links": [],
            },
        })
        return span_hex


def traces(demo: DemoBuilder, exp: DemoExperiment, run: DemoRun) -> None:
    """One trace per ticket, a few hours apart, during and after ``run``: a root
    AGENT span with a RETRIEVER, an LLM and (for billing) a TOOL span. The tool call
    of the ticket without a reply fails: the span and the trace are ERROR."""
    eid = exp.experiment_id
    for i, (ticket, label, reply) in enumerate(TICKETS):
        rng = random.Random(f"genai-trace-{i}")
        trace_hex = random_hex(rng)
        trace_id = f"tr-{trace_hex}"
        start_ms = (run.start if i < 3 else demo.now - (len(TICKETS) - i) * 5 * HOUR) \
            + i * 40 * SECOND
        t = start_ms * 1_000_000
        trace = _Trace(trace_hex, rng)
        span = trace.span
        retrieve_ms, llm_ms = rng.randint(80, 300), rng.randint(600, 1900)
        tool_ms = rng.randint(150, 400) if label == "billing" else 0
        total_ms = retrieve_ms + llm_ms + tool_ms + 40
        request = {"ticket": ticket}
        response = {"label": label, "reply": reply} if reply else None
        root = span(MODEL_NAME, "AGENT", t, total_ms, None, request, response,
                    "invoice service timed out after 10s" if reply is None else None)
        docs = [f"kb/{label}/{n}.md" for n in range(2)]
        span("retrieve_docs", "RETRIEVER", t + 5_000_000, retrieve_ms, root,
             {"query": ticket}, [{"doc_uri": d, "page_content": f"How we handle {label}."}
                                 for d in docs])
        tokens_in, tokens_out = rng.randint(400, 900), rng.randint(20, 90)
        usage = {"input_tokens": tokens_in, "output_tokens": tokens_out,
                 "total_tokens": tokens_in + tokens_out}
        llm_start = t + (10 + retrieve_ms) * 1_000_000
        span("classify_and_reply", "LLM", llm_start, llm_ms, root,
             {"messages": [{"role": "system", "content": "You triage support tickets."},
                           {"role": "user", "content": ticket}]},
             {"label": label, "reply": reply} if reply else {"label": label},
             extra={"mlflow.chat.tokenUsage": usage, "mlflow.llm.model": "gpt-4o-mini"})
        if tool_ms:
            span("lookup_invoice", "TOOL", llm_start + llm_ms * 1_000_000, tool_ms, root,
                 {"customer": f"cus_{random_hex(rng, 32)}"},
                 {"invoices": 2} if reply else None,
                 "invoice service timed out after 10s" if reply is None else None)
        status = "ERROR" if reply is None else "OK"
        demo.rows.add(
            "trace_info", request_id=trace_id, experiment_id=eid, timestamp_ms=start_ms,
            execution_time_ms=total_ms, status=status, client_request_id=None,
            request_preview=json.dumps(request),
            response_preview=json.dumps(response) if response else "",
            db_payload_generation=2, trace_name=MODEL_NAME, input_tokens=tokens_in,
            output_tokens=tokens_out, total_tokens=tokens_in + tokens_out,
        )
        location = f"{exp.artifact_location}/traces/{trace_id}/artifacts"
        tags = {"mlflow.artifactLocation": location,
                "mlflow.trace.spansLocation": "TRACKING_STORE", "ticket_label": label}
        demo.rows.extend("trace_tags", [(k, v, trace_id) for k, v in tags.items()])
        metadata = {
            "mlflow.source.name": exp.source, "mlflow.source.type": exp.source_type,
            "mlflow.trace.infoFinalized": "true",
            "mlflow.traceInputs": json.dumps(request),
            "mlflow.traceOutputs": json.dumps(response) if response else "",
            "mlflow.trace_schema.version": "3", "mlflow.user": exp.user,
        }
        if i < 3:
            metadata["mlflow.sourceRun"] = run.run_id  # traced while the run was active
        demo.rows.extend("trace_request_metadata",
                         [(k, v, trace_id) for k, v in metadata.items()])
        for s in trace.spans:
            demo.rows.add(
                "spans", trace_id=trace_id, experiment_id=eid, span_id=s["span_hex"],
                parent_span_id=s["parent_hex"], name=s["name"], type=s["type"],
                status=s["status"], start_time_unix_nano=s["start"],
                end_time_unix_nano=s["end"], content=json.dumps(s["content"]),
                model_name="gpt-4o-mini" if s["llm"] else None,
                model_provider="openai" if s["llm"] else None,
            )
