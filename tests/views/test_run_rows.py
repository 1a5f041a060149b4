"""The display-line mapping of the runs table, without a terminal."""

from mltui.store.entities import Run
from mltui.views.run_rows import Line, RunRows


def runs(prefix: str, n: int) -> list[Run]:
    return [Run(run_id=f"{prefix}{i}", experiment_id="1", run_name=f"{prefix}{i}")
            for i in range(n)]


def test_pages_map_to_lines_and_missing_pages_read_as_none():
    rows = RunRows(page_size=10)
    rows.reset(25)
    rows.set_page(0, runs("a", 10))
    rows.set_page(2, runs("c", 5))
    assert rows.total_lines == 25
    assert rows.run_at(3).run_id == "a3"
    assert rows.run_at(12) is None  # page 1 not loaded
    assert rows.run_at(21).run_id == "c1"
    assert rows.top_indices_needed(8, 14) == {0, 1}


def test_expanded_children_are_spliced_under_their_parent():
    rows = RunRows(page_size=10)
    rows.reset(5)
    rows.set_page(0, runs("p", 5), {"p1": 3})
    rows.expand("p1", 1)
    # while loading, one note line stands for the children
    assert rows.total_lines == 6
    assert rows.line(2).note
    rows.set_children("p1", runs("c", 3))
    assert rows.total_lines == 8
    assert [rows.run_at(i).run_id for i in range(8)] == [
        "p0", "p1", "c0", "c1", "c2", "p2", "p3", "p4"]
    assert rows.line(3).child_index == 1 and rows.line(5).child_index is None
    assert rows.find_line("p3") == 6
    assert rows.find_line("c2") == 4
    rows.collapse("p1")
    assert rows.total_lines == 5
    assert rows.run_at(2).run_id == "p2"


def test_two_expansions_and_a_note_for_unloaded_children():
    rows = RunRows(page_size=10)
    rows.reset(4)
    rows.set_page(0, runs("p", 4))
    rows.expand("p2", 2)
    rows.set_children("p2", runs("y", 1), more=7)
    rows.expand("p0", 0)
    rows.set_children("p0", runs("x", 2))
    ids = [rows.run_at(i).run_id if rows.run_at(i) else rows.line(i).note
           for i in range(rows.total_lines)]
    assert ids[:5] == ["p0", "x0", "x1", "p1", "p2"]
    assert ids[5] == "y0"
    assert "7 more" in ids[6]
    assert ids[7] == "p3"
    assert rows.line_of_top(3) == 7


def test_lru_keeps_memory_bounded():
    rows = RunRows(page_size=10, max_pages=3)
    rows.reset(100)
    for page in range(10):
        rows.set_page(page, runs(f"r{page}-", 10))
    assert len(rows.pages) == 3
    assert set(rows.pages) == {7, 8, 9}


def test_expansions_follow_their_parent_when_pages_are_replaced():
    rows = RunRows(page_size=10)
    rows.reset(3)
    rows.set_page(0, runs("p", 3), {"p1": 2})
    rows.expand("p1", 1)
    rows.set_children("p1", runs("c", 2))
    # a live refresh: a new run sorts first, p1 moves down one row; p2 is gone
    rows.pages.clear()
    rows.total_top = 3
    rows.set_page(0, [Run(run_id="new", experiment_id="1"), *runs("p", 2)])
    rows.relocate_expansions()
    ids = [rows.run_at(i).run_id for i in range(rows.total_lines)]
    assert ids == ["new", "p0", "p1", "c0", "c1"]
    # a parent that left the loaded pages is folded
    rows.pages.clear()
    rows.set_page(0, [Run(run_id="x", experiment_id="1")])
    rows.relocate_expansions()
    assert not rows.is_expanded("p1")


def test_an_empty_table_has_no_lines():
    rows = RunRows(page_size=10)
    assert rows.total_lines == 0 and rows.line(0) is None and rows.run_at(0) is None
    rows.reset(3)
    rows.reset()
    assert rows.total_lines == 0 and rows.line(0) is None


def test_lines_outside_the_table_are_none():
    rows = RunRows(page_size=10)
    rows.reset(3)
    rows.set_page(0, runs("a", 3))
    assert rows.line(-1) is None
    assert rows.line(3) is None and rows.run_at(3) is None
    assert rows.line(2) == Line(2) and rows.run_at(2).run_id == "a2"


