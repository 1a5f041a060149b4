"""The artifact browser: the tree of a run's artifacts beside the preview of the
one under the cursor. A widget, so it sits in a tab of the run screen as well as
full size in :class:`~.artifacts.ArtifactsScreen`; it lives with the screens
because it asks the store (in workers, through ``views.artifacts``), which the
widgets below it never do.

Keys (each binding has an id, remappable): ``/`` finds by name in the tree, or
searches the text when the preview has focus; ``s`` saves the file or folder
(asking where, never overwriting without asking); ``y`` copies the artifact's
URI (OSC 52); ``c`` copies ``mlflow models serve …`` on a model; ``o`` opens a
copy in ``$PAGER`` (else ``$EDITOR``) with the app suspended; ``tab`` moves
between tree and preview.
"""

from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from ..background import run_blocking
from ..store.base import BaseStore
from ..store.entities import LoggedModel, Run
from ..textfmt import safe_text
from ..views.artifact_save import (
    destination,
    discard_temp,
    problem_with_folder,
    save_artifact,
    temp_copy,
)
from ..views.artifacts import (
    ArtifactItem,
    RootListing,
    load_children,
    load_model_root,
    load_root,
    reveal,
)
from ..views.artifacts import walk_matches as walk
from ..views.preview_types import ModelPreview, Preview
from ..views.previews import load_preview
from ..widgets.artifact_preview import ArtifactPreview
from ..widgets.artifact_tree import ArtifactTree
from .clipboard import copy_text
from .dialogs import ConfirmDialog, PromptDialog

if TYPE_CHECKING:
    from ..app import MltuiApp


