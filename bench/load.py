"""Load and baseline benchmarks, run on demand: `make bench` (after the latency run).

- Cadence under load: 32 simulated users for 60 s (Locust, headless) through the gateway.
- Cadence scaled: the same load against two Rasa instances behind the balancing gateway
  (PostgreSQL + Redis), to compare with one instance on this machine.
- Baseline: the stock Rasa starter bot (`rasa init --no-prompt` in a temporary folder,
  trained, served by `rasa run` on another port) under the same serial and load tests.

Appends a markdown section to bench/RESULTS.md.
Usage: python -m bench.load [--users 32] [--seconds 60] [--skip-scaled] [--skip-baseline]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests

from bench.run import RESULTS, per_process, percentile, rss_mb, timed
from tests.support.stack import ROOT, Process, Stack, free_port

LOCUST = str(ROOT / ".venv" / "bin" / "locust")
RASA = str(ROOT / ".venv" / "bin" / "rasa")


def run_locust(host: str, user_class: str, users: int, seconds: int) -> dict[str, float]:
    out = Path(tempfile.mkdtemp(prefix="locust-"))
    subprocess.run(
        [LOCUST, "-f", str(ROOT / "bench" / "locustfile.py"), user_class, "--headless",
         "-u", str(users), "-r", str(max(1, users // 4)), "-t", f"{seconds}s",
         "--host", host, "--csv", str(out / "stats"), "--only-summary", "--loglevel", "ERROR"],
        cwd=ROOT, check=False, capture_output=True,
    )
    with open(out / "stats_stats.csv") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    total = rows["Aggregated"]
    shutil.rmtree(out, ignore_errors=True)
    return {
        "requests": float(total["Request Count"]),
        "errors": float(total["Failure Count"]),
        "rps": float(total["Requests/s"]),
        "p50": float(total["50%"]),
        "p95": float(total["95%"]),
        "p99": float(total["99%"]),
    }


def starter_bot() -> tuple[Process, str, float]:
    """Create, train and serve the stock starter bot; returns (process, url, train_s)."""
    folder = Path(tempfile.mkdtemp(prefix="rasa-starter-"))
    started = time.perf_counter()
    subprocess.run([RASA, "init", "--no-prompt", "--init-dir", str(folder)], cwd=folder,
                   env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
                   check=True, capture_output=True)
    train_s = time.perf_counter() - started
    port = free_port()
    process = Process("starter", [RASA, "run", "--port", str(port), "--interface", "127.0.0.1",
                                  "--enable-api"],
                      {"PATH": "/usr/bin:/bin", "HOME": str(folder),
                       "RASA_TELEMETRY_ENABLED": "false"}, folder / "rasa.log",
                      ready_url=f"http://127.0.0.1:{port}/status",
                      ready_check=lambda r: bool(r.json().get("model_file")), ready_timeout=180)
    process.popen = subprocess.Popen(process.argv, cwd=folder, env=process.env,
                                     stdout=open(process.log_path, "ab"),  # noqa: SIM115
                                     stderr=subprocess.STDOUT, start_new_session=True)
    process.wait_ready()
    return process, f"http://127.0.0.1:{port}", train_s


def serial_starter(url: str, turns: int) -> list[float]:
    samples = []
    for i in range(turns):
        body = {"sender": f"serial-{i % 10}", "message": "hello"}
        samples.append(timed(lambda b=body: requests.post(f"{url}/webhooks/rest/webhook",
                                                          json=b, timeout=30)))
    return samples


def row(name: str, stats: dict[str, float], base: dict[str, float] | None) -> str:
    ratio = ""
    if base:
        ratio = (f" | {stats['rps'] / base['rps']:.2f}× | {stats['p95'] / base['p95']:.2f}×")
    else:
        ratio = " | – | –"
    return (f"| {name} | {stats['requests']:.0f} | {stats['errors']:.0f} | {stats['rps']:.1f} | "
            f"{stats['p50']:.0f} | {stats['p95']:.0f} | {stats['p99']:.0f}{ratio} |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--skip-scaled", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    args = parser.parse_args()
    results: dict[str, dict[str, float]] = {}
    notes: list[str] = []

    baseline = None
    if not args.skip_baseline:
        process, url, train_s = starter_bot()
        try:
            serial = serial_starter(url, args.turns)
            notes.append(f"Starter bot serial turn: p50 {statistics.median(serial):.1f} ms, "
                         f"p95 {percentile(serial, 95):.1f} ms ({args.turns} turns); "
                         f"`rasa init` + training {train_s:.0f} s.")
            baseline = run_locust(url, "StarterBotUser", args.users, args.seconds)
            results["starter bot (baseline)"] = baseline
            notes.append(f"Starter bot RSS after load: {rss_mb(process.popen.pid):.0f} MB.")
        finally:
            process.stop()

    stack = Stack()
    stack.start()
    try:
        results["Cadence, 1 Rasa"] = run_locust(stack.api_url, "CadenceUser", args.users,
                                                args.seconds)
        memory = per_process(stack, rss_mb)
        notes.append("Cadence RSS after load: " + ", ".join(f"{n} {mb:.0f} MB"
                                                          for n, mb in memory.items()) + ".")
    finally:
        stack.stop()

    if not args.skip_scaled:
        from tests.support.scaled import ScaledStack
        from tests.support.services import available

        ok, why = available()
        if ok:
            scaled = ScaledStack()
            scaled.start()
            try:
                results["Cadence, 2 Rasa (PostgreSQL + Redis)"] = run_locust(
                    scaled.api_url, "CadenceUser", args.users, args.seconds)
            finally:
                scaled.stop()
        else:
            notes.append(f"Scaled run skipped: {why}.")

    lines = [f"## Load run of {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC", "",
             f"{args.users} users, {args.seconds} s, Locust headless; times in ms; ratios are "
             "to the starter bot (throughput, p95).", "",
             "| system | requests | errors | req/s | p50 | p95 | p99 | req/s ratio | p95 ratio |",
             "|---|---|---|---|---|---|---|---|---|"]
    lines += [row(name, stats, None if stats is baseline else baseline)
              for name, stats in results.items()]
    lines += [""] + [f"- {note}" for note in notes] + [""]
    report = "\n".join(lines)
    print(report)
    previous = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    RESULTS.write_text(previous.rstrip() + "\n\n" + report)


if __name__ == "__main__":
    main()
