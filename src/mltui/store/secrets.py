"""Keep passwords and tokens out of every message: errors, log lines, the screen.

A tracking URI may carry credentials (``http://user:pass@host``,
``postgresql://user:pass@host/db``) and MLflow reads others from the
environment (``MLFLOW_TRACKING_PASSWORD``, ``MLFLOW_TRACKING_TOKEN``).
:func:`mask_secrets` replaces the password of any URL in a text with ``***``
and every known secret value (those of the environment, and the passwords of
the URIs given to :func:`remember_uri_secrets`) wherever it appears, so a
message built from a library's exception (whose text quotes the URL) is safe
too. :class:`~mltui.store.errors.StoreError` masks its message with it.
"""

from __future__ import annotations

import os
import re
import threading
from urllib.parse import unquote

SECRET_ENV_VARS = ("MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN")
MASK = "***"
MIN_SECRET = 2
"""Shorter values are not replaced outside a URL (one letter would garble the text)."""

# scheme://user:password@ (the password stops at the last @ before the host)
_USERINFO = re.compile(
    r"(?P<head>\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@?#]*):(?P<password>[^\s/?#]*)@"
)
_URI_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@?#]*:([^\s/?#]*)@")

_known: set[str] = set()
_lock = threading.Lock()


def remember_uri_secrets(uri: str) -> None:
    """Mask the password of ``uri`` (as written and percent-decoded) from now on."""
    match = _URI_PASSWORD.match(uri or "")
    if not match or not match.group(1):
        return
    password = match.group(1)
    with _lock:
        _known.update(v for v in (password, unquote(password)) if len(v) >= MIN_SECRET)


def remember_secret(value: str) -> None:
    """Mask ``value`` from now on (a password or token mltui was handed, e.g. by a
    connection's credential command, that is in no environment variable)."""
    if value and len(value) >= MIN_SECRET:
        with _lock:
            _known.add(value)


def _secrets() -> list[str]:
    values = {os.environ.get(name) or "" for name in SECRET_ENV_VARS}
    with _lock:
        values |= _known
    # longest first: a secret that contains another is replaced whole
    return sorted((v for v in values if len(v) >= MIN_SECRET), key=len, reverse=True)


def mask_secrets(text: str) -> str:
    """``text`` with URL passwords and known secret values replaced by ``***``."""
    if not text:
        return text
    text = _USERINFO.sub(lambda m: f"{m.group('head')}:{MASK}@", text)
    for secret in _secrets():
        if secret in text:
            text = text.replace(secret, MASK)
    return text
