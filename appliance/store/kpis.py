"""The hotel's KPIs over a period, and per hour and channel for the cloud. Plain functions of a
DuckDB connection: the server runs them on its readers, the CLI on the file directly.

A call's outcome, in this order: transferred (handed to a person); failed (an error, or cut
off when the appliance stopped); abandoned (the caller left before saying anything, or the
line dropped before the call began); booked (a reservation was made); resolved (the agent
answered and the caller hung up). Containment is booked plus resolved over every call that
reached the agent (all but abandoned)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from appliance.config import AnalyticsSettings

Connection = duckdb.DuckDBPyConnection

#: The caller's mood per turn, -1.0 to 1.0 (voice_analytics).
TURN_METRIC = "caller_sentiment"
OUTCOMES = ("resolved", "booked", "transferred", "abandoned", "failed")
#: Per-turn latencies the loop writes (voice_analytics), in the order a turn runs.
STAGES = ("endpoint_ms", "stt_ms", "understand_ms", "agent_ms", "tts_first_audio_ms",
          "voice_to_voice_ms")  # fmt: skip
#: Connection quality a browser call reports (per session, voice_analytics).
RTC_METRICS = ("rtc_jitter_ms", "rtc_packet_loss_pct", "rtc_rtt_ms")
#: VADER's usual bands: below -0.05 negative, above 0.05 positive.
NEGATIVE_BELOW, POSITIVE_ABOVE = -0.05, 0.05
#: The tool whose runs are the callers' questions (its topic argument).
FACT_TOOL = "get_hotel_info"


def _call_facts_sql(local_tz: str, opens: str, closes: str) -> str:
    """One row per call in [?, ?): the facts every KPI is counted from."""
    return f"""
    WITH
    turns AS (
        SELECT session_id, count(*) AS turns, count(*) FILTER (WHERE role = 'user') AS caller_turns
        FROM conversation_turns GROUP BY session_id
    ),
    tools AS (
        SELECT session_id,
               count(*) AS tool_runs,
               bool_or(tool = 'create_reservation' AND ok) AS booked_tool,
               bool_or(tool = 'check_availability') AS asked_availability,
               any_value(json_extract_string(arguments, '$.department'))
                   FILTER (WHERE tool = 'transfer_to_human') AS department
        FROM tool_executions WHERE session_id IS NOT NULL GROUP BY session_id
    ),
    rtc AS (
        SELECT session_id,
               avg(metric_value) FILTER (WHERE metric_name = 'rtc_jitter_ms') AS rtc_jitter_ms,
               avg(metric_value) FILTER (WHERE metric_name = 'rtc_packet_loss_pct') AS rtc_packet_loss_pct,
               avg(metric_value) FILTER (WHERE metric_name = 'rtc_rtt_ms') AS rtc_rtt_ms
        FROM voice_analytics WHERE metric_name LIKE 'rtc_%' GROUP BY session_id
    ),
    mood AS (
        SELECT session_id, avg(metric_value) AS turn_sentiment
        FROM voice_analytics WHERE metric_name = '{TURN_METRIC}' GROUP BY session_id
    )
    SELECT
        c.session_id, c.channel, c.language, c.start_time, c.status, c.error_code,
        c.duration_seconds, c.flag_reason, c.caller_id, c.transcription,
        coalesce(t.turns, 0) AS turns,
        coalesce(t.caller_turns, 0) AS caller_turns,
        coalesce(x.tool_runs, 0) AS tool_runs,
        coalesce(x.asked_availability, false) OR c.reservation_id IS NOT NULL AS asked_availability,
        CASE WHEN c.status = 'transferred' THEN coalesce(x.department, 'front_desk') END AS department,
        coalesce(c.sentiment_score, m.turn_sentiment) AS sentiment,
        CASE
            WHEN c.status = 'active' THEN 'active'
            WHEN c.status = 'transferred' THEN 'transferred'
            WHEN c.status IN ('failed', 'interrupted') THEN 'failed'
            WHEN c.status = 'abandoned' OR coalesce(t.caller_turns, 0) = 0 THEN 'abandoned'
            WHEN c.reservation_id IS NOT NULL OR coalesce(x.booked_tool, false) THEN 'booked'
            ELSE 'resolved'
        END AS outcome,
        (strftime(timezone('{local_tz}', c.start_time), '%H:%M') < '{opens}'
         OR strftime(timezone('{local_tz}', c.start_time), '%H:%M') >= '{closes}') AS after_hours,
        r.rtc_jitter_ms, r.rtc_packet_loss_pct, r.rtc_rtt_ms
    FROM voice_calls c
    LEFT JOIN turns t USING (session_id)
    LEFT JOIN tools x USING (session_id)
    LEFT JOIN rtc r USING (session_id)
    LEFT JOIN mood m USING (session_id)
    WHERE c.start_time >= ? AND c.start_time < ?
    """


def call_facts_sql(settings: AnalyticsSettings) -> str:
    return _call_facts_sql(
        settings.timezone.replace("'", ""), settings.business_opens, settings.business_closes
    )


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime

    @classmethod
    def since(cls, start: datetime | None, end: datetime | None = None) -> Period:
        end = end or datetime.now(UTC)
        return cls(start or datetime(1970, 1, 1, tzinfo=UTC), end)


@dataclass(frozen=True)
class StageLatency:
    turns: int
    p50_ms: float | None
    p95_ms: float | None


@dataclass(frozen=True)
class Kpis:
    """The hotel's numbers over one period."""

    period_start: datetime
    period_end: datetime
    calls: int
    ended: int
    active: int
    outcomes: dict[str, int]
    #: Booked plus resolved, over every ended call that reached the agent.
    containment_rate: float | None
    transfer_rate: float | None
    transfers_by_department: dict[str, int]
    bookings: int
    #: Calls that booked, over calls that asked about rooms and dates.
    booking_conversion: float | None
    avg_handle_s: float | None
    after_hours_calls: int
    calls_by_channel: dict[str, int]
    latency: dict[str, StageLatency]
    avg_sentiment: float | None
    sentiment_bands: dict[str, int]
    flagged_calls: int
    #: Mean per call of each connection metric, per channel (browser calls).
    connection: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period_start"] = self.period_start.isoformat()
        data["period_end"] = self.period_end.isoformat()
        return data


