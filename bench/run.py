"""Benchmarks, run on demand (`make bench`), never as part of the tests.

Starts the real stack on private ports (as the e2e tests do), then measures:
- time from start to /readyz,
- serial turn latency through the gateway (FAQ question, a check-in step, the check-in's
  final turn that goes action → API → database), median and 95th percentile,
- CPU time each process spends on an FAQ turn (what bounds throughput on 2 cores),
- resident memory of the API, Rasa and action-server processes afterwards.

Writes a markdown table to bench/RESULTS.md (and prints it).
Usage: python -m bench.run [--turns N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from tests.support.stack import ChatClient, Stack

RESULTS = Path(__file__).with_name("RESULTS.md")


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(call) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def with_children(pid: int) -> list[int]:
    """A process and its children (uvicorn/sanic may fork)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [pid] + ([int(p) for p in children.read_text().split()] if children.exists() else [])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and its children."""
    total_kb = 0
    for p in with_children(pid):
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) used so far by a process and its children."""
    ticks = 0
    for p in with_children(pid):
        fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK") * 1000


def per_process(stack: Stack, measure: Callable[[int], float]) -> dict[str, float]:
    """`measure(pid)` for each process of the stack, by name."""
    return {name: measure(p.popen.pid) for name, p in stack.processes.items()}


# A user's session holds a handful of questions or one check-in, not hundreds: Rasa
# replays the session's events on every turn, so one endless session would measure that.
TURNS_PER_USER = 10


def measure_turns(stack: Stack, turns: int) -> tuple[dict[str, list[float]], dict[str, float]]:
    """Latencies by kind of turn, and each process's CPU milliseconds per FAQ turn."""
    faq, step, final, whole = [], [], [], []
    cpu_before = per_process(stack, cpu_ms)
    for i in range(turns):
        if i % TURNS_PER_USER == 0:
            chat = ChatClient(stack.api_url)
        faq.append(timed(partial(chat.say, "why does pain make me so tired?")))
    cpu_after = per_process(stack, cpu_ms)
    faq_cpu = {name: (cpu_after[name] - ms) / turns for name, ms in cpu_before.items()}
    # Each check-in: start, four scale taps. The first three are "steps"; the fourth is
    # the final turn, which saves (action → API → database) and asks for the note.
    while len(final) < turns:
        chat = ChatClient(stack.api_url)
        turns_so_far = [timed(partial(chat.say, "I want to do a check-in"))]
        for score in (4, 5, 6):
            turns_so_far.append(timed(partial(chat.click, f'/inform{{"score": {score}}}')))
            step.append(turns_so_far[-1])
        turns_so_far.append(timed(partial(chat.click, '/inform{"score": 3}')))
        final.append(turns_so_far[-1])
        assert "Saved" in chat.text(), chat.last
        # Server time for a whole check-in by buttons: 5 bot turns, from start to saved.
        whole.append(sum(turns_so_far))
        chat.click("/deny")
    latencies = {"FAQ question": faq, "check-in step": step[:turns],
                 "check-in final turn": final, "whole check-in by buttons (5 bot turns)": whole}
    return latencies, faq_cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=200)
    args = parser.parse_args()

    stack = Stack()
    started = time.perf_counter()
    stack.start()
    ready_s = time.perf_counter() - started
    try:
        latencies, faq_cpu = measure_turns(stack, args.turns)
        memory = per_process(stack, rss_mb)
    finally:
        stack.stop()

    lines = [
        f"## Run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "",
        "| measure | turns | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for name, samples in latencies.items():
        lines.append(
            f"| {name} | {len(samples)} | {statistics.median(samples):.1f} | "
            f"{percentile(samples, 95):.1f} |"
        )
    lines += ["", "| process | resident memory MB | CPU ms per FAQ turn |", "|---|---|---|"]
    lines += [f"| {name} | {mb:.0f} | {faq_cpu[name]:.1f} |" for name, mb in memory.items()]
    lines += ["", f"Start to /readyz: {ready_s:.1f} s", ""]
    report = "\n".join(lines)
    print(report)
    previous = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    header, _, older = previous.partition("\n## ")
    RESULTS.write_text(header.rstrip() + "\n\n" + report + ("\n## " + older if older else ""))


if __name__ == "__main__":
    main()