class ArtifactBrowser(Vertical):
    DEFAULT_CSS = """
    ArtifactBrowser { height: 1fr; }
    ArtifactBrowser > Horizontal { height: 1fr; }
    ArtifactBrowser #artifact-right { width: 2fr; }
    ArtifactBrowser #artifact-header { height: 2; padding: 0 1; color: $text-muted;
                                       text-wrap: nowrap; text-overflow: ellipsis; }
    ArtifactBrowser #artifact-find { dock: bottom; display: none; }
    ArtifactBrowser #artifact-find.-open { display: block; }
    """
    BINDINGS = [
        Binding("slash", "find", "Find", id="artifacts.find"),
        Binding("s", "save", "Save", id="artifacts.save"),
        Binding("y", "copy_uri", "Copy URI", id="artifacts.copy_uri"),
        Binding("c", "copy_serve", "Copy serve command", id="artifacts.copy_serve"),
        Binding("o", "open_pager", "Open in pager", id="artifacts.open_pager"),
        Binding("r,ctrl+r", "reload", "Reload", show=False, id="artifacts.reload"),
        Binding("escape", "close_find", "Close find", show=False, id="artifacts.close_find"),
    ]
    PREVIEW_DELAY = 0.08
    """Seconds the cursor rests on an item before its preview is read (j held down
    reads one file, not fifty)."""

    class RunShown(Message):
        """The browser shows (the fresh) ``run``; the owner updates its status line."""

        def __init__(self, browser: ArtifactBrowser, run: Run):
            super().__init__()
            self.browser = browser
            self.run = run

    def __init__(self, run_id: str, *, path: str = "", source_key: str = "",
                 model: LoggedModel | None = None, **kwargs):
        super().__init__(**kwargs)
        self.run_id = run_id
        self.model = model
        """A logged model whose own files the browser shows (the logged model
        screen), instead of a run's artifacts and models."""
        self.listing: RootListing | None = None
        self.item: ArtifactItem | None = None
        self.preview: Preview | None = None
        self._want = (source_key, path)
        self._timer: Timer | None = None
        self._find_in_tree = True

    @property
    def store(self) -> BaseStore:
        store = cast("MltuiApp", self.app).store
        if store is None:  # pragma: no cover - browsers exist only once a store is open
            raise RuntimeError("no store is open yet")
        return store

    @property
    def artifact_tree(self) -> ArtifactTree:
        return self.query_one(ArtifactTree)

    @property
    def pane(self) -> ArtifactPreview:
        return self.query_one(ArtifactPreview)

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield ArtifactTree(id="artifact-tree")
            with Vertical(id="artifact-right"):
                yield Static(id="artifact-header")
                yield ArtifactPreview(id="artifact-preview")
        yield Input(id="artifact-find")

    def on_mount(self) -> None:
        self.artifact_tree.focus()
        self.action_reload()

    # -- loading ---------------------------------------------------------------------
    def show_run(self, run_id: str, keep_place: bool = True) -> None:
        """Show another run's artifacts; with ``keep_place`` the same path (the
        confusion matrix of run A, then of run B)."""
        if keep_place and self.item is not None:
            self._want = (self.item.source.key, self.item.path)
        self.run_id = run_id
        self.action_reload()

    def action_reload(self) -> None:
        if self.item is not None and self._want == ("", ""):
            self._want = (self.item.source.key, self.item.path)
        self._header(Text("Loading…", style="dim"))
        if self.model is not None:
            run_blocking(self, load_model_root, self.store, self.model, done=self._root_loaded,
                         failed=self._root_failed, group="artifacts-root")
            return
        run_blocking(self, load_root, self.store, self.run_id, done=self._root_loaded,
                     failed=self._root_failed, group="artifacts-root")

    def _root_failed(self, message: str) -> None:
        self.listing = None
        self.artifact_tree.clear_items()
        self._header(Text(""))
        self.pane.show_message(message)

    def _root_loaded(self, listing: RootListing) -> None:
        self.listing = listing
        self.item = None
        self.post_message(self.RunShown(self, listing.run))
        self.artifact_tree.fill_root(listing.items)
        if not listing.items:
            self._header(Text(safe_text(listing.run.artifact_uri), style="dim"))
            problem = "; ".join(listing.problems)
            empty = "This model has no files" if self.model is not None else \
                "This run has no artifacts"
            self.pane.show_message(problem or empty, error=bool(problem))
            return
        for problem in listing.problems:
            self.app.notify(problem, severity="warning")
        key, path = self._want
        self._want = ("", "")
        if path or key:
            self._go_to(key, path)

    def go_to(self, path: str, source_key: str = "") -> None:
        """Put the cursor on ``path`` (of the logged model ``source_key``, e.g.
        ``model:model``), opening the folders on the way; a message if it is not there."""
        if self.listing is None:
            self._want = (source_key, path)
        else:
            self._go_to(source_key, path)

    def _go_to(self, key: str, path: str) -> None:
        if self.artifact_tree.reveal(key, path):
            return
        listing = self.listing
        if listing is None:
            return

        def found(result: tuple[ArtifactItem | None, dict]) -> None:
            item, fetched = result
            self.artifact_tree.add_listings(fetched)
            if item is None or not self.artifact_tree.reveal(item.source.key, item.path):
                # the message stays: no preview of the first row, due or in flight,
                # may replace it (the cursor's next move previews again)
                if self._timer is not None:
                    self._timer.stop()
                self.item = None
                where = f"{key.removeprefix('model:')}:{path}" if key else path
                self.pane.show_message(f"No {where} in this run", error=False)
                self._header(Text(safe_text(where), style="dim"))

        run_blocking(self, reveal, listing, key, path, self.artifact_tree.listings(), done=found,
                     failed=self.pane.show_message, group="artifacts-reveal")

    @on(ArtifactTree.ChildrenWanted)
    def _children_wanted(self, event: ArtifactTree.ChildrenWanted) -> None:
        item = event.item

        def failed(message: str) -> None:
            self.artifact_tree.fill(item, [])
            self.pane.show_message(message)

        run_blocking(self, load_children, item,
                     done=lambda items: self.artifact_tree.fill(item, items),
                     failed=failed, group=f"artifacts-children-{item.source.key}-{item.path}",
                     exclusive=False)

    @on(ArtifactTree.Highlighted)
    def _highlighted(self, event: ArtifactTree.Highlighted) -> None:
        item = event.item
        self.item = item
        self._header(Text(safe_text(item.source.uri(item.path)), style="bold"))
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self.PREVIEW_DELAY, lambda: self._load_preview(item))

    @on(ArtifactTree.Chosen)
    def _chosen(self, _event: ArtifactTree.Chosen) -> None:
        self.pane.focus()  # enter on a file: read it

    def _load_preview(self, item: ArtifactItem) -> None:
        if item is not self.item:
            return
        run_blocking(self, load_preview, item,
                     done=lambda preview: self._preview_loaded(item, preview),
                     failed=self.pane.show_message, group="artifacts-preview")

    def _preview_loaded(self, item: ArtifactItem, preview: Preview) -> None:
        if item is not self.item:
            return  # the cursor moved on (or a message took the pane) meanwhile
        self.preview = preview
        self.pane.show(preview)
        if self.item is not None:
            header = Text(safe_text(self.item.source.uri(self.item.path)), style="bold")
            header.append("\n" + preview.summary, style="dim")
            self._header(header)

    def _header(self, text: Text) -> None:
        # one line each for the URI and the summary, cut at the edge, never wrapped
        text.no_wrap, text.overflow = True, "ellipsis"
        self.query_one("#artifact-header", Static).update(text)

    # -- find ----------------------------------------------------------------------------
    def action_find(self) -> None:
        self._find_in_tree = not self.pane.has_focus
        box = self.query_one("#artifact-find", Input)
        box.placeholder = ("find by name (enter: next)" if self._find_in_tree else
                           "search the preview (enter; then n / N)")
        box.add_class("-open")
        box.focus()

    def action_close_find(self) -> None:
        box = self.query_one("#artifact-find", Input)
        if box.has_class("-open"):
            box.remove_class("-open")
            (self.artifact_tree if self._find_in_tree else self.pane).focus()
        elif self.pane.searching:
            self.pane.clear_search()
        else:
            raise SkipAction()  # escape: the screen's back

    @on(Input.Submitted, "#artifact-find")
    def _find_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        query = event.value.strip()
        box = self.query_one("#artifact-find", Input)
        box.remove_class("-open")
        if not query:
            (self.artifact_tree if self._find_in_tree else self.pane).focus()
            return
        if not self._find_in_tree:
            self.pane.focus()
            self.pane.search(query)
            return
        self.artifact_tree.focus()
        item = self.artifact_tree.find_loaded(query, after=self.artifact_tree.current)
        if item is not None:
            self.artifact_tree.reveal(item.source.key, item.path)
            return
        listing = self.listing
        if listing is None:
            return

        def walked(result: tuple[list[ArtifactItem], dict]) -> None:
            matches, fetched = result
            self.artifact_tree.add_listings(fetched)
            if not matches:
                self.app.notify(f"No artifact named like {query!r}", severity="warning")
                return
            first = matches[0]
            self.artifact_tree.reveal(first.source.key, first.path)
            if len(matches) > 1:
                self.app.notify(f"{len(matches):,} matches: / enter finds the next")

        self.app.notify(f"Looking for {query!r} in every folder…", timeout=2)
        run_blocking(self, walk, listing, query, self.artifact_tree.listings(), done=walked,
                     group="artifacts-find")

    @on(ArtifactPreview.SearchMoved)
    def _search_moved(self, event: ArtifactPreview.SearchMoved) -> None:
        self.app.notify(event.text, timeout=2)

    # -- actions -------------------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "copy_serve":
            return isinstance(self.preview, ModelPreview)
        return True

    def action_copy_uri(self) -> None:
        item = self.item
        if item is None:
            return
        copy_text(self, item.source.uri(item.path), "artifact URI")

    def action_copy_serve(self) -> None:
        if isinstance(self.preview, ModelPreview) and self.preview.model.serve_command:
            copy_text(self, self.preview.model.serve_command, "serve command")

    def action_save(self) -> None:
        item = self.item
        if item is None:
            return

        def write(folder: Path, overwrite: bool) -> None:
            self.app.notify(f"Saving {item.name}…", timeout=2)
            run_blocking(self, save_artifact, item, folder, overwrite,
                         done=lambda result: self.app.notify(result.summary),
                         group="artifacts-save", exclusive=False)

        def chosen(text: str | None) -> None:
            if not text:
                return
            folder = Path(text.strip()).expanduser()
            target = destination(folder, item)
            if not (target.exists() or target.is_symlink()):
                write(folder, False)
                return
            self.app.push_screen(
                ConfirmDialog("Overwrite?", f"{target} exists. Replace it"
                              + (" (files of the same name inside)?" if item.is_dir else "?"),
                              "Overwrite", danger=True),
                lambda ok: write(folder, True) if ok else None,
            )

        what = "folder" if item.is_dir else "file"
        self.app.push_screen(
            PromptDialog(f"Save the {what} {item.name} into the folder", str(Path.cwd()),
                         body=f"It is written as {item.name} inside the folder you give.",
                         validate=problem_with_folder),
            chosen,
        )

    def action_open_pager(self) -> None:
        item = self.item
        if item is None or item.is_dir:
            self.app.notify("o opens a file (s saves a folder)", severity="warning")
            return
        run_blocking(self, temp_copy, item, done=self._open_copy, group="artifacts-open")

    def _open_copy(self, path: Path) -> None:
        command = (os.environ.get("PAGER") or os.environ.get("EDITOR")
                   or os.environ.get("VISUAL") or "less")
        try:
            argv = [*shlex.split(command), str(path)]
            with self.app.suspend():
                subprocess.run(argv, check=False)
        except SuspendNotSupported:
            self.app.notify("This terminal cannot hand over the screen to a pager",
                            severity="warning")
        except (OSError, ValueError) as exc:
            self.app.notify(f"Cannot run {command}: {exc}", severity="error")
        finally:
            discard_temp(path)
