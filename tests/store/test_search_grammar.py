"""mltui's run search grammar (``mltui.store.search``) against MLflow's own parser.

Three parts:

* unit tests of :func:`parse_filter` / :func:`parse_order_by`: kinds, keys,
  comparators, values, and errors with the position of the problem;
* parity with MLflow (``SearchUtils.parse_search_filter`` plus the comparator
  checks its SQL store makes later; ``parse_order_by_for_search_runs`` plus the
  store's dataset and duplicate checks) over a fixed list and over strings that
  hypothesis composes from fragments; accept/reject must agree, and accepted
  strings must give the same (kind, key, comparator, value) tuples;
* the SQL compiled from hostile filters carries user text in bound
  parameters only.

Intended differences (MLflow accepts, mltui rejects) are listed and tested in
``INTENDED_DIFFERENCES``; they are all text that sqlparse glues into one
"identifier" although it is not a key a user can mean.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.dialects import mysql, postgresql, sqlite

from mltui.store.errors import InvalidSearch
from mltui.store.search import (
    ATTRIBUTE,
    DATASET,
    METRIC,
    PARAM,
    TAG,
    OrderKey,
    order_by_string,
    parse_filter,
    parse_order_by,
    quote_key,
)
from mltui.store.sql.search import filter_conditions, order_clauses

# -- unit tests: filters ---------------------------------------------------------

FILTER_CASES = [
    ("", []),
    (None, []),
    ("metrics.loss < 0.5", [(METRIC, "loss", "<", 0.5)]),
    ("metric.`val/loss` >= 1e-3", [(METRIC, "val/loss", ">=", 0.001)]),
    ('metrics."val loss" = -1', [(METRIC, "val loss", "=", -1.0)]),
    ("metrics.'a b' != .5", [(METRIC, "a b", "!=", 0.5)]),
    ("metrics.métrique <= 2", [(METRIC, "métrique", "<=", 2.0)]),
    ("metrics.a>1", [(METRIC, "a", ">", 1.0)]),
    ("params.lr = '0.01'", [(PARAM, "lr", "=", "0.01")]),
    ('params.lr = "0.01"', [(PARAM, "lr", "=", "0.01")]),
    ("param.optimizer LIKE 'ad%'", [(PARAM, "optimizer", "LIKE", "ad%")]),
    ("parameters.x ilike 'A%'", [(PARAM, "x", "ILIKE", "A%")]),
    ("parameter.x != ''", [(PARAM, "x", "!=", "")]),
    # MLflow keeps quoted values raw: no unescaping of doubled or escaped quotes
    ("tags.quote = 'it''s'", [(TAG, "quote", "=", "it''s")]),
    (r"tags.q = 'it\'s'", [(TAG, "q", "=", r"it\'s")]),
    ('tags.q = "say ""hi"""', [(TAG, "q", "=", 'say ""hi""')]),
    ("tags.mlflow.runName = 'x'", [(TAG, "mlflow.runName", "=", "x")]),
    ("tags.`mlflow.runName` = 'x'", [(TAG, "mlflow.runName", "=", "x")]),
    ("tag.`a``b` = 'x'", [(TAG, "a``b", "=", "x")]),
    ("params.ключ = 'значение'", [(PARAM, "ключ", "=", "значение")]),
    ("params.`from` = 'x'", [(PARAM, "from", "=", "x")]),
    ("params.like = 'x'", [(PARAM, "like", "=", "x")]),
    ("params..lr = 'x'", [(PARAM, ".lr", "=", "x")]),  # sqlparse keeps the extra dot
    ("params.a. = 'x'", [(PARAM, "a.", "=", "x")]),
    ("params.x.`y z` = 'x'", [(PARAM, "x.`y z`", "=", "x")]),  # only whole keys lose backticks
    ("`params`.lr = 'x'", [(PARAM, "lr", "=", "x")]),
    ("tags.x IS NULL", [(TAG, "x", "IS NULL", None)]),
    ("params.x is not null", [(PARAM, "x", "IS NOT NULL", None)]),
    ("attributes.run_name = 'a'", [(ATTRIBUTE, "run_name", "=", "a")]),
    ("run_name = 'a'", [(ATTRIBUTE, "run_name", "=", "a")]),
    ("`Run name` LIKE 'a%'", [(ATTRIBUTE, "run_name", "LIKE", "a%")]),
    ("attr.\"run name\" = 'a'", [(ATTRIBUTE, "run_name", "=", "a")]),
    ("run.status != 'FAILED'", [(ATTRIBUTE, "status", "!=", "FAILED")]),
    ("attribute.user_id ILIKE 'al%'", [(ATTRIBUTE, "user_id", "ILIKE", "al%")]),
    ("created > 5", [(ATTRIBUTE, "start_time", ">", 5)]),
    ("Created > 5", [(ATTRIBUTE, "start_time", ">", 5)]),
    ("attributes.end_time <= 1.5", [(ATTRIBUTE, "end_time", "<=", 1.5)]),
    ("run_id IN ('a', 'b')", [(ATTRIBUTE, "run_id", "IN", ("a", "b"))]),
    ("attributes.run_id NOT IN ('a')", [(ATTRIBUTE, "run_id", "NOT IN", ("a",))]),
    ('run_id in ("a",)', [(ATTRIBUTE, "run_id", "IN", ("a",))]),
    ("run_id not  in ('a')", [(ATTRIBUTE, "run_id", "NOT IN", ("a",))]),
    ("datasets.context = 'training'", [(DATASET, "context", "=", "training")]),
    ("dataset.name IN ('a','b')", [(DATASET, "name", "IN", ("a", "b"))]),
    ("datasets.digest ILIKE 'ab%'", [(DATASET, "digest", "ILIKE", "ab%")]),
    # AND may be repeated, leading, trailing or missing between comparisons
    (
        "AND metrics.a = 1 AND AND metrics.b = 2 AND",
        [(METRIC, "a", "=", 1.0), (METRIC, "b", "=", 2.0)],
    ),
    ("metrics.a = 1 metrics.b = 2", [(METRIC, "a", "=", 1.0), (METRIC, "b", "=", 2.0)]),
    ("params.a='x'AND params.b='y'", [(PARAM, "a", "=", "x"), (PARAM, "b", "=", "y")]),
    ("tags.a IS NULL tags.b IS NULL", [(TAG, "a", "IS NULL", None), (TAG, "b", "IS NULL", None)]),
    ("run_id IN ('a') tags.b = 'x'", [(ATTRIBUTE, "run_id", "IN", ("a",)), (TAG, "b", "=", "x")]),
    ("  params.a\t=\n'x'  ", [(PARAM, "a", "=", "x")]),
    # MLflow translates attribute aliases whatever the entity: tag "start_time"
    ("tags.created IS NULL", [(TAG, "start_time", "IS NULL", None)]),
    ("params.`Run Name` = 'x'", [(PARAM, "run_name", "=", "x")]),
    ("metrics.Created > 1", [(METRIC, "start_time", ">", 1.0)]),
]