def test_a_short_last_page_reads_as_none_past_its_runs():
    # a store that cannot count: the total promises a page more than arrived
    rows = RunRows(page_size=10)
    rows.reset(20)
    rows.set_page(0, runs("a", 10))
    rows.set_page(1, runs("b", 5))
    assert rows.has_page(1) and not rows.has_page(2)
    assert rows.top_run(14).run_id == "b4"
    assert rows.top_run(15) is None and rows.run_at(19) is None


def test_note_lines_name_their_parent_and_say_what_is_missing():
    rows = RunRows(page_size=10)
    rows.reset(4)
    rows.set_page(0, runs("p", 4))
    rows.expand("p2", 2)
    assert rows.line(3) == Line(2, None, note="loading children…")
    rows.set_children("p2", runs("c", 1), more=7)
    assert rows.line(3) == Line(2, 0)
    assert rows.line(4) == Line(2, None, note="… 7 more child runs (flat view shows all)")
    assert rows.run_at(4) is None and rows.run_at(5).run_id == "p3"


def test_find_line_past_the_first_page_and_below_an_expansion():
    rows = RunRows(page_size=10)
    rows.reset(20)
    rows.set_page(0, runs("a", 10))
    rows.set_page(1, runs("b", 10))
    assert rows.find_line("b3") == 13
    rows.expand("a1", 1)
    rows.set_children("a1", runs("c", 2))
    assert rows.find_line("b3") == 15 and rows.find_line("c1") == 3
    assert rows.find_line("nope") is None


def test_pages_needed_for_exactly_the_lines_drawn():
    rows = RunRows(page_size=10)
    rows.reset(40)
    assert rows.top_indices_needed(0, 0) == {0}
    assert rows.top_indices_needed(0, 9) == {0}
    assert rows.top_indices_needed(0, 10) == {0, 1}
    assert rows.top_indices_needed(25, 27) == {2}
    assert rows.top_indices_needed(-5, 3) == {0}
    assert rows.top_indices_needed(38, 60) == {3}


def test_children_on_screen_need_no_page():
    rows = RunRows(page_size=10)
    rows.reset(20)
    rows.set_page(0, runs("a", 10))
    rows.expand("a9", 9)
    # lines 10.. are a9's loading note, then its children: no top-level row
    assert rows.top_indices_needed(10, 10) == set()
    rows.set_children("a9", runs("c", 5), more=2)
    assert rows.top_indices_needed(10, 15) == set()
    assert rows.top_indices_needed(10, 16) == {1}  # line 16 is top-level row 10


def test_collapsing_a_run_that_is_not_expanded_changes_nothing():
    rows = RunRows(page_size=10)
    rows.reset(3)
    rows.set_page(0, runs("p", 3))
    assert rows.collapse("p1") is None
    rows.expand("p1", 1)
    rows.set_children("p1", runs("c", 2))
    assert rows.collapse("p1").children[1].run_id == "c1"
    assert rows.collapse("p1") is None and rows.total_lines == 3


def test_lru_forgets_child_counts_of_dropped_runs_but_not_of_expanded_ones():
    rows = RunRows(page_size=2, max_pages=1)
    rows.reset(4)
    rows.set_page(0, runs("p", 2), {"p0": 3, "p1": 2})
    rows.expand("p0", 0)
    rows.set_page(1, runs("q", 2), {"q0": 1})
    assert list(rows.pages) == [1]
    assert rows.child_counts == {"p0": 3, "q0": 1}


def test_a_relocated_expansion_is_still_the_parents():
    rows = RunRows(page_size=10)
    rows.reset(3)
    rows.set_page(0, runs("p", 3))
    rows.expand("p1", 1)
    rows.set_children("p1", runs("c", 2))
    rows.pages.clear()
    rows.set_page(0, [Run(run_id="new", experiment_id="1"), *runs("p", 2)])
    rows.relocate_expansions()
    assert rows.is_expanded("p1") and rows.find_line("c0") == 3
    rows.collapse("p1")
    assert rows.total_lines == 3 and not rows.is_expanded("p1")