def kpi_rows(data: dict[str, Any]) -> list[tuple[str, Any]]:
    """A summary (``Kpis.to_dict()``, as the API sends it) as (name, value) lines."""
    lines: list[tuple[str, Any]] = [
        ("period_start", data["period_start"]),
        ("period_end", data["period_end"]),
        ("calls", data["calls"]),
        ("active_calls", data["active"]),
    ]
    lines += [(f"outcome.{k}", v) for k, v in data["outcomes"].items()]
    lines += [
        ("containment_rate", _round(data["containment_rate"], 4)),
        ("transfer_rate", _round(data["transfer_rate"], 4)),
    ]
    lines += [(f"transfers.{k}", v) for k, v in data["transfers_by_department"].items()]
    lines += [
        ("bookings", data["bookings"]),
        ("booking_conversion", _round(data["booking_conversion"], 4)),
        ("avg_handle_s", _round(data["avg_handle_s"], 1)),
        ("after_hours_calls", data["after_hours_calls"]),
    ]
    lines += [(f"channel.{k}", v) for k, v in data["calls_by_channel"].items()]
    for stage, lat in data["latency"].items():
        lines += [(f"latency.{stage}.p50", _round(lat["p50_ms"], 1)),
                  (f"latency.{stage}.p95", _round(lat["p95_ms"], 1))]  # fmt: skip
    lines += [("sentiment.avg", _round(data["avg_sentiment"], 3))]
    lines += [(f"sentiment.{k}", v) for k, v in data["sentiment_bands"].items()]
    lines += [("flagged_calls", data["flagged_calls"])]
    for channel, values in data["connection"].items():
        lines += [(f"connection.{channel}.{k}", _round(v, 2)) for k, v in values.items()]
    return lines


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def summary(db: Connection, settings: AnalyticsSettings, period: Period) -> Kpis:
    """Every KPI over calls that started in ``period``."""
    facts = call_facts_sql(settings)
    bounds = [period.start, period.end]
    db.execute(f"CREATE OR REPLACE TEMP TABLE kpi_calls AS {facts}", bounds)
    try:
        return _summary_of_temp(db, period)
    finally:
        db.execute("DROP TABLE IF EXISTS kpi_calls")


