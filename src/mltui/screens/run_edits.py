"""The runs table's edits: rename a run, its note, a tag on the run under the
cursor or on every marked run in one confirmed step (one transaction on SQL).

Functions of the runs screen rather than methods, so ``runs.py`` keeps to the
table; each goes through :mod:`.edits` (read-only refusal, confirmation, worker).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..background import run_blocking
from ..store.entities import NOTE_TAG, Run
from ..store.errors import InvalidValue
from ..store.registry_rules import check_tag
from ..textfmt import count_of
from ..views.run_pages import runs_by_id
from . import edits
from .registry_dialogs import TagsDialog, TextEditor

if TYPE_CHECKING:
    from .runs import RunsScreen

LISTED = 12
"""Runs named in a confirmation before "… and N more"."""


def _targets(screen: RunsScreen, then) -> None:
    """The marked runs (read if scrolled away), else the run under the cursor."""
    marked = sorted(screen.table.marks)
    if marked:
        run_blocking(screen, runs_by_id, screen.store, screen.experiment_ids, marked,
                     list(screen.rows.loaded_runs()), done=then, group="edit-targets")
    elif screen.table.current_run is not None:
        then([screen.table.current_run])


def _names(runs: list[Run]) -> str:
    names = "\n".join(f"  {r.run_name or r.run_id}" for r in runs[:LISTED])
    if len(runs) > LISTED:
        names += f"\n  … and {count_of(len(runs) - LISTED, 'more run', 'more runs')}"
    return names


def _reload(screen: RunsScreen):
    return lambda _result=None: screen.reload(keep_cursor=True, keep_total=True)


def rename(screen: RunsScreen) -> None:
    run = screen.table.current_run
    if run is None or edits.refuse_read_only(screen, "runs cannot be renamed"):
        return
    old = run.run_name or ""

    def named(name: str) -> None:
        edits.confirm_write(screen, "Rename run", f"{old!r} → {name!r}", "Rename",
                            screen.store.rename_run, run.run_id, name,
                            done_message=f"Renamed to {name}", after=_reload(screen))

    edits.ask_text(screen, f"Rename run {old or run.run_id}", old, named)


def note(screen: RunsScreen) -> None:
    run = screen.table.current_run
    if run is None or edits.refuse_read_only(screen, "notes cannot be edited"):
        return
    old = run.tags.get(NOTE_TAG, "")

    def saved(text: str | None) -> None:
        if text is not None and text != old:
            edits.write(screen, screen.store.set_run_tags, [run.run_id], NOTE_TAG, text,
                        done_message=f"Saved the note of {run.run_name or run.run_id}",
                        after=_reload(screen))

    screen.app.push_screen(TextEditor(f"Note of run {run.run_name or run.run_id}", old), saved)


def tags(screen: RunsScreen) -> None:
    """One run: its tags in the tags dialog. Marked runs: one key=value (or a key to
    delete) applied to all of them after one confirmation."""
    if edits.refuse_read_only(screen, "tags cannot be changed"):
        return
    if screen.table.marks:
        _targets(screen, lambda runs: _tag_many(screen, runs))
        return
    run = screen.table.current_run
    if run is None:
        return
    dialog: TagsDialog

    def change(fn, *args) -> None:
        def job() -> dict[str, str]:
            fn(*args)
            return screen.store.get_run(run.run_id).run.tags

        run_blocking(screen, job, done=dialog.show_tags, group="run-tags",
                     failed=lambda m: screen.notify(m, severity="error", timeout=10))

    dialog = TagsDialog(
        f"run {run.run_name or run.run_id}", run.tags,
        lambda k, v: change(screen.store.set_run_tags, [run.run_id], k, v),
        lambda k: change(screen.store.delete_run_tags, [run.run_id], k),
    )
    screen.app.push_screen(dialog, _reload(screen))


def _tag_problem(text: str) -> str | None:
    key, eq, value = text.partition("=")
    key = key.strip()
    if not key:
        return "key=value sets a tag, -key deletes it"
    if key.startswith("-") and not eq:
        key = key[1:]
    try:
        check_tag(key, value)
    except InvalidValue as exc:
        return str(exc)
    return None


def _tag_many(screen: RunsScreen, runs: list[Run]) -> None:
    if not runs:
        screen.notify("The marked runs are gone from the store", severity="warning")
        return

    def got(text: str) -> None:
        key, eq, value = text.partition("=")
        key = key.strip()
        ids = [r.run_id for r in runs]
        if not eq and key.startswith("-"):
            key = key[1:]
            having = [r for r in runs if key in r.tags]
            if not having:
                screen.notify(f"None of the marked runs has the tag {key}", severity="warning")
                return
            edits.confirm_write(
                screen, "Delete a tag", f"Delete the tag {key!r} of "
                f"{count_of(len(having), 'run')}:\n{_names(having)}", "Delete",
                screen.store.delete_run_tags, [r.run_id for r in having], key,
                done_message=f"Deleted tag {key} of {count_of(len(having), 'run')}",
                after=_reload(screen), danger=True)
            return
        changed = sum(1 for r in runs if r.tags.get(key) != value)
        edits.confirm_write(
            screen, "Set a tag", f"Set {key} = {value!r} on {count_of(len(runs), 'run')} "
            f"({count_of(changed, 'run')} change):\n{_names(runs)}\n"
            "One step: all of them or none.", "Set",
            screen.store.set_run_tags, ids, key, value,
            done_message=f"Tagged {count_of(len(ids), 'run')} {key}={value}",
            after=_reload(screen))

    edits.ask_text(screen, f"Tag the {count_of(len(runs), 'marked run')}", "", got,
                   body="key=value sets the tag on every marked run; -key deletes it",
                   validate=_tag_problem)


def delete_undo(screen: RunsScreen, ids: list[str]) -> edits.Undo:
    """What ``u`` does after the runs screen deleted ``ids``."""
    return edits.new_undo(f"restore {count_of(len(ids), 'run')}", screen.store.restore_runs,
                          ids)
