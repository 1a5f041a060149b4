"""Saving an artifact (a file or a whole folder) to a local folder, and the
temporary copy ``o`` opens in a pager.

Nothing is written outside the folder the person chose: every path from a
listing is checked (no ``..``, no absolute part, no name that is not a plain
name), every destination is resolved and must stay inside the folder (a
symbolic link planted in it cannot redirect a write), and an existing file is
only replaced when ``overwrite`` says so (the screen asks first). Each file is
written beside its destination and renamed into place: it appears whole or not
at all. Files are copied in :data:`CHUNK` byte ranges, never held whole.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..store.errors import StoreError
from .artifacts import MAX_DEPTH, MAX_WALK_FOLDERS, ArtifactItem, ArtifactSource
from .preview_text import file_name, human_size

CHUNK = 8 << 20
OPEN_MAX = 1 << 30
"""Largest file ``o`` copies for a pager (a 2 GB file would fill /tmp)."""


@dataclass
class SaveResult:
    target: Path
    files: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)
    """One line per entry not written (a hostile name, a link in the way)."""

    @property
    def summary(self) -> str:
        text = f"Saved {self.files:,} file{'s' if self.files != 1 else ''} " \
               f"({human_size(self.bytes)}) to {self.target}"
        if self.skipped:
            text += f"; skipped {len(self.skipped):,}: {self.skipped[0]}"
        return text


def problem_with_folder(text: str) -> str | None:
    """Why ``text`` cannot be the folder to save into (None when it can)."""
    if not text.strip():
        return "Give a folder to save into"
    path = Path(text.strip()).expanduser()
    if not path.exists():
        return f"No such folder: {path}"
    if not path.is_dir():
        return f"{path} is not a folder"
    if not os.access(path, os.W_OK):
        return f"Cannot write into {path} (permission denied)"
    return None


def save_name(item: ArtifactItem) -> str:
    """The name the item gets in the chosen folder (a model's root: the model's name)."""
    name = file_name(item.path) if item.path else ""
    if not name and item.source.model is not None:
        name = item.source.model.name or item.source.model.model_id
    name = name or "artifacts"
    return re.sub(r"[\x00-\x1f/\\]", "_", name).strip(". ") or "artifact"


def destination(folder: Path, item: ArtifactItem) -> Path:
    """Where saving ``item`` into ``folder`` writes (to ask before overwriting)."""
    return Path(folder).expanduser() / save_name(item)


def _inside(root: Path, path: Path) -> bool:
    try:
        path.resolve().relative_to(root)
    except (ValueError, OSError):
        return False
    return True


def _copy_file(source: ArtifactSource, path: str, size: int | None, dest: Path) -> int:
    """Copy one artifact file to ``dest`` through a part file renamed into place."""
    part = dest.with_name(f".{dest.name}.mltui-part")
    written = 0
    with contextlib.suppress(FileNotFoundError):
        part.unlink()  # left by a crash; a link there is removed, never followed
    try:
        with open(part, "xb") as out:
            while size is None or written < size:
                want = CHUNK if size is None else min(CHUNK, size - written)
                data = source.read(path, written, want)
                if not data:
                    break
                out.write(data)
                written += len(data)
                if len(data) < want:
                    break
        os.replace(part, dest)
    except OSError as exc:
        with contextlib.suppress(OSError):
            part.unlink()
        raise StoreError(f"Cannot write {dest}: {exc.strerror or exc}") from None
    except BaseException:
        with contextlib.suppress(OSError):
            part.unlink()
        raise
    return written


def save_artifact(item: ArtifactItem, folder: Path, overwrite: bool = False) -> SaveResult:
    """Write ``item`` (a file, or a folder and everything under it) into ``folder``.
    Raises StoreError when the destination exists and ``overwrite`` is False."""
    root = Path(folder).expanduser().resolve(strict=True)
    target = root / save_name(item)
    result = SaveResult(target)
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise StoreError(f"{target} exists; not overwritten")
    if target.is_symlink():
        raise StoreError(f"{target} is a symbolic link; not written through")
    if not item.is_dir:
        result.bytes += _copy_file(item.source, item.path, item.entry.size, target)
        result.files += 1
        return result
    _save_folder(item, root, target, result)
    return result


def _save_folder(item: ArtifactItem, root: Path, target: Path, result: SaveResult) -> None:
    prefix = f"{item.path}/" if item.path else ""
    pending: list[tuple[str, int]] = [(item.path, 0)]
    listed = 0
    while pending:
        folder, depth = pending.pop()
        if depth > MAX_DEPTH or listed >= MAX_WALK_FOLDERS:
            result.skipped.append(f"{folder or '/'}: too deep or too many folders")
            continue
        listed += 1
        here = target.joinpath(*PurePosixPath(folder[len(prefix):]).parts) \
            if folder != item.path else target
        try:
            here.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create {here}: {exc.strerror or exc}") from None
        if not _inside(root, here):
            result.skipped.append(f"{folder}: leads outside {root}")
            continue
        for entry in item.source.entries(folder):
            rel = entry.path[len(prefix):] if entry.path.startswith(prefix) else ""
            parts = PurePosixPath(rel).parts
            if (not rel or any(p in ("..", ".", "") for p in parts) or rel.startswith("/")
                    or "\x00" in rel or not entry.path.startswith(f"{folder}/" if folder
                                                                   else "")):
                result.skipped.append(f"{entry.path!r}: not a path inside {item.path or '/'}")
                continue
            dest = target.joinpath(*parts)
            if entry.is_dir:
                pending.append((entry.path, depth + 1))
                continue
            if dest.is_symlink() or dest.is_dir() or not _inside(root, dest.parent):
                result.skipped.append(f"{entry.path}: a link or folder is in the way")
                continue
            result.bytes += _copy_file(item.source, entry.path, entry.size, dest)
            result.files += 1


def temp_copy(item: ArtifactItem) -> Path:
    """A private temporary copy of a file for a pager or editor (delete its folder
    with :func:`discard_temp`); the artifact itself is never opened for writing."""
    if item.is_dir:
        raise StoreError("Open works on files; s saves a folder")
    size = item.entry.size if item.entry.size is not None else item.source.size(item.path)
    if size > OPEN_MAX:
        raise StoreError(f"{human_size(size)} is too large to open (s saves it)")
    folder = Path(tempfile.mkdtemp(prefix="mltui-"))
    dest = folder / save_name(item)
    try:
        _copy_file(item.source, item.path, size, dest)
    except BaseException:
        discard_temp(dest)
        raise
    return dest


def discard_temp(path: Path) -> None:
    shutil.rmtree(path.parent, ignore_errors=True)