def _summary_of_temp(db: Connection, period: Period) -> Kpis:
    def one(sql: str, params: list[Any] | None = None) -> Any:
        row = db.execute(sql, params or []).fetchone()
        return row[0] if row else None

    def pairs(sql: str) -> dict[str, Any]:
        return {str(k): v for k, v in db.execute(sql).fetchall()}

    calls = int(one("SELECT count(*) FROM kpi_calls"))
    by_outcome = pairs("SELECT outcome, count(*) FROM kpi_calls GROUP BY outcome")
    outcomes = {o: int(by_outcome.get(o, 0)) for o in OUTCOMES}
    active = int(by_outcome.get("active", 0))
    ended = calls - active
    reached = ended - outcomes["abandoned"]
    contained = outcomes["resolved"] + outcomes["booked"]
    asked = int(one("SELECT count(*) FROM kpi_calls WHERE asked_availability AND outcome <> 'active'"))
    latency = {
        stage: StageLatency(int(n), _float(p50), _float(p95))
        for stage, n, p50, p95 in db.execute(
            "SELECT metric_name, count(*), quantile_cont(metric_value, 0.5), quantile_cont(metric_value, 0.95)"
            " FROM voice_analytics a JOIN kpi_calls k USING (session_id)"
            " WHERE metric_name IN (SELECT unnest(?::VARCHAR[])) GROUP BY metric_name",
            [list(STAGES)],
        ).fetchall()
    }
    bands = pairs(
        f"SELECT CASE WHEN sentiment < {NEGATIVE_BELOW} THEN 'negative'"
        f" WHEN sentiment > {POSITIVE_ABOVE} THEN 'positive' ELSE 'neutral' END, count(*)"
        " FROM kpi_calls WHERE sentiment IS NOT NULL GROUP BY 1"
    )
    connection: dict[str, dict[str, float]] = {}
    for row in db.execute(
        "SELECT channel, avg(rtc_jitter_ms), avg(rtc_packet_loss_pct), avg(rtc_rtt_ms)"
        " FROM kpi_calls WHERE rtc_jitter_ms IS NOT NULL OR rtc_packet_loss_pct IS NOT NULL"
        " OR rtc_rtt_ms IS NOT NULL GROUP BY channel ORDER BY channel"
    ).fetchall():
        connection[row[0]] = {
            name: float(value) for name, value in zip(RTC_METRICS, row[1:], strict=True)
            if value is not None
        }  # fmt: skip
    return Kpis(
        period_start=period.start,
        period_end=period.end,
        calls=calls,
        ended=ended,
        active=active,
        outcomes=outcomes,
        containment_rate=_ratio(contained, reached),
        transfer_rate=_ratio(outcomes["transferred"], reached),
        transfers_by_department={
            k: int(v) for k, v in pairs(
                "SELECT department, count(*) FROM kpi_calls WHERE outcome = 'transferred'"
                " GROUP BY department ORDER BY count(*) DESC, department"
            ).items()
        },  # fmt: skip
        bookings=outcomes["booked"],
        booking_conversion=_ratio(outcomes["booked"], asked),
        avg_handle_s=_float(
            one("SELECT avg(duration_seconds) FROM kpi_calls WHERE outcome NOT IN ('active', 'abandoned')")
        ),
        after_hours_calls=int(one("SELECT count(*) FROM kpi_calls WHERE after_hours")),
        calls_by_channel={
            k: int(v) for k, v in pairs(
                "SELECT channel, count(*) FROM kpi_calls GROUP BY channel ORDER BY channel"
            ).items()
        },  # fmt: skip
        latency={s: latency[s] for s in STAGES if s in latency},
        avg_sentiment=_float(one("SELECT avg(sentiment) FROM kpi_calls")),
        sentiment_bands={b: int(bands.get(b, 0)) for b in ("negative", "neutral", "positive")},
        flagged_calls=int(one("SELECT count(*) FROM kpi_calls WHERE flag_reason IS NOT NULL")),
        connection=connection,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


#: The hourly aggregate's columns, as synced (README: "For a hotel group").
HOURLY_COLUMNS = (
    "hour_start", "channel", "calls", "resolved", "booked", "transferred", "abandoned", "failed",
    "after_hours_calls", "flagged_calls", "handle_seconds_total", "avg_handle_s", "caller_turns",
    "tool_runs", "avg_sentiment", "negative_calls", "voice_to_voice_p50_ms",
    "voice_to_voice_p95_ms", "rtc_jitter_ms", "rtc_packet_loss_pct", "rtc_rtt_ms",
)  # fmt: skip


def hourly_sql(settings: AnalyticsSettings) -> str:
    """Per UTC hour and channel, the KPIs of the calls that started in [?, ?) and have ended."""
    return f"""
    WITH f AS (SELECT * FROM ({call_facts_sql(settings)}) WHERE outcome <> 'active'),
    per_call AS (
        SELECT
            date_trunc('hour', start_time) AS hour_start,
            channel,
            count(*) AS calls,
            count(*) FILTER (WHERE outcome = 'resolved') AS resolved,
            count(*) FILTER (WHERE outcome = 'booked') AS booked,
            count(*) FILTER (WHERE outcome = 'transferred') AS transferred,
            count(*) FILTER (WHERE outcome = 'abandoned') AS abandoned,
            count(*) FILTER (WHERE outcome = 'failed') AS failed,
            count(*) FILTER (WHERE after_hours) AS after_hours_calls,
            count(*) FILTER (WHERE flag_reason IS NOT NULL) AS flagged_calls,
            coalesce(sum(duration_seconds) FILTER (WHERE outcome <> 'abandoned'), 0) AS handle_seconds_total,
            avg(duration_seconds) FILTER (WHERE outcome <> 'abandoned') AS avg_handle_s,
            sum(caller_turns) AS caller_turns,
            sum(tool_runs) AS tool_runs,
            avg(sentiment) AS avg_sentiment,
            count(*) FILTER (WHERE sentiment < {NEGATIVE_BELOW}) AS negative_calls,
            avg(rtc_jitter_ms) AS rtc_jitter_ms,
            avg(rtc_packet_loss_pct) AS rtc_packet_loss_pct,
            avg(rtc_rtt_ms) AS rtc_rtt_ms
        FROM f GROUP BY 1, 2
    ),
    latency AS (
        SELECT date_trunc('hour', f.start_time) AS hour_start, f.channel,
               quantile_cont(a.metric_value, 0.5) AS voice_to_voice_p50_ms,
               quantile_cont(a.metric_value, 0.95) AS voice_to_voice_p95_ms
        FROM f JOIN voice_analytics a USING (session_id)
        WHERE a.metric_name = 'voice_to_voice_ms' GROUP BY 1, 2
    )
    SELECT {", ".join(HOURLY_COLUMNS)}
    FROM per_call LEFT JOIN latency USING (hour_start, channel)
    ORDER BY hour_start, channel
    """