def _tuples(clauses):
    return [(c.kind, c.key, c.comparator, c.value) for c in clauses]


@pytest.mark.parametrize(("text", "expected"), FILTER_CASES, ids=repr)
def test_parse_filter(text, expected):
    assert _tuples(parse_filter(text)) == expected


def test_value_types():
    (metric,) = parse_filter("metrics.a = 1")
    assert isinstance(metric.value, float)
    (created,) = parse_filter("created > 5")
    assert type(created.value) is int
    (ended,) = parse_filter("end_time > 5.0")
    assert type(ended.value) is float


def test_clause_spans_cover_the_clause():
    text = "metrics.a < 1 AND tags.`b c` IS NOT NULL AND run_id IN ('x', 'y')"
    spans = [text[c.start : c.end] for c in parse_filter(text)]
    assert spans == ["metrics.a < 1", "tags.`b c` IS NOT NULL", "run_id IN ('x', 'y')"]


# (filter, text found at the error position, words of the message)
FILTER_ERRORS = [
    ("metrics.a <> 1", "<> 1", "Invalid comparator '<>'"),
    ("metrics.a == 1", "== 1", "Invalid comparator '=='"),
    ("params.a RLIKE 'x'", "RLIKE", "Invalid comparator 'RLIKE'"),
    ("params.a NOT LIKE 'x'", "NOT LIKE", "Invalid comparator 'NOT LIKE'"),
    ("metrics.a LIKE 1", "LIKE 1", "Invalid comparator 'LIKE'"),
    ("datasets.name > 'a'", "> 'a'", "Invalid comparator '>'"),
    ("run_id = ('a')", "= ('a')", "needs IN or NOT IN"),
    ("metrics.a = 'x'", "'x'", "Expected numeric value type for metric"),
    ("params.a = 1", "1", "Expected a quoted string value for parameter"),
    ("params.a = x", "x", "not quoted"),
    ("params.a = `x`", "`x`", "not quoted"),
    ("start_time = 'x'", "'x'", "numeric attribute: start_time"),
    ("foo.a = 1", "foo.a", "Invalid entity type 'foo'"),
    ("attributes.nope = 'x'", "attributes.nope", "Invalid attribute key 'nope'"),
    ("datasets.foo = 'x'", "datasets.foo", "Invalid dataset key 'foo'"),
    ("metrics.a IS NULL", "metrics.a", "only supported for tags and params"),
    ("metrics.a = 1 OR metrics.b = 2", "OR", "'OR'"),
    ("metrics.a = 1; DROP TABLE runs", "; DROP", "multiple expression"),
    ("metrics.a = 1;", ";", "';'"),
    ("(metrics.a = 1)", "(metrics", "'('"),
    ("metrics.a", "metrics.a", "expected a comparison"),
    ("metrics.a =", "=", "expected a value"),
    ("params.a = 'x", "'x", "Unclosed quote"),
    ("run_id IN ()", "()", "empty list"),
    ("run_id IN (1)", "(1)", "different type in list"),
    ("run_id IN ('a'", "('a'", "never closed"),
    ("run_name IN ('a')", "('a')", "Only ['run_id'] attributes support"),
    ("status IN 'x'", "IN 'x'", "'IN'"),
    ("metrics.a = 1 -- c", "-- c", "'-- c'"),
    ("params.from = 'x'", "from", "SQL keyword"),
    ("NOT params.a = 'x'", "NOT", "'NOT'"),
    ("params.a = 'x' AND NOT params.b = 'y'", "NOT", "'NOT'"),
    ("metrics.a = 0x1", "0x1", "'0x1'"),
    ("params.a = 'x' foo", "foo", "expected a comparison"),
    ("tags.a = 'x' tags.b IS NULL", "tags.b IS NULL", "Missing AND"),
    ("params. a = 'x'", " a", "space next to '.'"),
    ("params .a = 'x'", " .a", "space next to '.'"),
    (" ", " ", "Could not be parsed"),
]


@pytest.mark.parametrize(("text", "at", "message"), FILTER_ERRORS, ids=repr)
def test_filter_errors_say_what_and_where(text, at, message):
    with pytest.raises(InvalidSearch) as err:
        parse_filter(text)
    assert message in str(err.value)
    assert err.value.text == text
    assert err.value.position is not None
    assert text[err.value.position :].startswith(at)
    assert f"(at character {err.value.position + 1})" in str(err.value)


