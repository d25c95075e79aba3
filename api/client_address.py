"""The client address that limits count against: an IPv4 address, or an IPv6 /64.

A single host can take as many addresses of its /64 as it likes, so an IPv6 /64 (one
customer's network) counts as one address. The address is the one uvicorn reports, which
behind a proxy is right only if uvicorn trusts that proxy's X-Forwarded-For
(FORWARDED_ALLOW_IPS, see the README).
"""

from __future__ import annotations

import ipaddress

from fastapi import Request


def address_key(host: str) -> str:
    """The key a client address is limited under: an IPv4 address as it is, an IPv6
    address as its /64 (an IPv4-mapped one as the IPv4 address), anything else (a test
    client's name, a Unix socket) as given."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


def client_address(request: Request) -> str:
    # uvicorn replaces the peer with the X-Forwarded-For client only when the peer is in
    # FORWARDED_ALLOW_IPS; otherwise, behind a proxy, everybody is the proxy.
    return address_key(request.client.host if request.client else "unknown")
