"""User settings (``config.toml``) and remembered UI state (``state.json``).

Both live in the user config dir (``$XDG_CONFIG_HOME/mltui`` on Linux).
Settings are read-only for mltui: the user edits the TOML. State is what
mltui remembers on its own (the columns chosen per experiment).
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

from .textfmt import DATE_FORMATS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir("mltui", appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mltui", appauthor=False))


@dataclass
class Connection:
    """A named tracking URI (``[connections.NAME]``), opened with ``mltui -c NAME``.

    Credentials are never written in the file: they come from environment
    variables named here, or from the output of ``credential_command``, run when
    the connection opens (``mltui.connections``)."""

    name: str
    uri: str
    username: str = ""
    """The login name itself (not a secret); ``username_env`` names a variable instead."""
    username_env: str = ""
    password_env: str = ""
    token_env: str = ""
    credential_command: str = ""
    """A shell command whose output is the password (when a username is set) or the
    bearer token, e.g. ``pass show mlflow/prod``."""


CONNECTION_KEYS = tuple(f.name for f in fields(Connection) if f.name != "name")


@dataclass
class Settings:
    """What a user may set in ``config.toml``."""

    refresh_interval: float = 5.0
    """Seconds between refreshes of a runs table that shows RUNNING runs (0 = never)."""
    page_size: int = 200
    """Runs fetched per request by the runs table."""
    tree_view: bool = True
    """Show nested runs under their parent by default."""
    date_format: str = "relative"
    """One of DATE_FORMATS: '3h ago', local time, or UTC."""
    relative_times: bool = True
    """Older spelling of ``date_format = "relative"``; false means "absolute" when
    ``date_format`` is not set (and, as before, plain status words in the runs table).
    The date format itself acts in ``textfmt``, for every table."""
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. ``"runs.sort" = "o"``."""
    connections: dict[str, Connection] = field(default_factory=dict)
    """Named tracking URIs: ``[connections.prod]``."""
    columns: dict[str, list[str]] = field(default_factory=dict)
    """Experiment name (or id, or ``"*"`` for any) -> the runs table's columns until
    the person picks others with ``c`` (``--columns`` syntax, e.g. ``"metrics.auc"``)."""
    problems: list[str] = field(default_factory=list)
    """What was wrong with the file (shown once, never fatal)."""


def config_path() -> Path:
    return config_dir() / "config.toml"


DEFAULT_CONFIG = """\
# mltui settings. Every line starting with # is a default or an example:
# remove the # to change it. A mistake is reported with its line when mltui
# starts, and that setting keeps its default.

# Seconds between refreshes of a runs table that shows RUNNING runs (0 = never).
# refresh_interval = 5.0

# Runs fetched per request by the runs table (10 to 10000).
# page_size = 200

# Show nested runs under their parent run.
# tree_view = true

# Times in tables: "relative" (3h ago), "absolute" (local time) or "utc".
# date_format = "relative"

# A Textual theme: textual-dark, textual-light, nord, gruvbox, dracula,
# tokyo-night, monokai, solarized-light, ... (ctrl+p, "Theme" tries them live;
# the one chosen there is remembered until this line changes).
# theme = "textual-dark"

# Keys by binding id (the ids are in the README's key tables), e.g.:
# [keymap]
# "runs.sort" = "ctrl+o"

# The runs table's columns per experiment (by name or id; "*" for any other),
# until you pick others with `c` (which mltui then remembers), e.g.:
# [columns]
# "fraud-detection" = ["start_time", "metrics.auc", "params.max_depth", "tags.team"]
# "*" = ["start_time", "duration", "metrics.loss"]

# Named connections, opened with `mltui -c NAME` or "Connect: NAME" in the
# palette (ctrl+p). Credentials never go in this file: name environment
# variables that hold them, or a command that prints the password (when a
# username is given) or the token.
# [connections.prod]
# uri = "https://mlflow.example.com"
# username_env = "PROD_MLFLOW_USER"
# password_env = "PROD_MLFLOW_PASSWORD"
#
# [connections.staging]
# uri = "https://mlflow-staging.example.com"
# username = "alice"
# credential_command = "pass show mlflow/staging"
#
# [connections.local]
# uri = "sqlite:///mlflow.db"
"""
"""What ``mltui config edit`` writes when there is no config.toml yet."""


def load_settings(path: Path | None = None) -> Settings:
    """The settings of ``path`` (default: the user's config.toml). Whatever is wrong
    becomes a line in ``problems`` naming the file's line, and that setting (or, for
    a file TOML cannot read, every setting) keeps its default."""
    path = path or config_path()
    settings = Settings()
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text)
    except FileNotFoundError:
        return settings
    except tomllib.TOMLDecodeError as exc:
        settings.problems.append(f"{_toml_error(path, text, exc)}; using the default settings")
        return settings
    except (OSError, UnicodeDecodeError) as exc:
        settings.problems.append(f"{path}: {exc}; using the default settings")
        return settings
    known = {f.name: f for f in fields(Settings) if f.name not in ("problems", "connections")}
    taken: set[str] = set()
    for key, value in raw.items():
        where = _where(path, text, key)
        if key == "connections":
            _load_connections(settings, value, path, text)
            continue
        spec = known.get(key)
        if spec is None:
            settings.problems.append(f"{where}: unknown setting '{key}'")
            continue
        default = getattr(settings, key)
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default,
                                                                                    bool):
            settings.problems.append(
                f"{where}: '{key}' should be {_type_name(expected)}, got {value!r}; "
                "using the default"
            )
            continue
        problem = _check_value(key, value)
        if problem:
            settings.problems.append(f"{where}: {problem}; using the default")
            continue
        setattr(settings, key, value)
        taken.add(key)
    if "date_format" not in taken and "relative_times" in taken:
        settings.date_format = "relative" if settings.relative_times else "absolute"
    return settings


