"""The search strings every backend is compared with MLflow on: valid filters
(each selects some runs of the builders' store, never none or all), invalid
ones, and order_by lists. ``{run-name}`` stands for that run's id and
``{start:run-name}`` for its start time; :func:`resolve` fills them in."""

from __future__ import annotations

import re
from collections.abc import Iterable

# -- filter strings ------------------------------------------------------------

VALID_FILTERS = [
    # metrics: comparisons, keys with slashes, spaces, unicode; quoting styles
    "metrics.loss < 0.05",
    "metrics.loss <= 0.05 AND metrics.acc >= 0.58",
    "metrics.`val/loss` <= 0.24",
    'metrics."val/loss" > 0.25',
    "metrics.'val/loss' != 0.24",
    "metrics.`train loss` >= 2",
    "metrics.métrique > 3",
    "metrics.`métrique` = 4.5",
    "metric.acc = 0.5",
    "metrics.acc > 5e-1",
    # NaN, +inf, -inf: NaN only ever satisfies "!="
    "metrics.score > 0",
    "metrics.score < 0",
    "metrics.score != 0",
    "metrics.score = 0",
    "metrics.score >= -1e308",
    "metrics.plain = 1",
    # params: quoted values, case sensitivity of = and LIKE vs ILIKE
    "params.lr = '0.01'",
    'params.lr = "0.1"',
    "params.optimizer = 'sgd'",
    "params.optimizer LIKE 's%'",
    "params.optimizer LIKE 'S%'",
    "params.optimizer ILIKE 's%'",
    "params.optimizer != 'adam'",
    "param.batch_size LIKE '_2%'",
    "params.`key with space` = 'x y'",
    "params.`path/like/key` = 'p'",
    "params.ключ = 'значение'",
    "params.long LIKE 'vvv%'",
    "params.lr IS NULL",
    "params.lr IS NOT NULL AND tags.kind = 'child'",
    "params.search is not null",
    # tags, hostile values, dotted keys
    "tags.kind = 'child' AND params.batch_size = '64'",
    "tags.owner != 'bob'",  # = and != are case-sensitive: both owners differ from 'bob'
    "tags.owner ILIKE 'bob'",
    "tags.quote != 'it''s'",  # MLflow keeps the doubled quote: "it's" differs from it''s
    "tags.quote LIKE 'it%s'",
    "tags.hostile LIKE '%[bold]%'",
    "tags.hostile = '[bold]x[/] \x1b[31mred\x1b[0m'",
    "tags.`mlflow.runName` = 'child-1'",
    "tags.mlflow.runName LIKE 'child-%'",
    "tags.mlflow.parentRunId IS NOT NULL",
    "tags.mlflow.parentRunId = '{sweep-parent}'",
    # attributes
    "attributes.run_name LIKE 'child-%'",
    "attributes.run_name LIKE '_hild-_'",
    "attributes.run_name ILIKE 'CHILD-%'",
    "run_name = 'bare'",
    "`Run name` = 'bare'",
    "attributes.run_name = '[red]odd[/] name'",
    "status = 'FAILED'",
    "attribute.status != 'FINISHED'",
    "run.status LIKE 'RUN%'",
    "attributes.run_id IN ('{child-1}', '{child-3}', '{deleted-run}')",
    "attributes.run_id NOT IN ('{child-1}', '{bare}')",
    "run_id = '{child-2}'",
    "run_id IN ('{old-run}')",
    "created > {start:child-2}",
    "attributes.start_time <= {start:child-2}",
    "attributes.end_time > 0",
    "attributes.artifact_uri LIKE '%edge%'",
    "attributes.user_id != 'nobody' AND attributes.status != 'FINISHED'",
    # datasets
    "datasets.context = 'training'",
    "datasets.name = 'train-data'",
    "datasets.digest LIKE '%'",
    "dataset.name IN ('train-data', 'other')",
    "datasets.context NOT IN ('eval')",
    "datasets.context ILIKE 'TRAIN%' AND metrics.plain = 2",
    # hostile but valid: values are bound, never pasted into SQL (pasted, these
    # would select every run or drop the table; bound, they select the runs with lr)
    "params.lr != '1'' OR 1=1 --'",
    "tags.kind != '; DROP TABLE runs; --'",
    'params.lr != \'0.1" OR "1"="1\'',
    "params.`lr'; DROP TABLE runs; --` IS NULL AND tags.kind = 'child'",
    # MLflow's lenient AND handling and odd keys
    "AND metrics.loss < 1 AND AND metrics.acc > 0.6 AND",
    "metrics.loss < 1 metrics.acc > 0.6",
    "params..lr IS NULL AND params.lr = '0.1'",  # the key ".lr", which no run has
    "params.optimizer='adam'AND metrics.acc>0.5",
    "  params.optimizer\t=\n'adam'  ",
]

