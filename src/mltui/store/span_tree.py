"""A trace's spans as a tree, in the order a waterfall draws them.

Stores return spans as MLflow keeps them, which need not be a tree: a span's
parent may be missing (lost in export, or the trace is still being written), two
spans may name each other as parents, a span may name itself. :func:`span_tree`
always terminates and places every span exactly once, whatever the ids say:

- children come under their parent, each group by start time;
- a span whose parent is not in the trace becomes a root, marked ``orphan``;
- spans caught in a parent cycle (unreachable from any root) are placed from the
  earliest-started of them, also marked ``orphan``.

It walks with an explicit stack, so 1,000 nested spans need no recursion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from .trace_entities import Span


@dataclass(frozen=True)
class SpanNode:
    """One line of the tree."""

    span: Span
    depth: int
    """0 for a root."""
    orphan: bool = False
    """The span names a parent that is not in the trace (or is in a cycle)."""
    child_count: int = 0


def span_tree(spans: Sequence[Span]) -> list[SpanNode]:
    """Every span once, depth-first: roots by start time, children under parents."""
    def start(i: int) -> tuple[int, int]:
        return (spans[i].start_time_ns, i)

    ids = {s.span_id for s in spans}
    children: dict[str, list[int]] = defaultdict(list)
    roots: list[int] = []
    orphans: set[int] = set()
    for i, span in enumerate(spans):
        parent = span.parent_id
        if not parent:
            roots.append(i)
        elif parent not in ids:
            roots.append(i)
            orphans.add(i)
        else:
            children[parent].append(i)
    for group in children.values():
        group.sort(key=start)
    roots.sort(key=start)

    placed = [False] * len(spans)
    out: list[SpanNode] = []

    def walk(first: int) -> None:
        stack = [(first, 0)]
        while stack:
            i, depth = stack.pop()
            if placed[i]:
                continue
            placed[i] = True
            span = spans[i]
            # a span id used twice gets its children once: under the first placed
            kids = [k for k in children.pop(span.span_id, ()) if not placed[k]]
            out.append(SpanNode(span, depth, i in orphans, len(kids)))
            stack.extend((k, depth + 1) for k in reversed(kids))

    for root in roots:
        walk(root)
    if len(out) < len(spans):  # cycles: nothing above them is a root
        for i in sorted((i for i in range(len(spans)) if not placed[i]), key=start):
            if not placed[i]:
                orphans.add(i)
                walk(i)
    return out
