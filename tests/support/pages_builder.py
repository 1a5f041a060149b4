"""A store with many pages of runs, built with the real ``mlflow`` client.

``python tests/support/pages_builder.py URI`` fills the store at URI. Tests get it
through :func:`builders.cached_store` (kinds ``pages-sqlite``, ``pages-file``)
or the session fixtures in ``conftest.py``. Every number a test needs is a
constant here, so the tests ask MlflowClient rather than hard-code results.

Experiment ``pages`` holds, in start-time order (newest first is MLflow's default):

- ``FLAT`` top-level runs ``run-NNNN``, some FAILED, a few RUNNING;
- ``PARENTS`` sweep parents ``parent-NN``, spread over the whole time range so that
  they land on many different pages, each with ``CHILDREN`` children ``child-NN-MM``;
- every ``DELETED_EVERY``-th flat run soft-deleted;
- the parent ``orphaning-parent`` whose children stay active when it is deleted.

Experiment ``pages-b`` holds ``B_RUNS`` flat runs (opened beside ``pages``).

Experiment ``pages-many`` holds ``MANY`` flat runs ``many-NNNN`` (every
``DELETED_EVERY``-th soft-deleted): more than two chunks of 500 ids and more than
one 1,000-run page of a search, for the reads that go in chunks. It is kept apart
so that ``pages`` stays small enough to page through quickly on every backend
(the runs table over a tracking server scans the whole experiment for the tree);
``pages`` still spans about 25 pages of ``PAGE_SIZE``.
"""

from __future__ import annotations

import os
import sys

PAGE_SIZE = 20
"""Runs per page in the multi-page app tests: every screenful crosses a page."""
FLAT = 400
PARENTS = 10
CHILDREN = 8
DELETED_EVERY = 16
RUNNING_EVERY = 97
B_RUNS = 120
MANY = 1150
BASE_TIME = 1_700_000_000_000
OPTIMIZERS = ("adam", "sgd", "rmsprop")


def acc_of(i: int) -> float:
    """A deterministic spread of accuracies in [0.3, 0.95)."""
    return 0.3 + ((i * 7919) % 650) / 1000.0


def build(uri: str, artifact_root: str) -> None:
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric, Param, RunTag

    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    os.makedirs(artifact_root, exist_ok=True)

    def experiment(name: str) -> str:
        return client.create_experiment(
            name, artifact_location=os.path.join(artifact_root, name)
        )

    def run(exp: str, name: str, start: int, i: int, status: str, tags: dict | None = None):
        r = client.create_run(exp, run_name=name, start_time=start, tags=tags or {})
        rid = r.info.run_id
        client.log_batch(
            rid,
            metrics=[
                Metric("acc", acc_of(i), start, 0),
                Metric("loss", round(1.0 - acc_of(i), 6), start, 0),
            ],
            params=[
                Param("optimizer", OPTIMIZERS[i % 3]),
                Param("lr", str(10.0 ** -(1 + i % 4))),
                Param("index", str(i)),
            ],
            tags=[RunTag("group", f"g{i % 5}")],
        )
        if status != "RUNNING":
            client.set_terminated(rid, status, end_time=start + 60_000 + i)
        return rid

    exp = experiment("pages")
    parent_every = FLAT // PARENTS
    step = 10_000
    t = BASE_TIME
    for i in range(FLAT):
        t += step
        status = "RUNNING" if i % RUNNING_EVERY == 5 else ("FAILED" if i % 11 == 3 else
                                                          "FINISHED")
        rid = run(exp, f"run-{i:04d}", t, i, status)
        if i % DELETED_EVERY == 7:
            client.delete_run(rid)
        if i % parent_every == 0:
            p = i // parent_every
            t += step
            parent = run(exp, f"parent-{p:02d}", t, i, "FINISHED", {"kind": "parent"})
            for c in range(CHILDREN):
                run(exp, f"child-{p:02d}-{c:02d}", t + 1 + c, i + c, "FINISHED",
                    {"mlflow.parentRunId": parent, "kind": "child"})
    t += step
    parent = run(exp, "orphaning-parent", t, 1, "FINISHED", {"kind": "parent"})
    for c in range(3):
        run(exp, f"orphan-{c}", t + 1 + c, c, "FINISHED",
            {"mlflow.parentRunId": parent, "kind": "child"})

    b = experiment("pages-b")
    for i in range(B_RUNS):
        run(b, f"b-{i:03d}", BASE_TIME + i * step + 5, i, "FINISHED")

    many = experiment("pages-many")
    for i in range(MANY):
        status = "FAILED" if i % 11 == 3 else "FINISHED"
        rid = run(many, f"many-{i:04d}", BASE_TIME + i * step + 7, i, status)
        if i % DELETED_EVERY == 7:
            client.delete_run(rid)


if __name__ == "__main__":
    build(sys.argv[1], sys.argv[2])
