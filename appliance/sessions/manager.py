"""Creates, finds and ends sessions: the single owner of the live-session table."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import duckdb

from appliance.errors import StoreError
from appliance.sessions.admission import Admission, Seat, unlimited
from appliance.sessions.control import CallControl, NoCallControl
from appliance.sessions.session import CHANNELS, SETTLE_S, CallStatus, Origin, Session, SessionError
from appliance.store import calls
from appliance.store.database import Store
from appliance.store.health import STORAGE_CODES
from appliance.store.recordings import SAFE_ID, Recordings, open_recorder

_LOGGER = logging.getLogger(__name__)

class Watcher(Protocol):
    """Something that follows every call from its start (the mood tracker)."""

    def watch(self, session: Session) -> None: ...


STOPPING = "the appliance is shutting down and takes no new calls"
#: An API session with no new turn for this long is ended as abandoned.
API_IDLE_S = 30 * 60.0


class SessionManager:
    """Creates, finds and ends sessions; the single owner of the live-session table."""

    def __init__(
        self,
        store: Store | None = None,
        recordings: Recordings | None = None,
        moods: Watcher | None = None,
        admission: Admission | None = None,
    ) -> None:
        self._open_store = store is None
        if store is None:
            # As the earlier module allowed: no store given, sessions live in memory only.
            _LOGGER.warning(
                "SessionManager() was given no store: sessions are kept in an in-memory database "
                "and are lost when the process ends; pass Store(config.paths.database_file) to keep them"
            )
            store = Store(Path(":memory:"))
        self.store = store
        self.recordings = recordings
        #: What watches each call's kept caller turns (the mood per turn), if anything does.
        self.moods = moods
        #: Who may start a call on which line: one place for every channel.
        self.admission = admission or unlimited()
        self._sessions: dict[str, Session] = {}
        self.api_idle_s = API_IDLE_S
        self._sweeper: asyncio.Task[None] | None = None
        self._stopping = False

    def stop_accepting(self) -> None:
        """The appliance is stopping: no session of any kind starts from now on."""
        self._stopping = True
        self.admission.accepting = False
        self.admission.not_accepting_reason = STOPPING

    async def create_session(
        self,
        channel: str,
        caller_id: str | None = None,
        language: str = "en-US",
        direction: str = "inbound",
        session_id: str | None = None,
        control: CallControl | None = None,
        origin: Origin = "local",
        seat: Seat | None = None,
    ) -> Session:
        """Start a call; its row is in the file before this returns. A call on one of the
        hotel's lines (``origin="line"``) holds a seat of the admission, taken here unless the
        channel took it earlier (``seat``), and given back when the call ends."""
        if self._open_store:
            self._open_store = False
            await self.store.open()
        if origin == "line" and seat is None:
            seat = self.admission.take(channel)
        try:
            if self._stopping:
                raise SessionError("not-accepting", STOPPING)
            session_id = self._check(channel, direction, session_id)
            session = await self._start(
                session_id, channel, caller_id, language, direction, control, origin
            )
        except BaseException:
            if seat is not None:
                seat.release()
            raise
        session.seat = seat
        return session

    def _check(self, channel: str, direction: str, session_id: str | None) -> str:
        if channel not in CHANNELS:
            raise SessionError(
                "bad-channel", f"unknown channel {channel!r}; use one of {', '.join(CHANNELS)}"
            )
        if direction not in ("inbound", "outbound"):
            raise SessionError(
                "bad-direction", f"direction must be inbound or outbound, not {direction!r}"
            )
        session_id = session_id or f"VS{uuid.uuid4().hex}"
        if not SAFE_ID.fullmatch(session_id):
            # It names the call's recording file: no path, no dots.
            raise SessionError(
                "bad-session-id",
                f"session id {session_id!r} must be 1-64 letters, digits, - or _",
            )
        if session_id in self._sessions:
            raise SessionError("duplicate-session", f"session {session_id} already exists")
        return session_id

    async def _start(
        self,
        session_id: str,
        channel: str,
        caller_id: str | None,
        language: str,
        direction: str,
        control: CallControl | None,
        origin: Origin,
    ) -> Session:
        session = Session(
            id=session_id,
            channel=channel,
            caller_id=caller_id,
            language=language,
            direction=direction,
            started_at=datetime.now(UTC),
            store=self.store,
            control=control or NoCallControl(channel),
            origin=origin,
        )
        if self.moods is not None:
            self.moods.watch(session)
        try:
            await self.store.write(
                calls.insert_call,
                calls.CallRow(
                    session_id, channel, caller_id, direction, language, session.started_at
                ),
            )
        except duckdb.ConstraintException as err:
            # The id is in the file: a call that has ended (a webhook replayed after it).
            raise SessionError(
                "session-ended", f"call {session_id} has already ended; it cannot start again"
            ) from err
        if self.recordings is not None:
            session.recorder, session.recording_url = self.recordings.start(
                session_id, session.started_at
            )
            try:
                await open_recorder(session.recorder)
                await self.store.write(
                    calls.update_call, session_id, {"recording_url": session.recording_url}
                )
            except StoreError as err:
                await self._close_half_made(session_id, err)
                raise
        self._sessions[session_id] = session
        _LOGGER.info("session started on %s", channel, extra={"session_id": session_id})
        if origin == "api" and (self._sweeper is None or self._sweeper.done()):
            self._sweeper = asyncio.create_task(self._expire_idle(), name="idle-api-sessions")
        return session

    async def _close_half_made(self, session_id: str, err: StoreError) -> None:
        """The call's row is written but the call cannot go on (a full disk): it is closed as
        failed with the reason, if the disk takes that small update, and the store remembers
        the fault (health says so; new calls go to the front desk meanwhile)."""
        if err.code in STORAGE_CODES:
            self.store.health.record(err)
        with contextlib.suppress(StoreError):
            await self.store.write(
                calls.finish_call, session_id, str(CallStatus.FAILED), datetime.now(UTC), err.code
            )

    async def _expire_idle(self) -> None:
        """End API sessions nobody has added a turn to for ``api_idle_s``; stop when none is left."""
        while True:
            api = [s for s in self._sessions.values() if s.origin == "api"]
            if not api:
                return
            now = time.monotonic()
            for session in api:
                if now - session.last_active >= self.api_idle_s and session.id in self._sessions:
                    _LOGGER.info(
                        "API session idle for %.0f s; ending it", now - session.last_active,
                        extra={"session_id": session.id},
                    )  # fmt: skip
                    await self.end_session(session.id, CallStatus.ABANDONED, "idle")
            await asyncio.sleep(max(0.05, min(self.api_idle_s / 4, 30.0)))

    def get(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise SessionError("unknown-session", f"no live session {session_id!r}") from None

    def find(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def active(self) -> list[Session]:
        return [s for s in self._sessions.values() if s.active]

    def count(self) -> int:
        return len(self._sessions)

    async def end_session(
        self,
        session_id: str,
        status: CallStatus = CallStatus.COMPLETED,
        error_code: str | None = None,
    ) -> Session:
        """Close the call: the row gets its end, duration, status and transcript."""
        session = self.get(session_id)
        if status is CallStatus.ACTIVE:
            raise SessionError("bad-status", "a session cannot end as active")
        if session.seat is not None:
            session.seat.release()  # the line is free as the call ends, not once it is written
        # The call's score is the mean of its turns': the model's judgments go in first.
        await session.journal.settle(SETTLE_S)
        if not session.active:
            return session  # ended by another path while the judgments came in
        session.status = status
        session.error_code = error_code
        session.ended_at = datetime.now(UTC)
        session.journal.stop()
        self.store.submit(
            calls.insert_metric, session_id, "call_duration_seconds", session.duration_s,
            session.ended_at, what=f"duration of {session_id}",
        )  # fmt: skip
        try:
            await self.store.write(
                calls.finish_call, session_id, str(status), session.ended_at, error_code
            )
        finally:
            # Gone from memory only once its row is closed: a reader never finds neither.
            self._sessions.pop(session_id, None)
        await self._finish_recording(session)
        _LOGGER.info(
            "session ended %s after %.1f s and %d turns", status, session.duration_s, len(session.messages),
            extra={"session_id": session_id},
        )  # fmt: skip
        return session

    async def _finish_recording(self, session: Session) -> None:
        recorder, session.recorder = session.recorder, None
        if recorder is None or self.recordings is None or session.recording_url is None:
            return
        try:
            await recorder.flush()
            await asyncio.to_thread(self.recordings.finish, recorder, session.recording_url)
        except StoreError as err:
            # The call row stays; the raw file stays for the next start to finish and retry.
            _LOGGER.error("recording of %s not stored: %s", session.id, err.message)

    async def end_all(self, status: CallStatus, error_code: str | None = None) -> int:
        if self._sweeper is not None:
            self._sweeper.cancel()
        ended = 0
        for session_id in list(self._sessions):
            session = self._sessions.get(session_id)
            if session is None:
                continue
            await session.control.hang_up()
            # The call's own loop may have closed it while the line was being hung up.
            if session_id in self._sessions:
                await self.end_session(session_id, status, error_code)
                ended += 1
        return ended
