"""Dialogs for registry changes: stage menu and confirmation, alias, tags,
description editor. Each says exactly what will change before it changes."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Checkbox, DataTable, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from ..store.entities import STAGES, ModelVersion
from ..store.errors import InvalidValue
from ..store.registry_rules import ACTIVE_STAGES, check_alias, check_tag
from ..textfmt import editable_text, has_symbols, safe_multiline, safe_text, stored_text
from ..widgets.vim_table import VimTable
from .dialogs import DIALOG_CSS, SYMBOLS_HINT, ConfirmDialog, PromptDialog, SafeInput


class StageMenu(ModalScreen[str | None]):
    """Pick the stage to move a version to."""

    DEFAULT_CSS = DIALOG_CSS.format(name="StageMenu") + "StageMenu OptionList { height: 6; }"
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="stage_menu.cancel")]

    def __init__(self, version: ModelVersion):
        super().__init__()
        self.version = version

    def compose(self) -> ComposeResult:
        v = self.version
        with Vertical():
            yield Label(Text(f"Move {safe_text(v.name)} v{v.version} (now {v.current_stage}) to:"),
                        classes="title")
            options = []
            for stage in STAGES:
                label = Text(stage)
                if stage == v.current_stage:
                    label.append("  (current)", style="dim")
                options.append(Option(label, id=stage))
            yield OptionList(*options)
            yield Static(Text("↑↓ choose   enter: next   escape: cancel", style="dim"))

    def on_mount(self) -> None:
        menu = self.query_one(OptionList)
        current = STAGES.index(self.version.current_stage) if self.version.current_stage in \
            STAGES else 0
        # start on the usual next step: None→Staging→Production
        menu.highlighted = min(current + 1, 2) if current < 2 else current
        menu.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def transition_effect(
    version: ModelVersion, stage: str, archive: bool, versions: list[ModelVersion]
) -> str:
    """What a transition will change, line by line."""
    lines = [f"{version.name} v{version.version}: {version.current_stage} → {stage}"]
    if archive and stage in ACTIVE_STAGES:
        others = [v for v in versions if v.current_stage == stage and v.version != version.version]
        if others:
            lines.append(
                "Also moved to Archived: " + ", ".join(f"v{v.version}" for v in others)
                + f" (now {stage})"
            )
        else:
            lines.append(f"No other version is in {stage}; nothing else changes.")
    else:
        same = [v for v in versions if v.current_stage == stage and v.version != version.version]
        if same and stage in ACTIVE_STAGES:
            lines.append(
                f"{', '.join(f'v{v.version}' for v in same)} stay in {stage} "
                "(press a to archive them)"
            )
    lines.append("last_updated_time changes on the version and on the model.")
    return "\n".join(lines)


def _points_at(mv: ModelVersion) -> str:
    names = ", ".join(f"@{safe_text(a)}" for a in mv.aliases)
    return f"{names} {'points' if len(mv.aliases) == 1 else 'point'} at v{mv.version}"


def alias_warnings(
    version: ModelVersion, stage: str, archive: bool, versions: list[ModelVersion]
) -> list[str]:
    """Aliases do not follow stages: serving code that loads ``models:/name@alias``
    keeps getting the same version wherever it moves, even into Archived. Say so
    for every version the transition moves that an alias points at."""
    warnings = []
    if version.aliases:
        warnings.append(
            f"Warning: {_points_at(version)}; moving it to {stage} leaves "
            f"{'it' if len(version.aliases) == 1 else 'them'} pointing at it."
        )
    if archive and stage in ACTIVE_STAGES:
        for other in versions:
            if (other.current_stage == stage and other.version != version.version
                    and other.aliases):
                warnings.append(
                    f"Warning: {_points_at(other)}, which would be archived; "
                    f"{'it stays' if len(other.aliases) == 1 else 'they stay'} on "
                    f"v{other.version} in Archived."
                )
    return warnings


class StageConfirm(ModalScreen[bool | None]):
    """Confirm a transition. For Staging and Production, ``a`` toggles "archive
    existing versions in that stage"; MLflow refuses that flag for None and
    Archived, so there it is not offered at all. Dismisses with the archive flag,
    or None when cancelled."""

    DEFAULT_CSS = DIALOG_CSS.format(name="StageConfirm") + (
        "StageConfirm .warning { color: $warning; }"
    )
    BINDINGS = [
        Binding("y", "confirm", "Confirm", id="stage_confirm.confirm"),
        # a binding, not key_enter: a key handler leaves the key unconsumed, and after
        # the dismiss it reached the versions table below (enter there opens the run)
        Binding("enter", "confirm", "Confirm", show=False, priority=True,
                id="stage_confirm.confirm_enter"),
        Binding("a", "toggle_archive", "Archive existing", id="stage_confirm.toggle_archive"),
        Binding("n,escape", "cancel", "Cancel", id="stage_confirm.cancel"),
    ]

    def __init__(self, version: ModelVersion, stage: str, versions: list[ModelVersion]):
        super().__init__()
        self.version = version
        self.stage = stage
        self.versions = versions
        self.can_archive = stage in ACTIVE_STAGES

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(f"Move to {self.stage}?"), classes="title")
            yield Static(id="effect", classes="body")
            yield Static(id="warnings", classes="body warning")
            if self.can_archive:
                yield Checkbox(f"Archive existing versions in {self.stage}", False,
                               id="archive")
            keys = "y / enter: confirm   "
            if self.can_archive:
                keys += "a: toggle archive   "
            yield Static(Text(keys + "n / escape: cancel", style="dim"))

    def on_mount(self) -> None:
        self._show()
        if self.can_archive:
            self.query_one("#archive", Checkbox).focus()

    @property
    def archive(self) -> bool:
        return self.can_archive and self.query_one("#archive", Checkbox).value

    def _show(self) -> None:
        archive = self.archive
        self.query_one("#effect", Static).update(
            Text(safe_multiline(transition_effect(self.version, self.stage, archive,
                                                  self.versions)))
        )
        warnings = alias_warnings(self.version, self.stage, archive, self.versions)
        box = self.query_one("#warnings", Static)
        box.update(Text(safe_multiline("\n".join(warnings))))
        box.display = bool(warnings)

    def on_checkbox_changed(self, _event: Checkbox.Changed) -> None:
        self._show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # without the choice, `a` must neither show nor do anything
        return action != "toggle_archive" or self.can_archive

    def action_toggle_archive(self) -> None:
        if self.can_archive:
            box = self.query_one("#archive", Checkbox)
            box.value = not box.value

    def action_confirm(self) -> None:
        self.dismiss(self.archive)

    def action_cancel(self) -> None:
        self.dismiss(None)


class AliasDialog(ModalScreen[str | None]):
    """Set or move an alias onto a version, saying where it moves from."""

    DEFAULT_CSS = DIALOG_CSS.format(name="AliasDialog")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="alias.cancel")]

    def __init__(self, version: ModelVersion, aliases: dict[str, int]):
        super().__init__()
        self.version = version
        self.aliases = aliases

    def compose(self) -> ComposeResult:
        v = self.version
        with Vertical():
            yield Label(Text(f"Alias for {safe_text(v.name)} v{v.version}"), classes="title")
            yield SafeInput(
                placeholder="alias name, e.g. champion",
                suggester=SuggestFromList([editable_text(a, multiline=False)
                                           for a in sorted(self.aliases)],
                                          case_sensitive=True),
            )
            yield Static(id="alias-effect", classes="body")
            existing = ", ".join(f"@{a}→v{n}" for a, n in sorted(self.aliases.items()))
            yield Static(Text(f"existing: {safe_text(existing) or 'none'}   →: complete   "
                              "enter: set   escape: cancel", style="dim"))

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def effect(self, alias: str) -> tuple[str, bool]:
        if not alias:
            return "", False
        try:
            check_alias(alias)
        except InvalidValue as exc:
            return str(exc), False
        current = self.aliases.get(alias)
        if current is None:
            return f"New alias @{alias} → v{self.version.version}", True
        if current == self.version.version:
            return f"@{alias} already points to v{current}; nothing changes", True
        return f"@{alias} moves from v{current} to v{self.version.version}", True

    def on_input_changed(self, event: Input.Changed) -> None:
        text, ok = self.effect(stored_text(event.value).strip())
        widget = self.query_one("#alias-effect", Static)
        widget.update(Text(safe_text(text), style="" if ok else "red"))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        alias = stored_text(event.value).strip()
        text, ok = self.effect(alias)
        if ok:
            self.dismiss(alias)
        elif text:
            self.query_one("#alias-effect", Static).update(Text(safe_text(text), style="red"))

    def action_cancel(self) -> None:
        self.dismiss(None)


class PickDialog(ModalScreen[str | None]):
    """Pick one of a few strings."""

    DEFAULT_CSS = DIALOG_CSS.format(name="PickDialog") + (
        "PickDialog OptionList { height: auto; max-height: 12; }"
    )
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="pick.cancel")]

    def __init__(self, title: str, choices: list[str]):
        super().__init__()
        self._title = title
        self.choices = choices

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            yield OptionList(*[Option(Text(safe_text(c)), id=str(i))
                               for i, c in enumerate(self.choices)])

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.choices[int(event.option.id or 0)])

    def action_cancel(self) -> None:
        self.dismiss(None)


TAG_VALUE_SHOWN = 500
"""Characters of a tag value a confirmation quotes; longer values say their length."""


def _quoted(value: str | None, missing: str) -> str:
    if value is None:
        return missing
    text = safe_text(value)
    if len(text) > TAG_VALUE_SHOWN:
        return f'"{text[:TAG_VALUE_SHOWN]}…" ({len(value)} characters)'
    return f'"{text}"'


def tag_change(subject: str, key: str, old: str | None, new: str | None) -> str:
    """The one change a tag write makes, for its confirmation: which tag of what,
    and its value before and after (None: not set / deleted)."""
    return (
        f'Tag "{safe_text(key)}" of {safe_text(subject)}:\n'
        f"{_quoted(old, '(not set)')} → {_quoted(new, '(deleted)')}\n"
        "Nothing else changes."
    )


class TagsDialog(ModalScreen[None]):
    """List tags; a adds, e / enter edits, d deletes. Each change is confirmed,
    showing the key and its value before and after, and only then handed to
    ``save`` / ``delete`` (which write in a worker); the list then reloads."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TagsDialog") + "TagsDialog DataTable { height: 12; }"
    BINDINGS = [
        Binding("a", "add", "Add", id="tags.add"),
        Binding("e", "edit", "Edit", id="tags.edit"),
        Binding("d", "delete", "Delete", id="tags.delete"),
        Binding("escape,q", "close", "Close", id="tags.close"),
    ]

    def __init__(
        self,
        subject: str,
        tags: dict[str, str],
        save: Callable[[str, str], None],
        delete: Callable[[str], None],
    ):
        super().__init__()
        self.subject = subject
        self.tags = dict(tags)
        self.save = save
        self.delete = delete

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(f"Tags of {self.subject}")), classes="title")
            yield VimTable(cursor_type="row", id="tags")
            yield Static(Text("a: add   e/enter: edit   d: delete   escape: close", style="dim"))

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("Key", "Value")
        self.show_tags(self.tags)
        table.focus()

    def show_tags(self, tags: dict[str, str]) -> None:
        self.tags = dict(tags)
        table = self.query_one(DataTable)
        table.clear()
        for key, value in sorted(self.tags.items()):
            table.add_row(Text(safe_text(key)), Text(safe_text(value)[:200]), key=key)

    def _current_key(self) -> str | None:
        keys = sorted(self.tags)
        row = self.query_one(DataTable).cursor_row
        return keys[row] if 0 <= row < len(keys) else None

    def action_add(self) -> None:
        def got_key(key: str | None) -> None:
            if key:
                self._ask_value(key, self.tags.get(key, ""))

        self.app.push_screen(PromptDialog("New tag: key", validate=_tag_key_problem), got_key)

    def _ask_value(self, key: str, value: str) -> None:
        def got_value(new: str | None) -> None:
            if new is not None:
                self._confirm_save(key, new)

        self.app.push_screen(PromptDialog(f"Value of tag {key}", value), got_value)

    def _confirm_save(self, key: str, new: str) -> None:
        # the value as this dialog shows it: what the person agreed to change
        old = self.tags.get(key)
        if old == new:
            self.notify(f"Tag {safe_text(key)} already has that value; nothing written",
                        markup=False)
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.save(key, new)

        title, label = ("Add tag", "Add") if old is None else ("Change tag", "Change")
        self.app.push_screen(
            ConfirmDialog(title, tag_change(self.subject, key, old, new), label), confirmed
        )

    def action_edit(self) -> None:
        key = self._current_key()
        if key is not None:
            self._ask_value(key, self.tags[key])

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_edit()

    def action_delete(self) -> None:
        key = self._current_key()
        if key is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.delete(key)

        self.app.push_screen(
            ConfirmDialog("Delete tag", tag_change(self.subject, key, self.tags[key], None),
                          "Delete", danger=True),
            confirmed,
        )

    def action_close(self) -> None:
        self.dismiss(None)


