"""MLflow's validation rules for experiment and run edits, with MLflow's messages
(``mlflow/utils/validation.py``), and the two URI helpers its stores use to place
a new experiment's artifacts (``mlflow/utils/uri.py``).

Shared by every backend, so an empty name or a bad tag key is refused the same
way, before anything is written or sent. The registry's rules, whose messages
differ, are in :mod:`.registry_rules`.
"""

from __future__ import annotations

import json
import os
import pathlib
import posixpath
import re
from urllib.parse import unquote, urlsplit, urlunsplit

from .errors import InvalidValue, ResourceNotFound

MAX_EXPERIMENT_NAME_LENGTH = 500
MAX_EXPERIMENT_TAG_KEY_LENGTH = 250
MAX_EXPERIMENT_TAG_VAL_LENGTH = 20000
MAX_ENTITY_KEY_LENGTH = 250
MAX_TAG_VAL_LENGTH = 8000
DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH = 2048
"""``MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH``'s default."""
RUN_NAME_TAG = "mlflow.runName"

_KEY_RE = re.compile(r"^[/\w.\- :]*$")


def _invalid_value(path: str, value: object, message: str) -> str:
    formatted = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return f"Invalid value {formatted} for parameter '{path}' supplied: {message}"


def _too_long(path: str, limit: int) -> str:
    return f"'{path}' exceeds the maximum length of {limit} characters"


def check_experiment_name(name: object) -> str:
    """``_validate_experiment_name``."""
    if name == "" or name is None:
        raise InvalidValue(f"Invalid experiment name: '{name}'")
    if not isinstance(name, str):
        raise InvalidValue(f"Invalid experiment name: {name}. Expects a string.")
    if len(name) > MAX_EXPERIMENT_NAME_LENGTH:
        raise InvalidValue(_too_long("name", MAX_EXPERIMENT_NAME_LENGTH))
    return name


def check_tag_name(key: object, path: str = "key") -> str:
    """``_validate_tag_name`` (POSIX rules: a colon is allowed)."""
    if key is None:
        raise InvalidValue(f"Missing value for required parameter '{path}'.")
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise InvalidValue(_invalid_value(
            path, key,
            "Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), "
            "spaces ( ), colon(:) and slashes (/).",
        ))
    norm = posixpath.normpath(key)
    if norm != key or norm == "." or norm.startswith("..") or norm.startswith("/"):
        raise InvalidValue(_invalid_value(
            path, key,
            "Names may be treated as files in certain cases, and must not resolve to other "
            f"names when treated as such. This name would resolve to {norm!r}",
        ))
    return key


def check_experiment_tag(key: str, value: str) -> None:
    """``_validate_experiment_tag`` (the trace archival tags' own formats aside)."""
    check_tag_name(key)
    if len(key) > MAX_EXPERIMENT_TAG_KEY_LENGTH:
        raise InvalidValue(_too_long("key", MAX_EXPERIMENT_TAG_KEY_LENGTH))
    if value is not None and len(value) > MAX_EXPERIMENT_TAG_VAL_LENGTH:
        raise InvalidValue(_too_long("value", MAX_EXPERIMENT_TAG_VAL_LENGTH))


def check_experiment_tags(tags: dict[str, str] | None) -> dict[str, str]:
    """A new experiment's tags as strings, each checked as MLflow checks them before
    it creates the experiment (a bad tag: nothing is created)."""
    checked = {str(k): str(v) for k, v in (tags or {}).items()}
    for key, value in checked.items():
        check_experiment_tag(key, value)
    return checked


def no_run_tag(key: str, run_ids: list[str]) -> ResourceNotFound:
    """``delete_tag`` when none of ``run_ids`` has ``key``: MLflow's message for one
    run, the same words for many."""
    if len(run_ids) == 1:
        return ResourceNotFound(f"No tag with name: {key} in run with id {run_ids[0]}")
    return ResourceNotFound(f"No tag with name: {key} in any of the {len(run_ids)} runs")


def _truncate_long_values() -> bool:
    """``MLFLOW_TRUNCATE_LONG_VALUES`` (default true)."""
    raw = os.environ.get("MLFLOW_TRUNCATE_LONG_VALUES")
    return raw is None or raw.strip().lower() in ("true", "1")


def check_run_tag(key: str, value: str) -> str:
    """``_validate_tag`` of MLflow's SQL store: the value to store (cut to 8,000
    characters, as MLflow cuts it unless ``MLFLOW_TRUNCATE_LONG_VALUES=false``)."""
    check_tag_name(key)
    if len(key) > MAX_ENTITY_KEY_LENGTH:
        raise InvalidValue(_too_long("key", MAX_ENTITY_KEY_LENGTH))
    if len(value) > MAX_TAG_VAL_LENGTH:
        if _truncate_long_values():
            return value[:MAX_TAG_VAL_LENGTH]
        raise InvalidValue(_too_long("value", MAX_TAG_VAL_LENGTH))
    return value


def check_artifact_location(location: str | None) -> str | None:
    """What ``create_experiment`` checks of an explicit artifact location (the
    client's ``runs:`` check, then the store's length check), resolved as MLflow
    resolves a relative local path (against the current folder)."""
    if not location:
        return None
    if location.startswith("runs:"):
        raise InvalidValue(f"Artifact location cannot be a runs:/ URI. Given: '{location}'")
    location = resolve_uri_if_local(location)
    try:
        limit = int(os.environ.get("MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH", ""))
    except ValueError:
        limit = DEFAULT_ARTIFACT_LOCATION_MAX_LENGTH
    if len(location) > limit:
        raise InvalidValue(
            "Invalid artifact path length. The length of the artifact path cannot be "
            f"greater than {limit} characters. To configure this limit, please set the "
            "MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable."
        )
    return location


def resolve_uri_if_local(uri: str) -> str:
    """MLflow's ``resolve_uri_if_local``: a relative local path (or ``file:`` URI)
    made absolute against the current folder; anything else unchanged."""
    parts = urlsplit(uri)
    if parts.scheme not in ("", "file"):
        return uri
    local = unquote(parts.path) if parts.scheme == "file" else uri
    if pathlib.Path(local).is_absolute():
        return uri
    absolute = pathlib.Path.cwd().joinpath(local).as_posix()
    if parts.scheme == "":
        return absolute
    return urlunsplit(("file", "", absolute, parts.query, parts.fragment))


def append_to_uri_path(uri: str, part: str) -> str:
    """MLflow's ``append_to_uri_path`` for one plain path segment."""
    parts = urlsplit(uri)
    if not parts.scheme:
        return posixpath.join(uri, part) if uri else part
    path = parts.path
    joined = posixpath.join(path, part) if path else part
    if not path.startswith("/"):  # "file:rel/path": keep it relative
        rest = urlunsplit(("", parts.netloc, joined, parts.query, parts.fragment))
        return f"{parts.scheme}:{rest}"
    return urlunsplit(parts._replace(path=joined))
