"""What every mltui screen knows: its app, typed, and the open store."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

from ..store.base import BaseStore

if TYPE_CHECKING:
    from ..app import MltuiApp

ResultType = TypeVar("ResultType")


class MltuiScreen(Screen[ResultType]):
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
