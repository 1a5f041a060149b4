"""What an artifact preview holds: plain data, drawn by ``widgets.artifact_preview``.

Every string here is already safe to draw (control characters made visible by
:mod:`mltui.textfmt`); the widget only adds styles. One kind per class, so the
widget can match on the type; :class:`MessagePreview` is the one-line answer for
everything that cannot be shown (a missing file, no permission, a truncated PNG).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .preview_text import cell_width, fit, human_size

RGB = tuple[int, int, int]


@dataclass
class Preview:
    path: str
    """The artifact's path (relative to its root)."""
    size: int | None = None
    kind: str = ""
    """What the file is, as the header says it: ``text``, ``JSON``, ``PNG image``…"""
    notes: list[str] = field(default_factory=list)
    """One-line remarks: cut to its head and tail, invalid UTF-8 replaced…"""

    @property
    def summary(self) -> str:
        """``1.2 MB · JSON · note``: the line above the preview."""
        parts = [human_size(self.size), self.kind, *self.notes]
        return " · ".join(p for p in parts if p)


@dataclass
class MessagePreview(Preview):
    message: str = ""
    error: bool = True
    """False for a plain remark (an empty folder), True for a failure."""


@dataclass
class TextPreview(Preview):
    head: list[str] = field(default_factory=list)
    tail: list[str] = field(default_factory=list)
    """The last lines of a file too big to read whole ([] when ``head`` is all)."""
    omitted: int = 0
    """Bytes between the head and the tail, not read."""
    lexer: str | None = None
    """The Pygments lexer to highlight with (None: plain text)."""
    markdown: bool = False
    """Render as Markdown."""

    @property
    def gap_line(self) -> int | None:
        """Index in :meth:`lines` of the marker between head and tail."""
        return len(self.head) if self.tail or self.omitted else None

    def lines(self) -> list[str]:
        if self.gap_line is None:
            return self.head
        what = f"{human_size(self.omitted)} not shown" if self.omitted else "the end"
        return [*self.head, f"⋯ {what} (G goes to the end) ⋯", *self.tail]

    @property
    def text(self) -> str:
        return "\n".join(self.lines())


@dataclass
class TablePreview(Preview):
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    total_rows: int | None = None
    """Rows in the whole table when known (the preview holds the first ones)."""

    MAX_WIDTH = 40
    """Widest a column is drawn, in cells (the rest scrolls sideways)."""

    def widths(self) -> list[int]:
        widths = [min(self.MAX_WIDTH, max(1, cell_width(c))) for c in self.columns]
        for row in self.rows[:500]:
            for i, cell in enumerate(row[: len(widths)]):
                widths[i] = min(self.MAX_WIDTH, max(widths[i], cell_width(cell)))
        return widths

    def lines(self) -> list[str]:
        """The header, a rule, then one line per row, columns aligned."""
        widths = self.widths()
        sep = " │ "

        def line(cells: list[str]) -> str:
            cells = [*cells, *[""] * (len(widths) - len(cells))]
            return sep.join(fit(c, w) for c, w in zip(cells, widths, strict=False)).rstrip()

        rule = "─┼─".join("─" * w for w in widths)
        return [line(self.columns), rule, *(line(r) for r in self.rows)]


@dataclass
class Thumbnail:
    """A decoded image made small: ``rgb`` holds 3 bytes per pixel, rows top down."""

    width: int
    height: int
    rgb: bytes


@dataclass
class ImagePreview(Preview):
    width: int = 0
    height: int = 0
    thumbnail: Thumbnail | None = None

    def cells(self, max_cols: int, max_rows: int) -> list[list[tuple[RGB, RGB]]]:
        """Rows of half-block cells (top pixel, bottom pixel) that fit the box."""
        from .preview_image import half_blocks

        if self.thumbnail is None:
            return []
        return half_blocks(self.thumbnail, self.width, self.height, max_cols, max_rows)


@dataclass
class HexPreview(Preview):
    lines: list[str] = field(default_factory=list)


@dataclass
class Field:
    """One input, output or param of a model signature."""

    name: str
    type: str
    detail: str = ""
    """Shape of a tensor, ``optional``, a param's default."""


@dataclass
class ModelSummary:
    model_uri: str = ""
    """``runs:/ID/PATH`` or ``models:/m-…``: what MLflow loads and serves."""
    flavors: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    """MLflow version, creation time, size, model id, run id."""
    inputs: list[Field] = field(default_factory=list)
    outputs: list[Field] = field(default_factory=list)
    params: list[Field] = field(default_factory=list)
    input_example: Preview | None = None
    python_version: str = ""
    requirements: list[str] = field(default_factory=list)
    requirements_from: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def serve_command(self) -> str:
        return f"mlflow models serve -m {self.model_uri}" if self.model_uri else ""


@dataclass
class ModelPreview(Preview):
    model: ModelSummary = field(default_factory=ModelSummary)
    source: TextPreview | None = None
    """The MLmodel file itself, highlighted."""
