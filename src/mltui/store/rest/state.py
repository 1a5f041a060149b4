"""What the parts of one :class:`~.store.RestStore` share besides the HTTP client."""

from __future__ import annotations

from dataclasses import dataclass, field

from .top_level import TopLevelRuns
from .versions import ServerVersion


@dataclass
class RestState:
    """Knowledge about one server that outlives a request.

    ``server_version`` is read by whichever part must decide what the server lacks;
    ``top`` holds the checkpoints of the tree view's top-level scans, which the
    run searches fill and every write that changes which runs exist must clear.
    Parts read ``state.top`` at each use, so it may be replaced (tests do, to scan
    in smaller batches)."""

    server_version: ServerVersion
    top: TopLevelRuns = field(default_factory=TopLevelRuns)
