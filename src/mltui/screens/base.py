"""What every mltui screen knows: its app, typed, and the open store."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

from ..store.base import BaseStore

if TYPE_CHECKING:
    from ..app import MltuiApp

ResultType = TypeVar("ResultType")

NEEDS_CAPABILITY = {"traces": "traces", "logged_models": "logged_models"}
"""Actions offered only when the store has the capability (``Capabilities`` field):
a store without MLflow 3's tables shows no such key, rather than an error."""


class MltuiScreen(Screen[ResultType]):
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        needed = NEEDS_CAPABILITY.get(action)
        store = self.mltui.store
        if needed is not None and store is not None:
            return bool(getattr(store.capabilities, needed))
        return True

    @property
    def mltui(self) -> MltuiApp:
        """The app, with mltui's own attributes (settings, state, store label)."""
        return cast("MltuiApp", self.app)

    @property
    def store(self) -> BaseStore:
        """The open store. Screens are pushed only once it is open."""
        store = self.mltui.store
        if store is None:  # pragma: no cover - a programming error, not a user's
            raise RuntimeError("no store is open yet")
        return store


class MltuiModal(ModalScreen[ResultType]):
    @property
    def mltui(self) -> MltuiApp:
        return cast("MltuiApp", self.app)


if TYPE_CHECKING:
    ScreenMixin = MltuiScreen
else:
    ScreenMixin = object
"""The base of a mixin of screen methods (``detail.DetailTabs``, ``charts.ChartsTab``):
an ``MltuiScreen`` to the type checker, nothing at run time, so the mixin is no
screen of its own and the screen that uses it says which screen it is."""
