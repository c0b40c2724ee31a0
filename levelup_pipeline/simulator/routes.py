"""What every simulated API service shares: its hosts, the route table entry and the answers
(JSON, empty 404, connection reset) the real services give."""

from __future__ import annotations

import json
import re
import socket
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from levelup_pipeline.simulator.knobs import (
    BLOBS_SVC,
    DISCOVERY_SVC,
    GAMECMS_SVC,
    HALOSTATS,
    PROFILE_SVC,
    SKILL_SVC,
)
from levelup_pipeline.simulator.sim_state import SimState

STATS = "halostats.svc.halowaypoint.com"
SKILL = "skill.svc.halowaypoint.com"
PROFILE = "profile.svc.halowaypoint.com"
UGC = "discovery-infiniteugc.svc.halowaypoint.com"
BLOBS = "blobs-infiniteugc.svc.halowaypoint.com"
GAMECMS = "gamecms-hacs.svc.halowaypoint.com"
LOGIN = "login.live.com"
USER_AUTH = "user.auth.xboxlive.com"
XSTS = "xsts.auth.xboxlive.com"
SETTINGS = "settings.svc.halowaypoint.com"
AUTH = "auth"  # endpoint and service name of the sign-in chain (never limited)
Handler = Callable[[web.Request, re.Match], Awaitable[web.StreamResponse]]


def json_response(data: Any, status: int = 200) -> web.Response:
    """JSON response with the API's content type."""
    return web.Response(text=json.dumps(data), status=status, content_type="application/json")


def not_found() -> web.Response:
    """Empty 404, as the real services answer unknown players and matches."""
    return web.Response(status=404)


def reset_connection(request: web.Request) -> web.Response:
    """Abort the TCP connection with an RST: the client sees 'connection reset by peer'.

    The returned response is never sent; its status (499) only feeds the counters.
    """
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=499)


@dataclass
class Route:
    """One (method, host, path pattern) the simulator answers."""

    method: str
    host: str
    pattern: re.Pattern
    endpoint: str
    service: str
    handler: Handler
    auth: bool = True


#: The rate-limited service of each API host (see knobs.SERVICES); other hosts sign in.
SERVICE_OF_HOST = {
    STATS: HALOSTATS,
    SKILL: SKILL_SVC,
    PROFILE: PROFILE_SVC,
    UGC: DISCOVERY_SVC,
    BLOBS: BLOBS_SVC,
    GAMECMS: GAMECMS_SVC,
}


def route(host: str, pattern: str, endpoint: str, handler: Handler, method: str = "GET") -> Route:
    """A route of the host's service; the blob host and the sign-in chain take no spartan
    token, and gamecms paths match whatever their case (as the real CDN does)."""
    service = SERVICE_OF_HOST.get(host, AUTH)
    flags = re.I if host == GAMECMS else 0
    auth = service != AUTH and host != BLOBS
    return Route(method, host, re.compile(pattern + "$", flags), endpoint, service, handler, auth)


class Service:
    """The handlers of one API service, over the simulator's shared state."""

    def __init__(self, state: SimState) -> None:
        """Bind the handlers to shared state."""
        self.state = state
        self.world = state.world
        self.knobs = state.knobs

    def routes(self) -> list[Route]:
        """The routes this service answers, in matching order."""
        raise NotImplementedError
