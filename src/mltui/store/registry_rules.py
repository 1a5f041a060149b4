"""MLflow's validation rules for registry writes, with MLflow's messages.

Shared by every backend so a bad alias or stage is refused the same way,
before anything is sent or written.
"""

from __future__ import annotations

import posixpath
import re

from .entities import STAGES
from .errors import ConflictError, InvalidValue

ANY = object()
"""Default of the ``expected_*`` arguments of registry writes: do not check for
concurrent changes."""

_ALIAS_RE = re.compile(r"^[\w\-]*$")
_VERSION_ALIAS_RE = re.compile(r"^[vV]\d+$")
_TAG_KEY_RE = re.compile(r"^[/\w.\- :]*$")
MAX_ALIAS_LENGTH = 255
MAX_TAG_KEY_LENGTH = 250
MAX_TAG_VALUE_LENGTH = 100_000
ACTIVE_STAGES = ("Staging", "Production")


def canonical_stage(stage: str) -> str:
    for known in STAGES:
        if stage.lower() == known.lower():
            return known
    raise InvalidValue(
        f"Invalid Model Version stage: {stage}. Value must be one of {', '.join(STAGES)}."
    )


def check_archive_existing(stage: str, archive_existing: bool) -> None:
    if archive_existing and stage not in ACTIVE_STAGES:
        raise InvalidValue(
            "Model version transition cannot archive existing model versions because "
            f"'{stage}' is not an Active stage. Valid stages are {list(ACTIVE_STAGES)}"
        )


def check_transition(stage: str, version, archive_existing: bool) -> tuple[str, int]:
    """MLflow's checks before a stage transition, in MLflow's order; returns the
    canonical stage and the version number."""
    stage = canonical_stage(stage)
    check_archive_existing(stage, archive_existing)
    return stage, check_version(version)


def check_alias(alias: str, *, for_set: bool = True) -> None:
    if not alias:
        raise InvalidValue("Registered model alias name cannot be empty.")
    if not _ALIAS_RE.match(alias):
        raise InvalidValue(
            f"Invalid alias name: '{alias}'. Names may only contain alphanumerics, "
            "underscores (_), and dashes (-)."
        )
    if len(alias) > MAX_ALIAS_LENGTH:
        raise InvalidValue(
            f"'Registered model alias name' exceeds the maximum length of {MAX_ALIAS_LENGTH} "
            "characters"
        )
    if for_set:
        if alias.lower() == "latest":
            raise InvalidValue("'latest' alias name (case insensitive) is reserved.")
        if _VERSION_ALIAS_RE.match(alias):
            raise InvalidValue(f"Version alias name '{alias}' is reserved.")


def check_version(version) -> int:
    try:
        return int(version)
    except (TypeError, ValueError):
        raise InvalidValue(f"Parameter 'version' must be an integer, got '{version}'.") from None


def _path_not_unique(name: str) -> bool:
    norm = posixpath.normpath(name)
    return norm != str(name) or norm == "." or norm.startswith("..") or norm.startswith("/")


def check_tag(key: str, value: str | None) -> None:
    if key is None or key == "":
        raise InvalidValue("Missing value for required parameter 'key'.")
    if not _TAG_KEY_RE.match(key):
        raise InvalidValue(
            f"Invalid value \"{key}\" for parameter 'key' supplied: Names may only contain "
            "alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and "
            "slashes (/)."
        )
    if _path_not_unique(key):
        raise InvalidValue(
            f"Invalid value \"{key}\" for parameter 'key' supplied: Names may be treated as "
            "files in certain cases, and must not resolve to other names when treated as such. "
            f"This name would resolve to {posixpath.normpath(key)!r}"
        )
    if len(key) > MAX_TAG_KEY_LENGTH:
        raise InvalidValue(f"'key' exceeds the maximum length of {MAX_TAG_KEY_LENGTH} characters")
    if value is None:
        raise InvalidValue("Tag value cannot be None")
    if len(value) > MAX_TAG_VALUE_LENGTH:
        raise InvalidValue(
            f"'value' exceeds the maximum length of {MAX_TAG_VALUE_LENGTH} characters"
        )


def check_expected(current, expected, what: str) -> None:
    """Refuse a write when what the user saw (``expected``) is no longer there."""
    if expected is not ANY and current != expected:
        raise ConflictError(
            f"{what} changed since it was shown (someone else wrote to it); nothing was "
            "written. Reload and try again."
        )
