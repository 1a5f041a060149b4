"""Regenerate screenshots/*.svg from the demo store.

    python scripts/screenshots.py [--size 140x40]

Each screenshot drives the real app with Textual's Pilot, so the pictures
show what a person sees. The demo store is built in a temporary data dir.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "screenshots"


async def settle(pilot, app, delay: float = 0.4) -> None:
    await pilot.pause(delay)
    await app.workers.wait_for_complete()
    await pilot.pause(0.2)


async def shoot(size: tuple[int, int]) -> list[Path]:
    from mltui.app import MltuiApp
    from mltui.config import Settings
    from mltui.demo import ensure_demo_store
    from mltui.store import open_store

    store = open_store(ensure_demo_store(), read_only=True)
    app = MltuiApp(store=store, settings=Settings(refresh_interval=0))
    written = []
    async with app.run_test(size=size) as pilot:

        async def save(name: str) -> None:
            await settle(pilot, app)
            path = OUT / f"{name}.svg"
            app.save_screenshot(str(path))
            written.append(path)

        await save("experiments")
        screen = app.screen
        names = [e.name for e in screen.shown]
        screen.table.move_cursor(row=names.index("churn-sweep"))
        await pilot.press("enter")
        await save("runs-tree")
        await pilot.press("j", "o")
        await save("runs-expanded")
        await pilot.press("slash")
        await pilot.press(*"params.optimizer = 'bogus")
        await pilot.press("enter")
        await save("runs-filter-error")
        await pilot.press("escape", "escape")
        await pilot.press("enter")
        await save("run")
        await pilot.press("escape")
        await pilot.press("m")
        await save("models")
        await pilot.press("enter")
        await save("versions")
        await pilot.press("question_mark")
        await save("help")
    store.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="140x40")
    args = parser.parse_args()
    width, height = (int(x) for x in args.size.split("x"))
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        os.environ["XDG_DATA_HOME"] = str(Path(home) / "data")
        os.environ["XDG_CONFIG_HOME"] = str(Path(home) / "config")
        for path in asyncio.run(shoot((width, height))):
            print(path)


if __name__ == "__main__":
    main()
