"""One synthetic match's players and teams: kills, deaths and stats consistent across the
lobby, team totals, outcomes and ranks, as the stats API reports them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from levelup_pipeline.simulator.api_formats import accuracy, iso_duration, iso_time, kda
from levelup_pipeline.simulator.catalog import (
    BLOCKS,
    COMMON_MEDALS,
    KILL_ASSIST,
    KILLED_PLAYER,
    MARK_ASSIST,
    PVE_SPECIES,
    SCORE_KEY,
)


def assign_teams(rng: random.Random, lobby: list, teams: int, fireteam: int) -> list[int]:
    """Team of each lobby slot: the fireteam together, everyone else balanced."""
    if teams == 8:
        return list(range(len(lobby)))
    if teams == 1:
        return [0] * len(lobby)
    home = rng.randrange(teams)
    counts = [0] * teams
    out = []
    for index in range(len(lobby)):
        team = home if index < fireteam else min(range(teams), key=lambda t: (counts[t], t))
        counts[team] += 1
        out.append(team)
    return out


def lobby_players(
    rng: random.Random,
    lobby: list,
    team_of: list[int],
    block: str | None,
    mode: str,
    start: dt.datetime,
    duration: float,
) -> list[dict[str, Any]]:
    """Player entries with internally consistent kills/deaths across teams."""
    pve = mode == "firefight"
    kills = [rng.randint(0, 25) if not pve else rng.randint(20, 160) for _ in lobby]
    for i, (_, xuid, _) in enumerate(lobby):
        if xuid is None and not pve:
            kills[i] = rng.randint(0, 8)
    deaths = [0] * len(lobby)
    for i, k in enumerate(kills):
        if pve:
            deaths[i] = rng.randint(0, 6)
            continue
        victims = [j for j in range(len(lobby)) if team_of[j] != team_of[i]]
        if not victims:
            kills[i] = 0
        for _ in range(k):
            deaths[rng.choice(victims)] += 1
    out = []
    for i, (player_id, xuid, _gamertag) in enumerate(lobby):
        left = xuid is not None and rng.random() < 0.04
        played = duration * (rng.uniform(0.3, 0.9) if left else 1.0)
        stats = player_stats(rng, kills[i], deaths[i], block, played, pve)
        entry = {
            "PlayerId": player_id,
            "PlayerType": 1 if xuid is not None else 2,
            "BotAttributes": None if xuid is not None else {"Difficulty": rng.choice((2, 3, 4))},
            "LastTeamId": team_of[i],
            "Outcome": 0,
            "Rank": 0,
            "ParticipationInfo": {
                "FirstJoinedTime": iso_time(start + dt.timedelta(seconds=rng.uniform(0, 30))),
                "LastLeaveTime": iso_time(start + dt.timedelta(seconds=played)) if left else None,
                "PresentAtBeginning": True,
                "JoinedInProgress": False,
                "LeftInProgress": left,
                "PresentAtCompletion": not left,
                "TimePlayed": iso_duration(played, 3),
                "ConfirmedParticipation": None,
            },
            "PlayerTeamStats": [{"TeamId": team_of[i], "Stats": stats}],
        }
        out.append(entry)
    return out


def player_stats(
    rng: random.Random, kills: int, deaths: int, block: str | None, played: float, pve: bool
) -> dict[str, Any]:
    """One player's Stats: CoreStats, the mode block and PvpStats/PveStats."""
    assists = rng.randint(0, max(1, kills // 2 + 2))
    fired = rng.randint(kills * 8 + 20, kills * 25 + 60)
    hit = rng.randint(int(fired * 0.3), int(fired * 0.65))
    medals: dict[int, int] = {}
    for _ in range(rng.randint(0, kills // 3 + 1)):
        name_id = rng.choice(COMMON_MEDALS)
        medals[name_id] = medals.get(name_id, 0) + 1
    mode_block: dict[str, Any] = {}
    if block in BLOCKS:
        for key, kind in BLOCKS[block].items():
            if kind == "i" or kind == "x":
                mode_block[key] = rng.randint(0, 4) if "Ticks" not in key else rng.randint(0, 120)
            elif kind in "dm":
                mode_block[key] = round(rng.uniform(0, played / 4), 1)
            elif kind == "n":
                mode_block[key] = None
            else:
                mode_block[key] = 0
    score = kills
    if block in SCORE_KEY:
        score = mode_block[SCORE_KEY[block]]
    elif block == "EliminationStats":
        score = 0
    scores = [(KILLED_PLAYER, kills, 100), (KILL_ASSIST, assists, 50)]
    marks = rng.randint(0, 4)
    if marks:
        scores.append((MARK_ASSIST, marks, 10))
    if block in SCORE_KEY and mode_block[SCORE_KEY[block]]:
        scores.append((4294967295, mode_block[SCORE_KEY[block]], 100))
    core = {
        "Score": score,
        "PersonalScore": sum(c * p for _, c, p in scores),
        "RoundsWon": 0,
        "RoundsLost": 0,
        "RoundsTied": 0,
        "Kills": kills,
        "Deaths": deaths,
        "Assists": assists,
        "KDA": kda(kills, deaths, assists),
        "Suicides": 0,
        "Betrayals": 0,
        "AverageLifeDuration": iso_duration(played / (deaths + 1), 1),
        "GrenadeKills": rng.randint(0, kills // 5 + 0),
        "HeadshotKills": rng.randint(0, kills),
        "MeleeKills": rng.randint(0, kills // 4),
        "PowerWeaponKills": rng.randint(0, kills // 4),
        "ShotsFired": fired,
        "ShotsHit": hit,
        "Accuracy": accuracy(hit, fired),
        "DamageDealt": kills * 230 + rng.randint(0, 900),
        "DamageTaken": deaths * 230 + rng.randint(0, 900),
        "CalloutAssists": rng.randint(0, 3),
        "VehicleDestroys": 0,
        "DriverAssists": 0,
        "Hijacks": 0,
        "EmpAssists": 0,
        "MaxKillingSpree": min(kills, rng.randint(0, 6)),
        "Medals": [
            {"NameId": n, "Count": c, "TotalPersonalScoreAwarded": 0} for n, c in medals.items()
        ],
        "PersonalScores": [
            {"NameId": n, "Count": c, "TotalPersonalScoreAwarded": c * p} for n, c, p in scores if c
        ],
        "DeprecatedDamageDealt": 0.0,
        "DeprecatedDamageTaken": 0.0,
        "Spawns": deaths + 1,
        "ObjectivesCompleted": 0,
    }
    core["DeprecatedDamageDealt"] = float(core["DamageDealt"])
    core["DeprecatedDamageTaken"] = float(core["DamageTaken"])
    stats: dict[str, Any] = {"CoreStats": core}
    if block in BLOCKS:
        stats[block] = mode_block
    if pve:
        stats["PveStats"] = pve_stats(rng, kills, deaths, assists)
        stats["PvpStats"] = {"Kills": 0, "Deaths": 0, "Assists": 0, "KDA": 0.0}
    else:
        stats["PvpStats"] = {
            "Kills": kills,
            "Deaths": deaths,
            "Assists": assists,
            "KDA": core["KDA"],
        }
    return stats


def pve_stats(rng: random.Random, kills: int, deaths: int, assists: int) -> dict[str, Any]:
    """PveStats whose per-species kills add up to the PvE kills."""
    counts = dict.fromkeys(PVE_SPECIES, 0)
    for _ in range(kills):
        counts[rng.choice(PVE_SPECIES[1:])] += 1
    return {
        "Kills": kills,
        "Deaths": deaths,
        "Assists": assists,
        "KDA": kda(kills, deaths, assists),
        **counts,
    }


def team_entries(
    rng: random.Random,
    players: list[dict[str, Any]],
    team_ids: list[int],
    block: str | None,
    mode: str,
) -> list[dict[str, Any]]:
    """Team entries summing their players, with outcomes and ranks set on everyone."""
    per_team: dict[int, list[dict[str, Any]]] = {t: [] for t in team_ids}
    for player in players:
        per_team[player["LastTeamId"]].append(player["PlayerTeamStats"][0]["Stats"])
    rounds = block == "EliminationStats" or mode == "oddball"
    totals = {t: _sum_stats(s) for t, s in per_team.items()}
    if rounds:
        played_rounds = rng.randint(3, 5)
        won = {t: 0 for t in team_ids}
        for _ in range(played_rounds):
            won[rng.choice(team_ids)] += 1
    if mode == "firefight":
        outcome = {team_ids[0]: 2 if rng.random() < 0.7 else 3}
    else:
        key = (
            (lambda t: won[t])
            if rounds and block == "EliminationStats"
            else (lambda t: totals[t]["CoreStats"]["Score"])
        )
        best = max(key(t) for t in team_ids)
        leaders = [t for t in team_ids if key(t) == best]
        outcome = {t: (1 if len(leaders) > 1 else 2) if t in leaders else 3 for t in team_ids}
    order = sorted(team_ids, key=lambda t: outcome[t] == 3)
    team_rank = {
        t: (1 if outcome[t] != 3 else 1 + sum(outcome[o] != 3 for o in team_ids)) for t in order
    }
    if mode == "ffa":
        ranked = sorted(team_ids, key=lambda t: -totals[t]["CoreStats"]["Score"])
        team_rank = {
            t: 1
            + sum(
                totals[o]["CoreStats"]["Score"] > totals[t]["CoreStats"]["Score"] for o in team_ids
            )
            for t in ranked
        }
    entries = []
    for t in team_ids:
        stats = totals[t]
        core = stats["CoreStats"]
        if rounds:
            core["RoundsWon"] = won[t]
            core["RoundsLost"] = sum(won.values()) - won[t]
            if block == "EliminationStats":
                core["Score"] = won[t]
        else:
            core["RoundsWon"] = int(outcome[t] == 2)
            core["RoundsLost"] = int(outcome[t] == 3)
            core["RoundsTied"] = int(outcome[t] == 1)
        for player_stats in per_team[t]:
            for k in ("RoundsWon", "RoundsLost", "RoundsTied"):
                player_stats["CoreStats"][k] = core[k]
        entries.append({"TeamId": t, "Outcome": outcome[t], "Rank": team_rank[t], "Stats": stats})
    by_score = sorted(
        players, key=lambda p: -p["PlayerTeamStats"][0]["Stats"]["CoreStats"]["PersonalScore"]
    )
    for rank, player in enumerate(by_score, 1):
        player["Rank"] = rank
        left = player["ParticipationInfo"]["LeftInProgress"]
        player["Outcome"] = 4 if left else outcome[player["LastTeamId"]]
    return entries


def _sum_stats(stats: list[dict[str, Any]]) -> dict[str, Any]:
    """Team stats: sums of the members' stats (max for sprees and longest times)."""
    out: dict[str, Any] = {}
    for name in stats[0]:
        blocks = [s[name] for s in stats]
        merged: dict[str, Any] = {}
        for key, first in blocks[0].items():
            values = [b[key] for b in blocks]
            if key in ("Medals", "PersonalScores"):
                merged[key] = _merge_awards(values)
            elif key in ("MaxKillingSpree", "MaxKillingSpreeAsVip"):
                merged[key] = max(values)
            elif key == "AverageLifeDuration":
                merged[key] = first
            elif first is None and key == "LivesRemaining":
                merged[key] = 0
            elif key.startswith("Longest"):
                merged[key] = max(values)
            elif isinstance(first, bool) or first is None:
                merged[key] = first
            else:
                merged[key] = sum(values)
        if "Kills" in merged and "Assists" in merged:
            merged["KDA"] = kda(merged["Kills"], merged["Deaths"], merged["Assists"])
        if "ShotsFired" in merged:
            merged["Accuracy"] = accuracy(merged["ShotsHit"], merged["ShotsFired"])
        out[name] = merged
    return out


def _merge_awards(lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Sum medal / personal score awards by NameId, keeping first-seen order."""
    merged: dict[int, dict[str, Any]] = {}
    for awards in lists:
        for award in awards:
            slot = merged.setdefault(
                award["NameId"],
                {"NameId": award["NameId"], "Count": 0, "TotalPersonalScoreAwarded": 0},
            )
            slot["Count"] += award["Count"]
            slot["TotalPersonalScoreAwarded"] += award["TotalPersonalScoreAwarded"]
    return list(merged.values())


def durations_to_iso(body: dict[str, Any]) -> None:
    """Mode-block durations are generated as seconds; render them like the API."""

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, float) and ("Time" in key) and key not in ("TimePlayed",):
                    node[key] = iso_duration(value, 1)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(body["Teams"])
    walk(body["Players"])
