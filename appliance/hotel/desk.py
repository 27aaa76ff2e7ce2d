"""The front desk: the hotel port the flows act through, for one call at a time.

Every look-up and every change is timed and recorded with its call under the tool name the
analytics know it by (check_availability, create_reservation, transfer_to_human, ...), its
arguments and a small result. A reply prepared before the caller has finished looks things up
through a ``held`` desk, whose runs are recorded only if the reply is used.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, TypeVar

from appliance.config import DepartmentSettings
from appliance.errors import ToolError
from appliance.hotel import facts
from appliance.hotel.effects import (
    Book,
    BookingRefused,
    CallbackScheduled,
    CancelBooking,
    Effect,
    ScheduleCallback,
    SendText,
    Transfer,
    Transferred,
)
from appliance.hotel.model import Hotel
from appliance.hotel.phones import normalize_phone
from appliance.hotel.reservations import Availability, NoRoomAvailable, PropertySystem, Reservation
from appliance.sentences import Catalogue
from appliance.sessions import Session, ToolRun
from appliance.store import desk as records
from appliance.store.database import Store

_LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
Record = Callable[[ToolRun], None]


class SmsSender(Protocol):
    """Sends a text message; returns the provider's message id."""

    async def send(self, to: str, body: str) -> str: ...


class NoSms:
    """Text messages need the hotel's Twilio account; without it the agent says so."""

    async def send(self, to: str, body: str) -> str:
        raise ToolError(
            "sms-unavailable",
            "text messages are not set up: TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER are needed",
        )


