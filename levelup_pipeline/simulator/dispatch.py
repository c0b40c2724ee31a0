"""Request dispatch: route on host and path, then apply the knobs in the real API's order
(latency, rate limit, auth, injected failures) before the service's handler."""

from __future__ import annotations

import asyncio
import re

from aiohttp import web

from levelup_pipeline.simulator.auth_routes import AuthService
from levelup_pipeline.simulator.knobs import RESET, STALL
from levelup_pipeline.simulator.profile_routes import ProfileService
from levelup_pipeline.simulator.routes import AUTH, Route, reset_connection
from levelup_pipeline.simulator.sim_state import SimState
from levelup_pipeline.simulator.stats_routes import StatsService
from levelup_pipeline.simulator.ugc_routes import UgcService

SERVICES = (StatsService, ProfileService, UgcService, AuthService)


class Api:
    """Every simulated endpoint, behind the knobs."""

    def __init__(self, state: SimState) -> None:
        """Bind every service's handlers to shared state."""
        self.state = state
        self.knobs = state.knobs
        self.routes: list[Route] = [r for service in SERVICES for r in service(state).routes()]

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        """Route on Host (port stripped) + path, then apply knobs in the real API's order."""
        host = (request.host or "").split(":")[0].lower()
        for route in self.routes:
            if route.method != request.method or route.host != host:
                continue
            match = route.pattern.match(request.path)
            if match:
                response = await self._guarded(route, request, match)
                self.state.record(route.endpoint, response.status, route.service)
                return response
        return web.Response(status=404, text="no such simulated endpoint")

    async def _guarded(
        self, route: Route, request: web.Request, match: re.Match
    ) -> web.StreamResponse:
        """Latency, rate limit, auth, injected failures, then the handler."""
        knobs = self.knobs
        delay = knobs.latency_ms + (
            self.state.jitter.uniform(0, knobs.jitter_ms) if knobs.jitter_ms else 0
        )
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        if self.state.over_limit(route.service):
            return web.Response(status=429, headers=self._retry_after())
        token = request.headers.get("x-343-authorization-spartan")
        if route.auth and not self.state.token_ok(token):
            return web.Response(status=401)
        if route.service != AUTH:
            burst = knobs.take_burst(route.endpoint)
            if burst == RESET:
                return reset_connection(request)
            if burst == STALL:
                await asyncio.sleep(knobs.stall_seconds)
            elif burst is not None:
                headers = self._retry_after() if burst == 429 else {}
                return web.Response(status=int(burst), headers=headers)
            if knobs.roll_5xx():
                return web.Response(status=500)
        return await route.handler(request, match)

    def _retry_after(self) -> dict[str, str]:
        """The 429 header, unless `retry_after_seconds` is None (a 429 without Retry-After)."""
        seconds = self.knobs.retry_after_seconds
        return {} if seconds is None else {"Retry-After": str(seconds)}
