"""What the dashboard and /metrics read: the week's numbers, a scrape's snapshot, a call's
recording, and the access log every playback is written to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from appliance.config import AnalyticsSettings
from appliance.store.database import Connection
from appliance.store.kpis import FACT_TOOL, STAGES, Period, call_facts_sql, summary

#: Bins of the caller-mood histogram, from -1.0 to 1.0.
SENTIMENT_BINS = 10
#: Upper bounds of the latency buckets, in seconds.
BUCKETS_S = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0)


@dataclass(frozen=True)
class StageHistogram:
    stage: str
    #: Cumulative counts at each bound of BUCKETS_S.
    cumulative: tuple[int, ...]
    count: int
    sum_s: float



@dataclass(frozen=True)
class Snapshot:
    """What the database says at one scrape."""

    calls: tuple[tuple[str, str, int], ...]  # channel, outcome, ended calls
    errors: tuple[tuple[str, int], ...]  # error code, calls
    stages: tuple[StageHistogram, ...]
    flagged: int


def read_snapshot(db: Connection, settings: AnalyticsSettings) -> Snapshot:
    facts = call_facts_sql(settings)
    everything = ["1970-01-01T00:00:00+00:00", "9999-12-31T00:00:00+00:00"]
    calls = db.execute(
        f"SELECT channel, outcome, count(*) FROM ({facts}) WHERE outcome <> 'active'"
        " GROUP BY ALL ORDER BY ALL",
        everything,
    ).fetchall()
    errors = db.execute(
        "SELECT error_code, count(*) FROM voice_calls WHERE error_code IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    flagged = db.execute("SELECT count(*) FROM voice_calls WHERE flag_reason IS NOT NULL").fetchone()
    bounds = ", ".join(
        f"count(*) FILTER (WHERE metric_value <= {b * 1000})" for b in BUCKETS_S
    )
    stages = []
    for stage, *row in db.execute(
        f"SELECT metric_name, {bounds}, count(*), sum(metric_value) FROM voice_analytics"
        " WHERE metric_name IN (SELECT unnest(?::VARCHAR[])) GROUP BY metric_name",
        [list(STAGES)],
    ).fetchall():
        cumulative, count, total_ms = row[: len(BUCKETS_S)], row[-2], row[-1]
        stages.append(
            StageHistogram(stage, tuple(int(c) for c in cumulative), int(count), float(total_ms or 0) / 1000)
        )
    return Snapshot(
        calls=tuple((str(c), str(o), int(n)) for c, o, n in calls),
        errors=tuple((str(e), int(n)) for e, n in errors),
        stages=tuple(sorted(stages, key=lambda h: STAGES.index(h.stage))),
        flagged=int(flagged[0]) if flagged else 0,
    )



def dashboard_data(db: Connection, settings: AnalyticsSettings, period: Period) -> dict[str, Any]:
    """Everything the page draws, over calls that started in ``period``."""
    kpis = summary(db, settings, period)
    facts = call_facts_sql(settings)
    bounds = [period.start, period.end]
    tz = settings.timezone.replace("'", "")
    per_hour = db.execute(
        f"SELECT strftime(date_trunc('hour', timezone('{tz}', start_time)), '%Y-%m-%d %H:00'), count(*)"
        f" FROM ({facts}) GROUP BY 1 ORDER BY 1",
        bounds,
    ).fetchall()
    latency = db.execute(
        f"SELECT strftime(date_trunc('day', timezone('{tz}', f.start_time)), '%Y-%m-%d'), a.metric_name,"
        " quantile_cont(a.metric_value, 0.5) FROM voice_analytics a"
        f" JOIN ({facts}) f USING (session_id) WHERE a.metric_name IN (SELECT unnest(?::VARCHAR[]))"
        " GROUP BY ALL ORDER BY 1",
        [*bounds, list(STAGES)],
    ).fetchall()
    days = sorted({d for d, _, _ in latency})
    by_stage: dict[str, dict[str, float]] = {}
    for day, stage, p50 in latency:
        by_stage.setdefault(stage, {})[day] = round(float(p50), 1)
    histogram = [0] * SENTIMENT_BINS
    for (score,) in db.execute(
        f"SELECT sentiment FROM ({facts}) WHERE sentiment IS NOT NULL", bounds
    ).fetchall():
        histogram[min(SENTIMENT_BINS - 1, int((float(score) + 1) / 2 * SENTIMENT_BINS))] += 1
    tools = db.execute(
        "SELECT tool, count(*) FROM tool_executions WHERE timestamp >= ? AND timestamp < ?"
        " GROUP BY tool ORDER BY count(*) DESC, tool LIMIT 10",
        bounds,
    ).fetchall()
    questions = db.execute(
        "SELECT json_extract_string(arguments, '$.topic') AS topic, count(*) FROM tool_executions"
        " WHERE tool = ? AND timestamp >= ? AND timestamp < ? GROUP BY topic"
        " ORDER BY count(*) DESC, topic LIMIT 10",
        [FACT_TOOL, *bounds],
    ).fetchall()
    recordings = db.execute(
        "SELECT session_id, channel, start_time, duration_seconds FROM voice_calls"
        " WHERE recording_url IS NOT NULL AND start_time >= ? AND start_time < ?"
        " ORDER BY start_time DESC LIMIT 20",
        bounds,
    ).fetchall()
    flagged = db.execute(
        f"SELECT session_id, channel, start_time, flag_reason FROM ({facts})"
        " WHERE flag_reason IS NOT NULL ORDER BY start_time DESC LIMIT 20",
        bounds,
    ).fetchall()
    return {
        "kpis": kpis.to_dict(),
        "calls_per_hour": [{"hour": h, "calls": int(n)} for h, n in per_hour],
        "latency_days": days,
        "latency_p50_ms": {s: [by_stage.get(s, {}).get(d) for d in days] for s in STAGES if s in by_stage},
        "sentiment_histogram": histogram,
        "top_tools": [{"tool": t, "runs": int(n)} for t, n in tools],
        "top_questions": [{"topic": t, "asked": int(n)} for t, n in questions],
        "recordings": [
            {"session_id": s, "channel": c, "start_time": t, "duration_seconds": d}
            for s, c, t, d in recordings
        ],
        "flagged": [
            {"session_id": s, "channel": c, "start_time": t, "reason": r} for s, c, t, r in flagged
        ],
        "timezone": settings.timezone,
    }



def recording_url(db: Connection, session_id: str) -> str | None:
    row = db.execute("SELECT recording_url FROM voice_calls WHERE session_id = ?", [session_id]).fetchone()
    return str(row[0]) if row and row[0] else None


def log_access(db: Connection, who: str, action: str, session_id: str, remote: str | None) -> None:
    db.execute(
        "INSERT INTO access_log (accessed_at, who, action, session_id, remote) VALUES (now(), ?, ?, ?, ?)",
        [who, action, session_id, remote],
    )
