"""Everything that touches MLflow data. Imports nothing from textual."""

from __future__ import annotations

from .base import BaseStore, Capabilities
from .entities import ViewType
from .errors import StoreError, UnsupportedURI
from .uri import resolve_tracking_uri, uri_scheme

__all__ = [
    "BaseStore",
    "Capabilities",
    "StoreError",
    "ViewType",
    "open_store",
    "resolve_tracking_uri",
]


def open_store(uri: str, *, read_only: bool = False) -> BaseStore:
    """Open the store behind a tracking URI (see ``uri.resolve_tracking_uri``)."""
    scheme = uri_scheme(uri)
    if scheme == "sql":
        from .sql import SqlStore

        return SqlStore(uri, read_only=read_only)
    if scheme == "file":
        try:
            from .file import FileStore
        except ImportError:  # pragma: no cover - until the file backend lands
            raise UnsupportedURI(f"mlruns folders are not supported yet: {uri}") from None
        return FileStore(uri, read_only=read_only)
    if scheme == "rest":
        try:
            from .rest import RestStore
        except ImportError:  # pragma: no cover - until the REST backend lands
            raise UnsupportedURI(f"tracking servers are not supported yet: {uri}") from None
        return RestStore(uri, read_only=read_only)
    raise UnsupportedURI(f"Unsupported tracking URI: {uri}")
