"""Start-up of `appliance serve`: time to a 200 on /voice/health, per-model load and warm-up
times, and the resident memory of the ready server. Prints medians over a few runs.

    .venv/bin/python benchmarks/startup.py [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

APPLIANCE = Path(sys.executable).parent / "appliance"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(data_dir: str) -> dict[str, float]:
    port = free_port()
    env = {
        **os.environ,
        "APPLIANCE_DATA_DIR": data_dir,
        "APPLIANCE_ADMIN_TOKEN": "benchmark-token-0123456789",
    }
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(APPLIANCE), "serve", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}")
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/voice/health", timeout=2
                ) as reply:
                    health = json.load(reply)
                    break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.05)
        ready_s = time.perf_counter() - started
        result = {"ready_s": ready_s, "rss_mb": rss_mb(process.pid)}
        for role, model in health["models"].items():
            result[f"{role}_load_s"] = model["load_time_s"]
            result[f"{role}_warm_up_s"] = model["warm_up_s"]
        stop = time.perf_counter()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
        result["stop_s"] = time.perf_counter() - stop
        return result
    finally:
        if process.poll() is None:
            process.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as data_dir:
        for n in range(args.runs):
            runs.append(one_run(data_dir))
            print(
                f"run {n + 1}: ready in {runs[-1]['ready_s']:.2f} s, {runs[-1]['rss_mb']:.0f} MB resident"
            )
    print(f"\nmedian of {args.runs} runs on {os.cpu_count()} cores")
    for key in runs[0]:
        values = [r[key] for r in runs]
        unit = "MB" if key.endswith("_mb") else "s"
        print(
            f"  {key:<16} {statistics.median(values):8.2f} {unit}   (min {min(values):.2f}, max {max(values):.2f})"
        )


if __name__ == "__main__":
    main()
