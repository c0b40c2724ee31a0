"""Runtime fault and latency knobs, so tests can make the fake API as nasty as the real one."""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields
from typing import Any

#: `fail_next_n` pseudo-statuses: drop the TCP connection (RST, no answer), or hold the request
#: for `stall_seconds` before answering normally (a latency spike that trips client timeouts).
RESET = "reset"
STALL = "stall"

#: The rate-limited services, named as the Halo client names them (first label of the host).
HALOSTATS = "halostats"
SKILL_SVC = "skill"
DISCOVERY_SVC = "discovery-infiniteugc"
BLOBS_SVC = "blobs-infiniteugc"
PROFILE_SVC = "profile"
GAMECMS_SVC = "gamecms"
SERVICES = (HALOSTATS, SKILL_SVC, DISCOVERY_SVC, BLOBS_SVC, PROFILE_SVC, GAMECMS_SVC)
#: Short names accepted in `rate_limit_rps` and `--rate-limit` (older knob names included).
SERVICE_ALIASES = {
    "stats": HALOSTATS,
    "discovery": DISCOVERY_SVC,
    "ugc": DISCOVERY_SVC,
    "blobs": BLOBS_SVC,
    "film": BLOBS_SVC,
    "gamecms-hacs": GAMECMS_SVC,
}


def canonical_service(name: str) -> str:
    """`stats` -> `halostats`, ...; `*` stays; raises ValueError for an unknown service."""
    key = name.strip().lower()
    key = SERVICE_ALIASES.get(key, key)
    if key != "*" and key not in SERVICES:
        raise ValueError(
            f"unknown service {name!r}: use one of {', '.join(SERVICES)} (or * for all)"
        )
    return key


def parse_rate_limits(text: str | None) -> dict[str, float]:
    """`--rate-limit` text: `5` (every service) or `halostats=5,skill=3` (`*=2` for the rest)."""
    text = (text or "").strip()
    if not text:
        return {}
    limits: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.rpartition("=")
        key = canonical_service(name) if sep else "*"
        try:
            rate = float(value)
        except ValueError:
            raise ValueError(f"rate limit {part.strip()!r} is not a number of requests/s") from None
        if rate <= 0:
            raise ValueError(f"rate limit {part.strip()!r} must be positive")
        limits[key] = rate
    return limits


@dataclass
class Knobs:
    """Mutable behaviour switches read by the server on every request.

    `strict_tokens`: when False (default) any spartan token starting with `sim-dev-` is accepted
    without running the auth chain, which keeps tests short; set True to demand issued tokens.
    `rate_limit_rps` maps a service (halostats, skill, discovery-infiniteugc, blobs-infiniteugc,
    profile, gamecms, their short names stats/ugc/blobs/film, or `*` for every service) to a
    requests-per-second limit; over it the server answers 429 with `Retry-After`.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    rate_limit_rps: dict[str, float | None] = field(default_factory=dict)
    retry_after_seconds: int | None = 1  # None: 429s carry no Retry-After header
    error_rate_5xx: float = 0.0
    error_seed: int = 1234
    token_ttl_requests: int | None = None
    token_ttl_seconds: float | None = None
    strict_tokens: bool = False
    revoked_refresh_tokens: set[str] = field(default_factory=set)
    missing_matches: set[str] = field(default_factory=set)
    malformed_matches: set[str] = field(default_factory=set)
    films_without_highlights: set[str] = field(default_factory=set)
    skill_failures: set[str] = field(default_factory=set)
    stall_seconds: float = 5.0
    _bursts: list[list[Any]] = field(default_factory=list, repr=False)
    _rng: random.Random | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def fail_next_n(self, status: int | str, n: int, endpoint: str | None = None) -> None:
        """Answer the next `n` data requests (of `endpoint`, e.g. 'match_stats') with `status`
        (an HTTP status, or RESET / STALL)."""
        with self._lock:
            self._bursts.append([status, n, endpoint])

    def take_burst(self, endpoint: str) -> int | str | None:
        """Consume one queued failure for this endpoint, if any; returns its status."""
        with self._lock:
            for burst in self._bursts:
                status, remaining, target = burst
                if remaining > 0 and target in (None, endpoint):
                    burst[1] -= 1
                    if burst[1] == 0:
                        self._bursts.remove(burst)
                    return status
        return None

    def service_limit(self, service: str) -> float | None:
        """The requests/s limit of a service (`*` applies to all but the sign-in chain)."""
        limits = self.rate_limit_rps or {}
        if service == "auth":
            return limits.get("auth")
        for name, limit in limits.items():
            if name != "*" and canonical_service(name) == service:
                return limit
        return limits.get("*")

    def roll_5xx(self) -> bool:
        """Deterministic coin flip for `error_rate_5xx` (seeded by `error_seed`)."""
        if self.error_rate_5xx <= 0:
            return False
        with self._lock:
            if self._rng is None:
                self._rng = random.Random(self.error_seed)
            return self._rng.random() < self.error_rate_5xx

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a JSON patch of knob values (lists become sets where the knob is a set)."""
        names = {f.name for f in fields(self) if not f.name.startswith("_")}
        for key, value in changes.items():
            if key not in names:
                raise KeyError(f"unknown knob {key!r}")
            if isinstance(getattr(self, key), set):
                value = set(value or ())
            setattr(self, key, value)
        if "error_seed" in changes or "error_rate_5xx" in changes:
            self._rng = None

    def as_dict(self) -> dict[str, Any]:
        """Public knob values as JSON-friendly data (for /_sim/knobs)."""
        out = {}
        for f in fields(self):
            if f.name.startswith("_"):
                continue
            value = getattr(self, f.name)
            out[f.name] = sorted(value) if isinstance(value, set) else value
        return out
