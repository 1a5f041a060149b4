"""Everything that touches MLflow data. Imports nothing from textual."""

from __future__ import annotations

from collections.abc import Mapping

from .base import BaseStore, Capabilities
from .entities import ViewType
from .errors import StoreError, StoreNotFound, UnsupportedURI
from .secrets import remember_uri_secrets
from .shared import safe_uri
from .uri import resolve_tracking_uri, uri_scheme

__all__ = [
    "BaseStore",
    "Capabilities",
    "StoreError",
    "ViewType",
    "open_store",
    "resolve_tracking_uri",
]


def open_store(uri: str, *, read_only: bool = False,
               env: Mapping[str, str] | None = None) -> BaseStore:
    """Open the store behind a tracking URI (see ``uri.resolve_tracking_uri``).

    ``env`` replaces ``os.environ`` as where a tracking server's credentials and
    TLS settings are read (a named connection's, see ``mltui.connections``).
    The password of ``uri`` is masked in every error from then on; a path the
    user may not enter or a URI that does not parse is a one-line StoreError."""
    remember_uri_secrets(uri)
    try:
        return _open(uri, read_only, env)
    except StoreError:
        raise
    except PermissionError as exc:
        where = exc.filename or safe_uri(uri)
        raise StoreNotFound(f"Cannot open {where}: permission denied") from None
    except ValueError as exc:
        raise UnsupportedURI(f"Not a valid tracking URI {safe_uri(uri)}: {exc}") from None


def _open(uri: str, read_only: bool, env: Mapping[str, str] | None) -> BaseStore:
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
            raise UnsupportedURI(
                f"tracking servers are not supported yet: {safe_uri(uri)}") from None
        return RestStore(uri, read_only=read_only, env=env)
    raise UnsupportedURI(f"Unsupported tracking URI: {safe_uri(uri)}")