# -- unit tests: order_by ----------------------------------------------------------

ORDER_CASES = [
    ([], []),
    (None, []),
    ("metrics.loss", [(METRIC, "loss", True)]),
    (["metrics.loss DESC"], [(METRIC, "loss", False)]),
    (["metrics.`val/loss` desc"], [(METRIC, "val/loss", False)]),
    (["metrics.`val/loss`"], [(METRIC, "val/loss", True)]),
    (["params.lr ASC", "tags.`a b`"], [(PARAM, "lr", True), (TAG, "a b", True)]),
    (["attributes.run_name"], [(ATTRIBUTE, "run_name", True)]),
    (["created DESC"], [(ATTRIBUTE, "start_time", False)]),
    (["status\tDESC"], [(ATTRIBUTE, "status", False)]),
    (["tags.mlflow.runName"], [(TAG, "mlflow.runName", True)]),
    # MLflow shell-splits "identifier direction" after turning ` into ":
    # with a direction the key loses its quotes, without one it keeps them.
    (["metrics.x.`a b`"], [(METRIC, "x.`a b`", True)]),
    (["metrics.x.`a b` DESC"], [(METRIC, "x.a b", False)]),
    (["metrics.`a``b`"], [(METRIC, "a``b", True)]),
    (["metrics.`a``b` ASC"], [(METRIC, "ab", True)]),
    (["metrics.a `DESC`"], [(METRIC, "a", False)]),  # an "alias" to sqlparse
    (["metrics.`a`DESC"], [(METRIC, "`a`DESC", True)]),  # no space: part of the key
    (["metrics.1 DESC"], [(METRIC, "1", False)]),
    (['"metrics".a DESC'], [(METRIC, "a", False)]),
    (["metrics. DESC"], [(METRIC, "", False)]),
]


@pytest.mark.parametrize(("order_by", "expected"), ORDER_CASES, ids=repr)
def test_parse_order_by(order_by, expected):
    assert [(k.kind, k.key, k.ascending) for k in parse_order_by(order_by)] == expected


ORDER_ERRORS = [
    (["metrics.loss DESCENDING"], "Invalid ordering key"),
    (["metrics.loss ASC DESC"], "Could not be parsed"),
    ([" metrics.loss"], "Could not be parsed"),
    (["metrics.loss "], "Could not be parsed"),
    (["metrics.loss", "metrics.loss DESC"], "duplicate fields"),
    (["created", "start_time"], "duplicate fields"),
    (["datasets.name"], "Invalid identifier type 'dataset'"),
    (["attributes.run name"], "Invalid ordering key"),
    (["attributes.nope"], "Invalid attribute key 'nope'"),
    (["metrics.loss; DROP TABLE runs"], "Could not be parsed"),
    (["(metrics.loss)"], "Could not be parsed"),
    (["metrics.loss, params.lr"], "Could not be parsed"),
    (["metrics.1"], "Could not be parsed"),
    (['metrics.`a"b`'], "Could not be parsed"),
    ([""], "Could not be parsed"),
]


@pytest.mark.parametrize(("order_by", "message"), ORDER_ERRORS, ids=repr)
def test_order_by_errors(order_by, message):
    with pytest.raises(InvalidSearch) as err:
        parse_order_by(order_by)
    assert message in str(err.value)
    assert err.value.position is not None


ROUND_TRIP_KEYS = [
    "loss", "val/loss", "a b", "a.b", "a.1", "1", "x.from", "from", "as", "mlflow.runName",
    "métrique", "ключ", "a-b", "a:b", "a.", "_x", "like", "it's",
]  # fmt: skip


@pytest.mark.parametrize("key", ROUND_TRIP_KEYS)
@pytest.mark.parametrize("kind", [METRIC, PARAM, TAG])
def test_quote_key_and_order_by_string_round_trip(kind, key):
    value = "1" if kind == METRIC else "'x'"
    text = f"{quote_key(kind, key)} = {value}"
    assert [(c.kind, c.key) for c in parse_filter(text)] == [(kind, key)]
    assert mlflow_filter(text) == mltui_filter(text)
    order = [order_by_string(OrderKey(kind, key, False))]
    assert parse_order_by(order) == [OrderKey(kind, key, False)]
    assert mlflow_order_by(order) == mltui_order_by(order)


# -- MLflow, the reference ------------------------------------------------------------

REJECTED = "rejected"


def mlflow_filter(text):
    """What MLflow's SQL store makes of ``text``: clause tuples, or REJECTED."""
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    try:
        parsed = SearchUtils.parse_search_filter(text)
    except MlflowException:
        return REJECTED
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        # ast.literal_eval of "(a)" escapes as ValueError; the server answers 500
        return REJECTED
    out = []
    for clause in parsed:
        # the checks _get_sqlalchemy_filter_clauses makes before building SQL
        kind, comparator = clause["type"], clause["comparator"].upper()
        key = SearchUtils.translate_key_alias(clause["key"])
        value = clause["value"]
        try:
            known = (
                SearchUtils.is_string_attribute(kind, key, comparator)
                or SearchUtils.is_numeric_attribute(kind, key, comparator)
                or SearchUtils.is_metric(kind, comparator)
                or SearchUtils.is_param(kind, comparator)
                or SearchUtils.is_tag(kind, comparator)
                or SearchUtils.is_dataset(kind, comparator)
            )
        except MlflowException:
            return REJECTED
        if not known:
            return REJECTED
        if kind == "metric":
            value = float(value)
        if isinstance(value, tuple) and comparator not in ("IN", "NOT IN"):
            return REJECTED  # the database driver cannot bind a tuple
        out.append((kind, key, comparator, value))
    return out


def mltui_filter(text):
    try:
        return _tuples(parse_filter(text))
    except InvalidSearch:
        return REJECTED


