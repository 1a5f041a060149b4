"""MLflow 3 logged models and prompts made by the real ``mlflow`` client, for the
logged models and prompts screens.

:func:`fill` logs to any tracking URI (sqlite with file artifacts, an mlruns
folder, a tracking server with ``--serve-artifacts``): a run that logs a pyfunc
logged model with params and a metric on the model, a PENDING model initialized
outside any run, a registered version made from the logged model, and a prompt of
three versions (the second with a hostile line, the third a chat prompt) with an
alias. :func:`world` builds one per process and kind.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import mlflow.pyfunc

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


def world(kind: str, root: Path) -> tuple[str, dict[str, Any]]:
    """(tracking URI, ids) of the world of ``kind`` ('sqlite', 'file' or 'rest', a
    tracking server over sqlite), built once per process under ``root``."""
    with _LOCK:
        if kind not in _BUILT:
            root.mkdir(parents=True, exist_ok=True)
            if kind == "rest":
                from support.servers import MlflowServer

                server = MlflowServer(root)
                server.start()
                try:
                    server.wait_ready()
                    ids = fill(server.uri)
                except BaseException:
                    server.stop()
                    raise
                _SERVERS[kind] = (server, ids)
                _BUILT[kind] = (server.uri, ids)
            elif kind == "sqlite":
                uri = f"sqlite:///{root / 'mlflow.db'}"
                _BUILT[kind] = (uri, fill(uri, (root / "artifacts").as_uri()))
            else:
                os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
                uri = (root / "mlruns").as_uri()
                _BUILT[kind] = (uri, fill(uri))
        return _BUILT[kind]


def stop_servers() -> None:
    with _LOCK:
        for server, _ids in _SERVERS.values():
            server.stop()
        _SERVERS.clear()
        _BUILT.pop("rest", None)