def _tag_key_problem(key: str) -> str | None:
    try:
        check_tag(key, "")
    except InvalidValue as exc:
        return str(exc)
    return None


class DiscardChanges(ModalScreen[bool]):
    """Asked when escape would throw edited text away: y discards, n / escape keeps
    editing. Keep editing has the focus, so a stray enter loses nothing."""

    DEFAULT_CSS = DIALOG_CSS.format(name="DiscardChanges")
    BINDINGS = [
        Binding("y", "answer(True)", "Discard", id="discard.yes"),
        Binding("n,escape", "answer(False)", "Keep editing", id="discard.no"),
    ]

    def __init__(self, title: str):
        super().__init__()
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text("Discard your changes?"), classes="title")
            yield Static(Text(safe_text(f"{self._title}: your edits are not saved yet.")),
                         classes="body")
            with Horizontal(classes="buttons"):
                yield Button("Keep editing (n)", id="keep", variant="primary")
                yield Button("Discard (y)", id="discard", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "discard")

    def action_answer(self, discard: bool) -> None:
        self.dismiss(discard)


class SafeTextArea(TextArea):
    """A TextArea whose pasted text keeps control characters as visible symbols."""

    async def _on_paste(self, event: events.Paste) -> None:
        event.prevent_default()  # TextArea's own handler would insert the raw text
        await super()._on_paste(events.Paste(editable_text(event.text)))


