"""The REST backend: an MLflow tracking server (``http://`` / ``https://``),
spoken to through MLflow's REST API 2.0 with :mod:`httpx`.

Every method returns what the SQL backend returns for the same data. Where the
REST API cannot give the same answer, the module that works around it says
what happens instead:

- :mod:`.client` (with :mod:`.settings`, :mod:`.failures`): auth, TLS,
  timeouts, retries, one-line errors; :mod:`.versions`: what an older server
  lacks, from the version it reports.
- :mod:`.decode`: MLflow's JSON to entities (NaN, infinities, missing fields).
- :mod:`.experiments`, :mod:`.runs` (searches without counts, offsets as page
  tokens, top-level scans in :mod:`.top_level`, keys, children),
  :mod:`.histories` (downsampling), :mod:`.artifacts`, :mod:`.lifecycle`
  (delete / restore runs), :mod:`.registry` and :mod:`.registry_writes`.
- :mod:`.store`: :class:`RestStore`, which composes those parts; each part is
  given what it uses (the client, the shared :class:`~.state.RestState`, the
  read-only guard) when the store is built.

Only :class:`RestStore` is exported: the store package imports this one lazily,
when a tracking server URL is opened.
"""

from __future__ import annotations

from .store import RestStore

__all__ = ["RestStore"]
