"""hotel.toml as typed values. Missing or wrongly typed entries are errors naming them."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from appliance.errors import ConfigError

#: Where a handoff goes; the hotel file's [departments] and the config's numbers use these.
DepartmentId = Literal["front_desk", "housekeeping", "management", "maintenance"]
DEPARTMENTS: tuple[DepartmentId, ...] = ("front_desk", "housekeeping", "management", "maintenance")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Hours:
    opens: str
    closes: str
    where: str
    note: str


@dataclass(frozen=True)
class RoomType:
    id: str
    name: str
    description: str
    capacity: int
    count: int
    nightly_rate: Decimal


@dataclass(frozen=True)
class Faq:
    question: str
    keywords: tuple[str, ...]
    answer: str
    #: The topic's name, "faq:<id>"; by default the first keyword ("shuttle").
    id: str = ""


@dataclass(frozen=True)
class Department:
    id: str
    description: str
    hours: str


@dataclass(frozen=True)
class Hotel:
    name: str
    address: str
    phone: str
    currency: str
    check_in_time: str
    check_out_time: str
    early_check_in: str
    late_check_out: str
    hours: dict[str, Hours]
    amenities: dict[str, str]
    departments: dict[str, Department]
    room_types: tuple[RoomType, ...]
    faq: tuple[Faq, ...]
    ivr: dict[str, str]

    def room_type(self, wanted: str) -> RoomType | None:
        """A room type by id or by any word of its name ("king", "suite")."""
        key = wanted.strip().lower().replace("-", " ").replace("_", " ")
        for room in self.room_types:
            if key in (room.id.replace("_", " "), room.name.lower()):
                return room
        words = set(key.split()) - {"room", "a", "the"}
        matches = [r for r in self.room_types if words & set(r.name.lower().split())]
        return matches[0] if len(matches) == 1 else None


class _Reader:
    """Pulls typed values out of the parsed TOML, collecting every problem with its key."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[str] = []

    def get(
        self, table: dict[str, Any], key: str, kind: type, where: str, default: Any = None
    ) -> Any:
        if key not in table:
            if default is not None:
                return default
            self.problems.append(f"{self.path}: {where}: missing {key!r}")
            return kind() if kind is not Decimal else Decimal(0)
        value = table[key]
        if kind is Decimal and isinstance(value, int | float) and not isinstance(value, bool):
            return Decimal(str(value)).quantize(Decimal("0.01"))
        if kind is int and isinstance(value, bool):
            value = None
        if not isinstance(value, kind):
            self.problems.append(
                f"{self.path}: {where} {key}: expected {kind.__name__}, got {value!r}"
            )
            return kind() if kind is not Decimal else Decimal(0)
        return value

    def time(self, table: dict[str, Any], key: str, where: str) -> str:
        value = str(self.get(table, key, str, where))
        if value and not _TIME.match(value):
            self.problems.append(
                f"{self.path}: {where} {key}: expected a 24-hour time like 07:30, got {value!r}"
            )
        return value

    def unknown(self, table: dict[str, Any], known: set[str], where: str) -> None:
        for key in set(table) - known:
            self.problems.append(f"{self.path}: {where}: unknown key {key!r}")


def load_hotel(path: Path) -> Hotel:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(
            "hotel-missing",
            f"{path}: no hotel file (set [paths] hotel_file or APPLIANCE_HOTEL_FILE)",
        ) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("hotel-invalid", f"{path}: not valid TOML: {err}") from err
    r = _Reader(path)
    r.unknown(
        raw, {"hotel", "hours", "amenities", "departments", "room_types", "faq", "ivr"}, "top level"
    )
    top = raw.get("hotel", {})
    hotel_keys = {
        "name",
        "address",
        "phone",
        "currency",
        "check_in_time",
        "check_out_time",
        "early_check_in",
        "late_check_out",
    }
    r.unknown(top, hotel_keys, "[hotel]")
    hours = {
        name: Hours(
            opens=r.time(table, "opens", f"[hours.{name}]"),
            closes=r.time(table, "closes", f"[hours.{name}]"),
            where=r.get(table, "where", str, f"[hours.{name}]"),
            note=r.get(table, "note", str, f"[hours.{name}]", default=""),
        )
        for name, table in raw.get("hours", {}).items()
    }
    amenities = {
        k: r.get(raw.get("amenities", {}), k, str, "[amenities]") for k in raw.get("amenities", {})
    }
    departments = {}
    for dept, table in raw.get("departments", {}).items():
        if dept not in DEPARTMENTS:
            r.problems.append(
                f"{path}: unknown department [departments.{dept}]; use {', '.join(DEPARTMENTS)}"
            )
            continue
        departments[dept] = Department(
            dept,
            r.get(table, "description", str, f"[departments.{dept}]"),
            r.get(table, "hours", str, f"[departments.{dept}]"),
        )
    rooms = []
    for index, table in enumerate(raw.get("room_types", [])):
        where = f"[[room_types]] #{index + 1}"
        r.unknown(table, {"id", "name", "description", "capacity", "count", "nightly_rate"}, where)
        rooms.append(
            RoomType(
                id=r.get(table, "id", str, where),
                name=r.get(table, "name", str, where),
                description=r.get(table, "description", str, where, default=""),
                capacity=r.get(table, "capacity", int, where),
                count=r.get(table, "count", int, where),
                nightly_rate=r.get(table, "nightly_rate", Decimal, where),
            )
        )
    if not rooms:
        r.problems.append(f"{path}: no [[room_types]]: the hotel needs at least one room type")
    faq: list[Faq] = []
    for i, t in enumerate(raw.get("faq", [])):
        where = f"[[faq]] #{i + 1}"
        r.unknown(t, {"id", "question", "keywords", "answer"}, where)
        keywords = tuple(str(k).lower() for k in r.get(t, "keywords", list, where))
        default_id = re.sub(r"[^a-z0-9]+", "_", keywords[0]).strip("_") if keywords else f"{i + 1}"
        faq_id = str(t.get("id") or default_id)
        if any(f.id == faq_id for f in faq):
            r.problems.append(f"{path}: {where}: id {faq_id!r} is used by another [[faq]] entry; give it its own id")
        faq.append(
            Faq(
                question=r.get(t, "question", str, where),
                keywords=keywords,
                answer=r.get(t, "answer", str, where),
                id=faq_id,
            )
        )
    facts = {
        "name": r.get(top, "name", str, "[hotel]"),
        "address": r.get(top, "address", str, "[hotel]"),
        "phone": r.get(top, "phone", str, "[hotel]"),
        "currency": r.get(top, "currency", str, "[hotel]", default="USD"),
        "check_in_time": r.time(top, "check_in_time", "[hotel]"),
        "check_out_time": r.time(top, "check_out_time", "[hotel]"),
        "early_check_in": r.get(top, "early_check_in", str, "[hotel]", default=""),
        "late_check_out": r.get(top, "late_check_out", str, "[hotel]", default=""),
    }
    if r.problems:
        raise ConfigError("hotel-invalid", "invalid hotel file:\n  " + "\n  ".join(r.problems))
    return Hotel(
        **facts,
        hours=hours,
        amenities=amenities,
        departments=departments,
        room_types=tuple(rooms),
        faq=tuple(faq),
        ivr={str(k): str(v) for k, v in raw.get("ivr", {}).items()},
    )
