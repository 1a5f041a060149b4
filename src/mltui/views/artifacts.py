"""A run's artifacts as the browser shows them: the run's own files, and those of
the MLflow 3 logged models the run produced, as one tree.

MLflow 3's ``mlflow.<flavor>.log_model`` stores a model beside the run, not among
its artifacts; the browser lists each such model as a folder at the top of the
tree (``model: name (m-…)``), so ``MLmodel`` is where people look for it.
Everything here may block (it asks the store) and runs in worker threads.
"""

from __future__ import annotations

import posixpath
from collections import deque
from dataclasses import dataclass, field

from ..store.base import BaseStore
from ..store.entities import ArtifactEntry, LoggedModel, Run
from ..store.errors import StoreError
from ..textfmt import safe_text
from .preview_text import file_name

MAX_WALK_FOLDERS = 2000
"""Folders a find (or a folder save) lists at most: a hostile or huge tree ends."""
MAX_DEPTH = 32
"""Deepest folder a walk enters (a symlink loop on disk has no bottom)."""


@dataclass(frozen=True, eq=False)
class ArtifactSource:
    """Whose artifacts: a run's, or one of its logged models'. Reads go to the store."""

    store: BaseStore
    run: Run
    model: LoggedModel | None = None

    @property
    def key(self) -> str:
        """Stable name of the source across runs: ``""`` for the run, the model's name."""
        return "" if self.model is None else f"model:{self.model.name or self.model.model_id}"

    @property
    def root_uri(self) -> str:
        if self.model is not None:
            return self.model.artifact_location or f"models:/{self.model.model_id}"
        return self.run.artifact_uri

    def uri(self, path: str) -> str:
        """The full URI of ``path`` (what ``y`` copies, as MLflow's UI shows it)."""
        root = self.root_uri.rstrip("/")
        return f"{root}/{path}" if path else root

    def model_uri(self, folder: str) -> str:
        """What MLflow loads for a model in ``folder``: ``models:/m-…`` for a logged
        model's root, else ``runs:/RUN/folder``."""
        if self.model is not None and not folder:
            return f"models:/{self.model.model_id}"
        if self.model is not None:
            return f"models:/{self.model.model_id}/{folder}"
        return f"runs:/{self.run.run_id}/{folder}" if folder else f"runs:/{self.run.run_id}"

    def entries(self, path: str = "") -> list[ArtifactEntry]:
        if self.model is not None:
            return self.store.list_model_artifacts(self.model, path)
        return self.store.list_artifacts(self.run.run_id, path)

    def size(self, path: str) -> int:
        if self.model is not None:
            return self.store.model_artifact_size(self.model, path)
        return self.store.artifact_size(self.run.run_id, path)

    def read(self, path: str, offset: int, length: int) -> bytes:
        if self.model is not None:
            return self.store.read_model_artifact_range(self.model, path, offset, length)
        return self.store.read_artifact_range(self.run.run_id, path, offset, length)


@dataclass(frozen=True, eq=False)
class ArtifactItem:
    """One node of the tree: a file or folder of a source (a model's root is a folder
    with path "")."""

    source: ArtifactSource
    entry: ArtifactEntry
    label: str = ""
    """What the tree shows; the file name when empty."""

    @property
    def path(self) -> str:
        return self.entry.path

    @property
    def name(self) -> str:
        return self.label or safe_text(file_name(self.entry.path))

    @property
    def is_dir(self) -> bool:
        return self.entry.is_dir


@dataclass
class RootListing:
    """The top of a run's tree: its artifacts, then its logged models."""

    run: Run
    items: list[ArtifactItem] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """One line per part that could not be listed (the rest still shows)."""


def model_label(model: LoggedModel) -> str:
    """``model: name (m-1a2b3c4d…)``: the id cut, the header shows it whole."""
    short = model.model_id if len(model.model_id) <= 12 else model.model_id[:10] + "…"
    return safe_text(f"model: {model.name or '?'} ({short})")


def load_root(store: BaseStore, run_id: str) -> RootListing:
    """The run (fresh) and the top of its tree. A run's listing that fails is a
    problem line, not an exception: the logged models may still be readable."""
    detail = store.get_run(run_id)
    run = detail.run
    listing = RootListing(run)
    source = ArtifactSource(store, run)
    try:
        listing.items = items_of(source, "", source.entries(""))
    except StoreError as exc:
        listing.problems.append(str(exc))
    if store.capabilities.logged_models:
        wanted = {out.model_id for out in detail.outputs}
        try:
            models = store.list_logged_models(run.experiment_id)
        except StoreError as exc:
            listing.problems.append(f"Logged models: {exc}")
            models = []
        for model in models:
            if model.model_id in wanted or model.source_run_id == run.run_id:
                item = ArtifactItem(ArtifactSource(store, run, model),
                                    ArtifactEntry("", True, None), model_label(model))
                listing.items.append(item)
    return listing


