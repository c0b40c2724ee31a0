"""Sync options: one validated object shared by the Dagster jobs (run config) and the CLI."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from levelup_pipeline.store.settings import MATCH_TYPES

SyncMode = Literal["delta", "full"]
DEFAULT_MAX_MATCHES = {"delta": 200, "full": 1000}
MAX_MATCHES_CEILING = 100_000
OPTION_NAMES = ("max_matches", "match_type", "with_assets", "verbose")


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


def options_from(mode: str, config: Mapping[str, object] | None = None) -> SyncOptions:
    """Defaults for `mode`, then the given options (None keeps the default), validated."""
    default = DEFAULT_MAX_MATCHES.get(mode, 1)  # an unknown mode fails in validated()
    opts = SyncOptions(mode=mode, max_matches=default)  # type: ignore[arg-type]
    known = {k: v for k, v in (config or {}).items() if k in OPTION_NAMES and v is not None}
    return replace(opts, **known).validated()  # type: ignore[arg-type]
