"""What the tools act on: the front desk (the hotel port), the live sessions, the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.hotel.desk import FrontDesk, NoSms, SmsSender
from appliance.sentences import Catalogue
from appliance.sessions import SessionManager

__all__ = ["NoSms", "SmsSender", "ToolContext"]


@dataclass
class ToolContext:
    desk: FrontDesk
    sessions: SessionManager

    @property
    def lines(self) -> Catalogue:
        return self.desk.lines
