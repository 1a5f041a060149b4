"""The preview of one artifact, chosen by its name and its first bytes.

:func:`load_preview` never reads more than it shows: a text file bigger than
:data:`WHOLE_TEXT` is its first :data:`HEAD_BYTES` and last :data:`TAIL_BYTES`
(two ranged reads, so a 500 MB log costs 512 KB), a CSV its head, a Parquet file
its footer and first row group, a binary file its first :data:`HEX_BYTES`.
JSON up to :data:`JSON_MAX` is parsed and pretty-printed (``log_table`` JSON
becomes a table), images up to :data:`IMAGE_MAX` are decoded. Every failure of the
store (missing, no permission, a server's 404 or 500) or of the file (truncated,
invalid) comes back as a one-line :class:`MessagePreview`, never an exception.
"""

from __future__ import annotations

import json

from ..store.errors import StoreError
from ..textfmt import count_of
from .artifacts import ArtifactItem, ArtifactSource, load_children
from .preview_image import image_preview
from .preview_model import model_preview
from .preview_table import csv_preview, is_log_table, parquet_preview, split_table
from .preview_text import (
    IMAGE_EXTENSIONS,
    IMAGE_SIGNATURES,
    TEXT_EXTENSIONS,
    decode_text,
    extension,
    file_name,
    hex_dump,
    human_size,
    lexer_for,
    looks_binary,
    signature,
    text_lines,
)
from .preview_types import HexPreview, MessagePreview, Preview, TablePreview, TextPreview

HEAD_BYTES = 256 << 10
TAIL_BYTES = 256 << 10
WHOLE_TEXT = 1 << 20
"""Text files up to this size are read whole."""
JSON_MAX = 8 << 20
IMAGE_MAX = 64 << 20
CSV_BYTES = 512 << 10
HEX_BYTES = 4 << 10
MARKDOWN_MAX = 256 << 10
"""Markdown bigger than this is shown as highlighted source (rendering is slow)."""


def load_preview(item: ArtifactItem) -> Preview:
    """The preview of ``item`` (a folder: its entries, or its model if it holds an
    ``MLmodel``). Blocks; call it from a worker."""
    try:
        if item.is_dir:
            return _folder_preview(item)
        return _file_preview(item.source, item.path, item.entry.size)
    except StoreError as exc:
        return MessagePreview(item.path, item.entry.size, message=str(exc))


def _folder_preview(item: ArtifactItem) -> Preview:
    children = load_children(item)
    model = next((c for c in children if file_name(c.path) == "MLmodel" and not c.is_dir), None)
    if model is not None:
        return _file_preview(item.source, model.path, model.entry.size)
    if not children:
        return MessagePreview(item.path, None, "folder", error=False, message="Empty folder")
    total = sum(c.entry.size or 0 for c in children)
    table = TablePreview(item.path, None, "folder", columns=["name", "size"],
                         rows=[[c.name + ("/" if c.is_dir else ""),
                                "" if c.is_dir else human_size(c.entry.size)]
                               for c in children[:1000]])
    table.notes.append(f"{count_of(len(children), 'entry', 'entries')}, "
                       f"{human_size(total)} in files")
    return table


