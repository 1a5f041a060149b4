"""The artifact tree: folders load when opened, files show their size.

A ``ScrollView`` on the Line API, as the runs table, not Textual's ``Tree``:
``Tree`` measured 2 s to take a folder of 10,000 files (it re-renders and
measures every label); here opening that folder builds a list of rows and
only the rows on screen are drawn.

It receives data and never asks the store: opening a folder that was never
listed posts :class:`ArtifactTree.ChildrenWanted`, and whoever owns the tree
(the artifact browser) lists it in a worker and calls :meth:`ArtifactTree.fill`.
``/`` (find by name) searches the folders already listed here first
(:meth:`find_loaded`); the browser walks the rest and hands the listings over
(:meth:`add_listings`, :meth:`reveal`).
"""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..views.artifacts import ArtifactItem
from ..views.preview_text import human_size

Key = tuple[str, str]
"""(source key, folder path): one folder of one source."""
ROOT: Key = ("\x00root", "")


def key_of(item: ArtifactItem) -> Key:
    return item.source.key, item.path


class ArtifactTree(ScrollView, can_focus=True):
    COMPONENT_CLASSES = {"artifact-tree--cursor", "artifact-tree--dim", "artifact-tree--model"}
    DEFAULT_CSS = """
    ArtifactTree { width: 1fr; min-width: 24; height: 1fr; overflow-x: hidden;
                   border-right: solid $panel; }
    ArtifactTree > .artifact-tree--cursor { background: $surface-lighten-2; }
    ArtifactTree:focus > .artifact-tree--cursor { background: $accent 40%; }
    ArtifactTree > .artifact-tree--dim { color: $text-muted; }
    ArtifactTree > .artifact-tree--model { text-style: bold; color: $accent; }
    """
    BINDINGS = [
        Binding("j,down", "cursor(1)", "Down", show=False, id="artifacts.down"),
        Binding("k,up", "cursor(-1)", "Up", show=False, id="artifacts.up"),
        Binding("ctrl+d,pagedown", "page(1)", "Half page down", show=False,
                id="artifacts.page_down"),
        Binding("ctrl+u,pageup", "page(-1)", "Half page up", show=False,
                id="artifacts.page_up"),
        Binding("l,right", "open_folder", "Open folder", show=False, id="artifacts.open"),
        Binding("h,left", "close_folder", "Close folder", show=False, id="artifacts.close"),
        Binding("enter,space", "choose", "Open", show=False, id="artifacts.choose"),
        Binding("g,home", "first", "First", show=False, id="artifacts.first"),
        Binding("G,end", "last", "Last", show=False, id="artifacts.last"),
    ]

    class Highlighted(Message):
        """The cursor is on ``item``."""

        def __init__(self, tree: ArtifactTree, item: ArtifactItem):
            super().__init__()
            self.tree = tree
            self.item = item

    class ChildrenWanted(Message):
        """A folder was opened whose entries were never listed."""

        def __init__(self, tree: ArtifactTree, item: ArtifactItem):
            super().__init__()
            self.tree = tree
            self.item = item

    class Chosen(Message):
        """enter on a file (the owner moves to its preview)."""

        def __init__(self, tree: ArtifactTree, item: ArtifactItem):
            super().__init__()
            self.tree = tree
            self.item = item

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._children: dict[Key, list[ArtifactItem]] = {}
        self._expanded: set[Key] = set()
        self._items: dict[Key, ArtifactItem] = {}
        self._rows: list[tuple[ArtifactItem, int]] = []
        self.cursor = 0

    # -- data in -------------------------------------------------------------------
    def clear_items(self) -> None:
        self._children.clear()
        self._expanded.clear()
        self._items.clear()
        self._rebuild()

    def fill_root(self, items: list[ArtifactItem]) -> None:
        self.clear_items()
        self._children[ROOT] = items
        self._index(items)
        self._rebuild()
        self._move(0, force=True)

    def fill(self, folder: ArtifactItem, items: list[ArtifactItem]) -> None:
        """The entries of ``folder`` (replacing what it had)."""
        self._children[key_of(folder)] = items
        self._index(items)
        self._rebuild()

    def _index(self, items: list[ArtifactItem]) -> None:
        for item in items:
            self._items[key_of(item)] = item

    def add_listings(self, fetched: dict[Key, list[ArtifactItem]]) -> None:
        """Folder listings read elsewhere (a find, a reveal); known folders keep theirs."""
        for key in sorted(fetched, key=lambda k: k[1].count("/") + bool(k[1])):
            if key not in self._children and key in self._items:
                self._children[key] = fetched[key]
                self._index(fetched[key])
        self._rebuild()

    def listings(self) -> dict[Key, list[ArtifactItem]]:
        """Every folder listed so far (the root aside)."""
        return {k: v for k, v in self._children.items() if k != ROOT}

    def is_loaded(self, item: ArtifactItem) -> bool:
        return key_of(item) in self._children

    def is_expanded(self, item: ArtifactItem) -> bool:
        return key_of(item) in self._expanded

    def _rebuild(self) -> None:
        """The visible rows: every item under an expanded folder, depth first."""
        current = self.current
        rows: list[tuple[ArtifactItem, int]] = []

        def add(items: list[ArtifactItem], depth: int) -> None:
            for item in items:
                rows.append((item, depth))
                key = key_of(item)
                if item.is_dir and key in self._expanded:
                    add(self._children.get(key, []), depth + 1)

        add(self._children.get(ROOT, []), 0)
        self._rows = rows
        if current is not None:
            self.cursor = next((i for i, (it, _) in enumerate(rows) if it is current),
                               min(self.cursor, max(0, len(rows) - 1)))
        self.virtual_size = Size(self.size.width, len(rows))
        self.refresh()

    # -- where the cursor is -------------------------------------------------------
    @property
    def current(self) -> ArtifactItem | None:
        rows = getattr(self, "_rows", [])
        return rows[self.cursor][0] if 0 <= self.cursor < len(rows) else None

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def node_of(self, source_key: str, path: str) -> ArtifactItem | None:
        return self._items.get((source_key, path))

    def reveal(self, source_key: str, path: str) -> bool:
        """Open the folders down to ``path`` and put the cursor on it."""
        item = self._items.get((source_key, path))
        if item is None:
            return False
        parts = path.split("/")
        for depth in range(len(parts) - 1):
            self._expanded.add((source_key, "/".join(parts[: depth + 1])))
        if source_key and path:
            self._expanded.add((source_key, ""))  # a logged model's root folder
        self._rebuild()
        index = next((i for i, (it, _) in enumerate(self._rows) if it is item), None)
        if index is None:
            return False
        self._move(index, force=True)
        return True

    def find_loaded(self, query: str, after: ArtifactItem | None = None) -> ArtifactItem | None:
        """The next listed item (in tree order, after ``after``) whose name holds
        ``query``, case-insensitive; wraps around. Closed folders count too."""
        needle = query.casefold()
        order: list[ArtifactItem] = []

        def walk(items: list[ArtifactItem]) -> None:
            for item in items:
                order.append(item)
                if item.is_dir:
                    walk(self._children.get(key_of(item), []))

        walk(self._children.get(ROOT, []))
        start = next((i + 1 for i, it in enumerate(order) if it is after), 0)
        for item in order[start:] + order[:start]:
            if item.path and needle in item.path.rsplit("/", 1)[-1].casefold():
                return item
        return None

    def _move(self, index: int, force: bool = False) -> None:
        if not self._rows:
            return
        index = max(0, min(index, len(self._rows) - 1))
        if index == self.cursor and not force:
            return
        self.cursor = index
        height = max(1, self.scrollable_content_region.height)
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)
        self.refresh()
        self.post_message(self.Highlighted(self, self._rows[index][0]))

    # -- drawing -----------------------------------------------------------------------
    def label_for(self, item: ArtifactItem, depth: int) -> Text:
        label = Text("  " * depth)
        model_root = item.source.model is not None and not item.path
        if item.is_dir:
            label.append("▼ " if key_of(item) in self._expanded else "▶ ",
                         style=self.get_component_rich_style("artifact-tree--dim"))
        else:
            label.append("  ")
        label.append(item.name, style=self.get_component_rich_style("artifact-tree--model")
                     if model_root else "")
        if item.is_dir and item.path:
            label.append("/")
        elif item.entry.size is not None and not item.is_dir:
            label.append(f"  {human_size(item.entry.size)}",
                         style=self.get_component_rich_style("artifact-tree--dim"))
        return label

    def render_line(self, y: int) -> Strip:
        index = self.scroll_offset.y + y
        width = self.scrollable_content_region.width
        base = self.rich_style
        if index >= len(self._rows):
            return Strip.blank(width, base)
        item, depth = self._rows[index]
        label = self.label_for(item, depth)
        label.truncate(width, overflow="ellipsis", pad=True)
        style: Style = base
        if index == self.cursor:
            style = base + self.get_component_rich_style("artifact-tree--cursor")
        segments = list(label.render(self.app.console, end=""))
        return Strip(Segment.apply_style(segments, style), width).crop(0, width)

    def on_resize(self, _event: events.Resize) -> None:
        self.virtual_size = Size(self.size.width, len(self._rows))

    def on_click(self, event: events.Click) -> None:
        index = self.scroll_offset.y + event.y
        if 0 <= index < len(self._rows):
            self._move(index)
            if event.chain > 1:
                self.action_choose()

    # -- keys ------------------------------------------------------------------------
    def action_cursor(self, step: int) -> None:
        self._move(self.cursor + step)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.size.height // 2))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self._rows) - 1)

    def expand_item(self, item: ArtifactItem) -> None:
        if not item.is_dir:
            return
        self._expanded.add(key_of(item))
        if not self.is_loaded(item):
            self.post_message(self.ChildrenWanted(self, item))
        self._rebuild()

    def collapse_item(self, item: ArtifactItem) -> None:
        self._expanded.discard(key_of(item))
        self._rebuild()

    def action_open_folder(self) -> None:
        item = self.current
        if item is None or not item.is_dir:
            return
        if not self.is_expanded(item):
            self.expand_item(item)
        elif self._children.get(key_of(item)):
            self._move(self.cursor + 1)

    def action_close_folder(self) -> None:
        item = self.current
        if item is None:
            return
        if item.is_dir and self.is_expanded(item):
            self.collapse_item(item)
            return
        depth = self._rows[self.cursor][1]
        for index in range(self.cursor - 1, -1, -1):  # up to the folder holding it
            if self._rows[index][1] < depth:
                self._move(index)
                return

    def action_choose(self) -> None:
        item = self.current
        if item is None:
            return
        if item.is_dir:
            self.collapse_item(item) if self.is_expanded(item) else self.expand_item(item)
        else:
            self.post_message(self.Chosen(self, item))
