"""Which local addresses the appliance offers browsers as ICE candidates.

aioice offers every interface but loopback. A box with several networks should offer only
the one guests reach it on, and a box reached over loopback (a kiosk on the same machine, the
tests) must offer 127.0.0.1, which aioice leaves out: ``[webrtc] host_addresses`` says which.
"""

from __future__ import annotations

import aioice.ice

_GATHER = aioice.ice.get_host_addresses


def offer_only(addresses: tuple[str, ...]) -> None:
    """Offer ``addresses`` alone (all of aioice's own choice when empty), for every new peer."""
    if not addresses:
        aioice.ice.get_host_addresses = _GATHER
        return
    chosen = list(addresses)

    def configured(use_ipv4: bool, use_ipv6: bool) -> list[str]:
        return [a for a in chosen if (":" in a and use_ipv6) or (":" not in a and use_ipv4)]

    aioice.ice.get_host_addresses = configured
