"""The filter bar of the traces table: the runs table's bar (an input, a line for
errors with a caret and hints) for MLflow's trace search syntax.

The runs bar completes metric, param and tag keys; those words mean nothing in
a trace filter, so this one offers no completion and shows the trace grammar's
forms instead."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from ..completion import KeyIndex
from .filter_bar import FilterBar, FilterInput

HINT = ("attributes.status = 'ERROR'   tags.team = 'red'   name LIKE 'agent%'   "
        "execution_time_ms > 1000   metadata.`mlflow.trace.user` = 'u'   "
        "feedback.correct = 'true'   (AND joins)   enter: apply   escape: close")


class TraceFilterInput(FilterInput):
    """The input without run-key completion (tab does nothing here)."""

    def action_complete(self, step: int) -> None:
        return


class TraceFilterBar(FilterBar):
    """Hidden until asked for; posts ``FilterBar.Submitted`` on enter."""

    def __init__(self, **kwargs):
        super().__init__(KeyIndex(), **kwargs)

    def compose(self) -> ComposeResult:
        yield TraceFilterInput(
            self.index,
            placeholder="MLflow trace filter, e.g.  attributes.status = 'OK' AND tags.team = 'red'",
            id="filter-input",
        )
        yield Static("", id="filter-message")

    def show_hint(self, value: str) -> None:
        message = self.query_one("#filter-message", Static)
        message.remove_class("error")
        message.update(Text(HINT))
