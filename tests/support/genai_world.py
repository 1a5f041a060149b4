"""MLflow 3 logged models and prompts made by the real ``mlflow`` client, for the
logged models and prompts screens.

:func:`fill` logs to any tracking URI (sqlite with file artifacts, an mlruns
folder, a tracking server with ``--serve-artifacts``): a run that logs a pyfunc
logged model with params and a metric on the model, a PENDING model initialized
outside any run, a registered version made from the logged model, and a prompt of
three versions (the second with a hostile line, the third a chat prompt) with an
alias. :func:`world` builds each kind once, for every test module and process
(cached on disk).
"""

from __future__ import annotations

import atexit
import os
import threading
from pathlib import Path
from typing import Any

import mlflow.pyfunc

from support.world_cache import (
    build_through_server,
    cached_dir,
    load_ids,
    save_ids,
    serve_copy,
)

PROMPT = "triage"
HOSTILE = "[bold]x[/] \x1b[31mred\x1b[0m \x1b]52;c;cHduZWQ=\x07"
TEMPLATES = [
    "Classify the ticket.\nTicket: {{ticket}}\nLabel:",
    f"You triage support tickets.\nClassify the ticket.\n{HOSTILE}\nTicket: {{{{ticket}}}}\n"
    "Label:",
]
CHAT = [{"role": "system", "content": "You triage support tickets."},
        {"role": "user", "content": "Ticket: {{ticket}}"}]


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input


def fill(tracking_uri: str, location: str | None = None) -> dict[str, Any]:
    """Log the world to ``tracking_uri``; the ids the tests look for."""
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    try:
        client = mlflow.MlflowClient(tracking_uri)
        exp = client.create_experiment("agents", artifact_location=location)
        mlflow.set_experiment(experiment_id=exp)
        with mlflow.start_run(run_name="agent-eval") as run:
            info = mlflow.pyfunc.log_model(
                name="agent", python_model=Echo(), params={"temperature": "0.2", "k": "4"},
                model_type="agent", tags={"owner": "carol"},
            )
            mlflow.log_metric("accuracy", 0.75, step=0, model_id=info.model_id)
            mlflow.log_metric("accuracy", 0.9, step=1, model_id=info.model_id)
        pending = mlflow.initialize_logged_model(name="draft", experiment_id=exp)
        version = mlflow.register_model(f"models:/{info.model_id}", "agent-reg")
        for i, template in enumerate(TEMPLATES, start=1):
            mlflow.genai.register_prompt(name=PROMPT, template=template,
                                         commit_message=f"commit {i}")
        mlflow.genai.register_prompt(name=PROMPT, template=CHAT, commit_message="chat")
        mlflow.genai.set_prompt_alias(PROMPT, alias="production", version=2)
        return {"experiment_id": exp, "run_id": run.info.run_id, "model_id": info.model_id,
                "pending_id": pending.model_id, "version": int(version.version)}
    finally:
        forget_uris()


def forget_uris() -> None:
    """Unset mlflow's global tracking and registry URIs (and the variables mlflow
    exported for them): a URI left set would win over later tests' own."""
    mlflow.set_tracking_uri(None)
    mlflow.set_registry_uri(None)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_REGISTRY_URI", None)


_BUILT: dict[str, tuple[str, dict[str, Any]]] = {}
_SERVERS: dict[str, tuple[Any, dict[str, Any]]] = {}
_LOCK = threading.Lock()


def _local_uri(kind: str, folder: Path) -> str:
    return f"sqlite:///{folder / 'mlflow.db'}" if kind == "sqlite" else (folder / "mlruns").as_uri()


def build(folder: Path, kind: str) -> None:
    """Log the world of ``kind`` into ``folder`` ('rest': through a tracking server
    on it), for :func:`support.world_cache.cached_dir`."""
    if kind == "rest":
        build_through_server(folder, fill)
    elif kind == "sqlite":
        save_ids(folder, fill(_local_uri(kind, folder), (folder / "artifacts").as_uri()))
    else:
        save_ids(folder, fill(_local_uri(kind, folder)))


def world(kind: str, root: Path) -> tuple[str, dict[str, Any]]:
    """(tracking URI, ids) of the world of ``kind`` ('sqlite', 'file' or 'rest', a
    tracking server over sqlite). Each is built once for every module and process
    (:func:`support.world_cache.cached_dir`); for 'rest' each process serves a copy
    of the server's store from ``root`` (the first caller's) until it exits. Read
    them only."""
    with _LOCK:
        if kind not in _BUILT:
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            folder = cached_dir(f"genai-world-{kind}", [Path(__file__)],
                                "support.genai_world:build", kind)
            ids = load_ids(folder)
            if kind == "rest":
                server = serve_copy(folder, root)
                atexit.register(stop_servers)
                _SERVERS[kind] = (server, ids)
                _BUILT[kind] = (server.uri, ids)
            else:
                _BUILT[kind] = (_local_uri(kind, folder), ids)
        return _BUILT[kind]


def stop_servers() -> None:
    with _LOCK:
        for server, _ids in _SERVERS.values():
            server.stop()
        _SERVERS.clear()
        _BUILT.pop("rest", None)
