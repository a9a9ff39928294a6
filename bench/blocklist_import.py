"""Importing a big blocklist: parse a 100k-entry Mastodon CSV, diff it against 100k in force.

A subscription run does exactly this for every list it follows, so it has to stay cheap next to
what Python cannot avoid. Floors, measured in the same run on the same data:

- parse: `csv.reader` iterating over the same bytes (decoded), doing nothing with the rows;
- diff: plain `set` differences of the two domain sets (what is added, what is removed);
- memory: the size of the raw CSV body, against tracemalloc's peak for parse + diff.

Goal (DESIGN section 7 and the blocklist brief): both well under a second in CPython.
"""

from __future__ import annotations

import asyncio
import csv
import io
import random
import time
import tracemalloc
from collections.abc import Callable

from bench.report import Figure
from fedianon.blocklists import Entry, diff, parse

ENTRIES = 100_000
RUNS = 3
SEVERITIES = ("suspend", "silence", "noop")


def _domain(i: int) -> str:
    if i % 100 == 0:
        return f"bücher{i}.example{i % 89}.org"  # some IDNs take the slow path
    return f"host{i}.example{i % 97}.com"


def make_csv(count: int, rng: random.Random) -> bytes:
    """A Mastodon export: every tenth comment quoted (it has a comma), a few wildcards."""
    lines = ["#domain,#severity,#reject_media,#reject_reports,#public_comment,#obfuscate\n"]
    for i in range(count):
        domain = ("*." if i % 250 == 0 else "") + _domain(i)
        severity = rng.choice(SEVERITIES)
        comment = '"spam, harassment"' if i % 10 == 0 else ("spam" if i % 3 else "")
        media = "true" if i % 7 == 0 else "false"
        lines.append(f"{domain},{severity},{media},false,{comment},{str(i % 50 == 0).lower()}\n")
    return "".join(lines).encode()


def make_current(incoming: list[Entry], rng: random.Random) -> dict[str, Entry]:
    """What is in force: half of the incoming domains (a tenth of them at another severity)
    and as many domains the list no longer has."""
    current: dict[str, Entry] = {}
    for entry in incoming[: len(incoming) // 2]:
        if rng.random() < 0.1:
            entry = entry._replace(severity=rng.choice(SEVERITIES))
        current[entry.domain] = entry
    for i in range(len(incoming) - len(current)):
        domain = f"retired{i}.example{i % 31}.net"
        current[domain] = Entry(domain, rng.choice(SEVERITIES))
    return current


def _best(function: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - started)
    return best


def _csv_floor(data: bytes) -> None:
    for _ in csv.reader(io.StringIO(data.decode("utf-8"), newline="")):
        pass


def _measure() -> list[Figure]:
    rng = random.Random(20240601)
    data = make_csv(ENTRIES, rng)
    parsed = parse(data, "text/csv")
    if len(parsed.entries) != ENTRIES or parsed.problems:
        raise RuntimeError(f"bad benchmark list: {len(parsed.entries)}, {parsed.problems[:3]}")
    current = make_current(parsed.entries, rng)
    incoming_domains = {entry.domain for entry in parsed.entries}
    current_domains = set(current)

    parse_seconds = _best(lambda: parse(data, "text/csv"))
    parse_floor = _best(lambda: _csv_floor(data))
    diff_seconds = _best(lambda: diff(current, parsed.entries, max_severity="silence"))
    diff_floor = _best(
        lambda: (incoming_domains - current_domains, current_domains - incoming_domains)
    )

    # Only allocations made after start() count: the lists above are not in the peak.
    tracemalloc.start()
    try:
        diff(current, parse(data, "text/csv").entries, max_severity="silence")
        peak_bytes = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    return [
        Figure(
            "blocklist: parse 100k-entry Mastodon CSV",
            parse_seconds,
            parse_floor,
            "s",
            "goal: < 1 s",
        ),
        Figure(
            "blocklist: diff 100k vs 100k entries", diff_seconds, diff_floor, "s", "goal: < 1 s"
        ),
        Figure(
            "blocklist: peak memory, parse + diff",
            peak_bytes / 1e6,
            len(data) / 1e6,
            "MB",
            "floor: raw CSV size",
        ),
    ]


async def run() -> list[Figure]:
    return await asyncio.to_thread(_measure)
