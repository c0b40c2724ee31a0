"""Typed API errors: `str(error)` is one actionable sentence, never a token or a traceback."""

from __future__ import annotations


class HaloApiError(Exception):
    """Base class: `str(exc)` is the one-line, user-facing explanation."""


class AuthenticationFailed(HaloApiError):
    """Tokens are missing, expired beyond refresh, or revoked."""

    def __init__(self, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"Authentication failed: run 'levelup auth'{suffix}.")


class RateLimitExhausted(HaloApiError):
    """The API kept answering 429 beyond the retry budget."""


class HaloApiUnavailable(HaloApiError):
    """5xx, timeouts or connection errors beyond the retry budget."""


class PlayerNotFound(HaloApiError):
    """The gamertag or XUID does not exist."""

    def __init__(self, player: str) -> None:
        super().__init__(
            f"Player {player!r} was not found by the Halo profile service: check the gamertag "
            "spelling (or pass the XUID)."
        )


class MatchNotFound(HaloApiError):
    """A match's stats are gone (404/410): the sync records it and moves on."""

    def __init__(self, match_id: str) -> None:
        super().__init__(f"Match {match_id} is no longer available on the Halo servers.")


class ResourceNotFound(HaloApiError):
    """A non-match resource (skill, film, UGC asset) answered 404."""


class FilmUnavailable(HaloApiError):
    """The match has no film or no highlight-events chunk."""


class MalformedResponse(HaloApiError):
    """The API answered 2xx with a body that is not the JSON we expect."""


class InsecureTokenFile(HaloApiError):
    """The refresh-token file is readable by group/others, so we refuse to use it."""


#: After these, nothing else in this run can usefully be retried.
RUN_ENDING_ERRORS: tuple[type[HaloApiError], ...] = (AuthenticationFailed, RateLimitExhausted)
