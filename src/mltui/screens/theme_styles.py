"""Status and stage colours from the current theme.

Fixed Rich colours ("green", "yellow") were hard to read on light themes; the
theme's ``$text-success``/``$text-warning``/... shades are made to be readable on
its own background, as the runs table's CSS already uses them.
"""

from __future__ import annotations

from textual.app import App

RUN_STATUS_ROLE = {"FINISHED": "success", "FAILED": "error", "KILLED": "warning",
                   "RUNNING": "accent", "SCHEDULED": "accent"}
STAGE_ROLE = {"Production": "success", "Staging": "warning"}
BOLD = {"RUNNING", "Production"}


def themed(app: App, role: str) -> str:
    """The theme's text colour for ``role`` (success, error, warning, accent)."""
    return app.get_css_variables().get(f"text-{role}", "")


def status_style(app: App, status: str) -> str:
    """A run status (FINISHED, FAILED, ...) as a Rich style of the theme."""
    role = RUN_STATUS_ROLE.get(status)
    if role is None:
        return "dim"
    return ("bold " if status in BOLD else "") + themed(app, role)


def stage_styles(app: App) -> dict[str, str]:
    """Each registry stage's Rich style in the theme (Archived dim, None plain)."""
    styles = {"Archived": "dim", "None": ""}
    for stage, role in STAGE_ROLE.items():
        styles[stage] = ("bold " if stage in BOLD else "") + themed(app, role)
    return styles
