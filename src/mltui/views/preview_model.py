"""An ``MLmodel`` file as a person wants it: flavors, signature, input example,
Python version and requirements, and the command that serves it.

MLflow writes ``MLmodel`` (YAML) beside ``requirements.txt``, ``conda.yaml``,
``python_env.yaml`` and the input example; all of them are read from the same
folder of the same source, each at most :data:`MAX_FILE` bytes. A file that is
missing or broken is a line in ``problems``; the summary shows what it can.
Nothing is ever unpickled or executed: ``python_model.pkl`` stays bytes.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

import yaml

from ..store.errors import StoreError
from ..textfmt import safe_text
from .artifacts import ArtifactSource
from .preview_table import is_log_table, split_table
from .preview_text import decode_text, text_lines
from .preview_types import Field, ModelPreview, ModelSummary, Preview, TextPreview

MAX_FILE = 1 << 20
"""Bytes read of MLmodel and each file beside it."""
FACTS = (("mlflow_version", "MLflow"), ("utc_time_created", "created (UTC)"),
         ("model_size_bytes", "size (bytes)"), ("model_id", "model id"), ("run_id", "run id"),
         ("model_uuid", "model uuid"))
"""MLmodel keys shown as facts, in this order, with their labels."""


def _load_yaml(text: str) -> Any:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(text, Loader=loader)  # a safe loader: plain data, no objects


def _read_text(source: ArtifactSource, path: str) -> str | None:
    """A small file beside MLmodel, or None when it is not there."""
    try:
        data = source.read(path, 0, MAX_FILE)
    except StoreError:
        return None
    return decode_text(data)[0]


def _field(spec: Any) -> Field:
    """One column or tensor spec of a signature, as MLflow serialises it."""
    if not isinstance(spec, dict):
        return Field("", safe_text(spec))
    name = safe_text(spec.get("name") or "")
    kind = str(spec.get("type") or "")
    detail = ""
    if kind == "tensor":
        tensor = spec.get("tensor-spec") or {}
        kind = f"tensor {tensor.get('dtype', '')}".strip()
        detail = f"shape {tuple(tensor.get('shape') or ())}"
    elif kind in ("array", "object", "map"):
        inner = spec.get("items") or spec.get("properties") or spec.get("values")
        detail = json.dumps(inner, separators=(",", ":"))[:120] if inner else ""
    if spec.get("required") is False:
        detail = ", ".join(p for p in ("optional", detail) if p)
    if "default" in spec:
        detail = ", ".join(p for p in (detail, f"default {spec['default']!r}") if p)
    return Field(name, safe_text(kind), safe_text(detail))


def _fields(raw: Any) -> list[Field]:
    if raw in (None, "", "null"):
        return []
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            return [Field("", "unreadable", safe_text(raw[:120]))]
    return [_field(spec) for spec in raw] if isinstance(raw, list) else []


def _requirements(source: ArtifactSource, folder: str, summary: ModelSummary,
                  env: Any) -> None:
    """Python version and requirements from the files MLflow writes beside MLmodel."""
    def beside(name: str) -> str:
        return posixpath.join(folder, name) if folder else name

    text = _read_text(source, beside("requirements.txt"))
    if text is not None:
        summary.requirements = [safe_text(line.strip()) for line in text.splitlines()
                                if line.strip() and not line.lstrip().startswith("#")]
        summary.requirements_from = "requirements.txt"
    for name in ("python_env.yaml", "conda.yaml"):
        if summary.python_version and summary.requirements:
            break
        text = _read_text(source, beside(name))
        if text is None:
            continue
        try:
            data = _load_yaml(text)
        except yaml.YAMLError:
            summary.problems.append(f"{name} is not valid YAML")
            continue
        if not isinstance(data, dict):
            continue
        deps = data.get("dependencies") or []
        if name == "python_env.yaml":
            version, pip = data.get("python"), deps
        else:
            version = next((str(d).split("=", 1)[1].lstrip("=") for d in deps
                            if isinstance(d, str) and d.startswith("python=")), None)
            pip = next((d.get("pip") for d in deps if isinstance(d, dict) and "pip" in d), [])
        if version and not summary.python_version:
            summary.python_version = safe_text(version)
        if pip and not summary.requirements:
            summary.requirements = [safe_text(p) for p in pip if not str(p).startswith("-r ")]
            summary.requirements_from = name
    if not summary.python_version and isinstance(env, str):
        summary.python_version = safe_text(env)


def _input_example(source: ArtifactSource, folder: str, info: Any) -> Preview | None:
    if not isinstance(info, dict) or not info.get("artifact_path"):
        return None
    path = posixpath.join(folder, str(info["artifact_path"])) if folder else \
        str(info["artifact_path"])
    text = _read_text(source, path)
    if text is None:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return TextPreview(path, None, "input example", head=text_lines(text)[:200])
    if isinstance(data, dict) and "dataframe_split" in data:
        data = data["dataframe_split"]
    if is_log_table(data):
        return split_table(path, None, data, "input example")
    pretty = json.dumps(data, indent=2, ensure_ascii=False)
    return TextPreview(path, None, "input example", head=text_lines(pretty)[:200],
                       lexer="json")


def model_preview(source: ArtifactSource, path: str, size: int, data: bytes) -> Preview:
    """The summary of the ``MLmodel`` at ``path`` (``data``: its bytes)."""
    folder = posixpath.dirname(path)
    text, _bad = decode_text(data)
    lines = text_lines(text)
    preview = ModelPreview(path, size, "MLmodel",
                           source=TextPreview(path, size, "MLmodel", head=lines, lexer="yaml"))
    summary = preview.model
    summary.model_uri = source.model_uri(folder)
    try:
        meta = _load_yaml(text)
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())[:160]
        summary.problems.append(f"MLmodel is not valid YAML: {safe_text(reason)}")
        meta = None
    if not isinstance(meta, dict):
        summary.problems.append("MLmodel holds no model description")
        return preview
    for key, label in FACTS:
        if meta.get(key) not in (None, ""):
            summary.facts.append((label, safe_text(meta[key])))
    flavors: dict = meta["flavors"] if isinstance(meta.get("flavors"), dict) else {}
    python_version = None
    for name, options in flavors.items():
        details: list[tuple[str, str]] = []
        if isinstance(options, dict):
            python_version = python_version or options.get("python_version")
            for key, value in options.items():
                if isinstance(value, str | int | float | bool) and key != "python_version":
                    details.append((safe_text(key), safe_text(value)))
        summary.flavors.append((safe_text(name), details[:12]))
    signature: dict = meta["signature"] if isinstance(meta.get("signature"), dict) else {}
    summary.inputs = _fields(signature.get("inputs"))
    summary.outputs = _fields(signature.get("outputs"))
    summary.params = _fields(signature.get("params"))
    summary.input_example = _input_example(source, folder, meta.get("saved_input_example_info"))
    _requirements(source, folder, summary, python_version)
    preview.notes.append(", ".join(name for name, _ in summary.flavors) or "no flavors")
    return preview
