"""How every everyday edit runs: refused under ``--read-only``, confirmed first
(the dialog names what changes), written in a worker, reported in one line, and,
where MLflow can undo it, undoable with ``u`` for a few seconds.

The screens (experiments, runs, registry) hold only what to ask and what to
write; the asking, confirming and undo live here once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from textual.screen import Screen

from ..background import run_blocking
from .dialogs import ConfirmDialog, PromptDialog

if TYPE_CHECKING:
    from ..app import MltuiApp

UNDO_SECONDS = 10.0
"""How long after a delete ``u`` restores it."""


@dataclass
class Undo:
    """The last delete that MLflow can take back."""

    label: str
    """What ``u`` does, e.g. 'restore experiment churn'."""
    write: Callable[[], Any]
    until: float
    """``time.monotonic()`` after which ``u`` no longer applies."""


def refuse_read_only(screen: Screen, what: str) -> bool:
    """True (and a warning) when the store was opened with ``--read-only``."""
    store = cast("MltuiApp", screen.app).store
    if store is not None and store.read_only:
        screen.notify(f"Read-only mode (--read-only): {what}", severity="warning")
        return True
    return False


def write(
    screen: Screen,
    fn: Callable[..., Any],
    *args: Any,
    done_message: str,
    after: Callable[[Any], None] | None = None,
    undo: Undo | None = None,
) -> None:
    """Run one store write in a worker: then a one-line report and ``after`` (a
    reload); a failure is one line too, and reloads, so what is shown is true."""

    def done(result: Any) -> None:
        if undo is not None:
            offer_undo(screen, undo)
            screen.notify(f"{done_message} · u: {undo.label} ({int(UNDO_SECONDS)} s)",
                          timeout=UNDO_SECONDS)
        else:
            screen.notify(done_message)
        if after is not None:
            after(result)

    def failed(message: str) -> None:
        screen.notify(message, severity="error", timeout=10)
        if after is not None:
            after(None)

    run_blocking(screen, fn, *args, done=done, failed=failed, group="edit", exclusive=False)


def confirm_write(
    screen: Screen,
    title: str,
    body: str,
    label: str,
    fn: Callable[..., Any],
    *args: Any,
    done_message: str,
    after: Callable[[Any], None] | None = None,
    danger: bool = False,
    undo: Undo | None = None,
) -> None:
    """Ask first (``body`` says what changes), then :func:`write`."""

    def answered(ok: bool | None) -> None:
        if ok:
            write(screen, fn, *args, done_message=done_message, after=after, undo=undo)

    screen.app.push_screen(ConfirmDialog(title, body, label, danger=danger), answered)


def ask_text(
    screen: Screen,
    title: str,
    value: str,
    then: Callable[[str], None],
    *,
    body: str = "",
    validate: Callable[[str], str | None] | None = None,
    allow_same: bool = False,
) -> None:
    """One line of text (a name, a tag value); ``then`` gets it unless cancelled
    or, without ``allow_same``, unchanged."""

    def got(text: str | None) -> None:
        if text is None:
            return
        if text == value and not allow_same:
            screen.notify("Unchanged; nothing written")
            return
        then(text)

    screen.app.push_screen(PromptDialog(title, value, body=body, validate=validate), got)


def ask_file(
    screen: Screen,
    title: str,
    default: str,
    write: Callable[[Path], None],
    *,
    body: str = "",
    validate: Callable[[str], str | None] | None = None,
) -> None:
    """Ask where to write a file; an existing one is replaced only when the person
    says so. ``write`` gets the path (and starts its own worker)."""

    def chosen(text: str | None) -> None:
        if not text:
            return
        path = Path(text).expanduser()
        if not path.exists():
            write(path)
            return
        screen.app.push_screen(
            ConfirmDialog("Overwrite?", f"{path} exists. Replace it?", "Overwrite", danger=True),
            lambda ok: write(path) if ok else None,
        )

    screen.app.push_screen(PromptDialog(title, default, body=body, validate=validate), chosen)


def offer_undo(screen: Screen, undo: Undo) -> None:
    cast("MltuiApp", screen.app).undo = undo


def take_undo(screen: Screen) -> Undo | None:
    """The pending undo if it is still fresh (it is used once)."""
    app = cast("MltuiApp", screen.app)
    undo, app.undo = app.undo, None
    if undo is None or time.monotonic() > undo.until:
        return None
    return undo


def run_undo(screen: Screen, after: Callable[[Any], None] | None = None) -> None:
    """``u``: take back the last delete, if it was a few seconds ago."""
    undo = take_undo(screen)
    if undo is None:
        screen.notify(f"Nothing to undo (u works for {int(UNDO_SECONDS)} s after a delete)",
                      severity="warning")
        return
    write(screen, undo.write, done_message=f"Undone: {undo.label}", after=after)


def new_undo(label: str, fn: Callable[..., Any], *args: Any) -> Undo:
    return Undo(label, lambda: fn(*args), time.monotonic() + UNDO_SECONDS)
