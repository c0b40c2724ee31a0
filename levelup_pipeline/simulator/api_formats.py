"""How the Halo API writes values: ISO durations and times, KDA, accuracy, CSR containers."""

from __future__ import annotations

import datetime as dt
from typing import Any

TIERS = ["Bronze", "Silver", "Gold", "Platinum", "Diamond", "Onyx"]


def iso_duration(seconds: float, decimals: int = 1) -> str:
    """ISO-8601 duration as the API writes it: 'PT9M9.4211615S', 'PT1H2M', 'PT0S'."""
    seconds = round(max(seconds, 0.0), decimals)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    out = "PT"
    if hours:
        out += f"{int(hours)}H"
    if minutes:
        out += f"{int(minutes)}M"
    text = f"{secs:.{decimals}f}".rstrip("0").rstrip(".")
    if text != "0" or out == "PT":
        out += f"{text}S"
    return out


def iso_time(moment: dt.datetime) -> str:
    """UTC timestamp with milliseconds and 'Z', like the captures."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def kda(kills: int, deaths: int, assists: int) -> float:
    """K + A/3 - D truncated toward zero at 2 decimals, exactly as the API reports it."""
    numerator = 100 * (3 * kills + assists - 3 * deaths)
    return int(numerator / 3) / 100 if numerator >= 0 else -int(-numerator / 3) / 100


def accuracy(hit: int, fired: int) -> float:
    """ShotsHit / ShotsFired * 100 truncated at 2 decimals (0 when nothing fired)."""
    return (hit * 10000 // fired) / 100 if fired else 0.0


def _tier(csr: int) -> tuple[str, int, int]:
    """(tier, tier start, sub-tier index) of a CSR value."""
    if csr >= 1500:
        return "Onyx", 1500, 0
    tier = TIERS[max(csr, 0) // 300]
    start = (max(csr, 0) // 50) * 50
    return tier, start, (max(csr, 0) % 300) // 50


def csr_block(value: int, remaining: int = 0) -> dict[str, Any]:
    """A CSR container (Value, Tier, SubTier, NextTier...) like the skill captures."""
    if value < 0:
        return {
            "Value": -1,
            "MeasurementMatchesRemaining": remaining,
            "Tier": "",
            "TierStart": 0,
            "SubTier": 0,
            "NextTier": "",
            "NextTierStart": 0,
            "NextSubTier": 0,
            "InitialMeasurementMatches": 5,
        }
    tier, start, sub = _tier(value)
    next_tier, next_start, next_sub = _tier(min(start + 50, 1500))
    return {
        "Value": value,
        "MeasurementMatchesRemaining": remaining,
        "Tier": tier,
        "TierStart": start,
        "SubTier": sub,
        "NextTier": next_tier,
        "NextTierStart": next_start,
        "NextSubTier": next_sub,
        "InitialMeasurementMatches": 5,
    }
