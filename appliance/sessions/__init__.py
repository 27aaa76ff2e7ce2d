"""Sessions: one per call, holding its whole conversation, written to the store as it happens.

The API is the one the hotel's earlier voice module documented::

    manager = SessionManager(store)
    session = await manager.create_session(channel="phone", caller_id="+15551234567", language="en-US")
    session.add_message(role="user", content="I'd like to book a room")
    session.add_message(role="assistant", content="I'd be happy to help you with that", latency_ms=250)
"""

from appliance.sessions.admission import Admission, CallRefused, Lane, Seat
from appliance.sessions.control import CallControl, NoCallControl
from appliance.sessions.manager import API_IDLE_S, SessionManager
from appliance.sessions.session import (
    CHANNELS,
    ROLES,
    CallStatus,
    Message,
    Origin,
    Session,
    SessionError,
    ToolRun,
)

__all__ = [
    "API_IDLE_S", "CHANNELS", "ROLES", "Admission", "CallControl", "CallRefused", "CallStatus",
    "Lane", "Message", "NoCallControl", "Origin", "Seat", "Session", "SessionError",
    "SessionManager", "ToolRun",
]  # fmt: skip
