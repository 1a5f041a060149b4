"""Where artifacts are read from: the reader every backend hands out, and the one
for a local or mounted file system (``file://`` URIs and plain paths), which is
where SQL and file stores usually keep them.

An :class:`ArtifactReader` lists one folder, tells a file's size and reads a
byte range of it; the store contract (``BaseStore.list_artifacts``,
``artifact_size``, ``read_artifact_range`` and their logged-model twins) is
written once on top of it. Readers exist for local folders (here), for cloud
URIs through fsspec (:mod:`.cloud`) and for a tracking server
(:mod:`.rest.artifacts`). Paths are always relative to the reader's root, with
``/`` separators; ``..`` is refused before anything is opened, so a hostile
listing cannot send a read (or a save) outside the root.
"""

from __future__ import annotations

import errno
import os
from abc import ABC, abstractmethod
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from .entities import ArtifactEntry
from .errors import ResourceNotFound, StoreError


class ArtifactReader(ABC):
    """One artifact root (a run's, or a logged model's). Every method may block."""

    uri: str = ""
    """The root as a URI, for display (``file:///…/artifacts``, ``s3://…``)."""

    @abstractmethod
    def entries(self, path: str = "") -> list[ArtifactEntry]:
        """Entries directly under ``path``, folders first then by name; ``[]`` for a
        root that does not exist yet (a run that logged nothing). Raises
        ResourceNotFound for a missing folder, StoreError for a file or no access."""

    @abstractmethod
    def size(self, path: str) -> int:
        """The size of one file in bytes. Raises ResourceNotFound when there is no
        file at ``path`` (a folder included)."""

    @abstractmethod
    def read(self, path: str, offset: int, length: int) -> bytes:
        """Up to ``length`` bytes of one file from ``offset``: fewer at its end, ``b""``
        past it. Never reads more of the file than that (a tail of a 2 GB log costs
        the tail). Raises ResourceNotFound when there is no file at ``path``."""


def reader_for(artifact_uri: str) -> ArtifactReader:
    """The reader for an artifact root URI: local folders here, cloud schemes
    through fsspec (a one-line StoreError naming the extra when not installed)."""
    parsed = urlparse(artifact_uri)
    if parsed.scheme in ("", "file") or len(parsed.scheme) == 1:
        return LocalArtifacts(local_root(artifact_uri))
    from .cloud import cloud_reader

    return cloud_reader(artifact_uri)


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
    ("" for the root); a StoreError for ``..``, which would leave the run's folder,
    and for a NUL byte, which no file name holds."""
    if "\x00" in path:
        raise StoreError(f"Invalid artifact path {path!r}")
    rel = PurePosixPath(path.strip("/")) if path else PurePosixPath()
    if any(part == ".." for part in rel.parts):
        raise StoreError(f"Invalid artifact path {path!r}")
    text = rel.as_posix()
    return "" if text == "." else text


def child_path(folder: str, name: str) -> str:
    """``folder/name`` as an artifact path ("" is the root)."""
    return f"{folder.strip('/')}/{name}" if folder.strip("/") else name


def sort_entries(entries: list[ArtifactEntry]) -> list[ArtifactEntry]:
    """Folders first, then by name, ignoring case (as every backend lists)."""
    return sorted(entries, key=lambda e: (not e.is_dir, e.path.lower()))


def _os_problem(exc: OSError, path: str) -> StoreError:
    """One line for a file system failure on ``path``."""
    if isinstance(exc, PermissionError):
        return StoreError(f"Permission denied reading {path or 'the artifact folder'}")
    if exc.errno == errno.ELOOP:
        return StoreError(f"{path} is a symbolic link loop")
    reason = exc.strerror or type(exc).__name__
    return StoreError(f"Cannot read {path or 'the artifact folder'}: {reason}")


class LocalArtifacts(ArtifactReader):
    """An artifact root on this machine's file system."""

    def __init__(self, root: Path | str):
        self.root = Path(root)
        self.uri = self.root.as_uri() if self.root.is_absolute() else str(self.root)

    def _target(self, path: str) -> tuple[str, Path]:
        rel = clean_artifact_path(path)
        return rel, self.root.joinpath(*PurePosixPath(rel).parts)

    def entries(self, path: str = "") -> list[ArtifactEntry]:
        rel, target = self._target(path)
        try:
            with os.scandir(target) as it:
                raw = list(it)
        except FileNotFoundError:
            if not rel:
                return []  # a run that logged no artifacts has no folder at all
            raise ResourceNotFound(f"No artifact at {path}") from None
        except NotADirectoryError:
            raise StoreError(f"{path} is a file, not a folder") from None
        except OSError as exc:
            raise _os_problem(exc, path) from None
        entries = []
        for entry in raw:
            try:
                is_dir = entry.is_dir()
                size = None if is_dir else entry.stat().st_size
            except OSError:  # a dangling link or a loop: listed, reading it says why
                is_dir, size = False, None
            entries.append(ArtifactEntry(child_path(rel, entry.name), is_dir, size))
        return sort_entries(entries)

    def size(self, path: str) -> int:
        rel, target = self._target(path)
        try:
            st = target.stat()
        except FileNotFoundError:
            raise ResourceNotFound(f"No artifact file at {path}") from None
        except OSError as exc:
            raise _os_problem(exc, path) from None
        if not rel or os.path.isdir(target):
            raise ResourceNotFound(f"{path or 'The artifact root'} is a folder, not a file")
        return st.st_size

    def read(self, path: str, offset: int, length: int) -> bytes:
        rel, target = self._target(path)
        if not rel:
            raise ResourceNotFound("No artifact file at the artifact root")
        try:
            with open(target, "rb") as fh:
                if offset:
                    fh.seek(offset)
                return fh.read(max(0, length))
        except FileNotFoundError:
            raise ResourceNotFound(f"No artifact file at {path}") from None
        except IsADirectoryError:
            raise ResourceNotFound(f"No artifact file at {path} (a folder)") from None
        except OSError as exc:
            raise _os_problem(exc, path) from None

