"""Writing the demo's artifact files: text or bytes, and YAML as MLflow writes it.

Artifacts are written straight into the build folder while scenarios run (they are
not rows, so nothing is buffered). YAML goes through libyaml's emitter when it is
installed: the demo writes a few hundred YAML files and it is 5x faster.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from .builder import DemoRun


def write_file(path: Path, data: str | bytes) -> None:
    """Write ``data`` (UTF-8 when text) to ``path``, creating its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)


def write_artifact(run: DemoRun, relpath: str, data: str | bytes) -> None:
    """Log ``data`` as the artifact ``relpath`` of ``run`` (as ``mlflow.log_text`` would)."""
    write_file(run.artifact_dir / relpath, data)


def to_yaml(data: object, **options: Any) -> str:
    """YAML text, with libyaml's emitter when available (5x faster).

    Block style unless ``default_flow_style`` says otherwise; other ``options`` go
    to ``yaml.dump`` (``sort_keys``, ``width``, ``allow_unicode``).
    """
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    options.setdefault("default_flow_style", False)
    text: str = yaml.dump(data, Dumper=dumper, **options)
    return text


def yaml_value(text: str) -> object:
    """A param string back to the number or bool it was logged from (config files)."""
    if text in ("True", "False"):
        return text == "True"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text
