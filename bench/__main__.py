"""`make bench`: run every benchmark (or those named on the command line)."""

from __future__ import annotations

import asyncio
import importlib
import sys

from bench.report import print_figures

BENCHMARKS = ["idle_memory", "blocklist_import", "inbox", "fanout", "home_timeline"]


async def main(names: list[str]) -> None:
    print(f"{'figure':<44} {'value':>12} {'unit':<8} {'floor':>18}  {'ratio':>12}", flush=True)
    for name in names or BENCHMARKS:
        module = importlib.import_module(f"bench.{name}")
        print_figures(await module.run())


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
