"""Small helpers every backend needs, defined once."""

from __future__ import annotations

import time
from urllib.parse import urlsplit, urlunsplit

MAX_FLOAT = 1.7976931348623157e308
"""How MLflow's SQL stores write +/-inf (SQL has no infinity); a SQL-backed
tracking server sends these numbers too."""


def now_ms() -> int:
    """MLflow's ``get_current_time_millis``: the timestamps its writes record."""
    return int(time.time() * 1000)


def safe_uri(uri: str) -> str:
    """``uri`` with any password replaced by ``***`` (for headers, errors, state
    files): ``postgresql://u:***@host/db``, ``https://u:***@host``."""
    try:
        parts = urlsplit(uri)
        password = parts.password
    except ValueError:  # 'http://u:pw@[::1', a bad port: mask by pattern
        from .secrets import mask_secrets

        return mask_secrets(uri)
    if password is None:
        return uri
    host = parts.hostname or ""
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        pass
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))
