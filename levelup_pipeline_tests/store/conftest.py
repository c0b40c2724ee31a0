"""Store fixtures: a throwaway data dir and builders of small synthetic match JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from levelup_pipeline.store.player_store import PlayerStore
from levelup_pipeline.store.raw_codec import decode_bytes

PLAYER_XUID = "2535445291321133"


def decode_json(frame: bytes | None) -> Any:
    """A stored frame -> the parsed body (None stays None)."""
    return None if frame is None else json.loads(decode_bytes(frame))


@pytest.fixture
def store(tmp_path: Path) -> PlayerStore:
    return PlayerStore("Test Player", data_dir=tmp_path, lock_timeout=0.2)


def synthetic_match(
    match_id: str,
    start: datetime,
    minutes: float = 10.0,
    kills: int = 10,
    deaths: int = 10,
    assists: int = 3,
    accuracy: float | None = 50.0,
    outcome: int = 2,
    map_id: str = "map-a",
    category: int = 6,
) -> dict[str, Any]:
    """A minimal but well-formed match stats body with the player on team 0."""
    end = start + timedelta(minutes=minutes)
    core = {
        "Kills": kills,
        "Deaths": deaths,
        "Assists": assists,
        "KDA": kills + assists / 3 - deaths,
        "Accuracy": accuracy,
        "ShotsFired": 100,
        "ShotsHit": int(accuracy or 0),
        "Score": kills,
        "Medals": [{"NameId": 622331684, "Count": 1, "TotalPersonalScoreAwarded": 50}],
        "PersonalScores": [{"NameId": 1, "Count": kills, "TotalPersonalScoreAwarded": 100}],
    }
    return {
        "MatchId": match_id,
        "MatchInfo": {
            "StartTime": start.isoformat().replace("+00:00", "Z"),
            "EndTime": end.isoformat().replace("+00:00", "Z"),
            "Duration": f"PT{int(minutes)}M0S",
            "LifecycleMode": 3,
            "GameVariantCategory": category,
            "TeamsEnabled": True,
            "MapVariant": {"AssetId": map_id, "VersionId": "v1"},
            "Playlist": {"AssetId": "pl", "VersionId": "v1"},
        },
        "Teams": [
            {"TeamId": 0, "Stats": {"CoreStats": {"Score": 50}}},
            {"TeamId": 1, "Stats": {"CoreStats": {"Score": 40}}},
        ],
        "Players": [
            {
                "PlayerId": f"xuid({PLAYER_XUID})",
                "PlayerType": 1,
                "LastTeamId": 0,
                "Outcome": outcome,
                "Rank": 1,
                "ParticipationInfo": {
                    "LeftInProgress": False,
                    "TimePlayed": f"PT{int(minutes)}M0S",
                },
                "PlayerTeamStats": [{"TeamId": 0, "Stats": {"CoreStats": core}}],
            },
            {
                "PlayerId": "bid(1.0)",
                "PlayerType": 2,
                "BotAttributes": {"Difficulty": 2},
                "LastTeamId": 1,
                "Outcome": 3,
                "Rank": 2,
                "PlayerTeamStats": [{"TeamId": 1, "Stats": {"CoreStats": {"Kills": 1}}}],
            },
        ],
    }


T0 = datetime(2025, 1, 1, 18, 0, tzinfo=UTC)