class FrontDesk:
    """What the hotel can look up and do: rooms, reservations, facts, people, callbacks, texts."""

    def __init__(
        self,
        hotel: Hotel,
        reservations: PropertySystem,
        lines: Catalogue,
        departments: DepartmentSettings,
        store: Store,
        sms: SmsSender | None = None,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.hotel = hotel
        self.reservations = reservations
        self.lines = lines
        self.departments = departments
        self.store = store
        self.sms = sms or NoSms()
        self.today = today
        self._facts = facts.topics(hotel, lines)

    def for_call(self, session: Session | None, record: Record | None = None) -> CallDesk:
        """The desk as one call uses it: runs recorded with the call (``record``; by default
        the session's own record)."""
        if record is None:
            record = session.record_tool if session is not None else _unrecorded
        return CallDesk(self, session, record)

    def fact(self, topic: str) -> str | None:
        """A fact by its key (check_out, faq:shuttle, room:deluxe_king) or by words about it."""
        known = self._facts.get(topic) or self._facts.get(facts.topic_key(topic) or "")
        if known is not None:
            return known.answer
        words = set(re.findall(r"[a-z]+", topic.lower()))
        for entry in self.hotel.faq:
            if any((k in topic.lower()) if " " in k else (k in words) for k in entry.keywords):
                return entry.answer
        return None

    def department_words(self, department: str) -> str:
        """How the agent names a department: the hotel file's description of it."""
        info = self.hotel.departments.get(department)
        return info.description if info else department.replace("_", " ")


def _unrecorded(run: ToolRun) -> None:
    return None


class CallDesk:
    """The front desk bound to one call (or to none: an API client's tool run)."""

    def __init__(self, desk: FrontDesk, session: Session | None, record: Record) -> None:
        self._desk = desk
        self._session = session
        self._record = record

    @property
    def hotel(self) -> Hotel:
        return self._desk.hotel

    def held(self, into: list[ToolRun]) -> CallDesk:
        """The same desk whose runs go to ``into`` instead of the call: a prepared reply's."""
        return CallDesk(self._desk, self._session, into.append)

    def record(self, runs: list[ToolRun]) -> None:
        for run in runs:
            self._record(run)

    def _run(self, name: str, args: dict[str, Any], result: dict[str, Any], started: float) -> None:
        if self._session is not None:
            args = {**args, "session_id": self._session.id}
        ok = bool(result.get("ok"))
        self._record(
            ToolRun(name, args, result, ok, (time.perf_counter() - started) * 1000, datetime.now(UTC))
        )

    # --- reading ------------------------------------------------------------------------

    async def availability(
        self, check_in: date, nights: int, guests: int, room_type: str | None = None
    ) -> list[Availability]:
        started = time.perf_counter()
        options = await self._desk.reservations.availability(
            check_in, check_in + timedelta(days=nights), guests, room_type
        )
        args = {"check_in": check_in.isoformat(), "nights": nights, "guests": guests, "room_type": room_type}
        rooms = [{"room_type": o.room_type.id, "available": o.available} for o in options]
        self._run("check_availability", args, {"ok": True, "rooms": rooms}, started)
        return options

    async def find(self, code: str) -> Reservation | None:
        started = time.perf_counter()
        found = await self._desk.reservations.find(code)
        self._run("find_reservation", {"code": code}, {"ok": found is not None}, started)
        return found

    async def reservations_of(self, phone: str) -> list[Reservation]:
        started = time.perf_counter()
        found = await self._desk.reservations.find_by_phone(normalize_phone(phone))
        self._run("find_reservation", {"caller": phone}, {"ok": bool(found), "found": len(found)}, started)
        return found

    async def fact(self, topic: str) -> str | None:
        started = time.perf_counter()
        answer = self._desk.fact(topic)
        self._run("get_hotel_info", {"topic": topic}, {"ok": answer is not None}, started)
        return answer

    # --- changing -------------------------------------------------------------------------

    async def perform(self, effect: Effect[T]) -> T:
        """Carry out an effect for a confirmed turn."""
        if isinstance(effect, Book):
            return await self._book(effect)  # type: ignore[return-value]
        if isinstance(effect, CancelBooking):
            return await self._cancel(effect)  # type: ignore[return-value]
        if isinstance(effect, Transfer):
            return await self._transfer(effect)  # type: ignore[return-value]
        if isinstance(effect, ScheduleCallback):
            return await self._callback(effect)  # type: ignore[return-value]
        if isinstance(effect, SendText):
            return await self._text(effect)  # type: ignore[return-value]
        raise ToolError("unknown-effect", f"the front desk cannot perform {effect!r}")

    async def _book(self, book: Book) -> Reservation | BookingRefused:
        started = time.perf_counter()
        args = {"check_in": book.check_in.isoformat(), "nights": book.nights, "guests": book.guests,
                "room_type": book.room_type, "guest_name": book.name, "phone": book.phone}  # fmt: skip
        outcome: Reservation | BookingRefused
        if book.check_in < self._desk.today():
            outcome = BookingRefused("date-in-past")
        else:
            phone = normalize_phone(book.phone) if book.phone else None
            session_id = self._session.id if self._session is not None else None
            try:
                outcome = await self._desk.reservations.book(
                    book.room_type, book.check_in, book.check_in + timedelta(days=book.nights),
                    book.guests, " ".join(book.name.split()), phone, session_id,
                )  # fmt: skip
            except NoRoomAvailable:
                outcome = BookingRefused("taken")
            except ToolError as err:
                if err.code not in ("too-many-guests", "unknown-room-type"):
                    raise
                outcome = BookingRefused("too-many-guests" if err.code == "too-many-guests" else "unknown-room")
        if isinstance(outcome, Reservation):
            if self._session is not None:
                self._session.set_reservation(outcome.code)
            result: dict[str, Any] = {"ok": True, "code": outcome.code}
        else:
            result = {"ok": False, "error": outcome.reason}
        self._run("create_reservation", args, result, started)
        return outcome

    async def _cancel(self, cancel: CancelBooking) -> Reservation | None:
        started = time.perf_counter()
        cancelled = await self._desk.reservations.cancel(cancel.code)
        self._run("cancel_reservation", {"code": cancel.code}, {"ok": cancelled is not None}, started)
        return cancelled

    async def _transfer(self, transfer: Transfer) -> Transferred:
        started = time.perf_counter()
        number = getattr(self._desk.departments, transfer.department, "")
        if self._session is None or not number:
            outcome = Transferred(False, None)
        else:
            problem = await self._session.control.transfer(
                number, transfer.department, transfer.reason
            )
            outcome = Transferred(problem is None, problem)
        args = {"department": transfer.department, "reason": transfer.reason}
        self._run("transfer_to_human", args, {"ok": outcome.ok, "department": transfer.department}, started)
        return outcome

    async def _callback(self, callback: ScheduleCallback) -> CallbackScheduled:
        started = time.perf_counter()
        phone = callback.phone or (self._session.caller_id if self._session else None)
        if not phone:
            raise ToolError("bad-argument", "a callback needs a phone number or a caller id")
        number = normalize_phone(phone)
        session_id = self._session.id if self._session is not None else None
        await self._desk.store.write(
            records.insert_callback, f"CB{uuid.uuid4().hex[:12]}", session_id, number,
            callback.time.strip(), callback.reason, datetime.now(UTC),
        )  # fmt: skip
        args = {"time": callback.time, "reason": callback.reason, "phone": callback.phone}
        self._run("schedule_callback", args, {"ok": True, "phone": number}, started)
        return CallbackScheduled(number)

    async def _text(self, text: SendText) -> str | None:
        started = time.perf_counter()
        sid: str | None
        try:
            sid = await self._desk.sms.send(normalize_phone(text.phone), text.message)
        except ToolError as err:
            if err.code != "sms-unavailable":
                raise
            sid = None
        args = {"phone": text.phone, "message": text.message}
        self._run("send_sms_confirmation", args, {"ok": sid is not None}, started)
        return sid
