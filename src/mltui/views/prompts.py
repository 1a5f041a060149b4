"""A prompt of MLflow's prompt registry as the prompt screen shows it, and the line
diff between two of its versions.

MLflow 3 stores a prompt as a registered model tagged ``mlflow.prompt.is_prompt``;
each version keeps its template in the version tag ``mlflow.prompt.text`` (a chat
prompt's messages as JSON, with ``_mlflow_prompt_type`` = ``chat``), its commit
message as the version's description. Nothing here imports Textual: the diff is
plain data (kind, text) the screen colours, and the CLI could print.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..store.base import BaseStore
from ..store.entities import PROMPT_TAG, ModelVersion, RegisteredModel

TEXT_TAG = "mlflow.prompt.text"
"""The version tag holding the template (``register_prompt``)."""
TYPE_TAG = "_mlflow_prompt_type"
"""``text`` or ``chat`` (MLflow 3's prompt types)."""
RESPONSE_FORMAT_TAG = "_mlflow_prompt_response_format"
MODEL_CONFIG_TAG = "_mlflow_prompt_model_config"
HIDDEN_TAGS = frozenset({PROMPT_TAG, TEXT_TAG, TYPE_TAG})
"""Tags shown as the template or its type, not again among the tags."""

ADD, REMOVE, SAME, HUNK = "add", "remove", "same", "hunk"
"""Kinds of diff lines."""


@dataclass(frozen=True)
class PromptVersion:
    """One version of a prompt."""

    version: int
    template: str
    """As stored (a chat prompt's JSON list of messages)."""
    kind: str = "text"
    """``text`` or ``chat``."""
    message: str = ""
    """The commit message (the version's description)."""
    created: int | None = None
    aliases: tuple[str, ...] = ()
    tags: dict[str, str] = field(default_factory=dict)
    """The version's tags but the template and its type (``_mlflow`` ones included:
    a response format or model config is worth seeing)."""

    @property
    def text(self) -> str:
        """What the screen shows and diffs: a chat prompt as one block per message
        (``[role]`` then its content), a text prompt as it is."""
        return template_text(self.template, self.kind)


@dataclass
class PromptView:
    """A prompt with its versions, newest first."""

    prompt: RegisteredModel
    versions: list[PromptVersion]

    @property
    def aliases(self) -> dict[str, int]:
        return dict(self.prompt.aliases)

    def version(self, number: int) -> PromptVersion | None:
        return next((v for v in self.versions if v.version == number), None)

    def previous(self, number: int) -> PromptVersion | None:
        """The newest version older than ``number`` (what ``number`` changed from)."""
        older = [v for v in self.versions if v.version < number]
        return max(older, key=lambda v: v.version) if older else None


def prompt_version(mv: ModelVersion, aliases: dict[str, int]) -> PromptVersion:
    kind = mv.tags.get(TYPE_TAG) or "text"
    return PromptVersion(
        version=mv.version,
        template=mv.tags.get(TEXT_TAG, ""),
        kind=kind,
        message=mv.description or "",
        created=mv.creation_time,
        aliases=tuple(sorted(a for a, v in aliases.items() if v == mv.version)),
        tags={k: v for k, v in mv.tags.items() if k not in HIDDEN_TAGS},
    )


def load_prompt_view(store: BaseStore, name: str) -> PromptView:
    """The prompt and all its versions (two store calls; may block)."""
    prompt = store.get_registered_model(name)
    versions = store.get_model_versions(name)
    shown = [prompt_version(mv, prompt.aliases) for mv in versions]
    shown.sort(key=lambda v: -v.version)
    return PromptView(prompt, shown)


def template_text(template: str, kind: str = "text") -> str:
    """A chat template (a JSON list of ``{"role", "content"}``) as ``[role]`` blocks,
    so a diff shows which message changed; anything that does not parse as such a
    list is shown as stored."""
    if kind != "chat":
        return template
    try:
        messages = json.loads(template)
    except (ValueError, TypeError):
        return template
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        return template
    blocks = []
    for message in messages:
        content = message.get("content", "")
        if not isinstance(content, str):
            content = json.dumps(content, indent=2, ensure_ascii=False)
        blocks.append(f"[{message.get('role', '?')}]\n{content}")
    return "\n\n".join(blocks)


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: its kind and text (without the +/- sign), and its
    line numbers in the old and new text (None where it has none)."""

    kind: str
    text: str
    old: int | None = None
    new: int | None = None


@dataclass(frozen=True)
class SideBySide:
    """One row of a side-by-side diff: the old line and the new one (None for a gap)."""

    kind: str
    left: str | None
    right: str | None
    old: int | None = None
    new: int | None = None


@dataclass
class PromptDiff:
    """Version ``old`` to version ``new`` of a prompt, line by line."""

    old: int
    new: int
    unified: list[DiffLine]
    rows: list[SideBySide]

    @property
    def added(self) -> int:
        return sum(1 for line in self.unified if line.kind == ADD)

    @property
    def removed(self) -> int:
        return sum(1 for line in self.unified if line.kind == REMOVE)

    @property
    def same(self) -> bool:
        return not self.added and not self.removed


def diff_versions(old: PromptVersion, new: PromptVersion, context: int = 3) -> PromptDiff:
    """The diff of two versions' texts (older first, whatever order they come in)."""
    if old.version > new.version:
        old, new = new, old
    return PromptDiff(old.version, new.version, unified_diff(old.text, new.text, context),
                      side_by_side(old.text, new.text))


def _lines(text: str) -> list[str]:
    return (text.splitlines() or [""]) if text else []


def unified_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """difflib's grouped opcodes as lines: a ``@@`` hunk header, then the lines kept
    around a change (``context`` of them), removed and added. Identical texts give
    no lines. Every line's text is as stored: the screen makes it inert."""
    a, b = _lines(old), _lines(new)
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for group in matcher.get_grouped_opcodes(context):
        first, last = group[0], group[-1]
        out.append(DiffLine(HUNK, f"@@ -{_range(first[1], last[2])} "
                                  f"+{_range(first[3], last[4])} @@"))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine(SAME, a[i], i + 1, j1 + i - i1 + 1) for i in range(i1, i2))
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine(REMOVE, a[i], i + 1, None) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                out.extend(DiffLine(ADD, b[j], None, j + 1) for j in range(j1, j2))
    return out


