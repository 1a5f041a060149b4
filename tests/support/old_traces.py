"""Traces written by an older MLflow 3 (3.10.1), before MLflow 3.17 moved the trace
name, the session and the token usage into columns of ``trace_info``.

:func:`old_trace_store` runs ``traces_builder.py`` with that release's python
(its virtualenv from :func:`support.old_mlflow.venv_python`) into a sqlite file,
then has the same old ``MlflowClient`` read every trace back through
``traces_match``'s views into ``dump.json``; both are cached per release and per
content of the scripts involved.

``python tests/support/old_traces.py dump URI OUTFILE`` is what runs in the old
venv: only the standard library, that MLflow and ``traces_match``.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
VERSION = "3.10.1"
SEARCHES = [
    # (filter, order_by) asked of the main experiment: keys that MLflow 3.17 keeps in
    # columns, which 3.10 keeps as tags and metadata rows
    ("name = 'agent'", []),
    ("trace.name LIKE 'look%'", ["timestamp_ms ASC"]),
    ("tags.team = 'red'", []),
    ("metadata.`mlflow.trace.session` = 'session-1'", []),
    ("metadata.`mlflow.trace.session` IS NULL", []),
    ("metadata.`mlflow.trace.tokenUsage` IS NOT NULL", []),
    ("metadata.`mlflow.trace.tokenUsage` LIKE '%total_tokens%'", []),
    ("status = 'ERROR'", []),
    ("span.name = 'flaky'", []),
    ("feedback.relevance > 0.3", []),
    ("", ["name ASC"]),
    ("", ["metadata.`mlflow.trace.session` DESC"]),
    ("", ["execution_time_ms DESC"]),
]


def _fingerprint() -> str:
    text = b"".join((HERE / n).read_bytes()
                    for n in ("old_traces.py", "traces_builder.py", "traces_match.py"))
    return hashlib.sha1(text + VERSION.encode()).hexdigest()[:12]


def old_trace_store() -> Path:
    """A folder with ``mlflow.db`` (MLflow 3.10.1's schema and traces) and ``dump.json``
    (what its client reads); built once."""
    from support.old_mlflow import STORE_ROOT, venv_python

    python = venv_python(VERSION)
    target = STORE_ROOT / f"old-traces-{VERSION}-{_fingerprint()}"
    STORE_ROOT.mkdir(parents=True, exist_ok=True)
    with open(STORE_ROOT / f"old-traces-{VERSION}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / "dump.json").exists():
            return target
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        uri = f"sqlite:///{target / 'mlflow.db'}"
        for args in ([str(HERE / "traces_builder.py"), uri, str(target / "artifacts")],
                     [str(HERE / "old_traces.py"), "dump", uri, str(target / "dump.json")]):
            done = subprocess.run([str(python), *args], cwd=target, env=env,
                                  capture_output=True, text=True, timeout=1800)
            if done.returncode != 0:
                raise RuntimeError(f"{args[0]} under MLflow {VERSION} failed:\n"
                                   f"{done.stdout[-2000:]}\n{done.stderr[-4000:]}")
    return target


# -- inside the old venv ------------------------------------------------------------------


def dump(uri: str) -> dict:
    """Every trace of every experiment as the old client reads it."""
    sys.path.insert(0, str(HERE))
    from mlflow import MlflowClient
    from traces_match import mlflow_info_view, mlflow_span_view, mlflow_spans

    client = MlflowClient(uri)
    out: dict = {"mlflow": __import__("mlflow").__version__, "experiments": {}}
    for exp in client.search_experiments():
        traces = client.search_traces(locations=[exp.experiment_id], max_results=500,
                                      include_spans=False)
        out["experiments"][exp.name] = [
            {"info": mlflow_info_view(t.info),
             "spans": [mlflow_span_view(s) for s in mlflow_spans(client, t.info.trace_id)]}
            for t in traces
        ]
    main = client.get_experiment_by_name("traces-main").experiment_id
    out["searches"] = []
    for text, order in SEARCHES:
        try:
            found = client.search_traces(locations=[main], filter_string=text or None,
                                         order_by=order, max_results=500, include_spans=False)
            out["searches"].append([t.info.trace_id for t in found])
        except Exception as exc:  # what an old MLflow refuses, by name
            out["searches"].append(f"{type(exc).__name__}: {exc}")
    return out


if __name__ == "__main__":
    if sys.argv[1] == "dump":
        Path(sys.argv[3]).write_text(json.dumps(dump(sys.argv[2]), default=repr))
