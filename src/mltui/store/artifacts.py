"""Artifacts stored on a local or mounted file system (``file://`` URIs and
plain paths), which is where SQL and file stores usually keep them. Remote
object stores (s3://, gs://...) are reached through a tracking server with
``--serve-artifacts`` instead; mltui does not talk to them directly."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .entities import ArtifactEntry
from .errors import ResourceNotFound, StoreError


def local_root(artifact_uri: str) -> Path:
    """The folder behind an artifact URI, or a clear error for remote schemes."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme in ("", "file"):
        return Path(unquote(parsed.path) if parsed.scheme else artifact_uri)
    if len(parsed.scheme) == 1:  # a Windows drive letter, C:\\...
        return Path(artifact_uri)
    raise StoreError(
        f"Artifacts at {parsed.scheme}:// are not readable from here; point mltui at a "
        "tracking server started with --serve-artifacts"
    )


def existing_local_folder(artifact_uri: str) -> str | None:
    """The folder of a ``file:`` (or plain path) artifact root if it exists on this
    machine, else None: a tracking server's runs are read from disk when it shares
    the disk, through the server otherwise."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        folder = unquote(parsed.path)
    elif parsed.scheme == "":
        folder = artifact_uri
    else:
        return None
    return folder if folder and os.path.isdir(folder) else None


def clean_artifact_path(path: str) -> str:
    """``path`` relative to the artifact root, without leading or trailing slashes
    ("" for the root); a StoreError for ``..``, which would leave the run's folder."""
    rel = PurePosixPath(path.strip("/")) if path else PurePosixPath()
    if any(part == ".." for part in rel.parts):
        raise StoreError(f"Invalid artifact path {path!r}")
    text = rel.as_posix()
    return "" if text == "." else text


def _resolve(artifact_uri: str, path: str) -> tuple[Path, Path]:
    root = local_root(artifact_uri)
    rel = clean_artifact_path(path)
    return root, root.joinpath(*PurePosixPath(rel).parts)


def list_local_artifacts(artifact_uri: str, path: str = "") -> list[ArtifactEntry]:
    _, target = _resolve(artifact_uri, path)
    if not target.exists():
        if not path:
            return []  # a run that logged no artifacts has no folder at all
        raise ResourceNotFound(f"No artifact at {path}")
    if not target.is_dir():
        raise StoreError(f"{path} is a file, not a folder")
    entries = []
    try:
        with os.scandir(target) as it:
            for entry in it:
                rel = (PurePosixPath(path.strip("/")) / entry.name).as_posix() if path else \
                    entry.name
                try:
                    is_dir = entry.is_dir()
                    size = None if is_dir else entry.stat().st_size
                except OSError:
                    is_dir, size = False, None
                entries.append(ArtifactEntry(rel, is_dir, size))
    except PermissionError:
        raise StoreError(f"Permission denied reading artifacts at {target}") from None
    return sorted(entries, key=lambda e: (not e.is_dir, e.path.lower()))


def read_local_artifact(artifact_uri: str, path: str, max_bytes: int = 8 << 20) -> bytes:
    _, target = _resolve(artifact_uri, path)
    if not target.is_file():
        raise ResourceNotFound(f"No artifact file at {path}")
    try:
        with open(target, "rb") as fh:
            return fh.read(max_bytes)
    except PermissionError:
        raise StoreError(f"Permission denied reading {path}") from None