def mlflow_order_by(order_by):
    from mlflow.exceptions import MlflowException
    from mlflow.utils.search_utils import SearchUtils

    out, seen = [], set()
    for clause in order_by:
        try:
            kind, key, ascending = SearchUtils.parse_order_by_for_search_runs(clause)
        except (MlflowException, ValueError):  # shlex: "No closing quotation"
            return REJECTED
        key = SearchUtils.translate_key_alias(key)
        if kind == "dataset" or (kind, key) in seen:  # _get_orderby_clauses
            return REJECTED
        seen.add((kind, key))
        out.append((kind, key, ascending))
    return out


def mltui_order_by(order_by):
    try:
        return [(k.kind, k.key, k.ascending) for k in parse_order_by(order_by)]
    except InvalidSearch:
        return REJECTED


_KEY_PART = r"""(?:\w+|`(?:``|[^`])*`|"(?:""|\\"|[^"])*"|'(?:''|\\'|[^'])*')"""
_PLAIN_IDENTIFIER = re.compile(rf"{_KEY_PART}(?:\.+{_KEY_PART})*\.*")


def sqlparse_identifiers(text):
    """The left-hand sides of the comparisons MLflow finds in ``text``."""
    import sqlparse
    from mlflow.utils.search_utils import _join_in_comparison_tokens
    from sqlparse.sql import Comparison

    statements = sqlparse.parse(text)
    if len(statements) != 1:
        return []
    found = []
    for token in _join_in_comparison_tokens(statements[0].tokens):
        if isinstance(token, Comparison):
            found.append(next(t for t in token.tokens if not t.is_whitespace).value)
    return found


def glued_by_sqlparse(text):
    """True when sqlparse made an "identifier" of more than prefix.key: spaces
    at a dot, junk before IS NULL, function calls, casts, aliases, ``*``."""
    return any(not _PLAIN_IDENTIFIER.fullmatch(i) for i in sqlparse_identifiers(text))


def sql_syntax_in_order_by(clause):
    """True when sqlparse grouped SQL syntax (``*``, ``[0]``, operators, ``::``)
    into the order_by identifier."""
    import sqlparse
    from sqlparse import tokens as T

    for statement in sqlparse.parse(clause):
        for token in statement.flatten():
            if token.ttype in T.Wildcard or token.ttype in T.Operator:
                return True
            if token.ttype in T.Punctuation and token.value != ".":
                return True
    return False


def assert_filter_parity(text):
    expected, got = mlflow_filter(text), mltui_filter(text)
    assert got == expected, f"{text!r}: MLflow {expected!r}, mltui {got!r}"


def assert_order_by_parity(order_by):
    expected, got = mlflow_order_by(order_by), mltui_order_by(order_by)
    assert got == expected, f"{order_by!r}: MLflow {expected!r}, mltui {got!r}"


# -- intended differences -----------------------------------------------------------

#: MLflow accepts these because sqlparse glues them into one "identifier";
#: mltui rejects them. (filter, the key MLflow would search, text at mltui's error)
INTENDED_DIFFERENCES = [
    # IS [NOT] NULL joining takes whatever sqlparse grouped before IS as the key
    ("tags.`x y` ('a') metrics.a IS NULL", "`x y` ('a') metrics.a", "("),
    ("tags.a = 'x' tags.b IS NULL", "a = 'x' tags.b", "tags.b"),
    ("params.a LIKE 'x%' params.b IS NOT NULL", "a LIKE 'x%' params.b", "params.b"),
    # spaces next to a dot become part of the key
    ("params. lr = '0.1'", " lr", " lr"),
    ("params. a = 'x'", " a", " a"),
    ("params.\nlr IS NULL", "\nlr", "\nlr"),
    ("metrics.a .b = 1", "a .b", " .b"),
    ("tags.. x = 'y'", ". x", " x"),
    # SQL syntax inside a key: function calls, subscripts, casts, aliases, *
    ("metrics.a(1) = 1", "a(1)", "(1)"),
    ("metrics.`a b` (1) = 1", "`a b` (1)", "(1)"),
    ("metrics.a[0] = 1", "a[0]", "[0]"),
    ("params.a::int = 'x'", "a::int", "::int"),
    ("params.a AS b IS NULL", "a AS b", "AS"),
    ("metrics.* = 1", "*", "*"),
]


# -- parity over a fixed list ---------------------------------------------------------

