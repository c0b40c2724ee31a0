"""Sync options: one validated object shared by the Dagster jobs and the CLI.

A partitioned job's `config=` is ignored by `dagster job execute`, so every option can also be
passed as a run tag (`levelup/max_matches`, ...). Validation happens here, once, with messages
that list the valid values.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

SyncMode = Literal["delta", "full"]
MATCH_TYPES = ("all", "matchmaking", "custom", "local")
DEFAULT_MAX_MATCHES = {"delta": 200, "full": 1000}
MAX_MATCHES_CEILING = 100_000
TAG_PREFIX = "levelup/"


class InvalidSyncOption(ValueError):
    """A sync option has a value outside its valid range; the message says which values work."""


@dataclass(frozen=True)
class SyncOptions:
    """What one sync of one player does."""

    mode: SyncMode = "delta"
    max_matches: int = DEFAULT_MAX_MATCHES["delta"]
    match_type: str = "matchmaking"
    with_assets: bool = False
    verbose: bool = False

    def validated(self) -> SyncOptions:
        """Return self, or raise InvalidSyncOption with one clear sentence."""
        if self.mode not in DEFAULT_MAX_MATCHES:
            raise InvalidSyncOption(f"Unknown sync mode {self.mode!r}: use 'delta' or 'full'.")
        if self.match_type not in MATCH_TYPES:
            raise InvalidSyncOption(
                f"Unknown match type {self.match_type!r}: use one of {', '.join(MATCH_TYPES)}."
            )
        if not isinstance(self.max_matches, int) or not (
            1 <= self.max_matches <= MAX_MATCHES_CEILING
        ):
            raise InvalidSyncOption(
                f"max_matches must be a whole number between 1 and {MAX_MATCHES_CEILING}, "
                f"got {self.max_matches!r}."
            )
        return self


def _parse_bool(name: str, value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise InvalidSyncOption(f"Run tag {TAG_PREFIX}{name} must be true or false, got {value!r}.")


def options_from(
    mode: str,
    config: Mapping[str, object] | None = None,
    tags: Mapping[str, str] | None = None,
) -> SyncOptions:
    """Merge defaults for `mode`, then run config, then run tags (tags win), and validate."""
    if mode not in DEFAULT_MAX_MATCHES:
        raise InvalidSyncOption(f"Unknown sync mode {mode!r}: use 'delta' or 'full'.")
    opts = SyncOptions(mode=mode, max_matches=DEFAULT_MAX_MATCHES[mode])  # type: ignore[arg-type]
    values: dict[str, object] = {k: v for k, v in (config or {}).items() if v is not None}
    for key, raw in (tags or {}).items():
        if not key.startswith(TAG_PREFIX):
            continue
        name = key[len(TAG_PREFIX) :]
        if name == "max_matches":
            try:
                values[name] = int(raw)
            except ValueError:
                raise InvalidSyncOption(
                    f"Run tag {key} must be a whole number, got {raw!r}."
                ) from None
        elif name in ("with_assets", "verbose"):
            values[name] = _parse_bool(name, raw)
        elif name == "match_type":
            values[name] = raw
    known = {
        k: v
        for k, v in values.items()
        if k in ("max_matches", "match_type", "with_assets", "verbose")
    }
    return replace(opts, **known).validated()  # type: ignore[arg-type]
