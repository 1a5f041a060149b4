"""MLflow's validation rules for registry writes, with MLflow's messages.

Shared by every backend so a bad alias or stage is refused the same way,
before anything is sent or written.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import Any
from urllib.parse import urlparse

from .entities import PROMPT_TAG, STAGES
from .errors import ConflictError, InvalidValue, ResourceNotFound

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


def check_alias_target(alias: str, current: int | None, expected: object) -> None:
    """Refuse to point ``alias`` elsewhere when it no longer points where the user
    saw it (``expected``: a version, None for no alias), saying where it points now."""
    if expected is not ANY and current != expected:
        now = "nothing" if current is None else f"v{current}"
        raise ConflictError(
            f"Alias @{alias} now points to {now} (changed since shown); nothing was written"
        )


def check_alias_unchanged(alias: str, current: int | None, expected: object) -> None:
    """Refuse to delete ``alias`` when it moved since the user saw it."""
    if expected is not ANY and current != expected:
        raise ConflictError(f"Alias @{alias} changed since it was shown; nothing was written")


# -- registered model names (``mlflow/utils/validation.py``) ----------------------------------

PROMPTS_NOT_MODELS = "Prompts cannot be registered as models."
"""MlflowClient's refusal of a model or version created with the prompt tag."""


def check_model_name(name: str, *, field: str = "name", file_store: bool = False) -> None:
    """MLflow's ``_validate_model_name`` (and, for ``mlruns``, the file store's own
    extra rules), with MLflow's messages."""
    if name is None or not isinstance(name, str) or name.strip() == "":
        raise InvalidValue(f"Missing value for required parameter '{field}'.")
    if "/" in name or ":" in name:
        raise InvalidValue(f"Invalid model name '{name}'. Names cannot contain '/' or ':'.")
    if _path_not_unique(name):
        raise InvalidValue(
            f"Invalid value {json.dumps(name, sort_keys=True, separators=(',', ':'))} for "
            f"parameter '{field}' supplied: Names may be treated as files in certain cases, and "
            "must not resolve to other names when treated as such. This name would resolve to "
            f"{posixpath.normpath(name)!r}"
        )
    if file_store and "\\" in name:
        # MLflow's file store refuses a path separator ('/' above; '\\' on Windows);
        # mltui refuses '\\' everywhere: its mlruns reader takes no such folder name
        raise InvalidValue(
            f"Invalid name: '{name}'. Registered model name cannot contain path separator"
        )
    if file_store and "%" in name:
        raise InvalidValue(
            f"Invalid name: '{name}'. Registered model name cannot contain '%' character"
        )


def check_new_name(new_name: str, *, file_store: bool = False) -> None:
    """MlflowClient's checks of a rename's new name: its own empty-name refusal, then
    the store's ``_validate_model_renaming``."""
    if new_name is None or not isinstance(new_name, str) or new_name.strip() == "":
        raise InvalidValue("The name must not be an empty string.")
    check_model_name(new_name, file_store=file_store)


def check_new_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """The tags of a new model or version as MlflowClient sends them (values made
    strings), checked; refuses the prompt tag as MlflowClient does."""
    tags = {key: str(value) for key, value in (tags or {}).items()}
    if PROMPT_TAG in tags:
        raise InvalidValue(PROMPTS_NOT_MODELS)
    for key, value in tags.items():
        check_tag(key, value)
    return tags


def already_exists(name: str, existing_tags: dict[str, str] | None = None) -> InvalidValue:
    """MLflow's ``handle_resource_already_exist_error`` for a new registered model."""
    if existing_tags is not None and PROMPT_TAG in existing_tags:
        return InvalidValue(
            f"Tried to create a registered model with name {name!r}, but the name is already "
            "taken by a prompt. MLflow does not allow creating a model and a prompt with the "
            "same name."
        )
    return InvalidValue(f"Registered Model (name={name}) already exists.")


def prompt_not_model(name: str) -> ResourceNotFound:
    """MlflowClient's ``_raise_if_prompt``: a prompt is no registered model to edit."""
    return ResourceNotFound(f"Registered Model with name={name!r} not found.")


def model_not_found(name: str) -> ResourceNotFound:
    return ResourceNotFound(f"Registered Model with name={name} not found")


def version_not_found(name: str, version: object) -> ResourceNotFound:
    return ResourceNotFound(f"Model Version (name={name}, version={version}) not found")


def alias_not_found(alias: str) -> ResourceNotFound:
    return ResourceNotFound(f"Registered model alias {alias} not found.")


def version_number(name: str, version: Any) -> int:
    """The number of a version a read asks for: one that is no number is a version
    that does not exist, as MLflow's reads say (its writes: :func:`check_version`)."""
    try:
        return int(version)
    except (TypeError, ValueError):
        raise version_not_found(name, version) from None


DELETED_STAGE = "Deleted_Internal"
"""The stage MLflow gives a deleted model version."""

REDACTED_VERSION = {
    "description": None,
    "user_id": None,
    "source": "REDACTED-SOURCE-PATH",
    "run_id": "REDACTED-RUN-ID",
    "run_link": "REDACTED-RUN-LINK",
    "status_message": None,
}
"""What MLflow's SQL store overwrites in a version it deletes (its file store keeps all)."""


class ModelSource:
    """A ``models:/`` source as MLflow's ``_parse_model_uri`` reads it: ``model_id``
    (``models:/<id>``) or ``name`` and ``version`` (``models:/<name>/<n>``); any other
    form (stage, alias, ``latest``) MLflow's stores cannot resolve either."""

    def __init__(self, source: str):
        self.source = source
        self.model_id: str | None = None
        self.name: str | None = None
        self.version: int | None = None
        parsed = urlparse(source, allow_fragments=False)
        parts = parsed.path.lstrip("/").split("/")
        if (not parsed.path.startswith("/") or len(parsed.path) <= 1 or len(parts) > 2
                or parts[0].strip() == ""):
            raise InvalidValue(
                f"Not a proper models:/ URI: {source}. Models URIs must be of the form "
                "'models:/name/suffix' or 'models:/name@alias' where suffix is a version, "
                "stage, or the string 'latest' and where alias is a registered model alias. "
                "Only one of suffix or alias can be defined at a time."
            )
        if len(parts) == 2:
            if parts[1].isdigit():
                self.name, self.version = parts[0], int(parts[1])
            else:
                raise self.unresolvable("Only models:/<name>/<version> is supported")
        elif "@" in parsed.path:
            raise self.unresolvable("Only models:/<name>/<version> is supported")
        else:
            self.model_id = parts[0]

    @staticmethod
    def applies(source: str) -> bool:
        return urlparse(source).scheme == "models"

    def unresolvable(self, error: str) -> InvalidValue:
        """MLflow's message when it cannot resolve a ``models:/`` source."""
        return InvalidValue(
            "Unable to fetch model from model URI source artifact location "
            f"'{self.source}'.Error: {error}"
        )


def logged_model_not_found(model_id: str) -> ResourceNotFound:
    return ResourceNotFound(f"Logged model with ID '{model_id}' not found.")
