"""The live-writer soak, short (issue 14; the long one is ``benchmarks/soak_writer.py``):
a training process logs ``progress`` at 50 Hz into sqlite, and through a real
``mlflow server``, for the six seconds while the app refreshing every half second shows the
runs table, the run and the chart of that metric. No write fails (no ``database is
locked`` on either side), no notification or stale state appears, each screen draws
new values as they come, and the chart ends on the newest value written."""

from __future__ import annotations

import asyncio

import pytest

from support.builders import copy_store
from support.soak import Watched, Writer, watch

SECONDS = 6.0
"""Seconds the app is watched while the writer writes (a third on each screen)."""


def check(watched: Watched, totals: dict) -> None:
    assert totals["errors"] == 0, totals["messages"]
    assert totals["writes"] > 0 and totals["last_step"] >= 0, totals
    assert watched.errors == [], watched.errors
    for phase in watched.phases:
        assert phase.new_values >= 2, (phase.name, phase.shown)
        assert phase.shown == sorted(phase.shown), phase  # never an older value again
    assert [p.name for p in watched.phases] == ["runs table", "run screen", "chart"]
    assert watched.final_shown, "the newest value never reached the chart"
    assert watched.refreshes["chart"] >= 2


async def soak(uri: str, writer_uri: str | None = None) -> None:
    writer = Writer(writer_uri or uri, seconds=SECONDS * 20)  # stopped by watch()
    try:
        await asyncio.to_thread(writer.wait_started)
        watched = await watch(uri, writer, SECONDS)
        totals = await asyncio.to_thread(writer.wait_done, 60)
    finally:
        writer.stop()
    check(watched, totals)


async def test_sqlite_beside_a_50_hz_writer(tmp_path):
    await soak(copy_store("sqlite", tmp_path))


@pytest.fixture
def server(_rest_parity):
    """The session's tracking server (conftest.py), its database restored after."""
    yield _rest_parity.ready()
    _rest_parity.reset()


async def test_tracking_server_beside_a_50_hz_writer(server):
    await soak(server.uri)
