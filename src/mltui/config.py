"""User settings (``config.toml``) and remembered UI state (``state.json``).

Both live in the user config dir (``$XDG_CONFIG_HOME/mltui`` on Linux).
Settings are read-only for mltui: the user edits the TOML. State is what
mltui remembers on its own (the columns chosen per experiment).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import platformdirs

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def config_dir() -> Path:
    return Path(platformdirs.user_config_dir("mltui", appauthor=False))


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir("mltui", appauthor=False))


@dataclass
class Settings:
    """What a user may set in ``config.toml``."""

    refresh_interval: float = 5.0
    """Seconds between refreshes of a runs table that shows RUNNING runs (0 = never)."""
    page_size: int = 200
    """Runs fetched per request by the runs table."""
    tree_view: bool = True
    """Show nested runs under their parent by default."""
    relative_times: bool = True
    """'3h ago' instead of timestamps in tables."""
    theme: str = "textual-dark"
    keymap: dict[str, str] = field(default_factory=dict)
    """Binding id -> keys, e.g. ``"runs.sort" = "o"``."""
    problems: list[str] = field(default_factory=list)
    """What was wrong with the file (shown once, never fatal)."""


def load_settings(path: Path | None = None) -> Settings:
    path = path or config_dir() / "config.toml"
    settings = Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return settings
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        settings.problems.append(f"{path}: {exc}")
        return settings
    known = {f.name: f for f in fields(Settings) if f.name != "problems"}
    for key, value in raw.items():
        spec = known.get(key)
        if spec is None:
            settings.problems.append(f"{path}: unknown setting '{key}'")
            continue
        default = getattr(settings, key)
        expected = type(default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or isinstance(value, bool) != isinstance(default,
                                                                                    bool):
            settings.problems.append(
                f"{path}: '{key}' should be {expected.__name__}, got {value!r}"
            )
            continue
        problem = _check_value(key, value)
        if problem:
            settings.problems.append(f"{path}: {problem}")
            continue
        setattr(settings, key, value)
    return settings


def _check_value(key: str, value: Any) -> str | None:
    if key == "page_size" and not 10 <= value <= 10_000:
        return f"'page_size' must be between 10 and 10000, got {value}"
    if key == "refresh_interval" and value < 0:
        return f"'refresh_interval' must be 0 (off) or more seconds, got {value}"
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
