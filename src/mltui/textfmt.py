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

_CONTROL = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)


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


# -- text in an editor ---------------------------------------------------------------
#
# An editor (TextArea, Input) draws its text as it is, so a stored value holding
# ``ESC ] 52 ; … ESC \`` would reach the terminal. Editors therefore hold the
# *editable form* of a value, where every control character is one visible symbol,
# and the saved value is read back from it exactly:
#
#   C0 character (U+0000-U+001F)  ->  its Unicode control picture: ESC ␛, NUL ␀, CR ␍
#                                     (newline and tab stay themselves in a
#                                     multi-line editor; a one-line editor shows ␊ ␉)
#   DEL (U+007F)                  ->  ␡
#   C1 character (U+0080-U+009F),
#   a bidi or zero-width format
#   character, U+2028, U+2029     ->  ␦ followed by u and 4 hex digits: ␦u009d
#   a literal symbol of the above
#   (␀-␟, ␡) or a literal ␦       ->  ␦ followed by that symbol: ␦␛ is the symbol ␛
#
# Reading back undoes exactly this, so an untouched value round-trips byte for byte;
# deleting a symbol deletes the one character it stands for; a ␛ the person types
# or pastes stands for ESC (as in the tables, which show ESC as ␛), and ␦␛ for the
# symbol itself. A ␦ not followed by one of the above is kept as it is.

ESCAPE_MARK = "\u2426"
"""␦ (SYMBOL FOR SUBSTITUTE FORM TWO): starts a two-part symbol in an editor."""

_PICTURES = "\u2400-\u241f\u2421"
_FORMAT = "\x80-\x9f\u200b-\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_FORMAT_CHAR = re.compile(f"[{_FORMAT}]")
_TO_EDIT = {
    True: re.compile(f"[\x00-\x08\x0b-\x1f\x7f{_FORMAT}{_PICTURES}{ESCAPE_MARK}]"),
    False: re.compile(f"[\x00-\x1f\x7f{_FORMAT}{_PICTURES}{ESCAPE_MARK}]"),
}
_FROM_EDIT = re.compile(
    f"{ESCAPE_MARK}([{_PICTURES}{ESCAPE_MARK}])|{ESCAPE_MARK}u([0-9a-fA-F]{{4}})|([{_PICTURES}])"
)


def _to_symbol(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    if _FORMAT_CHAR.match(ch):
        return f"{ESCAPE_MARK}u{code:04x}"
    return ESCAPE_MARK + ch  # a literal symbol (␛, ␦ …)


def _from_symbol(match: re.Match[str]) -> str:
    literal, hexcode, picture = match.groups()
    if literal is not None:
        return literal
    if hexcode is not None:
        ch = chr(int(hexcode, 16))
        # only what editable_text writes this way; ␦u0041 stays as typed
        return ch if _FORMAT_CHAR.match(ch) else match.group()
    code = ord(picture) - 0x2400
    return "\x7f" if code == 0x21 else chr(code)


def editable_text(value: object, *, multiline: bool = True) -> str:
    """``value`` with every control character as a visible symbol, for an editor
    (the mapping is described above); :func:`stored_text` undoes it exactly."""
    text = "" if value is None else str(value)
    return _TO_EDIT[multiline].sub(_to_symbol, text)


def stored_text(edited: str) -> str:
    """The value an editor's text stands for: the inverse of :func:`editable_text`
    (``stored_text(editable_text(v)) == v`` for every string)."""
    return _FROM_EDIT.sub(_from_symbol, edited)


def has_symbols(edited: str) -> bool:
    """Whether an editor's text holds a symbol standing for another character."""
    return bool(_FROM_EDIT.search(edited))


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


DATE_FORMATS = ("relative", "absolute", "utc")
_date_format = "relative"
"""The person's ``date_format`` (config.toml), set once at start by the app: one
switch here rather than a flag through every table that shows a time."""


def set_date_format(name: str) -> None:
    global _date_format
    _date_format = name if name in DATE_FORMATS else "relative"


def format_timestamp(ms: int | None) -> str:
    """Local time, or UTC (marked) when the date format is ``utc``."""
    if not ms:
        return ""
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    if _date_format == "utc":
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC")
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def format_iso(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="seconds")


def format_relative(ms: int | None, now_ms: float | None = None) -> str:
    """A time in a table: ``3h ago``, ``2d ago`` (``in 5m`` for clocks that run
    ahead), or the timestamp itself when the date format is absolute or utc."""
    if _date_format != "relative":
        return format_timestamp(ms)
    return format_age(ms, now_ms)


def format_age(ms: int | None, now_ms: float | None = None) -> str:
    """``3h ago`` whatever the date format (beside a timestamp already shown)."""
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
