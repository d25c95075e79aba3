"""Training time, run on demand (`make bench`): Cadence's whole model from scratch.

`rasa train --force` into a temporary folder with Rasa's cache in another, so nothing is
restored from an earlier training and models/ is left alone. Appends a line to
bench/RESULTS.md.
Usage: python -m bench.training
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import tempfile
import time

from bench.load import RASA
from bench.run import RESULTS
from tests.support.stack import ROOT


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="train-") as out, \
            tempfile.TemporaryDirectory(prefix="rasa-cache-") as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
               "RASA_TELEMETRY_ENABLED": "false", "RASA_CACHE_DIRECTORY": cache}
        started = time.perf_counter()
        subprocess.run(
            [RASA, "train", "--force", "--domain", "bot/domain", "--data", "data",
             "--config", "config.yml", "--out", out],
            cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
    line = (f"- Training from scratch ({dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, "
            f"`rasa train --force`, empty cache): {seconds:.0f} s.\n")
    print(line, end="")
    with RESULTS.open("a") as results:
        results.write("\n" + line)


if __name__ == "__main__":
    main()
