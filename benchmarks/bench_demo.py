"""How long `mltui --demo` takes the first time: building the demo store.

Target: under 5 s (the first start of `mltui --demo` waits for it). Prints the
median of three builds into fresh folders, wall and CPU time.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET = 5.0


def main() -> int:
    from mltui.demo import build_demo_store

    walls, cpus = [], []
    for _ in range(3):
        with tempfile.TemporaryDirectory() as folder:
            wall, cpu = time.perf_counter(), time.process_time()
            build_demo_store(Path(folder))
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    ok = wall < TARGET
    print(f"demo build (median of 3)   {wall:6.2f} s wall  {cpu:6.2f} s cpu   "
          f"target < {TARGET:.0f} s   {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
