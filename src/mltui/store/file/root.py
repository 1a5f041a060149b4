"""The ``mlruns`` folder itself: where it is, which experiment folders it holds,
and the log of the files that could not be read.

Every part of the file store is given the :class:`Root` it works in: paths start
from it, and what a part skips (a corrupt ``meta.yaml``, a garbage metric line) is
noted in its :class:`ProblemLog`, so that the store tells the user once, in one
line, instead of failing a whole screen on one bad file, as MLflow skips it too.
"""

from __future__ import annotations

import os
import threading

from ..entities import ViewType
from ..errors import NotAnMlflowStore, StoreNotFound
from .layout import META, MODELS, TRASH, root_path, safe_name
from .meta import MetaError, read_meta


class ProblemLog:
    """Files skipped or partly read, with the reason.

    Worker threads read and write it at once, hence the lock. A file that reads
    fine again (fixed, or rewritten by MLflow) is taken off the log.
    """

    def __init__(self) -> None:
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def note(self, path: str, reason: str | None) -> None:
        """Record why ``path`` was skipped, or (``None``) that it reads fine now."""
        with self._lock:
            if reason is None:
                self._problems.pop(path, None)
            else:
                self._problems[path] = reason

    @property
    def unreadable(self) -> list[str]:
        """Paths of ``meta.yaml`` files skipped because they are empty or corrupt."""
        with self._lock:
            return sorted(p for p in self._problems if p.endswith(META))

    @property
    def problems(self) -> dict[str, str]:
        """Every file skipped or partly read, with the reason."""
        with self._lock:
            return dict(self._problems)

    @property
    def warning(self) -> str | None:
        """One line for the UI about what could not be read, or None."""
        problems = self.problems
        if not problems:
            return None
        metas = [p for p in problems if p.endswith(META)]
        parts = []
        if metas:
            parts.append(f"{len(metas)} unreadable meta.yaml (skipped)")
        others = len(problems) - len(metas)
        if others:
            parts.append(f"{others} metric file(s) with unreadable lines (skipped)")
        first = sorted(problems)[0]
        return f"{', '.join(parts)}; e.g. {first}: {problems[first]}"


class Root:
    """An existing ``mlruns`` folder: the absolute paths of it, its trash and its
    registry, and the :class:`ProblemLog` its readers share.

    Opening checks that the folder looks like one MLflow wrote (an experiment or
    a registered model with a ``meta.yaml``, or a ``.trash``), so a typo in the
    URI is an error rather than an empty screen.
    """

    def __init__(self, uri: str) -> None:
        root = root_path(uri)
        if not root.exists():
            raise StoreNotFound(f"No mlruns folder at {root}")
        if not root.is_dir():
            raise NotAnMlflowStore(f"{root} is a file, not an mlruns folder")
        self.path: str = str(root.absolute())
        self.trash: str = os.path.join(self.path, TRASH)
        """Deleted experiments: ``.trash/<experiment_id>/``."""
        self.models: str = os.path.join(self.path, MODELS)
        """The model registry: ``models/<name>/``."""
        self.problems = ProblemLog()
        if not self._looks_like_mlruns():
            inner = root / "mlruns"
            hint = f"; did you mean {inner}?" if (inner / ".trash").is_dir() else ""
            raise NotAnMlflowStore(
                f"{root} is not an mlruns folder (no experiment folder with a meta.yaml){hint}"
            )

    def _looks_like_mlruns(self) -> bool:
        if os.path.isdir(self.trash):
            return True
        for folder in (self.path, self.models):
            try:
                with os.scandir(folder) as it:
                    for entry in it:
                        if entry.is_dir() and os.path.exists(os.path.join(entry.path, META)):
                            return True
            except OSError:
                continue
        return False

    def experiment_dirs(self, view: ViewType) -> list[tuple[str, str]]:
        """(experiment id, folder) of every experiment folder in ``view``, active
        ones first, each group by name; nothing is read yet."""
        found = []
        parents = []
        if view in (ViewType.ACTIVE, ViewType.ALL):
            parents.append(self.path)
        if view in (ViewType.DELETED, ViewType.ALL):
            parents.append(self.trash)
        for parent in parents:
            try:
                with os.scandir(parent) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            for entry in entries:
                if parent == self.path and entry.name in (TRASH, MODELS):
                    continue
                try:
                    if entry.is_dir():
                        found.append((entry.name, entry.path))
                except OSError:
                    continue
        return found

    def experiment_dir(self, experiment_id: object) -> str | None:
        """The folder of one experiment (active or in the trash) with a
        ``meta.yaml``, or None; an id that is not a plain folder name is None."""
        eid = str(experiment_id) if experiment_id is not None else ""
        if not safe_name(eid) or eid in (TRASH, MODELS):
            return None
        for parent in (self.path, self.trash):
            path = os.path.join(parent, eid)
            if os.path.isfile(os.path.join(path, META)):
                return path
        return None

    def experiment_named(self, name: str) -> tuple[str, str] | None:
        """(experiment id, folder) of the experiment called ``name``, any view, reading
        only ``meta.yaml`` files until it is found: the CLI's ``-e NAME`` and a new
        experiment's name check must not count every experiment's runs."""
        for eid, path in self.experiment_dirs(ViewType.ALL):
            try:
                raw = read_meta(path)
            except (OSError, MetaError):
                continue
            if raw.get("name") == name and str(raw.get("experiment_id")) == eid:
                return eid, path
        return None

    def is_trash(self, experiment_dir: str) -> bool:
        """True for an experiment folder in ``.trash`` (a deleted experiment)."""
        return os.path.dirname(experiment_dir) == self.trash
