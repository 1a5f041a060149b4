"""Run blocking store calls off the UI thread, with errors handled in one place.

Every store call may block (disk, database, network). :func:`run_blocking`
runs it in a thread worker and delivers the result, or a one-line error,
back on the UI thread. A result that arrives after a newer request in the
same exclusive group replaced it is dropped, so a slow answer never
overwrites a fresh one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from .failures import describe_error

T = TypeVar("T")


def run_blocking(
    node: DOMNode,
    fn: Callable[..., T],
    *args: Any,
    done: Callable[[T], Any] | None = None,
    failed: Callable[[str], Any] | None = None,
    group: str = "default",
    exclusive: bool = True,
    description: str = "",
) -> Worker[None]:
    """Call ``fn(*args)`` in a thread; then ``done(result)`` or ``failed(message)``
    on the UI thread. Without ``failed`` the error is shown as a notification."""
    app = node.app

    def job() -> None:
        worker = get_current_worker()
        try:
            result = fn(*args)
        except Exception as exc:
            message = describe_error(exc)
            if not worker.is_cancelled:
                app.call_from_thread(_deliver_error, message)
            return
        if not worker.is_cancelled and done is not None:
            app.call_from_thread(done, result)

    def _deliver_error(message: str) -> None:
        if failed is not None:
            failed(message)
        else:
            app.notify(message, severity="error", timeout=8)

    return node.run_worker(
        job,
        thread=True,
        group=group,
        exclusive=exclusive,
        description=description or getattr(fn, "__name__", "store call"),
        exit_on_error=False,
    )
