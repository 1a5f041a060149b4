"""What the runs and the traces screens share: one paged table
(:class:`~mltui.widgets.paged_table.PagedTable`) over a query, read page by page.

A :class:`~mltui.views.run_pages.PageBook` keeps, for the current query, which
pages were asked for and the total; this screen starts the workers that read the
pages the table asks for (at most two at once, the rest waiting while they are on
screen), takes the total from the first page or, from a store that cannot count,
from a slower count in its own worker, puts the cursor back after a reload (r),
shows a page that failed, and applies a filter typed in the filter bar. What a
page is, how the store is asked and what the rows hold is the subclass's
(``runs.py``, ``traces.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from rich.text import Text
from textual.widgets import Static

from ..background import run_blocking
from ..store.errors import InvalidSearch
from ..textfmt import safe_text
from ..views.run_pages import PageAnswer, PageBook
from ..widgets.filter_bar import FilterBar
from ..widgets.paged_table import PagedRows, PagedTable
from .base import MltuiScreen

PageT = TypeVar("PageT", bound=PageAnswer)
"""A page as the store returned it: ``LoadedPage``, ``LoadedTraces``."""


class MltuiPagedScreen(MltuiScreen, Generic[PageT]):
    """A screen around one paged table. Subclasses set ``rows`` and implement the
    hooks below the constructor. (Named as ``MltuiScreen`` is: a base, not a
    screen of its own.)"""

    NOUN: ClassVar[str] = "rows"
    """What the table lists, for 'Cannot load the runs'."""

    DEFAULT_CSS = """
    MltuiPagedScreen > #load-error { display: none; color: $error; padding: 1 2; height: auto; }
    MltuiPagedScreen.-failed > #load-error { display: block; }
    MltuiPagedScreen.-failed > PagedTable { display: none; }
    """

    rows: PagedRows[Any]

    def __init__(self) -> None:
        super().__init__()
        self.book = PageBook(self.mltui.settings.page_size)
        """Which pages of the current query were asked for, and the total."""
        self.filter_text = ""
        self.error: str | None = None
        """Why the last page failed to load (the status says so until a reload)."""
        self._restore: tuple[int, int] | None = None
        """The cursor's line and its offset from the top before r, to go back to."""

    @property
    def total(self) -> int | None:
        return self.book.total

    # -- what the subclass says ----------------------------------------------------
    @property
    def table(self) -> PagedTable[Any, Any]:
        raise NotImplementedError

    def update_status(self) -> None:
        raise NotImplementedError

    def _reset_rows(self) -> None:
        """A new query: empty the rows (the table's settings follow the query)."""
        raise NotImplementedError

    def _page_loader(self, page: int, first: bool) -> Callable[[], Any]:
        """What reads ``page`` of the current query in a worker (the first is
        counted where the store can count)."""
        raise NotImplementedError

    def _counter(self) -> Callable[[], int]:
        """What counts the current query's rows in a worker (a slow walk)."""
        raise NotImplementedError

    def _set_total(self, total: int) -> None:
        """The table has ``total`` lines (the rows' count of top-level rows)."""
        raise NotImplementedError

    def _keep_page(self, page: PageT, first: bool) -> None:
        """Put a page that arrived into the rows."""
        raise NotImplementedError

    def _pages_shown(self, first_line: int, last_line: int) -> set[int]:
        """The pages that hold the lines from ``first_line`` to ``last_line``."""
        raise NotImplementedError

    def _check_filter(self, text: str) -> None:
        """Raise ``InvalidSearch`` (with the position of the mistake) for a filter
        that does not parse."""
        raise NotImplementedError

    def _sort_by(self, column: Any) -> None:
        raise NotImplementedError

    def _page_arriving(self, page: PageT, first: bool) -> None:
        """A page of the current query came, before the book takes its total."""

    def _prefetched(self) -> PageT | None:
        """A first page read before the screen opened, if it still answers."""
        return None

    # -- loading -------------------------------------------------------------------
    def reload(self, keep_total: bool = False, keep_cursor: bool = False) -> None:
        """Start over: a new filter or order (``keep_total`` when only the order
        changed, so the store need not count again), or the same query read again
        (``keep_cursor``: r, after a delete), which stays where it was."""
        self.book.restart(keep_total)
        self.error = None
        self.remove_class("-failed")
        table = self.table
        # where to put the cursor back once the table knows how long it is
        self._restore = (table.cursor, table.cursor - int(table.scroll_y)) if keep_cursor \
            else None
        self._reset_rows()
        table.forget_requests()
        table.data_changed()
        if not keep_cursor:
            table.move_cursor(0)  # a new query starts at its first row
        self.update_status()
        self.book.start(0)
        prefetched = self._prefetched()
        if prefetched is not None:
            self._page_loaded(self.book.generation, True, prefetched)
        else:
            self._fetch_page(0, first=True)

    def _fetch_page(self, page: int, first: bool = False) -> None:
        """Load ``page`` in a worker (the book already counts it as in flight)."""
        gen = self.book.generation
        run_blocking(
            self,
            self._page_loader(page, first),
            done=lambda result: self._page_loaded(gen, first, result),
            failed=lambda message: self._page_failed(gen, page, first, message),
            group=f"page-{gen}-{page}",
            exclusive=False,
        )

    def _page_loaded(self, gen: int, first: bool, result: PageT) -> None:
        book = self.book
        if not book.current(gen):
            return
        book.done(result.page)
        self._page_arriving(result, first)
        if first:
            if book.first_arrived(result):
                self._count_in_background(gen)
            self.mltui.show_store_warning()
        else:
            book.later_arrived(result)
        self._set_total(book.total or 0)
        self._keep_page(result, first)
        self.table.page_arrived(result.page)
        self._restore_cursor()
        self.update_status()
        self._drain_queue()

    def _restore_cursor(self) -> None:
        """Back to the row the cursor was on before a reload, once the table knows
        how long it is (until then it holds one page more than it has)."""
        if self._restore is None or not self.book.total_known:
            return
        line, offset = self._restore
        self._restore = None
        if line:
            self.table.move_cursor(line, keep_offset=offset)

    def _count_in_background(self, gen: int) -> None:
        """Stores without counts (REST) get the total from a slower walk, so the
        scrollbar and G know the real end."""
        run_blocking(self, self._counter(), done=lambda n: self._counted(gen, n),
                     failed=lambda _m: None, group="count")

    def _counted(self, gen: int, total: int) -> None:
        if self.book.current(gen):
            self.book.counted(total)
            self._set_total(total)
            self.table.data_changed()
            self._restore_cursor()
            self.update_status()

    def _page_failed(self, gen: int, page: int, first: bool, message: str) -> None:
        if not self.book.current(gen):
            return
        self.book.done(page)
        # the page stays "requested": drawing must not hammer a store that is down;
        # r (reload) asks again
        self.error = message
        if first:
            self.query_one("#load-error", Static).update(Text.assemble(
                (f"Cannot load the {self.NOUN}\n\n", "bold"), safe_text(message), "\n\n",
                ("r retries   escape goes back", "dim")))
            self.add_class("-failed")
        else:
            self.notify(f"{message} (r retries)", severity="error", timeout=8)
        self.update_status()
        self._drain_queue()

    def on_paged_table_page_needed(self, event: PagedTable.PageNeeded) -> None:
        if self.book.request(event.page, self.rows.has_page(event.page)):
            self._fetch_page(event.page)

    def _drain_queue(self) -> None:
        table = self.table
        first = int(table.scroll_y)
        wanted = self._pages_shown(first, first + table.body_height)
        fetch, dropped = self.book.next_pages(wanted, set(self.rows.pages))
        for page in dropped:
            table.forget_request(page)  # scrolled away: drawing it again asks again
        for page in fetch:
            self._fetch_page(page)

    # -- filter and sort -----------------------------------------------------------
    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.open(self.filter_text)
        bar.show_hint(self.filter_text)

    def on_filter_bar_submitted(self, event: FilterBar.Submitted) -> None:
        text = event.text.strip()
        bar = self.query_one(FilterBar)
        try:
            self._check_filter(text)
        except InvalidSearch as exc:
            # the rows on screen stay; the line under the input points at the mistake
            bar.show_error(str(exc), exc.position, text)
            return
        bar.clear_error()
        bar.remove_class("visible")
        self.table.focus()
        if text != self.filter_text:
            self.filter_text = text
            self.reload()

    def on_filter_bar_closed(self, _event: FilterBar.Closed) -> None:
        self.table.focus()

    def on_paged_table_header_clicked(self, event: PagedTable.HeaderClicked) -> None:
        self._sort_by(event.column)

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()
