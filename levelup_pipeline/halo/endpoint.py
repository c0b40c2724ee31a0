"""Route all traffic (ours and spnkr's) to a loopback simulator: every host resolves to it, so
URLs, Host and SNI stay real; certificates go unchecked only there."""

from __future__ import annotations

import ipaddress
import os
import socket

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult

ENDPOINT_ENV = "LEVELUP_HALO_ENDPOINT"


def configured_endpoint(explicit: str | None = None) -> str | None:
    """The endpoint to use: the explicit value, else `$LEVELUP_HALO_ENDPOINT`, else None."""
    return (explicit or os.environ.get(ENDPOINT_ENV, "")).strip() or None


def parse_endpoint(endpoint: str) -> tuple[str, int]:
    """Split `HOST:PORT` and insist on a loopback host (unverified TLS is only safe there)."""
    host, sep, port_text = endpoint.strip().rpartition(":")
    host = host.strip("[]")
    host = "127.0.0.1" if host == "localhost" else host
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"{ENDPOINT_ENV} must look like 127.0.0.1:PORT, got {endpoint!r}.")
    try:
        is_loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        is_loopback = False
    if not is_loopback:
        raise ValueError(
            f"{ENDPOINT_ENV}={endpoint!r} is not a loopback address; certificate checks are "
            "only disabled for a local simulator (127.0.0.1:PORT)."
        )
    if not 0 < int(port_text) < 65536:
        raise ValueError(f"{ENDPOINT_ENV} has an invalid port: {endpoint!r}.")
    return host, int(port_text)


class FixedResolver(AbstractResolver):
    """Resolve every host name to one address and port (the simulator's)."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
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


def create_session(
    endpoint: str | None, *, limit: int = 32, timeout: float = 60.0
) -> aiohttp.ClientSession:
    """The one ClientSession for spnkr and our client, routed according to `endpoint`."""
    if endpoint is None:
        connector = aiohttp.TCPConnector(limit=limit)
    else:
        resolver = FixedResolver(*parse_endpoint(endpoint))
        connector = aiohttp.TCPConnector(
            limit=limit, resolver=resolver, ssl=False, use_dns_cache=False
        )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=timeout, sock_connect=min(15.0, timeout)),
        raise_for_status=False,
    )
