"""Previews (``views.preview_types``) as Rich text and renderables.

The views layer hands over safe plain text and a lexer name; here it gets its
colours: Pygments through Rich's ``Syntax`` for code (up to
:data:`HIGHLIGHT_MAX` characters: past that, highlighting a 10 MB JSON would
stall the UI for nothing), Rich's Markdown for ``.md`` files (links drawn as
text: no OSC 8 hyperlink leaves the app), tables of the MLmodel card, and
half-block cells for images.
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.markdown import Markdown
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from ..views.preview_types import (
    RGB,
    HexPreview,
    ImagePreview,
    ModelPreview,
    Preview,
    TablePreview,
    TextPreview,
)

HIGHLIGHT_MAX = 300_000
"""Characters highlighted at most; longer text is shown plain."""
THEME = "ansi_dark"
"""Pygments colours from the terminal's own palette (they follow its theme)."""


def highlight(lines: list[str], lexer: str | None) -> list[Text]:
    """``lines`` as Text, coloured by ``lexer`` when short enough."""
    if not lexer or sum(len(line) + 1 for line in lines) > HIGHLIGHT_MAX:
        return [Text(line) for line in lines]
    code = "\n".join(lines)
    try:
        text = Syntax("", lexer, theme=THEME).highlight(code)
    except Exception:  # an unknown lexer name or a Pygments failure: plain text
        return [Text(line) for line in lines]
    text.rstrip()
    out = list(text.split("\n", allow_blank=True))
    return out[: len(lines)] + [Text(line) for line in lines[len(out):]]


def text_lines(preview: Preview) -> list[Text] | None:
    """The lines of a line-shaped preview (text, table, hex), else None."""
    if isinstance(preview, TextPreview) and not preview.markdown:
        lines = highlight(preview.head, preview.lexer)
        gap = preview.gap_line
        if gap is not None:
            lines.append(Text(preview.lines()[gap], style="dim italic"))
            lines += highlight(preview.tail, preview.lexer)
        return lines
    if isinstance(preview, TablePreview):
        raw = preview.lines()
        out = [Text(raw[0], style="bold"), Text(raw[1], style="dim")]
        return out + [Text(line) for line in raw[2:]]
    if isinstance(preview, HexPreview):
        out = []
        for line in preview.lines:
            text = Text(line)
            text.stylize("dim", 0, 8)
            bar = line.find("|", 10)
            if bar > 0:
                text.stylize("cyan", bar)
            out.append(text)
        return out
    return None


def markdown(preview: TextPreview) -> RenderableType:
    return Markdown(preview.text, hyperlinks=False, code_theme=THEME)


def _fields_table(title: str, fields) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None,
                  padding=(0, 2, 0, 0), show_edge=False, header_style="dim")
    table.add_column("name")
    table.add_column("type")
    table.add_column("")
    for f in fields:
        table.add_row(Text(f.name or "-"), Text(f.type, style="cyan"), Text(f.detail, style="dim"))
    return table


def model_card(preview: ModelPreview) -> RenderableType:
    """The MLmodel summary: what it is, how to serve it, what it takes and needs."""
    model = preview.model
    parts: list[RenderableType] = []
    if model.serve_command:
        serve = Text("Serve it:  ", style="bold")
        serve.append(model.serve_command, style="bold green")
        parts += [serve, Text("  (c copies this command)", style="dim"), Text()]
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="dim")
    facts.add_column()
    for label, value in model.facts:
        facts.add_row(label, Text(value))
    if model.python_version:
        facts.add_row("python", Text(model.python_version))
    parts += [facts, Text()]
    for name, details in model.flavors:
        line = Text("flavor ", style="dim")
        line.append(name, style="bold magenta")
        for key, value in details:
            line.append(f"  {key}=", style="dim")
            line.append(value)
        parts.append(line)
    parts.append(Text())
    for title, fields in (("Inputs", model.inputs), ("Outputs", model.outputs),
                          ("Params", model.params)):
        if fields:
            parts += [_fields_table(title, fields), Text()]
    if not model.inputs and not model.outputs:
        parts += [Text("No signature", style="dim"), Text()]
    example = model.input_example
    if example is not None:
        parts.append(Text("Input example", style="bold"))
        lines = text_lines(example) or []
        parts += [*lines[:30], Text()]
    if model.requirements:
        parts.append(Text(f"Requirements ({model.requirements_from})", style="bold"))
        parts += [Text("  " + req) for req in model.requirements[:60]]
        parts.append(Text())
    for problem in model.problems:
        parts.append(Text(problem, style="yellow"))
    if preview.source is not None:
        parts += [Text("MLmodel", style="bold"), *highlight(preview.source.head, "yaml")]
    return Group(*parts)


def _color(rgb: RGB) -> str:
    return f"#{rgb[0]:02x}{rgb[1]:02x}{rgb[2]:02x}"


def image_rows(preview: ImagePreview, cols: int, rows: int) -> list[list[Segment]]:
    """One list of segments per terminal row: ``▀`` top pixel over bottom pixel."""
    styles: dict[tuple[RGB, RGB], Style] = {}
    out = []
    for row in preview.cells(cols, rows):
        segments = []
        for pair in row:
            style = styles.get(pair)
            if style is None:
                style = styles[pair] = Style(color=_color(pair[0]), bgcolor=_color(pair[1]))
            segments.append(Segment("▀", style))
        out.append(list(Segment.simplify(segments)))
    return out
