"""The private-address guard, applied where the socket is opened.

Subscribers paste arbitrary URLs into the bot, so a URL must not reach the machine's own
services or its LAN (SSRF). Checking the host before the request and letting the HTTP library
resolve it again would leave a DNS-rebinding window: a name that resolves to a public address
for the check and to 127.0.0.1 for the connect. The transport built here closes that window:
its network backend resolves the host once, refuses it if ANY address is not public, and
connects to exactly the addresses it checked. TLS still verifies the certificate against the
host name, because httpcore passes the name, not the address, to the TLS handshake.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import httpcore
import httpx

from news.errors import BlockedURLError, FetchError

_NAT64 = ip_network("64:ff9b::/96")
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0)


def is_public_address(address: str) -> bool:
    """Return whether `address` is a globally routable unicast address we may connect to."""
    ip = ip_address(address)
    if isinstance(ip, IPv6Address):
        # An IPv6 address can carry an IPv4 one (mapped, 6to4, NAT64): judge that one too.
        embedded = ip.ipv4_mapped or ip.sixtofour
        if ip in _NAT64:
            embedded = IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None and not is_public_address(str(embedded)):
            return False
    special = (
        ip.is_loopback,
        ip.is_private,
        ip.is_link_local,
        ip.is_multicast,
        ip.is_reserved,
        ip.is_unspecified,
    )
    return ip.is_global and not any(special)


async def resolve_host(host: str, port: int, *, allow_private: bool) -> list[str]:
    """Return the addresses of `host`; refuse the host if any of them is not public."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"fetch: cannot resolve host {host} ({exc.strerror})") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise BlockedURLError(f"fetch: refusing private address {address} for host {host}")
    return addresses


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's AnyIO backend, connecting only to addresses resolve_host() let through."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                addresses = await resolve_host(host, port, allow_private=self._allow_private)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        failure: httpcore.ConnectError | None = None
        for address in addresses:  # in resolver order, like a browser without happy eyeballs
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except httpcore.ConnectError as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"no address for host {host}")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def guarded_transport(*, allow_private: bool) -> httpx.AsyncHTTPTransport:
    """Return an HTTP/1.1 transport whose every connection passes the private-address guard."""
    ssl_context = httpx.create_ssl_context()  # loading the CA bundle is the slow part: once
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=LIMITS, trust_env=False)
    # httpx has no public hook for httpcore's network backend, so the pool it just built (still
    # empty, nothing to close) is replaced by an equal one using ours. httpx is pinned to 0.28.x.
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=LIMITS.max_connections,
        max_keepalive_connections=LIMITS.max_keepalive_connections,
        keepalive_expiry=LIMITS.keepalive_expiry,
        network_backend=_GuardedBackend(allow_private=allow_private),
    )
    return transport
