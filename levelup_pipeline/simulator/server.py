"""aiohttp TLS server answering on the real Halo hosts and paths, from a `World`.

The services' handlers are in `stats_routes`, `profile_routes`, `ugc_routes` and `auth_routes`,
their dispatch behind the knobs in `dispatch`, the counters in `sim_state`; here are the admin
routes (`/_sim/*`), TLS and the ways to run the server (asyncio service or background thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import trustme
from aiohttp import web

from levelup_pipeline.simulator.dispatch import Api
from levelup_pipeline.simulator.knobs import Knobs
from levelup_pipeline.simulator.routes import json_response
from levelup_pipeline.simulator.sim_state import SimState
from levelup_pipeline.simulator.world import World

__all__ = ["RunningSimulator", "SimState", "SimulatorServer", "create_app", "run_simulator"]


def create_app(
    world: World, knobs: Knobs | None = None, state: SimState | None = None
) -> web.Application:
    """The aiohttp application: admin routes under /_sim on any host, the API elsewhere."""
    state = state or SimState(world, knobs or Knobs())
    api = Api(state)
    app = web.Application()

    async def sim_stats(request: web.Request) -> web.Response:
        return json_response(state.stats())

    async def sim_players(request: web.Request) -> web.Response:
        return json_response(
            [
                {
                    "gamertag": p.gamertag,
                    "xuid": str(p.xuid),
                    "matches": len(world.match_ids_of(p.xuid)),
                }
                for p in world.players
            ]
        )

    async def sim_add(request: web.Request) -> web.Response:
        data = await request.json() if request.can_read_body else {}
        try:
            ids = world.add_matches(int(data.get("count", 1)), data.get("gamertag"))
        except (KeyError, RuntimeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response({"added": ids})

    async def sim_reset(request: web.Request) -> web.Response:
        state.reset_stats()
        return json_response({"ok": True})

    async def sim_knobs(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                state.knobs.update(await request.json())
            except KeyError as exc:
                return json_response({"error": str(exc)}, 400)
        return json_response(state.knobs.as_dict())

    app.router.add_get("/_sim/stats", sim_stats)
    app.router.add_get("/_sim/players", sim_players)
    app.router.add_post("/_sim/add-matches", sim_add)
    app.router.add_post("/_sim/reset-stats", sim_reset)
    app.router.add_route("*", "/_sim/knobs", sim_knobs)
    app.router.add_route("*", "/{tail:.*}", api.dispatch)
    return app


def make_tls() -> tuple[ssl.SSLContext, trustme.CA]:
    """Server TLS context with a fresh self-signed CA covering the Halo/Xbox host names."""
    ca = trustme.CA()
    cert = ca.issue_cert(
        "127.0.0.1",
        "localhost",
        "*.halowaypoint.com",
        "*.svc.halowaypoint.com",
        "login.live.com",
        "*.xboxlive.com",
        "*.auth.xboxlive.com",
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context, ca


class SimulatorServer:
    """The simulator as an asyncio service: `await start()` then `await stop()`."""

    def __init__(self, world: World, knobs: Knobs | None = None) -> None:
        """Wrap a world and knobs; nothing listens until `start`."""
        self.world = world
        self.knobs = knobs or Knobs()
        self.state = SimState(world, self.knobs)
        self.app = create_app(world, self.knobs, self.state)
        self.host = "127.0.0.1"
        self.port = 0
        self.ca: trustme.CA | None = None
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen with TLS on host:port (0 = any free port); returns the bound port."""
        context, self.ca = make_tls()
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port, ssl_context=context)
        await site.start()
        server = site._server
        sockets = getattr(server, "sockets", None) or []
        self.host = host
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        """Close the listener and pending connections."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class RunningSimulator:
    """Handle on a simulator served from a background thread (see `run_simulator`)."""

    def __init__(self, server: SimulatorServer, loop: asyncio.AbstractEventLoop) -> None:
        """Wrap the started server and its loop."""
        self._server = server
        self._loop = loop

    @property
    def host(self) -> str:
        """Bound host."""
        return self._server.host

    @property
    def port(self) -> int:
        """Bound port."""
        return self._server.port

    @property
    def endpoint(self) -> str:
        """`host:port`, what the client-side resolver needs."""
        return f"{self.host}:{self.port}"

    @property
    def world(self) -> World:
        """The served world (mutations are visible to the next request)."""
        return self._server.world

    @property
    def knobs(self) -> Knobs:
        """Live knobs."""
        return self._server.knobs

    @property
    def ca(self) -> trustme.CA | None:
        """The CA that signed the server certificate (for clients that verify)."""
        return self._server.ca

    @property
    def request_log(self) -> list[tuple[float, str, int]]:
        """(monotonic time, endpoint name, status) of every answered API request."""
        return self._server.state.request_log

    def stats(self) -> dict[str, Any]:
        """Same as GET /_sim/stats."""
        return self._server.state.stats()

    def reset_stats(self) -> None:
        """Same as POST /_sim/reset-stats."""
        self._server.state.reset_stats()

    def add_matches(self, n: int, gamertag: str | None = None) -> list[str]:
        """Play `n` new matches (newest of all) for a player or a random one."""
        return self.world.add_matches(n, gamertag)


@contextlib.contextmanager
def run_simulator(
    world: World | None = None,
    knobs: Knobs | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **synthetic_kwargs: Any,
) -> Iterator[RunningSimulator]:
    """Serve a world (synthetic by default) from a background thread for the `with` block."""
    if world is None:
        from levelup_pipeline.simulator.synthetic import build_synthetic_world

        world = build_synthetic_world(**synthetic_kwargs)
    server = SimulatorServer(world, knobs)
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    errors: list[BaseException] = []

    def serve() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(server.start(host, port))
        except BaseException as exc:  # noqa: BLE001 - surfaced to the caller below
            errors.append(exc)
            ready.set()
            return
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="halo-simulator", daemon=True)
    thread.start()
    ready.wait(30)
    if errors:
        raise errors[0]
    try:
        yield RunningSimulator(server, loop)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
