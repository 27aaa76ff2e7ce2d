"""Admission: how many calls each kind of line may carry at once, decided in one place for
every channel. A seat is taken before a call is set up and given back when it ends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from appliance.errors import SessionError


class CallRefused(SessionError):
    """No seat: every line of that kind is taken (``channel-busy``), or the appliance is not
    taking calls (``not-accepting``)."""


@dataclass(frozen=True)
class Lane:
    """Lines shared by some channels: the phone lines, the browser conversations."""

    name: str
    capacity: int
    #: The setting that sets the capacity, named in the refusal.
    setting: str


@dataclass(eq=False)
class Seat:
    """One admitted call's place in its lane. Giving it back twice gives it back once."""

    channel: str
    lane: str | None
    _admission: Admission = field(repr=False)
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self._admission._release(self)


class Admission:
    """Seats per lane; the check and the take happen with no await between them, so a burst
    of calls cannot all pass the check together."""

    def __init__(self, lanes: Mapping[str, Lane], lane_of: Mapping[str, str]) -> None:
        self._lanes = dict(lanes)
        self._lane_of = dict(lane_of)
        self._taken: dict[str, int] = {name: 0 for name in lanes}
        #: False once the appliance is stopping (or before it is ready): every call is refused.
        self.accepting = True
        self.not_accepting_reason = "the appliance is shutting down and takes no new calls"

    def take(self, channel: str) -> Seat:
        if not self.accepting:
            raise CallRefused("not-accepting", self.not_accepting_reason)
        lane_name = self._lane_of.get(channel)
        if lane_name is not None:
            lane = self._lanes[lane_name]
            if self._taken[lane_name] >= lane.capacity:
                raise CallRefused(
                    "channel-busy",
                    f"all {lane.capacity} {lane.name} are in use ({lane.setting})",
                )
            self._taken[lane_name] += 1
        return Seat(channel, lane_name, self)

    def in_use(self, lane: str) -> int:
        return self._taken[lane]

    def _release(self, seat: Seat) -> None:
        if seat.lane is not None:
            self._taken[seat.lane] -= 1


def unlimited() -> Admission:
    """Admission with no caps (a scratch appliance for `appliance chat`, or a test)."""
    return Admission({}, {})