_DIFFERENT = {text for text, *_ in INTENDED_DIFFERENCES}
PARITY_FILTERS = [text for text, _ in FILTER_CASES if text]
PARITY_FILTERS += [text for text, *_ in FILTER_ERRORS if text not in _DIFFERENT]
PARITY_FILTERS += [
    "metrics.a = 1e3",
    "metrics.a = 1E-3",
    "metrics.a = 1.",
    "metrics.a = -.5",
    "metrics.a = 1e",
    "metrics.a = +1",
    "metrics.a = 1a",
    "metrics.a = NaN",
    "metrics.a = inf",
    "metrics.a = NULL",
    "params.a = NULL",
    "params.a = TRUE",
    "params.a = N'x'",
    "params.a = 'x' 'y'",
    "params.a = ('x')",
    "params.a IN ('x')",
    "metrics.a IN (1)",
    "run_id IN ('a', 1)",
    "run_id IN (('a'))",
    "run_id IN ('a' 'b')",
    "run_id IN ['a']",
    "run_id NOT IN ('a')",
    "run_id NOT  IN ('a')",
    "datasets.context NOT IN ('x')",
    "datasets.context IN ()",
    "status = 'x' AND run_id IN ('a') AND created > 0",
    "lifecycle_stage = 'active'",
    "experiment_id = '1'",
    "run_uuid = 'x'",
    "attributes.run_id LIKE 'a%'",
    "params.select = 'x'",
    "params.in = 'x'",
    "params.as = 'x'",
    "params.values = 'x'",
    "params.case = 'x'",
    "params.using = 'x'",
    "params.a.from = 'x'",
    "params.`a`.b = 'x'",
    "params.\"a\".b = 'x'",
    "params.'a'.b = 'x'",
    "params.'a' = 'x'",
    "params.a.'b' = 'x'",
    "params.1 = 'x'",
    "params.1a = 'x'",
    "params._x = 'x'",
    "params.a-b = 'x'",
    "params.a/b = 'x'",
    "params.é = 'x'",
    "params.ß = 'x'",
    "metrics.a = 1 AND",
    "metrics.a = 1 AND AND",
    "AND",
    "AND AND",
    "OR",
    ";",
    "metrics.a = 1 /* c */",
    "metrics.a = 1 # c",
    "metrics.a = 1 -- c\nAND metrics.b = 2",
    "-- c\nmetrics.a = 1",
    "metrics.a = 1, metrics.b = 2",
    "metrics.a = 1 && metrics.b = 2",
    "metrics.a = 1 AND (metrics.b = 2)",
    "metrics.a BETWEEN 1 AND 2",
    "tags.a IS 'x'",
    "tags.a IS NOT 'x'",
    "tags.a ISNULL",
    "tags.a IS  NOT NULL",
    "tags.a IS NOT  NULL",
    "tags.a IS NULL AND tags.b IS NOT NULL",
    "tags.a = 'x' tags.b = 'y'",
    "tags.a = 'x' run_id IN ('a')",
    "run_id IN ('a') run_id IN ('b')",
    "tags.a IS NULL run_id IN ('a')",
    "params.lr = '1'' OR 1=1 --'",
    "tags.t = '; DROP TABLE runs; --'",
    "params.`x'; DROP TABLE runs; --` = 'y'",
    "params.a = '\x00'",
    "params.a = '\x1b[31m'",
    "params.a = 'é' AND tags.ключ = 'значение'",
    "params.a = '%' AND params.b LIKE '\\%'",
    # sqlparse folds comments after an IN list into the list; ast.literal_eval
    # then takes "# ..." comments but not "-- ..." ones
    "run_id in ('a') # c\nAND metrics.b = 2",
    "run_id in ('a') # c\nrun_id in ('b')",
    "run_id in ('a') # c\n ",
    "run_id in ('a') # c\n",
    "run_id in ('a') # c",
    "run_id in ('a') -- c\nAND tags.x = 'y'",
    "run_id in ('a') # c\n -- d\n AND tags.x = 'y'",
    "run_id IN ('a', # c\n 'b')",
    "run_id IN ('a' -- c\n, 'b')",
    "datasets.name NOT IN ('a')\n# c\n# d\nAND tags.x = 'y'",
    "tags.a IS NULL # c\n AND tags.b = 'x'",
    "metrics.a = 1 # c\n AND tags.b = 'x'",
    # "as" after a dot is a keyword, but sqlparse's "x AS y" grouping still
    # makes an identifier of "params.as.b" before IS NULL (only there)
    "params.as.b IS NULL",
    "params.x.as.y IS NOT NULL",
    "params.as.b = 'x'",
    "params.as IS NULL",
    "params.as.b.as.c IS NULL",
    # a trailing dot, then a keyword that sqlparse does not join
    "params.a. IS NULL",
    "params.a. LIKE 'x'",
    "params. is null",
]


@pytest.mark.parametrize("text", PARITY_FILTERS, ids=repr)
def test_filter_parity_with_mlflow(text):
    assert_filter_parity(text)


PARITY_ORDER_BYS = [order for order, _ in ORDER_CASES if isinstance(order, list) and order]
PARITY_ORDER_BYS += [order for order, _ in ORDER_ERRORS]
PARITY_ORDER_BYS += [
    ["metrics.a DESC NULLS LAST"],
    ["metrics.a foo"],
    ["metrics.a 'DESC'"],
    ['metrics.a "ASC"'],
    ["metrics.a\nDESC"],
    ["metrics.a -- DESC"],
    ["metrics.-1 DESC"],
    ["metrics.1.5 ASC"],
    ["metrics.a.1 DESC"],
    ["metrics.0x1 ASC"],
    ["metrics.a-1 DESC"],
    ["metrics.a-1"],
    ["metrics. 1 ASC"],
    ["metrics.a .b"],
    ["metrics.'a b' DESC"],
    ["metrics.'a'.b"],
    ["timestamp"],
    ["timestamp DESC"],
    ["run_id", "run_id"],
    ["run_name", "attributes.run_name DESC"],
    ["tags.a", "params.a", "metrics.a"],
    ["params.`x'; DROP TABLE runs; --` DESC"],
    ["params.from"],
    ["params.`from` DESC"],
    ["attributes.`run name`"],
    ["Created"],
    ["datasets.context DESC"],
    ["params.as DESC"],
    ["params.as 'desc'"],
    ["params.as"],
    ["params.as.b"],
    ["params.x.as"],
    ["params.as.as DESC"],
    ["params.as.b.as.c"],
    ["params.from DESC"],
    ["metrics.as.b ASC"],
    ['metrics.as.b "asc"'],
    ["metrics.as. DESC"],
    ['metrics.as. "desc"'],
    ['metrics.x.as "asc"'],
    ['metrics.as.b.as "desc"'],
]


@pytest.mark.parametrize("order_by", PARITY_ORDER_BYS, ids=repr)
def test_order_by_parity_with_mlflow(order_by):
    assert_order_by_parity(order_by)