def _load_connections(settings: Settings, value: Any, path: Path, text: str) -> None:
    if not isinstance(value, dict):
        settings.problems.append(f"{_where(path, text, 'connections')}: 'connections' should "
                                 "be tables like [connections.prod] with a uri")
        return
    for name, table in value.items():
        where = _where(path, text, f"connections.{name}")
        if not isinstance(table, dict):
            settings.problems.append(f"{where}: connection '{name}' should be a table "
                                     f"[connections.{name}] with a uri")
            continue
        unknown = sorted(set(table) - set(CONNECTION_KEYS))
        wrong = sorted(k for k in CONNECTION_KEYS if k in table
                       and not (isinstance(table[k], str) and table[k].strip()))
        if unknown:
            at = _where(path, text, f"connections.{name}.{unknown[0]}")
            settings.problems.append(f"{at}: connection '{name}' has unknown keys "
                                     f"{', '.join(unknown)} (known: {', '.join(CONNECTION_KEYS)})")
        if wrong or "uri" not in table:
            bad = _where(path, text, f"connections.{name}.{wrong[0]}") if wrong else where
            settings.problems.append(f"{bad}: connection '{name}' needs uri = \"...\" and "
                                     "its other keys as non-empty strings; left out")
            continue
        settings.connections[name] = Connection(
            name, **{k: table[k].strip() for k in CONNECTION_KEYS if k in table})


_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_error(path: Path, text: str, exc: tomllib.TOMLDecodeError) -> str:
    """``path:LINE: what, at column C: the line`` from tomllib's message, which ends
    in "(at line 3, column 7)" (Python 3.14 also has ``exc.lineno``)."""
    message = str(exc)
    at = _AT.search(message)
    if not at:
        return f"{path}: {message}"
    line, column = int(at.group(1)), int(at.group(2))
    lines = text.splitlines()
    shown = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    if len(shown) > 60:
        shown = shown[:59] + "…"
    return (f"{path}:{line}: {message[:at.start()]} at column {column}"
            + (f": {shown}" if shown else ""))


def _where(path: Path, text: str, dotted: str) -> str:
    """``path:LINE`` where ``dotted`` (``theme``, ``connections.prod.uri``) is set or
    its ``[table]`` begins; just ``path`` when it cannot be found."""
    line = _line_of(text, dotted)
    return f"{path}:{line}" if line else str(path)


_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]")
_ASSIGNMENT = re.compile(r"^\s*((?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)"
                         r"(?:\s*\.\s*(?:\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=")


def _dotted(raw: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in raw.split("."))


def _line_of(text: str, dotted: str) -> int | None:
    """The first line that sets ``dotted`` or opens it as a table; else the first
    that sets something inside it. A good-enough reading of TOML for pointing at
    a line (the file has already parsed)."""
    table = ""
    inside = None
    for number, line in enumerate(text.splitlines(), 1):
        header = _HEADER.match(line)
        if header:
            table = _dotted(header.group(1))
            name = table
        else:
            assignment = _ASSIGNMENT.match(line)
            if not assignment:
                continue
            name = ".".join(p for p in (table, _dotted(assignment.group(1))) if p)
        if name == dotted:
            return number
        if inside is None and name.startswith(dotted + "."):
            inside = number
    return inside


def _type_name(kind: type) -> str:
    return {bool: "true or false", int: "a whole number", float: "a number",
            str: "a string in quotes", dict: "a table"}.get(kind, kind.__name__)


def _check_value(key: str, value: Any) -> str | None:
    if key == "page_size" and not 10 <= value <= 10_000:
        return f"'page_size' must be between 10 and 10000, got {value}"
    if key == "refresh_interval" and value < 0:
        return f"'refresh_interval' must be 0 (off) or more seconds, got {value}"
    if key == "date_format" and value not in DATE_FORMATS:
        return f"'date_format' must be one of {', '.join(DATE_FORMATS)}, got {value!r}"
    if key == "columns" and not all(
        isinstance(k, str) and isinstance(v, list) and v and all(isinstance(c, str) for c in v)
        for k, v in value.items()
    ):
        return ("'columns' maps an experiment name to a list of columns "
                "(e.g. \"fraud-detection\" = [\"metrics.auc\", \"params.lr\"])")
    if key == "keymap" and not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in value.items()
    ):
        return "'keymap' maps binding ids to keys, both strings (e.g. \"runs.sort\" = \"o\")"
    return None


class State:
    """Small JSON document of things mltui remembers between sessions."""

    def __init__(self, path: Path | None = None):
        self.path = path or config_dir() / "state.json"
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            try:
                self._data = json.loads(self.path.read_text(encoding="utf-8"))
                if not isinstance(self._data, dict):
                    self._data = {}
            except (OSError, ValueError):
                self._data = {}
        return self._data

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self._load().get(section, {}).get(key, default)

    def set(self, section: str, key: str, value: Any) -> None:
        data = self._load()
        data.setdefault(section, {})[key] = value
        self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        # written atomically: a crash mid-write must not lose earlier choices
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".state-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=1, sort_keys=True)
            os.replace(tmp, self.path)
        except OSError:
            pass  # remembering is a convenience; never fail the UI for it


def columns_key(uri: str, experiment_ids: list[str]) -> str:
    return f"{uri}#{','.join(sorted(experiment_ids))}"