def _range(start: int, stop: int) -> str:
    """A hunk's range as ``diff -u`` writes it (1-based start, length)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def side_by_side(old: str, new: str) -> list[SideBySide]:
    """Every line of both texts in two columns: kept lines beside each other,
    a replaced block paired line by line, an added or removed line beside a gap."""
    a, b = _lines(old), _lines(new)
    rows: list[SideBySide] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows.extend(SideBySide(SAME, a[i], b[j1 + i - i1], i + 1, j1 + i - i1 + 1)
                        for i in range(i1, i2))
            continue
        left = list(range(i1, i2)) if tag != "insert" else []
        right = list(range(j1, j2)) if tag != "delete" else []
        for k in range(max(len(left), len(right))):
            i = left[k] if k < len(left) else None
            j = right[k] if k < len(right) else None
            kind = "change" if i is not None and j is not None else (
                REMOVE if i is not None else ADD)
            rows.append(SideBySide(kind, a[i] if i is not None else None,
                                   b[j] if j is not None else None,
                                   None if i is None else i + 1, None if j is None else j + 1))
    return rows


def pick_pair(marked: Sequence[int], cursor: int | None, view: PromptView
              ) -> tuple[PromptVersion, PromptVersion] | str:
    """Which two versions ``d`` compares: the two marked ones; one marked and the
    one under the cursor; else the cursor's version and the one before it. A
    one-line reason when there is no pair."""
    numbers = list(dict.fromkeys(marked))[-2:]
    if len(numbers) == 1 and cursor is not None and cursor != numbers[0]:
        numbers.append(cursor)
    if len(numbers) == 2:
        a, b = view.version(numbers[0]), view.version(numbers[1])
        if a is None or b is None:
            return "A marked version is gone (r reloads)"
        return (a, b) if a.version < b.version else (b, a)
    current = view.version(cursor) if cursor is not None else None
    if current is None:
        return "No version to compare"
    before = view.previous(current.version)
    if before is None:
        return f"v{current.version} is the first version: mark another with space"
    return before, current