@pytest.mark.parametrize(("text", "mlflow_key", "at"), INTENDED_DIFFERENCES, ids=repr)
def test_intended_difference(text, mlflow_key, at):
    accepted = mlflow_filter(text)
    assert accepted != REJECTED
    assert mlflow_key in [key for _, key, _, _ in accepted]
    assert glued_by_sqlparse(text)
    with pytest.raises(InvalidSearch) as err:
        parse_filter(text)
    assert text[err.value.position :].startswith(at)


#: The same for order_by: SQL syntax inside the sort key.
INTENDED_ORDER_BY_DIFFERENCES = [
    ("metrics.*", "*"),
    ("metrics.* DESC", "*"),
    ("tags.a[0] DESC", "a[0]"),
    ("tags.a-b `DESC`", "a-b"),
    ("params.a::int", "a::int"),
]


@pytest.mark.parametrize(("clause", "mlflow_key"), INTENDED_ORDER_BY_DIFFERENCES, ids=repr)
def test_intended_order_by_difference(clause, mlflow_key):
    accepted = mlflow_order_by([clause])
    assert accepted != REJECTED
    assert accepted[0][1] == mlflow_key
    assert sql_syntax_in_order_by(clause)
    with pytest.raises(InvalidSearch):
        parse_order_by([clause])


def test_known_order_by_gap():
    """Not SQL syntax, but too odd to follow: sqlparse aliases "as" to the next
    token and then glues an adjacent quoted part to it, so MLflow reads
    'params.as de"sc"' as descending. mltui rejects it."""
    assert mlflow_order_by(['params.as de"sc"']) == [(PARAM, "as", False)]
    with pytest.raises(InvalidSearch):
        parse_order_by(['params.as de"sc"'])


# -- parity over generated strings --------------------------------------------------


def _weighted(common, rare, weight=3):
    return st.one_of(*([st.sampled_from(common)] * weight), st.sampled_from(rare))


PREFIXES = [
    "metrics", "metric", "params", "param", "parameter", "parameters", "tags", "tag",
    "attributes", "attribute", "attr", "run", "datasets", "dataset", "`metrics`", "`params`",
]  # fmt: skip
BAD_PREFIXES = ["foo", '"params"', "'tags'", "METRICS", "Tags", "`foo`", "metrics_", "1", "``"]
KEYS = [
    "a", "loss", "lr", "a.b", "mlflow.runName", "`val/loss`", "`a b`", '"a b"', "'a b'",
    "`it's`", "métrique", "ключ", "_x", "a1", "run_name", "status", "start_time", "end_time",
    "created", "Created", "run_id", "`run name`", "`Run Name`", '"Run name"', "user_id",
    "artifact_uri", "name", "digest", "context", "`train loss`", "x.`y z`", "`a`.b", '"a".b',
    "'a'.b", "`a``b`", "a.1", "timestamp", "date", "key", "order", "limit", "asc", "desc",
    "true", "table", "ß", "select", "like", "ilike", "rlike", "not", "and", "or", "is", "null",
    "from", "in", "as", "values", "case", "using", "between", "exists", "end", "as.b", "x.as",
    "x.as.y", "as.as",
]  # fmt: skip
BAD_KEYS = [
    "1", "1a", "a-b", "a/b", "a b", "a..b", "a.", "``", "`", "a$b", "a@b", "a#b", "#a", "a(1)",
    "*", "a.*", "a[0]", "a::int", "a AS b", "$a", ":a", "?", "a.1.5", "'a", '"a', "`a", "a'",
    'a"', "é", "É", "ÀB", "1.5", ".5", "a.5", "'a'.'b'", "a-1",
]  # fmt: skip
DOTS = _weighted(["."], ["..", " .", ". ", " . ", ".\n", ".. "], 6)
COMPARATORS = [
    "=", "!=", "<", "<=", ">", ">=", "LIKE", "like", "Like", "ILIKE", "ilike", "IN", "in",
    "NOT IN", "not in", "Not In", "IS NULL", "is null", "IS NOT NULL", "is not null",
]  # fmt: skip
BAD_COMPARATORS = [
    "<>", "==", "=>", "=<", "!", "~", "RLIKE", "NOT LIKE", "NOT ILIKE", "NOT  LIKE",
    "IS  NOT NULL", "IS", "NOT", "IS NOT", "NULL", "BETWEEN", "", "= =", "REGEXP", "NOT REGEXP",
    "GLOB", "MATCH", "&", "|", "+", "-", "*", "%", "/", "^", "IN IN", "NOT  IN", "IS NOT  NULL",
    "IS\nNULL", "NOT\tIN", "ISNULL", "NOTNULL", ":=", "::", "!~", "<=>", "-=", "AS",
]  # fmt: skip
STRINGS = [
    "'x'", '"x"', "'it''s'", r"'a\'b'", "'%x%'", "'X%'", "'_'", "''", '""', "'é'", "'a;b'",
    "'--'", "'/* x */'", "'0.01'", "'adam'", "'FINISHED'", "'training'", "'child%'",
    "'1'' OR 1=1 --'", "'; DROP TABLE runs; --'",
]  # fmt: skip
NUMBERS = ["1", "-1", "1.5", "-1.5", "1e3", "1E-3", "-1e3", ".5", "1.", "-.5", "0", "17e11"]
LISTS = ["('a', 'b')", "('a')", "('a',)", '("a", "b")', "('a', \"b\")"]
BAD_VALUES = [
    "`x`", "0x1F", "NULL", "null", "x", "TRUE", "()", "(1, 2)", "(a)", "('a' 'b')", "(('a'))",
    "('a', 1)", "'x' 'y'", "", "'unterminated", '"unterminated', "N'x'", "b'x'", "'x'y'", "1 2",
    "+1", "- 1", "1a", "(", ")", "((", "nan", "inf", "-inf", "1.5.5", "$1", ":x", "?", "@x",
    "CURRENT_TIMESTAMP", "('a', ('b'))", "['a']", "{'a'}", "('a' + 'b')", "'a' || 'b'", "1 + 1",
    "-'x'", "x.y", "`a`.b", '"a".b', "'a'.b", "('a';'b')", "('a'--)", "(1)", "(1.5)", "(-1)",
    "('a',,)", "(,)", "1e", "1e+3", "1_000", "0b1", "1j", "'x'::text", "'x' AS y",
    "(select 1)", "*", "%s", "%(a)s", "$$x$$", "'a'\n'b'",
]  # fmt: skip
#: (prefixes, keys, comparators, values) that make sense together
FAMILIES = [
    (["metrics", "metric", "`metrics`"],
     ["a", "loss", "`val/loss`", "métrique", "`train loss`", "a.b", '"a b"'],
     ["=", "!=", "<", "<=", ">", ">="], NUMBERS),
    (["params", "param", "parameter", "parameters", "`params`", "tags", "tag", "`tags`"],
     ["a", "lr", "mlflow.runName", "`a b`", "ключ", "'a b'", "x.`y z`", "select"],
     ["=", "!=", "LIKE", "like", "ILIKE", "ilike"], STRINGS),
    (["params", "tags", "param", "tag"], ["a", "lr", "`a b`"],
     ["IS NULL", "is null", "IS NOT NULL", "is not null"], [""]),
    (["attributes", "attribute", "attr", "run", "`attributes`", ""],
     ["run_name", "status", "user_id", "artifact_uri", "run_id", "`run name`", '"Run Name"'],
     ["=", "!=", "LIKE", "ILIKE"], STRINGS),
    (["attributes", "attr", ""], ["run_id"], ["IN", "in", "NOT IN", "not in"], LISTS),
    (["attributes", "run", ""], ["start_time", "end_time", "created", "Created"],
     ["=", "!=", "<", "<=", ">", ">="], NUMBERS),
    (["datasets", "dataset", "`datasets`"], ["name", "digest", "context"],
     ["=", "!=", "LIKE", "ILIKE"], STRINGS),
    (["datasets", "dataset"], ["name", "digest", "context"], ["IN", "NOT IN"], LISTS),
]  # fmt: skip
CONNECTORS = [" AND ", " and ", " And ", "\nAND\n", "\tAND\t", "  AND  ", " ", "\n"]
BAD_CONNECTORS = [
    " OR ", " or ", " AND AND ", ";", "; ", " ; ", ",", ", ", " -- c\n", " # c\n", " /* c */ ",
    " AND NOT ", " && ", " || ", "AND", " AND -- c\n", " AND/**/", " XOR ", " AND (", ") AND ",
    " NOT ", " AND; ",
]  # fmt: skip
SPACES = st.sampled_from([" ", " ", " ", "", "  ", "\t", "\n"])


