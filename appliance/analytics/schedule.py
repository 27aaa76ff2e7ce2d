"""When sync runs: "every 60m", or a five-field cron expression read in UTC."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_UNITS_S = {"s": 1, "m": 60, "h": 3600}
#: (name, lowest, highest) of the five cron fields.
_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day of month", 1, 31), ("month", 1, 12),
           ("day of week", 0, 7))  # fmt: skip


@dataclass(frozen=True)
class Interval:
    every_s: float

    def next_after(self, moment: datetime) -> datetime:
        return moment + timedelta(seconds=self.every_s)


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 is Sunday, as cron has it

    def matches(self, moment: datetime) -> bool:
        return (
            moment.minute in self.minutes
            and moment.hour in self.hours
            and moment.day in self.days
            and moment.month in self.months
            and (moment.isoweekday() % 7) in self.weekdays
        )

    def next_after(self, moment: datetime) -> datetime:
        """The first whole minute after ``moment`` the expression names (within a year)."""
        probe = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        for _ in range(366 * 24 * 60):
            if self.matches(probe):
                return probe
            probe += timedelta(minutes=1)
        raise ValueError("the cron expression names no minute within a year")


Schedule = Interval | Cron


def parse_schedule(text: str) -> Schedule:
    """``every 30m`` / ``every 2h`` / ``every 90s``, or ``m h dom mon dow`` (UTC)."""
    text = text.strip()
    if match := re.fullmatch(r"every\s+(\d+)\s*([smh])", text):
        seconds = int(match.group(1)) * _UNITS_S[match.group(2)]
        if seconds < 10:
            raise ValueError(f"{text!r} is too often: at least every 10s")
        return Interval(float(seconds))
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"{text!r} is neither 'every <n>m' (s, m, h) nor a cron expression of five fields"
        )
    sets = [_cron_field(part, *spec) for part, spec in zip(parts, _FIELDS, strict=True)]
    cron = Cron(*sets)
    cron.next_after(datetime(2000, 1, 1))  # names at least one minute of a year
    return cron


def _cron_field(text: str, name: str, low: int, high: int) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        match = re.fullmatch(r"(\*|\d+(?:-\d+)?)(?:/(\d+))?", item)
        if not match:
            raise ValueError(f"cron {name} field {text!r}: cannot read {item!r}")
        span, step = match.group(1), int(match.group(2) or 1)
        if span == "*":
            start, end = low, high
        else:
            start_text, _, end_text = span.partition("-")
            start = int(start_text)
            end = int(end_text) if end_text else (high if match.group(2) else start)
        if not (low <= start <= high and low <= end <= high and start <= end and step >= 1):
            raise ValueError(f"cron {name} field {text!r}: {item!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    if name == "day of week":
        return frozenset(v % 7 for v in values)  # 7 is Sunday too
    return frozenset(values)