INVALID_FILTERS = [
    "metrics.loss < 'x'",
    "params.lr = 0.01",
    "params.lr = lr",
    "params.lr = `0.01`",
    "metrics.loss <> 1",
    "metrics.loss == 1",
    "params.lr RLIKE '0.*'",
    "params.lr NOT LIKE '0%'",
    "metrics.loss LIKE '1'",
    "metrics.loss < 1 OR metrics.acc > 0",
    "metrics.loss < 1; DROP TABLE runs",
    "metrics.loss < 1;",
    "(metrics.loss < 1)",
    "metrics.loss < 1 -- comment",
    "NOT params.lr = '0.1'",
    "foo.bar = 1",
    "attributes.nope = 'x'",
    "attributes.lifecycle_stage = 'deleted'",
    "metrics.loss IS NULL",
    "end_time IS NULL",
    "datasets.foo = 'x'",
    "datasets.context > 'a'",
    "run_id IN ()",
    "run_id IN (1, 2)",
    "run_id IN (a)",
    "run_name IN ('bare')",
    "attributes.status IN ('FAILED', 'KILLED')",  # only run_id takes a list
    "run_id = ('a', 'b')",
    "status IN 'FAILED'",
    "metrics.loss",
    "metrics.loss <",
    "params.lr = 'unterminated",
    "params.from = 'x'",
    "start_time = 'x'",
    "created > 1.5.5",
    "metrics.loss < 0x10",
    "params.lr = '1' OR '1' = '1'",
    "tags.t = 'x' UNION SELECT * FROM runs",
    "metrics.loss<1AND metrics.acc>0.6",
    "tags.kind = 'child' AND (tags.owner = 'Bob')",
    " ",
]

FILTERS = VALID_FILTERS + INVALID_FILTERS

# -- order_by lists ------------------------------------------------------------

ORDER_BYS = [
    [],
    ["metrics.loss"],
    ["metrics.loss DESC"],
    ["metrics.score ASC"],  # NaN after -inf..inf, missing last
    ["metrics.score DESC"],  # NaN and missing still last
    ["metrics.`val/loss` DESC"],
    ["metrics.`train loss`"],
    ["metrics.métrique desc"],
    ["params.lr", "metrics.acc DESC"],  # ties on lr broken by acc
    ["params.lr DESC", "attributes.run_name"],
    ["params.optimizer"],
    ["tags.owner DESC"],
    ["tags.`mlflow.runName`"],
    ["tags.kind", "start_time ASC"],
    ["attributes.run_name"],
    ["run_name DESC"],
    ["attributes.start_time ASC"],
    ["created"],
    ["end_time DESC"],
    ["status", "run_id DESC"],
    ["attributes.user_id", "artifact_uri DESC"],
    ["metrics.plain DESC", "metrics.score"],
    ["params.`key with space`"],
    ["metrics.`val/loss` `DESC`"],  # sqlparse takes `DESC` as an alias: descending
    ["metrics.`train loss`DESC"],  # no space: key "`train loss`DESC", ascending
    ["metrics.1 DESC"],  # a metric named "1" (only sortable with a direction)
    # invalid
    ["metrics.loss DESCENDING"],
    ["metrics.loss ASC DESC"],
    [" metrics.loss"],
    ["metrics.loss "],
    ["metrics.loss", "metrics.loss DESC"],
    ["created", "start_time"],
    ["datasets.name"],
    ["attributes.run name"],
    ["attributes.nope"],
    ["metrics.loss; DROP TABLE runs"],
    ["(metrics.loss)"],
    ["metrics.loss, params.lr"],
    ["metrics.1"],
    [""],
]


def resolve(text: str, runs: Iterable) -> str:
    """``text`` with ``{run-name}`` and ``{start:run-name}`` replaced, from MLflow runs."""
    runs = list(runs)
    ids = {r.info.run_name: r.info.run_id for r in runs}
    starts = {r.info.run_name: r.info.start_time for r in runs}
    text = re.sub(r"\{start:([\w-]+)\}", lambda m: str(starts[m.group(1)]), text)
    return re.sub(r"\{([\w-]+)\}", lambda m: ids[m.group(1)], text)
