"""Which tracking URI to open, decided as MLflow decides it."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SQLITE_URI = "sqlite:///mlflow.db"
MLRUNS_DIR = "mlruns"


def has_mlruns_data(folder: str | Path = MLRUNS_DIR) -> bool:
    """True if ``folder`` holds experiments (a numeric folder with ``meta.yaml``)."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                meta = os.path.join(entry.path, "meta.yaml")
                if entry.is_dir() and entry.name.isdigit() and os.path.lexists(meta):
                    return True
    except OSError:
        return False
    return False


def resolve_tracking_uri(cli_uri: str | None = None) -> str:
    """``--uri``, else ``MLFLOW_TRACKING_URI``, else ``./mlruns`` if it holds
    experiments, else ``sqlite:///mlflow.db``."""
    if cli_uri:
        return cli_uri
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    if has_mlruns_data():
        return MLRUNS_DIR
    return DEFAULT_SQLITE_URI


def uri_scheme(uri: str) -> str:
    """'sql', 'file' or 'rest' for a tracking URI (plain paths are file stores)."""
    lowered = uri.lower()
    if lowered.startswith(("http://", "https://")):
        return "rest"
    if lowered.startswith("file:") or "://" not in lowered:
        return "file"
    return "sql"
