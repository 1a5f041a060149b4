"""Turning store values into short, safe text for a terminal.

Shared by the CLI and the widgets. Nothing here renders markup: names and
values from a store are data, and a tag holding ``\\x1b[2J`` must show as
text instead of clearing the screen.
"""

from __future__ import annotations

import math
import re
import time
from datetime import datetime, timezone

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _picture(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if ch in "\n\r":
        return "⏎"
    if ch == "\t":
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ␛ for ESC
    if code == 0x7F:
        return "␡"
    return f"\\u{code:04x}"


def safe_text(value: object) -> str:
    """``value`` as one line of plain text with control characters made visible."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(_picture, text)


def safe_multiline(value: object) -> str:
    """Like :func:`safe_text` but keeps newlines and tabs (for previews)."""
    text = "" if value is None else str(value)
    return _CONTROL.sub(lambda m: m.group() if m.group() in "\n\t" else _picture(m), text)


def truncate(text: str, width: int) -> str:
    if width <= 0:
        return ""
    if len(text) <= width:
        return text
    return text[: max(0, width - 1)] + "…"


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value == int(value) and abs(value) < 1e15:
            return str(int(value)) if abs(value) >= 1e6 else f"{value:g}"
        return f"{value:.6g}"
    return str(value)


def format_timestamp(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).astimezone().strftime(
        "%Y-%m-%d %H:%M:%S"
    )


def format_iso(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def format_relative(ms: int | None, now_ms: float | None = None) -> str:
    """``3h ago``, ``2d ago``; ``in 5m`` for clocks that run ahead."""
    if not ms:
        return ""
    now = time.time() * 1000 if now_ms is None else now_ms
    delta = (now - ms) / 1000
    future = delta < 0
    text = _span(abs(delta))
    if text == "now":
        return "just now"
    return f"in {text}" if future else f"{text} ago"


def _span(seconds: float) -> str:
    if seconds < 5:
        return "now"
    for limit, div, unit in (
        (60, 1, "s"),
        (3600, 60, "m"),
        (86400, 3600, "h"),
        (86400 * 30, 86400, "d"),
        (86400 * 365, 86400 * 30, "mo"),
    ):
        if seconds < limit:
            return f"{int(seconds // div)}{unit}"
    return f"{int(seconds // (86400 * 365))}y"


def format_duration(ms: int | None) -> str:
    if ms is None:
        return ""
    seconds = ms / 1000
    if seconds < 1:
        return f"{ms}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


STATUS_SYMBOLS = {
    "FINISHED": "✔",
    "FAILED": "✘",
    "KILLED": "■",
    "RUNNING": "▶",
    "SCHEDULED": "◷",
}


def first_line(text: str | None) -> str:
    if not text:
        return ""
    return text.strip().splitlines()[0] if text.strip() else ""


def count_of(n: int, noun: str, plural: str | None = None) -> str:
    """``1 run``, ``1,500 runs``, ``1 top-level run``: a count a person reads."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
