"""Errors a store raises. Each carries a one-line message fit for a user.

The UI and the CLI catch :class:`StoreError` in one place and show ``str(err)``;
anything else that escapes is a bug.
"""

from __future__ import annotations

from .secrets import mask_secrets


class StoreError(Exception):
    """A failure the user can act on; ``str(err)`` is a single line.

    The message never holds a password: one quoted from a URI or from the
    environment is masked when the error is made (:func:`.secrets.mask_secrets`)."""

    def __init__(self, *args: object) -> None:
        super().__init__(*(mask_secrets(a) if isinstance(a, str) else a for a in args))


class StoreNotFound(StoreError):
    """The URI points at nothing (a missing file, an unknown host)."""


class NotAnMlflowStore(StoreError):
    """The URI points at something that is not MLflow tracking data."""


class UnsupportedURI(StoreError):
    """No backend understands this URI."""


class ResourceNotFound(StoreError):
    """An experiment, run, model or version that does not exist."""


class InvalidSearch(StoreError):
    """A filter or order_by string that MLflow would reject.

    ``position`` is the 0-based offset in the searched text where the problem
    was found, when it is known.
    """

    def __init__(self, message: str, position: int | None = None, text: str | None = None):
        super().__init__(message)
        self.position = position
        self.text = text


class InvalidValue(StoreError):
    """A write argument that MLflow would reject (e.g. a reserved alias name)."""


class ReadOnlyError(StoreError):
    """A write was asked of a store opened read-only."""


class ConflictError(StoreError):
    """Somebody else changed the object since it was shown; nothing was written."""


class RemoteError(StoreError):
    """The tracking server failed or could not be reached."""


class AuthError(RemoteError):
    """The tracking server said 401 or 403."""
