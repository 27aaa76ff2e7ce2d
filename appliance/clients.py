"""Who is asking: a request's client address and scheme, taken from a proxy's headers only
when that proxy is trusted, and small per-address books for the limits built on them."""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from aiohttp import web
from yarl import URL

_LOGGER = logging.getLogger(__name__)

#: Headers a proxy adds; a request that carries one came through a proxy.
PROXY_HEADERS = ("X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "Forwarded", "X-Real-IP", "Via")
#: The most addresses a book keeps; beyond it the least recently seen are forgotten.
MAX_ADDRESSES = 10_000


@dataclass(frozen=True)
class Client:
    """The other end of a request, as far as it can be believed."""

    #: The client's IP address as text ("" when the transport does not say).
    address: str
    #: The request reached us, or the trusted proxy in front of us, over HTTPS.
    secure: bool
    #: It came through a proxy (trusted or not): it is not this machine talking to itself.
    proxied: bool

    @property
    def loopback(self) -> bool:
        """This machine, talking to us directly."""
        return not self.proxied and _is_loopback(self.address)


def _parse(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address as proxies write it: 10.0.0.7, 10.0.0.7:5123, [2001:db8::1]:443, fe80::1%eth0."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def _is_loopback(address: str) -> bool:
    parsed = _parse(address)
    return parsed is not None and parsed.is_loopback


def in_networks(address: str, networks: Iterable[ipaddress.IPv4Network | ipaddress.IPv6Network]) -> bool:
    parsed = _parse(address)
    if parsed is None:
        return False
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        parsed = parsed.ipv4_mapped
    return any(parsed.version == net.version and parsed in net for net in networks)


def networks(entries: Iterable[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of settings already checked by the configuration (10.0.0.5, 10.0.0.0/24)."""
    return [ipaddress.ip_network(entry, strict=False) for entry in entries]


def machine_names(public_base_url: str = "") -> set[str]:
    """The names this machine answers to: its host name, on the LAN (.local) and in
    ``public_base_url``."""
    hostname = socket.gethostname().lower().rstrip(".")
    names = {hostname, hostname.split(".")[0], hostname.split(".")[0] + ".local"}
    if public_base_url:
        try:
            if host := URL(public_base_url).host:
                names.add(host.lower().rstrip("."))
        except ValueError:
            pass
    return names


def names_this_machine(host_header: str, names: Iterable[str]) -> bool:
    """Whether a Host header names this machine: an IP address, localhost, or one of ``names``.
    A page elsewhere that makes its own name point at us (DNS rebinding) sends its own name."""
    try:
        host = URL(f"http://{host_header}").host
    except ValueError:
        return False
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if _parse(host) is not None:
        return True
    return host == "localhost" or host.endswith(".localhost") or host in set(names)


class Proxies:
    """The reverse proxies whose forwarding headers are believed."""

    def __init__(self, trusted: Iterable[str]) -> None:
        self._trusted = networks(trusted)
        self._warned: set[str] = set()

    def trusts(self, address: str) -> bool:
        return in_networks(address, self._trusted)

    def client(self, request: web.BaseRequest) -> Client:
        """The request's client: the peer itself, or, behind trusted proxies, the nearest
        address in X-Forwarded-For that is not one of them."""
        peer = request.remote or ""
        proxied = any(name in request.headers for name in PROXY_HEADERS)
        if not self.trusts(peer):
            if proxied and "X-Forwarded-For" in request.headers and peer not in self._warned:
                self._warned.add(peer)
                _LOGGER.warning(
                    "requests from %s carry X-Forwarded-For, but %s is not in [server] "
                    "trusted_proxies: every client behind it counts as that one address",
                    peer, peer,
                )  # fmt: skip
            return Client(str(_parse(peer) or peer), request.secure, proxied)
        hops = [
            hop.strip()
            for header in request.headers.getall("X-Forwarded-For", [])
            for hop in header.split(",")
            if hop.strip()
        ]
        address = peer
        for hop in reversed(hops):
            parsed = _parse(hop)
            if parsed is None:
                break  # not an address: believe nothing further out
            address = str(parsed)
            if not self.trusts(address):
                break
        forwarded_proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        secure = forwarded_proto == "https" if forwarded_proto else request.secure
        return Client(str(_parse(address) or address), secure, proxied)


class Holdings:
    """How many of something each address holds at once, up to ``limit``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._held: dict[str, int] = {}

    def count(self, address: str) -> int:
        return self._held.get(address, 0)

    @property
    def total(self) -> int:
        return sum(self._held.values())

    def take(self, address: str) -> Callable[[], None] | None:
        """One more for ``address``: the way to give it back, or None at the limit."""
        if self._held.get(address, 0) >= self.limit:
            return None
        self._held[address] = self._held.get(address, 0) + 1
        given_back = False

        def release() -> None:
            nonlocal given_back
            if given_back:
                return
            given_back = True
            left = self._held.get(address, 0) - 1
            if left > 0:
                self._held[address] = left
            else:
                self._held.pop(address, None)

        return release


class Attempts:
    """Failed attempts per address over a sliding window: past ``limit`` of them, the address
    waits until the oldest leaves the window."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str) -> deque[float]:
        times = self._failures.get(address)
        if times is None:
            return deque()
        cutoff = self._clock() - self.window_s
        while times and times[0] <= cutoff:
            times.popleft()
        if not times:
            del self._failures[address]
        return times

    def wait_s(self, address: str) -> float:
        """How long ``address`` must wait before its next attempt is heard (0: now)."""
        times = self._recent(address)
        if len(times) < self.limit:
            return 0.0
        return max(0.0, times[-self.limit] + self.window_s - self._clock())

    def failed(self, address: str) -> int:
        """Count a failure; returns how many ``address`` has in the window."""
        times = self._recent(address)
        if address not in self._failures:
            if len(self._failures) >= MAX_ADDRESSES:
                del self._failures[next(iter(self._failures))]
            self._failures[address] = times
        times.append(self._clock())
        return len(times)

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)


#: The proxies the running server believes, as its handlers find them.
PROXIES = web.AppKey("proxies", Proxies)
_CLIENT = web.RequestKey("client", Client)


def client_of(request: web.Request) -> Client:
    """The request's client, worked out once per request."""
    known = request.get(_CLIENT)
    if known is not None:
        return known
    proxies = request.app.get(PROXIES) or Proxies(())
    client = request[_CLIENT] = proxies.client(request)
    return client
