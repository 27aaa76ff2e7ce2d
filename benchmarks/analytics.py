"""Analytics costs: VADER per caller turn (it runs on the event loop, so it must stay well
under a millisecond), and the KPI, dashboard, /metrics and one sync day's Parquet over 90
days of calls (the default retention) in a real DuckDB file.

Prints median and p95 of each. The goal: a turn scored in under 1 ms; the KPI summary and
the dashboard's data in under 300 ms on 2 cores; a scrape in under 200 ms.

    .venv/bin/python benchmarks/analytics.py [--days 90]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.analytics.sentiment import VaderScorer
from appliance.config import INSTALL_ROOT, AnalyticsSettings
from appliance.store.dashboard import dashboard_data, read_snapshot
from appliance.store.kpis import Period, hourly_sql, summary

sys.path.insert(0, str(INSTALL_ROOT / "tests"))
from analytics_data import fill, open_file, week_of_calls  # noqa: E402

TURNS = [
    "What time is check out?",
    "Hi, I'd like to book a room for two nights from December 20th for two people.",
    "This is ridiculous, I've asked three times already and nobody is helping me.",
    "Perfect, thank you so much, that's exactly what I needed!",
]


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Median and p95 in milliseconds."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - started) * 1000)
    runs.sort()
    return statistics.median(runs), runs[int(0.95 * (len(runs) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()

    vader = VaderScorer()
    p50, p95 = timed(lambda: [vader.score(t) for t in TURNS], 500)
    print(f"VADER per turn: p50 {p50 / len(TURNS) * 1000:.0f} us, p95 {p95 / len(TURNS) * 1000:.0f} us")

    settings = AnalyticsSettings()
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "appliance.duckdb"
        now = datetime.now(UTC)
        made = week_of_calls(now, seed=1, days=args.days)
        started = time.perf_counter()
        fill(path, made)
        print(f"{len(made)} calls over {args.days} days written in {time.perf_counter() - started:.1f} s")
        db = open_file(path)
        everything = Period(now - timedelta(days=args.days + 1), now)
        week = Period(now - timedelta(days=7), now)
        day = Period(now - timedelta(days=2), now - timedelta(days=1))
        for name, work in (
            (f"KPI summary, {args.days} days", lambda: summary(db, settings, everything)),
            ("KPI summary, 7 days", lambda: summary(db, settings, week)),
            ("dashboard data, 7 days", lambda: dashboard_data(db, settings, week)),
            ("/metrics snapshot", lambda: read_snapshot(db, settings)),
            ("one sync day, hourly rows", lambda: db.execute(hourly_sql(settings), [day.start, day.end]).fetchall()),
        ):  # fmt: skip
            p50, p95 = timed(work, 20)
            print(f"{name}: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
        db.close()


if __name__ == "__main__":
    main()