class TextEditor(ModalScreen[str | None]):
    """Multi-line editor for descriptions: ctrl+s saves; escape closes, after
    asking whether to discard the text if it was edited.

    The TextArea holds the editable form of the text (``textfmt.editable_text``:
    control characters other than newline and tab as symbols, ␛ for ESC, ␍ for CR,
    ␦u009d for U+009D), so none reaches the terminal; saving reads the value back
    with ``stored_text``, so untouched text is saved byte for byte as it was."""

    DEFAULT_CSS = DIALOG_CSS.format(name="TextEditor") + """
    TextEditor > Vertical { height: 80%; max-width: 110; }
    TextEditor TextArea { height: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", priority=True, id="editor.save"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel"),
    ]

    def __init__(self, title: str, text: str | None):
        super().__init__()
        self._title = title
        self._text = "" if text is None else text
        self._initial = editable_text(self._text)

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(Text(safe_text(self._title)), classes="title")
            yield SafeTextArea(self._initial, soft_wrap=True, show_line_numbers=False)
            keys = "ctrl+s: save   escape: close (asks if edited)   Markdown"
            if has_symbols(self._initial):
                keys += f"\n{SYMBOLS_HINT}"
            yield Static(Text(keys, style="dim"))

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        # compare with what the editor made of the text, so an untouched description
        # never counts as edited (CR and the other line breaks but newline are
        # symbols in it, so it has nothing left to normalise)
        self._initial = area.text
        area.focus()

    @property
    def edited(self) -> bool:
        return self.query_one(TextArea).text != self._initial

    def action_save(self) -> None:
        area = self.query_one(TextArea)
        # untouched: the text as given, whatever the editor made of it
        self.dismiss(self._text if area.text == self._initial else stored_text(area.text))

    def action_cancel(self) -> None:
        if not self.edited:
            self.dismiss(None)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(DiscardChanges(self._title), answered)