def _maybe(draw, sound, odd, mutate: bool, one_in: int):
    """Usually a draw from ``sound``; when mutating, now and then from ``odd``."""
    if mutate and draw(st.integers(0, one_in - 1)) == 0:
        return draw(odd)
    return draw(sound)


@st.composite
def identifiers(draw, prefixes, keys, mutate):
    prefix = _maybe(
        draw, st.sampled_from(prefixes), _weighted([*PREFIXES, ""], BAD_PREFIXES, 2), mutate, 4
    )
    key = _maybe(draw, st.sampled_from(keys), _weighted(KEYS, BAD_KEYS, 2), mutate, 4)
    dot = _maybe(draw, st.just("."), DOTS, mutate, 3)
    return prefix + dot + key if prefix else key


@st.composite
def clauses(draw, mutate):
    prefixes, keys, comparators, values = draw(st.sampled_from(FAMILIES))
    identifier = draw(identifiers(prefixes, keys, mutate))
    comparator = _maybe(
        draw,
        st.sampled_from(comparators),
        _weighted(COMPARATORS, BAD_COMPARATORS, 1),
        mutate,
        4,
    )
    value = _maybe(
        draw, st.sampled_from(values), _weighted(STRINGS + NUMBERS + LISTS, BAD_VALUES, 1),
        mutate, 4,
    )  # fmt: skip
    clause = identifier + draw(SPACES) + comparator + draw(SPACES) + value
    return f"({clause})" if mutate and draw(st.integers(0, 9)) == 0 else clause


@st.composite
def filters(draw):
    """Filters composed of fragments: mostly sound ones, or sound ones mutated."""
    mutate = draw(st.booleans())
    start = [" ", "AND ", "(", "; ", "-- x\n", "NOT ", "\n", "and "]
    text = _maybe(draw, st.just(""), st.sampled_from(start), mutate, 6)
    for n, clause in enumerate(draw(st.lists(clauses(mutate), min_size=1, max_size=3))):
        if n:
            text += _maybe(
                draw, st.sampled_from(CONNECTORS), st.sampled_from(BAD_CONNECTORS), mutate, 3
            )
        text += clause
    end = [" ", " AND", ")", ";", " -- x", " # x", "  ", "\n", " /* x */", "--"]
    return text + _maybe(draw, st.just(""), st.sampled_from(end), mutate, 6)


DIRECTIONS = ["", " ASC", " DESC", " asc", " desc", " Desc", "  DESC", "\tASC"]
BAD_DIRECTIONS = [
    " ASCENDING", " foo", " DESC DESC", " ASC DESC", " NULLS LAST", ",", " ;", " -- x", " 1",
    " 'x'", " `DESC`", "DESC", " DESC;", " (1)", ' "asc"',
]  # fmt: skip


