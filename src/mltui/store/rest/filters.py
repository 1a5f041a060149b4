"""The pieces of request text mltui writes for a tracking server itself.

Every filter built here is accepted by every MLflow server tested, old ones
included (see :mod:`.versions`): ``IS NULL`` is never written, only read
from what the person typed.
"""

from __future__ import annotations

from ..entities import PARENT_RUN_TAG, PROMPT_TAG, ViewType

VIEWS = {ViewType.ACTIVE: "ACTIVE_ONLY", ViewType.DELETED: "DELETED_ONLY", ViewType.ALL: "ALL"}
"""``run_view_type`` / ``view_type`` as the API spells them."""
PROMPT_FILTER = f"tags.`{PROMPT_TAG}` = 'true'"
"""Registry searches leave prompts out unless they ask for this tag."""
HAS_PARENT = f"tags.`{PARENT_RUN_TAG}` LIKE '%'"
"""Nested runs: LIKE '%' rather than IS NOT NULL, which servers before MLflow 3.11 reject."""


def quoted(value: str) -> str | None:
    """``value`` as a quoted literal of MLflow's search grammar (None if impossible:
    MLflow does not unescape quotes)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None


def all_of(*parts: str | None) -> str:
    """The clauses that are not empty, joined by AND."""
    return " AND ".join(p for p in parts if p)
