"""Route ALL of spnkr's traffic to one local endpoint (the simulator) without patching spnkr.

The single switch is `LEVELUP_HALO_ENDPOINT=127.0.0.1:PORT` (or the resource's `endpoint`
config). When set, the session's connector gets a resolver that answers every host name
(`*.halowaypoint.com`, `*.xboxlive.com`, `login.live.com`, the film blob host, ...) with that
address, so URLs, the Host header and SNI stay the real ones and the simulator dispatches on
Host. Only in that mode is certificate checking off (the simulator's certificate is
self-signed), and only loopback endpoints are accepted so that a typo can never send tokens
unverified to a remote machine. Without an endpoint the normal connector, with system DNS and
full certificate checks, is used.
"""

from __future__ import annotations

import ipaddress
import os
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

ENDPOINT_ENV = "LEVELUP_HALO_ENDPOINT"


def configured_endpoint(explicit: str | None = None) -> str | None:
    """The endpoint to use: the explicit value, else `$LEVELUP_HALO_ENDPOINT`, else None."""
    value = explicit if explicit else os.environ.get(ENDPOINT_ENV, "")
    value = value.strip()
    return value or None


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """Split `HOST:PORT` and insist on a loopback host (unverified TLS is only safe there)."""
    host, sep, port_text = endpoint.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"{ENDPOINT_ENV} must look like 127.0.0.1:PORT, got {endpoint!r}.")
    if host == "localhost":
        host = "127.0.0.1"
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise ValueError(
            f"{ENDPOINT_ENV}={endpoint!r} is not a loopback address; certificate checks are "
            "only disabled for a local simulator (127.0.0.1:PORT)."
        )
    port = int(port_text)
    if not 0 < port < 65536:
        raise ValueError(f"{ENDPOINT_ENV} has an invalid port: {endpoint!r}.")
    return host, port


class FixedResolver(AbstractResolver):
    """Resolve every host name to one address and port (the simulator's)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """Answer with the fixed endpoint whatever the host and port asked for."""
        return [
            {
                "hostname": host,
                "host": self.host,
                "port": self.port,
                "family": self._family,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        """Nothing to release."""


def make_connector(endpoint: str | None, limit: int = 32) -> aiohttp.TCPConnector:
    """A connector for `endpoint` (fixed resolver, no cert checks) or the real internet."""
    if endpoint is None:
        return aiohttp.TCPConnector(limit=limit)
    host, port = parse_endpoint(endpoint)
    return aiohttp.TCPConnector(
        limit=limit,
        resolver=FixedResolver(host, port),
        ssl=False,
        use_dns_cache=False,
    )


def create_session(
    endpoint: str | None,
    *,
    limit: int = 32,
    timeout: aiohttp.ClientTimeout | None = None,
) -> aiohttp.ClientSession:
    """The one ClientSession for spnkr and our client, routed according to `endpoint`."""
    return aiohttp.ClientSession(
        connector=make_connector(endpoint, limit=limit),
        timeout=timeout or aiohttp.ClientTimeout(total=60, sock_connect=15),
        raise_for_status=False,
    )
