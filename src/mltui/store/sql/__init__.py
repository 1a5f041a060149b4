"""The SQL backend (sqlite, PostgreSQL, MySQL) as parts sharing one
:class:`~.database.Database`; :class:`SqlStore` composes them."""

from __future__ import annotations

from .store import SqlStore

__all__ = ["SqlStore"]
