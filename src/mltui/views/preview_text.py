"""What kind of file an artifact is, and its bytes as safe lines of text.

The kind comes from the name first (``MLmodel``, ``.json``, ``.png``) and is
checked against the content: a ``.txt`` full of NUL bytes is shown as binary,
a file without an extension that starts with PNG's signature is an image. Text
is decoded as UTF-8 with invalid bytes replaced (and counted), and every line
goes through :func:`~mltui.textfmt.safe_multiline`: an escape code in a log is
drawn as ``␛``, never sent to the terminal. Binary files get a hex dump whose
ASCII column shows printable ASCII only.
"""

from __future__ import annotations

import codecs
import posixpath
import unicodedata

from ..textfmt import safe_multiline

LEXERS = {
    ".json": "json", ".ipynb": "json", ".geojson": "json",
    ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".py": "python", ".pyi": "python",
    ".sql": "sql", ".html": "html", ".htm": "html", ".xml": "xml", ".sh": "bash",
    ".bash": "bash", ".ini": "ini", ".cfg": "ini", ".r": "r", ".js": "javascript",
    ".ts": "typescript", ".css": "css", ".dockerfile": "docker", ".proto": "protobuf",
    ".md": "markdown", ".markdown": "markdown", ".rst": "rst", ".tex": "latex",
}
"""Extension -> the Pygments lexer the preview highlights with."""
NAMED_LEXERS = {"MLmodel": "yaml", "MLproject": "yaml", "Dockerfile": "docker",
                "conda.yaml": "yaml", "python_env.yaml": "yaml", "requirements.txt": "text"}

TEXT_EXTENSIONS = {".txt", ".log", ".out", ".err", ".csv", ".tsv", ".jsonl", ".ndjson",
                   ".text", ".stdout", ".stderr", ".patch", ".diff"}
IMAGE_EXTENSIONS = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff"}

SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"), (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"), (b"GIF89a", "GIF image"), (b"BM", "BMP image"),
    (b"PAR1", "Parquet file"), (b"PK\x03\x04", "zip archive"), (b"\x1f\x8b", "gzip data"),
    (b"%PDF", "PDF document"), (b"\x7fELF", "ELF executable"), (b"\x93NUMPY", "NumPy array"),
    (b"\x80\x02", "Python pickle"), (b"\x80\x03", "Python pickle"),
    (b"\x80\x04", "Python pickle"), (b"\x80\x05", "Python pickle"),
    (b"\x89HDF\r\n\x1a\n", "HDF5 file"), (b"SQLite format 3\x00", "SQLite database"),
    (b"BZh", "bzip2 data"), (b"\xfd7zXZ\x00", "xz data"), (b"(\xb5/\xfd", "zstd data"),
)
"""Leading bytes -> what the file is (for binary files and the image check)."""
IMAGE_SIGNATURES = {"PNG image", "JPEG image", "GIF image", "BMP image"}

MAX_LINE = 2000
"""Characters of one line shown; a minified 10 MB JSON line is cut, not laid out."""


def extension(path: str) -> str:
    return posixpath.splitext(path.lower())[1]


def file_name(path: str) -> str:
    return posixpath.basename(path.rstrip("/")) or path


def signature(head: bytes) -> str | None:
    """What the leading bytes say the file is, or None."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "TIFF image"
    for magic, what in SIGNATURES:
        if head.startswith(magic):
            if what == "BMP image" and (len(head) < 14 or head[6:10] != bytes(4)):
                continue  # "BM" opens plenty of text; a BMP has four reserved zero bytes
            return what
    return None


def looks_binary(head: bytes) -> bool:
    """True when ``head`` is not text: a NUL byte, or many control bytes."""
    sample = head[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 0x20 and b not in (9, 10, 12, 13, 27))
    return controls > len(sample) // 20


def lexer_for(path: str) -> str | None:
    name = file_name(path)
    if name in NAMED_LEXERS:
        lexer = NAMED_LEXERS[name]
        return None if lexer == "text" else lexer
    return LEXERS.get(extension(path))


def decode_text(data: bytes, *, partial_start: bool = False, partial_end: bool = False
                ) -> tuple[str, int]:
    """UTF-8 text of ``data`` and how many invalid bytes were replaced. A chunk cut
    out of a bigger file may start or end inside a character: those bytes are
    dropped rather than counted as invalid."""
    if partial_start:
        skip = 0
        while skip < min(3, len(data)) and data[skip] & 0xC0 == 0x80:
            skip += 1
        data = data[skip:]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    text = decoder.decode(data, final=not partial_end)
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")  # U+FFFD in the file is text
    return text, max(0, bad)


def text_lines(text: str, *, drop_first: bool = False, drop_last: bool = False) -> list[str]:
    """``text`` as safe display lines: CR LF and lone CR (progress bars) end lines,
    control characters are drawn as symbols, very long lines are cut.
    ``drop_first``/``drop_last`` drop a line cut in half by the chunk edges."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if drop_first and len(lines) > 1:
        lines = lines[1:]
    if drop_last and len(lines) > 1:
        lines = lines[:-1]
    elif lines and lines[-1] == "":
        lines = lines[:-1]  # the newline that ends the file opens no line
    return [safe_line(line) for line in lines]


def safe_line(line: str) -> str:
    if len(line) > MAX_LINE:
        more = len(line) - MAX_LINE
        line = line[:MAX_LINE] + f" … ({more:,} more characters)"
    return safe_multiline(line)


def hex_dump(data: bytes, offset: int = 0) -> list[str]:
    """``xxd``-style lines: offset, 16 bytes in hex, printable ASCII or ``.``."""
    lines = []
    for start in range(0, len(data), 16):
        chunk = data[start:start + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk[:8])
        if len(chunk) > 8:
            hexes += "  " + " ".join(f"{b:02x}" for b in chunk[8:])
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{offset + start:08x}  {hexes:<49} |{text}|")
    return lines


def human_size(size: int | None) -> str:
    """``512 B``, ``1.5 KB``, ``2.0 GB`` (powers of 1024, as ``ls -h``)."""
    if size is None:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024 or unit == "TB":
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover - the loop always returns


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide (CJK) characters take two."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else
               0 if unicodedata.combining(ch) else 1 for ch in text)


def fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` cells."""
    if cell_width(text) <= width:
        return text + " " * (width - cell_width(text))
    out, used = [], 0
    for ch in text:
        w = cell_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + "…" + " " * (width - used - 1)
