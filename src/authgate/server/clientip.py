"""The client's IP address, believing X-Forwarded-For only from trusted proxies.

Walk the chain from the right (the hop closest to us): every address that is
a trusted proxy is skipped, the first one that is not is the client.  An
untrusted peer's X-Forwarded-For is ignored entirely, so a client cannot
choose the IP its throttling counters are kept under.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

__all__ = ["ClientIpResolver"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class ClientIpResolver:
    __slots__ = ("_networks",)

    def __init__(self, trusted_proxies: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies if p.strip()
        )

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)

    def resolve(self, peer: str | None, forwarded_for: str | None) -> str | None:
        if peer is None or not self._networks or not self._trusted(peer) or not forwarded_for:
            return peer
        hops = [hop.strip() for hop in forwarded_for.split(",")][-32:]
        for hop in reversed(hops):
            if not self._trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # garbage in the header: fall back to the proxy
        return peer
