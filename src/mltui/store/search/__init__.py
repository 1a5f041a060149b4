"""MLflow's run search grammar: filter strings and order_by clauses -> an AST.

MLflow parses these strings with sqlparse and a set of rules in
``mlflow/utils/search_utils.py``. This module reproduces those rules by hand,
with the same accept/reject decisions and MLflow's wording for errors, plus
the position of the problem so the UI can point at it. It never produces SQL:
backends compile the AST (the SQL backend) or evaluate it in Python
(:mod:`.evaluate`).

Quirks kept on purpose because MLflow has them: ``AND`` may be repeated,
leading, trailing or even missing between comparisons; quoted values are not
unescaped (``'it''s'`` searches for ``it''s``); ``IS NOT  NULL`` with two
spaces is rejected; a few SQL keywords cannot follow a dot; ``params..a``
searches the key ``.a``; the attribute aliases apply to every entity
(``tags.created`` is the tag ``start_time``); a ``# comment`` may follow an IN
list; in order_by, leading or trailing spaces are rejected and backticks are
kept in the key unless a direction follows (``metrics.x.`a b``` vs
``metrics.x.`a b` DESC``).

Where sqlparse glues SQL syntax into one "identifier" MLflow accepts junk
keys; mltui rejects those on purpose, with a message: spaces next to a dot
(``params. lr``), anything before ``IS NULL`` other than a key (``tags.a = 'x'
tags.b IS NULL`` without AND), function calls, subscripts, casts, aliases and
``*`` in keys. ``tests/test_search_grammar.py`` lists them.
"""

from __future__ import annotations

from .evaluate import compare, run_matches, sort_runs
from .filters import parse_filter
from .order import order_by_string, parse_order_by, quote_key
from .terms import (
    ATTRIBUTE,
    ATTRIBUTE_KEYS_FOR_COMPLETION,
    DATASET,
    DATASET_KEYS,
    METRIC,
    PARAM,
    SEARCH_ATTRIBUTES,
    TAG,
    Clause,
    OrderKey,
)

__all__ = [
    "ATTRIBUTE",
    "ATTRIBUTE_KEYS_FOR_COMPLETION",
    "DATASET",
    "DATASET_KEYS",
    "METRIC",
    "PARAM",
    "SEARCH_ATTRIBUTES",
    "TAG",
    "Clause",
    "OrderKey",
    "compare",
    "order_by_string",
    "parse_filter",
    "parse_order_by",
    "quote_key",
    "run_matches",
    "sort_runs",
]
