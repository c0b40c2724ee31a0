"""What the simulator remembers between requests: counters, issued tokens, rate windows and
the film caches (thread-safe: tests read the counters from another thread)."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections import Counter, deque
from typing import Any

from levelup_pipeline.simulator import film
from levelup_pipeline.simulator.knobs import SERVICES, Knobs
from levelup_pipeline.simulator.world import World

ENDPOINTS = [
    "match_history",
    "match_stats",
    "match_skill",
    "film",
    "film_chunk",
    "users",
    "ugc",
    "auth",
    "medals",
    "match_count",
    "service_record",
    "playlist_csr",
    "images",
]
STATUSES = ["200", "429", "401", "404", "500"]
FILM_NS = uuid.UUID("6d1b5c3e-8d9a-4f0e-9c57-5b1f1c0e4a11")


class SimState:
    """Request counters, issued tokens and caches shared by all handlers (thread-safe)."""

    def __init__(self, world: World, knobs: Knobs) -> None:
        """Fresh counters over `world` and `knobs`."""
        self.world = world
        self.knobs = knobs
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()  # 429s answered by the rate limit, per service
        self.per_service: Counter[str] = Counter()  # answered requests (429s included)
        self.request_log: list[tuple[float, str, int]] = []
        self.tokens: dict[str, list[float]] = {}  # token -> [issued monotonic, uses]
        self.windows: dict[str, deque[float]] = {}
        self.film_assets: dict[str, str] = {}
        self.chunks: dict[str, bytes] = {}
        self.jitter = random.Random(7)

    def stats(self) -> dict[str, Any]:
        """Counters as served by /_sim/stats."""
        with self.lock:
            requests = {name: self.requests.get(name, 0) for name in ENDPOINTS}
            responses = {code: self.responses.get(code, 0) for code in STATUSES}
            responses.update({k: v for k, v in self.responses.items() if k not in responses})
            throttled = {name: self.throttled.get(name, 0) for name in SERVICES}
            services = {name: self.per_service.get(name, 0) for name in SERVICES}
        return {
            "requests": requests,
            "responses": responses,
            "services": services,
            "throttled": throttled,
        }

    def reset_stats(self) -> None:
        """Zero the counters and the request log (tests measure one phase at a time)."""
        with self.lock:
            self.requests.clear()
            self.responses.clear()
            self.throttled.clear()
            self.per_service.clear()
            self.request_log.clear()

    def record(self, endpoint: str, status: int, service: str = "") -> None:
        """Count one answered request."""
        with self.lock:
            self.requests[endpoint] += 1
            self.per_service[service] += 1
            self.responses[str(status)] += 1
            self.request_log.append((time.monotonic(), endpoint, status))

    def issue_token(self) -> str:
        """A new spartan token tracked for TTL checks."""
        token = f"sim-st-{uuid.uuid4().hex}"
        with self.lock:
            self.tokens[token] = [time.monotonic(), 0]
        return token

    def token_ok(self, token: str | None) -> bool:
        """Whether a spartan token is known (or a dev token) and still within its TTL."""
        if not token:
            return False
        with self.lock:
            entry = self.tokens.get(token)
            if entry is None:
                if self.knobs.strict_tokens or not token.startswith("sim-dev-"):
                    return False
                entry = self.tokens.setdefault(token, [time.monotonic(), 0])
            entry[1] += 1
            ttl_n, ttl_s = self.knobs.token_ttl_requests, self.knobs.token_ttl_seconds
            if ttl_n is not None and entry[1] > ttl_n:
                return False
            return ttl_s is None or time.monotonic() - entry[0] <= ttl_s

    def over_limit(self, service: str) -> bool:
        """Sliding one-second window per service against `rate_limit_rps` (counted in
        /_sim/stats' `throttled`). The sign-in chain is never limited."""
        limit = self.knobs.service_limit(service)
        if not limit:
            return False
        now = time.monotonic()
        with self.lock:
            window = self.windows.setdefault(service, deque())
            while window and now - window[0] > 1.0:
                window.popleft()
            if len(window) >= limit:
                self.throttled[service] += 1
                return True
            window.append(now)
        return False

    def film_asset(self, match_id: str) -> str:
        """Stable film asset id of a match (and remember the reverse mapping for blobs)."""
        asset = str(uuid.uuid5(FILM_NS, match_id))
        self.film_assets[asset] = match_id
        return asset

    def highlight_chunk(self, match_id: str) -> bytes:
        """Encoded highlight events of a match (cached; events derived from its stats)."""
        if match_id not in self.chunks:
            events = self.world.highlight_events.get(match_id)
            if events is None:
                body = self.world.matches[match_id]
                names = dict(self.world.gamertags)
                names.update({p.xuid: p.gamertag for p in self.world.players})
                events = film.events_for_match(body, names)
            version = self.world.film_versions[match_id]
            self.chunks[match_id] = film.encode_highlight_events(events, version)
        return self.chunks[match_id]