def load_model_root(store: BaseStore, model: LoggedModel) -> RootListing:
    """The top of one logged model's own tree (the logged model screen): its files
    at the root, not under a ``model:`` folder. The listing's run stands for the
    model (its source run id, the model's name and artifact location), so the
    browser's parts that name a run still have one."""
    run = Run(run_id=model.source_run_id, experiment_id=model.experiment_id,
              run_name=model.name, artifact_uri=model.artifact_location)
    source = ArtifactSource(store, run, model)
    return RootListing(run, items_of(source, "", source.entries("")))


def items_of(source: ArtifactSource, folder: str, entries: list[ArtifactEntry]
             ) -> list[ArtifactItem]:
    """Tree items for the entries of ``folder``. An entry that is not a plain name
    inside it (``../../etc/passwd`` from a hostile server) shows its whole path:
    reading it is refused, and the tree must not pass it off as ``passwd``."""
    prefix = f"{folder}/" if folder else ""
    items = []
    for entry in entries:
        name = entry.path[len(prefix):] if entry.path.startswith(prefix) else ""
        plain = bool(name) and "/" not in name and name not in (".", "..")
        label = "" if plain else safe_text(f"{entry.path} (invalid path)")
        items.append(ArtifactItem(source, entry, label))
    return items


def load_children(item: ArtifactItem) -> list[ArtifactItem]:
    """The entries of a folder item (an empty list for an empty folder)."""
    return items_of(item.source, item.path, item.source.entries(item.path))


def walk_matches(
    listing: RootListing, query: str, known: dict[tuple[str, str], list[ArtifactItem]],
    limit: int = 200,
) -> tuple[list[ArtifactItem], dict[tuple[str, str], list[ArtifactItem]]]:
    """Items whose name holds ``query`` (case-insensitive), breadth first through
    the whole tree, and the folder listings read on the way (keyed by source key and
    folder path), so the tree can show where they are. ``known`` listings are not
    asked again. At most :data:`MAX_WALK_FOLDERS` folders are listed."""
    needle = query.casefold()
    found: list[ArtifactItem] = []
    fetched: dict[tuple[str, str], list[ArtifactItem]] = {}
    queue = deque((item, 1) for item in listing.items)
    listed = 0
    while queue and len(found) < limit:
        item, depth = queue.popleft()
        if item.entry.path and needle in file_name(item.path).casefold():
            found.append(item)
        if not item.is_dir or depth > MAX_DEPTH:
            continue
        key = (item.source.key, item.path)
        children = known.get(key)
        if children is None:
            if listed >= MAX_WALK_FOLDERS:
                continue
            listed += 1
            try:
                children = load_children(item)
            except StoreError:
                continue  # an unreadable folder: skip it, as find(1) does
            fetched[key] = children
        queue.extend((child, depth + 1) for child in children)
    return found, fetched


def reveal(
    listing: RootListing, source_key: str, path: str,
    known: dict[tuple[str, str], list[ArtifactItem]],
) -> tuple[ArtifactItem | None, dict[tuple[str, str], list[ArtifactItem]]]:
    """The item at ``path`` of the source named ``source_key`` (the same artifact in
    another run, for ``n``/``N``), with the folder listings on the way to it."""
    fetched: dict[tuple[str, str], list[ArtifactItem]] = {}
    level = listing.items
    if source_key:
        top = next((i for i in level if i.source.key == source_key and not i.path), None)
        if top is None:
            return None, fetched
        if not path:
            return top, fetched
        level = known.get((source_key, "")) or load_children(top)
        fetched[(source_key, "")] = level
    parts = [p for p in path.split("/") if p]
    for depth in range(len(parts)):
        want = "/".join(parts[: depth + 1])
        item = next((i for i in level if i.path == want), None)
        if item is None:
            return None, fetched
        if depth == len(parts) - 1:
            return item, fetched
        if not item.is_dir:
            return None, fetched
        key = (source_key, item.path)
        level = known.get(key) or load_children(item)
        fetched[key] = level
    return None, fetched


def parent_path(path: str) -> str:
    return posixpath.dirname(path.rstrip("/"))