@st.composite
def order_by_lists(draw):
    mutate = draw(st.booleans())
    items = []
    for _ in range(draw(st.integers(1, 3))):
        prefixes, keys, _, _ = draw(st.sampled_from(FAMILIES))
        clause = draw(identifiers(prefixes, keys, mutate))
        clause += _maybe(
            draw, st.sampled_from(DIRECTIONS), st.sampled_from(BAD_DIRECTIONS), mutate, 4
        )
        odd = st.sampled_from([" " + clause, clause + " ", f"({clause})", ""])
        items.append(_maybe(draw, st.just(clause), odd, mutate, 6))
    return items


PROPERTY_SETTINGS = settings(
    max_examples=400,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@PROPERTY_SETTINGS
@given(filters())
def test_generated_filter_parity_with_mlflow(text):
    expected, got = mlflow_filter(text), mltui_filter(text)
    if expected != REJECTED and got == REJECTED and glued_by_sqlparse(text):
        return  # an intended difference (see INTENDED_DIFFERENCES)
    assert got == expected, f"{text!r}: MLflow {expected!r}, mltui {got!r}"


@PROPERTY_SETTINGS
@given(order_by_lists())
def test_generated_order_by_parity_with_mlflow(order_by):
    expected, got = mlflow_order_by(order_by), mltui_order_by(order_by)
    if expected != REJECTED and got == REJECTED and any(map(sql_syntax_in_order_by, order_by)):
        return  # an intended difference (see INTENDED_ORDER_BY_DIFFERENCES)
    assert got == expected, f"{order_by!r}: MLflow {expected!r}, mltui {got!r}"


def test_generated_strings_exercise_both_outcomes():
    """The strategies must produce plenty of valid strings, not only junk."""
    outcomes = {True: 0, False: 0}

    @settings(max_examples=150, derandomize=True, database=None, deadline=None)
    @given(filters())
    def sample(text):
        outcomes[mlflow_filter(text) != REJECTED] += 1

    sample()
    assert outcomes[True] > 20 and outcomes[False] > 20


# -- SQL: bound parameters only ---------------------------------------------------------

HOSTILE_FILTERS = [
    "params.lr = '1'' OR 1=1 --'",
    "tags.t = '; DROP TABLE runs; --'",
    "params.`x'; DROP TABLE runs; --` = 'y'",
    "tags.`a\" OR \"1\"=\"1` LIKE '%'' OR ''x''=''x'",
    "attributes.run_name ILIKE 'x'' UNION SELECT * FROM runs --'",
    "run_id IN ('a'') OR 1=1 --', 'b')",
    "datasets.context = ''' OR 1=1 --'",
    "datasets.name NOT IN ('z\\'; DELETE FROM runs; --')",
    "status != 'x'' OR status IS NOT NULL --' AND metrics.`m'; --` > 1",
    "params.`evil' OR '1'='1` IS NULL",
]
HOSTILE_ORDER_BY = ["params.`x'; DROP TABLE runs; --` DESC", "tags.`1) OR (1=1 --`"]


class _DialectSchema:
    """The store's tables, as seen by sql.search compiling for another database."""

    def __init__(self, schema, dialect: str):
        self._schema = schema
        self.dialect = dialect

    def __getitem__(self, name):
        return self._schema[name]

    def table(self, name):
        return self._schema.table(name)

    def has(self, *args):
        return self._schema.has(*args)


def _user_texts(clauses, order):
    texts = []
    for clause in clauses:
        if clause.kind in (METRIC, PARAM, TAG):  # other keys are fixed column names
            texts.append(clause.key)
        values = clause.value if isinstance(clause.value, tuple) else (clause.value,)
        texts.extend(v for v in values if isinstance(v, str))
    texts.extend(key.key for key in order if key.kind in (METRIC, PARAM, TAG))
    return [t for t in texts if len(t) > 3]  # the short ones are plain words ("lr")


def _flat(values):
    for value in values:
        if isinstance(value, (list, tuple)):
            yield from _flat(value)
        else:
            yield value


@pytest.mark.parametrize("text", HOSTILE_FILTERS, ids=repr)
@pytest.mark.parametrize(
    "dialect",
    [sqlite.dialect(), postgresql.dialect(), mysql.dialect()],
    ids=lambda d: d.name,
)
def test_sql_has_bound_parameters_only(store, text, dialect):
    clauses = parse_filter(text)
    order = parse_order_by(HOSTILE_ORDER_BY)
    schema = _DialectSchema(store.schema, dialect.name)
    runs = schema["runs"]
    ordering, joins = order_clauses(schema, order)
    source = runs
    for sub, on in joins:
        source = source.outerjoin(sub, on)
    stmt = (
        sa.select(runs.c.run_uuid)
        .select_from(source)
        .where(*filter_conditions(schema, clauses))
        .order_by(*ordering)
    )
    compiled = stmt.compile(dialect=dialect)
    sql = str(compiled)
    params = [str(v) for v in _flat(compiled.params.values())]
    user_texts = _user_texts(clauses, order)
    assert any("'" in t or ";" in t for t in user_texts)
    for user_text in user_texts:
        assert user_text not in sql
        assert user_text in params
    # no literal string at all made it into the SQL
    assert "'" not in sql and "--" not in sql and "DROP" not in sql


def test_hostile_filters_run_on_sqlite(store):
    """And the database is unharmed: every run is still there afterwards."""
    experiment_ids = [e.experiment_id for e in store.list_experiments()]
    before = store.search_runs(experiment_ids, max_results=1000).total
    for text in HOSTILE_FILTERS:
        store.search_runs(experiment_ids, text, HOSTILE_ORDER_BY, max_results=1000)
    assert store.search_runs(experiment_ids, max_results=1000).total == before > 0
