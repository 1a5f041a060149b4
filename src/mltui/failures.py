"""The one line a person sees for an error, wherever it happens (a worker, the
CLI). Imports nothing from Textual, so the CLI can use it."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from .store.errors import StoreError
from .store.secrets import mask_secrets

log = logging.getLogger("mltui")


def describe_error(exc: BaseException) -> str:
    """The one line a user sees for ``exc``; the traceback goes to the log."""
    if isinstance(exc, StoreError):
        return str(exc)
    setup_logging()  # never Python's last-resort handler: it prints to stderr
    log.error("unexpected error\n%s", "".join(traceback.format_exception(exc)))
    text = mask_secrets(str(exc).strip()).splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    return f"Unexpected {name}: {text}" if text else f"Unexpected {name}"


class MaskingFormatter(logging.Formatter):
    """Every log line with passwords and tokens masked (a traceback quotes URIs)."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_secrets(super().format(record))


def setup_logging() -> None:
    """Unexpected errors go to a log file (the user log dir), never onto the screen."""
    if log.handlers:
        return
    try:
        from platformdirs import user_log_dir

        folder = Path(user_log_dir("mltui", appauthor=False))
        folder.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.FileHandler(folder / "mltui.log", encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
