"""Run blocking store calls off the UI thread, with errors handled in one place.

Every store call may block (disk, database, network). :func:`run_blocking`
runs it in a thread worker and delivers the result, or a one-line error,
back on the UI thread. A result that arrives after a newer request in the
same exclusive group replaced it is dropped, so a slow answer never
overwrites a fresh one.

The threads are daemon threads (:class:`DaemonThreads`, installed as the event
loop's default executor by the app): a call blocked on a server that never
answers must not hold the exit, and Python would wait for a pool's threads.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from textual.dom import DOMNode
from textual.worker import Worker, get_current_worker

from .failures import describe_error

T = TypeVar("T")


class DaemonThreads(ThreadPoolExecutor):
    """An executor that runs each call in a new daemon thread and never waits
    for one at shutdown: quitting is immediate whatever is in flight (a thread
    blocked in a read ends with the process). asyncio takes only a
    ThreadPoolExecutor as the default executor, hence the base class; none of
    its pool is used."""

    def __init__(self) -> None:
        super().__init__(max_workers=1, thread_name_prefix="mltui-worker")

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # delivered to whoever awaits the future
                future.set_exception(exc)
            else:
                future.set_result(result)

        threading.Thread(target=run, name="mltui-worker", daemon=True).start()
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Nothing to wait for: the threads are daemons."""


def install_daemon_executor() -> None:
    """Make the running loop's thread workers (Textual's ``thread=True``,
    ``asyncio.to_thread``) daemon threads."""
    asyncio.get_running_loop().set_default_executor(DaemonThreads())


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
