"""What an older tracking server lacks, decided from the MLflow version it reports.

Every filter mltui builds itself (``LIKE '%'`` for "has a parent",
``tags.`mlflow.parentRunId` = 'id'`` for children, ``attributes.run_id IN
(...)``, ``name ILIKE`` and the prompt tag on registry searches) is accepted by
every server tested (real MLflow 2.9.2 and 3.10.1, ``tests/test_old_servers.py``).
What a server lacks is decided from its version (``GET /version``, asked once,
only when a decision needs it; a server that does not say is treated as the
newest), so the person reads one line saying why instead of a server's
"Invalid clause(s)":

- ``IS NULL`` / ``IS NOT NULL`` (params and tags) need MLflow :data:`IS_NULL_SINCE`:
  a filter using them is refused before it is sent.
- Prompts need :data:`PROMPTS_SINCE`: older servers are not asked for them.
- Aliases need :data:`ALIASES_SINCE`: their endpoints answer 404 on older servers,
  which is said in the same words.
- ``get-history-bulk-interval`` and logged models are detected by their 404.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from functools import lru_cache

from ..errors import InvalidSearch, StoreError
from ..search import Clause, parse_filter

Version = tuple[int, int, int]
"""An MLflow release as (major, minor, patch)."""

IS_NULL_SINCE: Version = (3, 11, 0)
"""``IS NULL`` / ``IS NOT NULL`` on params and tags in run filters (older: HTTP 400)."""
PROMPTS_SINCE: Version = (2, 21, 0)
"""The prompt registry (prompts are registered models tagged ``mlflow.prompt.is_prompt``)."""
ALIASES_SINCE: Version = (2, 3, 0)
"""Registered model aliases (older servers have no ``registered-models/alias``)."""
NULL_TESTS = ("IS NULL", "IS NOT NULL")

_VERSION_RE = re.compile(r"v?(\d+)\.(\d+)(?:\.(\d+))?(?:[.+\-]?[0-9A-Za-z][0-9A-Za-z.+\-]*)?")


def parse_version(text: str | None) -> Version | None:
    """The release in a ``/version`` answer: ``2.9.2``, ``3.11.0rc0``, ``3.12.0.dev0``,
    ``2.9.2+custom``; None for anything else (an HTML page, JSON, an empty body).

    A pre-release or dev build counts as its release: features land before the
    release candidate, and if a dev build lacks one the server's own error still
    reaches the person."""
    if not text:
        return None
    match = _VERSION_RE.fullmatch(text.strip())
    if match is None:
        return None
    major, minor, patch = match.groups()
    return int(major), int(minor), int(patch or 0)


def release(version: Version) -> str:
    """``(3, 11, 0)`` as people write it: ``3.11`` (``3.11.1`` keeps its patch)."""
    major, minor, patch = version
    return f"{major}.{minor}" + (f".{patch}" if patch else "")


def older_than(server: str | None, since: Version) -> bool:
    """True only when the server reported a version before ``since``; a server that
    does not say is taken for a new one (its own errors still reach the person)."""
    parsed = parse_version(server)
    return parsed is not None and parsed < since


def too_old(server: str, what: str, since: Version, verb: str = "needs") -> str:
    """The one line that says why a feature is missing (``verb``: "need" after a plural)."""
    return f"This server runs MLflow {server}; {what} {verb} MLflow {release(since)} or newer"


@lru_cache(maxsize=256)
def _null_tests(filter_string: str) -> tuple[Clause, ...]:
    # parsed again for every page of a scan: keep the answer
    return tuple(c for c in parse_filter(filter_string) if c.comparator in NULL_TESTS)


def unsupported_filter(filter_string: str, server: str | None) -> InvalidSearch | None:
    """Why a server of version ``server`` would reject a filter mltui's grammar
    accepts, pointing at the first clause it lacks (None: it would accept it)."""
    if not filter_string or "NULL" not in filter_string.upper():
        return None
    clauses = _null_tests(filter_string)
    if not clauses or not older_than(server, IS_NULL_SINCE):
        return None
    first = clauses[0]
    return InvalidSearch(
        too_old(str(server), first.comparator, IS_NULL_SINCE), position=first.start,
        text=filter_string,
    )


VersionAnswer = tuple[bool, str | None]
"""What one ``/version`` request told: (definite, version). Not definite: the
server could not be asked (network, auth), so ask again next time."""


class ServerVersion:
    """The server's MLflow version, asked at most once (thread-safe), and the
    decisions made from it. ``ask`` is the request (``RestClient.ask_version``);
    it is only called when a decision needs the version."""

    def __init__(self, ask: Callable[[], VersionAnswer]):
        self._ask = ask
        self._version: str | None = None
        self._known = False
        """True once ``/version`` answered (with a version or with a definite no)."""
        self._lock = threading.Lock()

    def get(self) -> str | None:
        """The version the server reports (``"2.9.2"``), None when it does not say.

        A definite answer is kept for the store's life; a network or auth failure
        is not, and the request that needed the version reports that failure itself."""
        if self._known:
            return self._version
        with self._lock:
            if not self._known:
                definite, version = self._ask()
                if not definite:
                    return None
                self._version, self._known = version, True
            return self._version

    def older_than(self, since: Version) -> bool:
        return older_than(self.get(), since)

    def lacking(self, exc: StoreError, what: str, since: Version) -> StoreError:
        """An endpoint's 404 in words, when the server's version explains it
        (``what`` is plural); else ``exc`` itself."""
        server = self.get()
        if server is not None and older_than(server, since):
            return StoreError(too_old(server, what, since, "need"))
        return exc

    def check_filter(self, filter_string: str) -> InvalidSearch | None:
        """Why this server would reject a run filter that MLflow's newest grammar
        accepts (None: it would not). Asks the version only when the filter uses
        something older servers lack."""
        if not filter_string or "NULL" not in filter_string.upper():
            return None  # the common case: no parse, no version
        if not _null_tests(filter_string):
            return None
        return unsupported_filter(filter_string, self.get())
