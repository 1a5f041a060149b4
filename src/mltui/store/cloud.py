"""Artifacts in object stores (``s3://``, ``gs://``, ``wasbs://``…) read directly,
without a tracking server's proxy, through fsspec.

fsspec and its filesystem packages are optional extras (``mltui[s3]``,
``mltui[gcs]``, ``mltui[azure]``): most people reach cloud artifacts through a
server with ``--serve-artifacts`` and should not install botocore for nothing.
Without them the reader is a one-line error naming the extra to install.
Credentials come from where each SDK looks (environment, profiles, instance
metadata), as they do for MLflow; ``MLFLOW_S3_ENDPOINT_URL`` (MinIO, a local
S3) is honoured as MLflow honours it.
"""

from __future__ import annotations

import os
import posixpath
from typing import Any
from urllib.parse import urlparse

from .artifacts import ArtifactReader, child_path, clean_artifact_path, sort_entries
from .entities import ArtifactEntry
from .errors import ResourceNotFound, StoreError

EXTRAS = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gcs", "gcs": "gcs",
          "wasbs": "azure", "wasb": "azure", "abfss": "azure", "abfs": "azure", "az": "azure"}
"""URI scheme -> the mltui extra that reads it."""


def missing_extra(scheme: str) -> StoreError:
    extra = EXTRAS.get(scheme)
    if extra is None:
        return StoreError(
            f"Artifacts at {scheme}:// are not readable from here; point mltui at a "
            "tracking server started with --serve-artifacts"
        )
    return StoreError(
        f"Artifacts at {scheme}:// need the {extra} extra: pip install 'mltui[{extra}]' "
        "(or a tracking server started with --serve-artifacts)"
    )


def _fs_url(uri: str) -> tuple[str, dict[str, Any]]:
    """The fsspec URL and options for an MLflow artifact URI."""
    parsed = urlparse(uri)
    scheme = parsed.scheme
    options: dict[str, Any] = {}
    if scheme in ("s3", "s3a", "s3n"):
        endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL")
        if endpoint:
            options["client_kwargs"] = {"endpoint_url": endpoint}
        return f"s3://{parsed.netloc}{parsed.path}", options
    if scheme in ("wasbs", "wasb") and "@" in parsed.netloc:
        # MLflow's wasbs://container@account.blob.core.windows.net/path
        container, host = parsed.netloc.split("@", 1)
        options["account_name"] = host.split(".", 1)[0]
        return f"abfs://{container}{parsed.path}", options
    return uri, options


def cloud_reader(uri: str) -> ArtifactReader:
    """A reader for ``uri`` through fsspec, or a StoreError naming the extra."""
    scheme = urlparse(uri).scheme
    if scheme not in EXTRAS:
        raise missing_extra(scheme)
    try:
        import fsspec
    except ImportError:
        raise missing_extra(scheme) from None
    url, options = _fs_url(uri)
    try:
        fs, root = fsspec.core.url_to_fs(url, **options)
    except ImportError:  # fsspec is there, the filesystem package (s3fs, gcsfs) is not
        raise missing_extra(scheme) from None
    except Exception as exc:  # any SDK's configuration error, as one line
        raise StoreError(f"Cannot open {uri}: {_reason(exc)}") from None
    return FsspecArtifacts(fs, root, uri)


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:200] or type(exc).__name__


class FsspecArtifacts(ArtifactReader):
    """An artifact root on an fsspec filesystem."""

    def __init__(self, fs: Any, root: str, uri: str):
        self.fs = fs
        self.root = root.rstrip("/")
        self.uri = uri

    def _target(self, path: str) -> tuple[str, str]:
        rel = clean_artifact_path(path)
        return rel, posixpath.join(self.root, rel) if rel else self.root

    def _fail(self, exc: Exception, path: str) -> StoreError:
        if isinstance(exc, FileNotFoundError):
            return ResourceNotFound(f"No artifact at {path}")
        if isinstance(exc, PermissionError):
            return StoreError(f"Permission denied reading {path or self.uri}")
        if isinstance(exc, StoreError):
            return exc
        return StoreError(f"Cannot read {path or self.uri} at {self.uri}: {_reason(exc)}")

    def entries(self, path: str = "") -> list[ArtifactEntry]:
        rel, target = self._target(path)
        try:
            infos = self.fs.ls(target, detail=True, refresh=True)
        except FileNotFoundError:
            if not rel:
                return []
            raise ResourceNotFound(f"No artifact at {path}") from None
        except Exception as exc:  # SDK errors differ per cloud: one line each
            raise self._fail(exc, path) from None
        first = str(infos[0].get("name", "")).rstrip("/") if len(infos) == 1 else None
        if first == target and infos[0].get("type") != "directory":
            raise StoreError(f"{path} is a file, not a folder")  # ls of a file: the file
        entries = []
        for info in infos:
            full = str(info.get("name", "")).rstrip("/")
            name = posixpath.basename(full)
            if not name or full == target:
                continue
            is_dir = info.get("type") == "directory"
            size = None if is_dir else int(info.get("size") or 0)
            entries.append(ArtifactEntry(child_path(rel, name), is_dir, size))
        return sort_entries(entries)

    def size(self, path: str) -> int:
        rel, target = self._target(path)
        try:
            info = self.fs.info(target)
        except Exception as exc:
            raise self._fail(exc, path) from None
        if not rel or info.get("type") == "directory":
            raise ResourceNotFound(f"No artifact file at {path} (a folder)")
        return int(info.get("size") or 0)

    def read(self, path: str, offset: int, length: int) -> bytes:
        rel, target = self._target(path)
        if not rel:
            raise ResourceNotFound("No artifact file at the artifact root")
        if length <= 0:
            return b""
        try:
            # one ranged GET: fsspec asks the object store for these bytes only
            return bytes(self.fs.cat_file(target, start=offset, end=offset + length))
        except Exception as exc:
            raise self._fail(exc, path) from None