def _file_preview(source: ArtifactSource, path: str, size: int | None) -> Preview:
    if size is None:
        size = source.size(path)
    if size == 0:
        return MessagePreview(path, 0, "empty file", error=False, message="Empty file")
    head = source.read(path, 0, min(size, HEAD_BYTES))
    name, ext, magic = file_name(path), extension(path), signature(head)
    if name == "MLmodel" and not looks_binary(head):
        if size > len(head):
            head += source.read(path, len(head), min(size, JSON_MAX) - len(head))
        return model_preview(source, path, size, head)
    if ext in IMAGE_EXTENSIONS or magic in IMAGE_SIGNATURES or (magic or "").endswith("image"):
        kind = magic or f"{ext.lstrip('.').upper()} image"
        if size > IMAGE_MAX:
            return MessagePreview(path, size, kind,
                                  message=f"{human_size(size)} is too large to preview")
        data = head + (source.read(path, len(head), size - len(head)) if size > len(head)
                       else b"")
        return image_preview(path, size, data, kind)
    if ext == ".parquet" or magic == "Parquet file":
        return parquet_preview(path, size, lambda offset, n: source.read(path, offset, n))
    if ext in (".csv", ".tsv") and not looks_binary(head):
        data = head if size <= len(head) else head + source.read(
            path, len(head), min(size, CSV_BYTES) - len(head))
        return csv_preview(path, size, data, "\t" if ext == ".tsv" else ",")
    if magic is not None or looks_binary(head):
        preview = HexPreview(path, size, magic or "binary data",
                             lines=hex_dump(head[:HEX_BYTES]))
        if size > HEX_BYTES:
            preview.notes.append(f"first {human_size(HEX_BYTES)}")
        return preview
    lexer = lexer_for(path)
    if lexer == "json" and size <= JSON_MAX:
        return _json_preview(source, path, size, head)
    return _text_preview(source, path, size, head, lexer)


def _whole(source: ArtifactSource, path: str, size: int, head: bytes) -> bytes:
    return head if size <= len(head) else head + source.read(path, len(head), size - len(head))


def _json_preview(source: ArtifactSource, path: str, size: int, head: bytes) -> Preview:
    data = _whole(source, path, size, head)
    text, bad = decode_text(data)
    try:
        value = json.loads(text)
    except (ValueError, RecursionError) as exc:
        preview = _text_lines_preview(path, size, text, bad, "json", "JSON")
        reason = str(exc).split("\n")[0][:120] if isinstance(exc, ValueError) else \
            "nested too deeply"
        preview.notes.append(f"not valid JSON ({reason})")
        return preview
    if is_log_table(value):
        return split_table(path, size, value)
    try:
        pretty = json.dumps(value, indent=2, ensure_ascii=False)
    except (ValueError, RecursionError):
        pretty = text
    return _text_lines_preview(path, size, pretty, bad, "json", "JSON")


def _text_lines_preview(path: str, size: int, text: str, bad: int, lexer: str | None,
                        kind: str) -> TextPreview:
    preview = TextPreview(path, size, kind, head=text_lines(text), lexer=lexer)
    if bad:
        preview.notes.append(f"not valid UTF-8: {bad:,} bytes shown as �")
    return preview


def _kind(path: str, lexer: str | None) -> str:
    ext = extension(path)
    if file_name(path) == "MLproject":
        return "MLproject"
    if lexer == "markdown":
        return "Markdown"
    if lexer:
        return {"yaml": "YAML", "json": "JSON", "toml": "TOML", "sql": "SQL", "html": "HTML",
                "xml": "XML", "python": "Python"}.get(lexer, lexer)
    return "log" if ext == ".log" else "text" if ext in TEXT_EXTENSIONS or not ext else \
        f"{ext.lstrip('.')} text"


def _text_preview(source: ArtifactSource, path: str, size: int, head: bytes,
                  lexer: str | None) -> Preview:
    kind = _kind(path, lexer)
    if size <= WHOLE_TEXT:
        text, bad = decode_text(_whole(source, path, size, head))
        preview = _text_lines_preview(path, size, text, bad, lexer, kind)
        preview.markdown = lexer == "markdown" and size <= MARKDOWN_MAX
        return preview
    text, bad = decode_text(head, partial_end=True)
    preview = TextPreview(path, size, kind, head=text_lines(text, drop_last=True), lexer=lexer)
    start = max(len(head), size - TAIL_BYTES)
    preview.omitted = start - len(head)
    try:
        tail = source.read(path, start, size - start)
    except StoreError as exc:
        preview.notes.append(f"the end could not be read: {exc}")
        tail = b""
    if tail:
        tail_text, tail_bad = decode_text(tail, partial_start=True)
        preview.tail = text_lines(tail_text, drop_first=True)
        bad += tail_bad
    preview.notes.append(f"first {human_size(len(head))} and last {human_size(len(tail))}")
    if bad:
        preview.notes.append(f"not valid UTF-8: {bad:,} bytes shown as �")
    return preview
