"""Files of the original LevelUp, built for the tests from ../shared/legacy/LEVELUP_LAYOUTS.md,
with every defect it lists: built from a database this project synced from the simulator, so
their matches, XUIDs and events are the simulator's world.

Defects written on purpose: map/playlist/mode names and MMR NULL, match_stats MMR NULL, empty
xuid_aliases, medal ids above 2^31-1 either missing or wrapped to a negative 32-bit value,
gamertags with control characters or stored as UTF-16 (BLOB, text with NULs, byte-order
mark), every HighlightEvents key variant, bodies that are one object instead of a list,
unreadable rows.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import duckdb

INT32 = 2**31 - 1
V4_DDL = """
CREATE TABLE match_stats (match_id VARCHAR PRIMARY KEY, start_time TIMESTAMP, playlist_id VARCHAR,
  playlist_name VARCHAR, map_id VARCHAR, map_name VARCHAR, pair_id VARCHAR, pair_name VARCHAR,
  game_variant_id VARCHAR, game_variant_name VARCHAR, outcome TINYINT, team_id TINYINT,
  rank SMALLINT, kills SMALLINT, deaths SMALLINT, assists SMALLINT, kda FLOAT, accuracy FLOAT,
  headshot_kills SMALLINT, max_killing_spree SMALLINT, time_played_seconds INTEGER,
  avg_life_seconds FLOAT, my_team_score SMALLINT, enemy_team_score SMALLINT, team_mmr FLOAT,
  enemy_mmr FLOAT, damage_dealt FLOAT, damage_taken FLOAT, shots_fired INTEGER,
  shots_hit INTEGER, grenade_kills SMALLINT, melee_kills SMALLINT, power_weapon_kills SMALLINT,
  score INTEGER, personal_score INTEGER, mode_category VARCHAR, is_ranked BOOLEAN,
  is_firefight BOOLEAN, left_early BOOLEAN, session_id VARCHAR, session_label VARCHAR,
  performance_score FLOAT, teammates_signature VARCHAR, known_teammates_count SMALLINT,
  is_with_friends BOOLEAN, friends_xuids VARCHAR, created_at TIMESTAMP, updated_at TIMESTAMP);
CREATE TABLE player_match_stats (match_id VARCHAR PRIMARY KEY, xuid VARCHAR, team_id TINYINT,
  team_mmr FLOAT, enemy_mmr FLOAT, kills_expected FLOAT, kills_stddev FLOAT,
  deaths_expected FLOAT, deaths_stddev FLOAT, assists_expected FLOAT, assists_stddev FLOAT,
  created_at TIMESTAMP);
CREATE TABLE highlight_events (id INTEGER PRIMARY KEY, match_id VARCHAR, event_type VARCHAR,
  time_ms INTEGER, xuid VARCHAR, gamertag VARCHAR, type_hint INTEGER, raw_json VARCHAR);
CREATE TABLE personal_score_awards (id INTEGER PRIMARY KEY, match_id VARCHAR, xuid VARCHAR,
  award_name VARCHAR, award_category VARCHAR, award_count INTEGER, award_score INTEGER,
  created_at TIMESTAMP);
CREATE TABLE medals_earned (match_id VARCHAR, medal_name_id INTEGER, count SMALLINT,
  PRIMARY KEY (match_id, medal_name_id));
CREATE TABLE xuid_aliases (xuid VARCHAR PRIMARY KEY, gamertag VARCHAR, last_seen TIMESTAMP,
  source VARCHAR, updated_at TIMESTAMP);
CREATE TABLE sync_meta (key VARCHAR PRIMARY KEY, value VARCHAR, updated_at TIMESTAMP);
CREATE TABLE teammates_aggregate (teammate_xuid VARCHAR PRIMARY KEY, teammate_gamertag VARCHAR,
  matches_together INTEGER, same_team_count INTEGER, opposite_team_count INTEGER,
  wins_together INTEGER, losses_together INTEGER, first_played TIMESTAMP, last_played TIMESTAMP,
  computed_at TIMESTAMP);
CREATE TABLE antagonists (opponent_xuid VARCHAR PRIMARY KEY, opponent_gamertag VARCHAR,
  times_killed INTEGER, times_killed_by INTEGER, matches_against INTEGER,
  last_encounter TIMESTAMP);
CREATE TABLE skill_history (playlist_id VARCHAR, recorded_at TIMESTAMP, csr INTEGER,
  tier VARCHAR, division INTEGER, matches_played INTEGER);
CREATE TABLE sessions (session_id VARCHAR PRIMARY KEY, start_time TIMESTAMP, end_time TIMESTAMP,
  match_count INTEGER, total_kills INTEGER, total_deaths INTEGER, total_assists INTEGER,
  avg_kda FLOAT, avg_accuracy FLOAT, performance_score FLOAT);
CREATE TABLE mv_global_stats (matches BIGINT);
"""


def _ids(match_ids: list[str]) -> str:
    return ", ".join(f"'{m}'" for m in match_ids)


def build_v4(path: Path, reference: Path, match_ids: list[str], old_alias: tuple[str, str]) -> Path:
    """A v4 stats.duckdb holding `match_ids` of the reference database, defects included.
    `old_alias` (xuid, gamertag) is a past gamertag only this file knows."""
    con = duckdb.connect(str(path))
    con.execute("SET TimeZone = 'UTC'")
    con.execute(V4_DDL)
    con.execute(f"ATTACH '{reference}' AS ref (READ_ONLY)")
    ids = _ids(match_ids)
    # names, mode and MMR NULL: the original's defect
    con.execute(
        f"""
        INSERT INTO match_stats
        SELECT match_id, timezone('UTC', start_time), playlist_id, NULL, map_id, NULL,
               map_mode_pair_id, NULL, game_variant_id, NULL, outcome, team_id, rank, kills,
               deaths, assists, kda, accuracy, headshot_kills, max_killing_spree,
               time_played_seconds, average_life_seconds, team_score, enemy_team_score, NULL,
               NULL, damage_dealt, damage_taken, shots_fired, shots_hit, grenade_kills,
               melee_kills, power_weapon_kills, score, personal_score, 'Slayer', is_ranked,
               FALSE, left_early, 'S' || coalesce(session_id, 0), 'session', 50.0, NULL, 0,
               FALSE, NULL, now()::TIMESTAMP, now()::TIMESTAMP
        FROM ref.match_stats WHERE match_id IN ({ids})
        """
    )
    con.execute(
        f"""
        INSERT INTO player_match_stats
        SELECT match_id, xuid, team_id, team_mmr, NULL, expected_kills, stddev_kills,
               expected_deaths, stddev_deaths, NULL, NULL, now()::TIMESTAMP
        FROM ref.player_match_stats WHERE match_id IN ({ids})
        """
    )
    # Every 7th event: a control character in the gamertag; every 5th: 'xuid(...)' spelling.
    con.execute(
        f"""
        INSERT INTO highlight_events
        SELECT row_number() OVER (ORDER BY match_id, event_index), match_id, event_type,
               time_ms,
               CASE WHEN event_index % 5 = 0 THEN 'xuid(' || xuid || ')' ELSE xuid END,
               CASE WHEN event_index % 7 = 0 THEN gamertag || chr(7) ELSE gamertag END,
               type_hint,
               json_object('event_type', event_type, 'time_ms', time_ms, 'xuid', xuid,
                           'gamertag', gamertag, 'type_hint', type_hint, 'is_medal', is_medal,
                           'medal_value', medal_value, 'medal_name', medal_name)::VARCHAR
        FROM ref.highlight_events WHERE match_id IN ({ids})
        """
    )
    # medal ids above 2^31-1: every other one wrapped to a negative 32-bit value, else lost
    con.execute(
        f"""
        INSERT INTO medals_earned
        SELECT match_id, CASE WHEN name_id > {INT32} THEN name_id - 4294967296 ELSE name_id END,
               count
        FROM ref.medals
        WHERE match_id IN ({ids}) AND (name_id <= {INT32} OR name_id % 2 = 0)
        """
    )
    con.execute(
        f"""
        INSERT INTO personal_score_awards
        SELECT row_number() OVER (), match_id, NULL, 'Award ' || name_id, 'core', count, points,
               NULL
        FROM ref.personal_scores WHERE match_id IN ({ids}) LIMIT 3
        """
    )
    xuid, gamertag = old_alias
    con.execute(
        "INSERT INTO teammates_aggregate VALUES (?, ?, 3, 3, 0, 2, 1, NULL, '2023-01-02', NULL)",
        [xuid, gamertag],
    )
    con.execute(
        "INSERT INTO antagonists VALUES ('not-a-xuid', 'Ghost', 1, 1, 1, NULL)"
    )  # a row whose XUID cannot be trusted
    con.execute("INSERT INTO sync_meta VALUES ('last_sync', 'x', NULL)")
    con.execute("INSERT INTO skill_history VALUES ('p', '2023-01-01', 1200, 'Gold', 2, 10)")
    con.execute("INSERT INTO sessions VALUES ('S1', NULL, NULL, 3, 1, 1, 1, 1, 1, 1)")
    con.execute("INSERT INTO mv_global_stats VALUES (3)")
    con.close()
    return path


def _utf16_text(name: str, bom: bool) -> str:
    data = ("\ufeff" if bom else "").encode("utf-16-le") + name.encode("utf-16-le")
    return data.decode("latin-1")  # the bytes read as 8-bit text


_VARIANTS = (
    {"event_type": "event_type", "time_ms": "time_ms", "xuid": "xuid", "gamertag": "gamertag",
     "type_hint": "type_hint"},
    {"event_type": "EventType", "time_ms": "TimestampMs", "xuid": "Xuid", "gamertag": "Gamertag",
     "type_hint": "TypeHint"},
    {"event_type": "EventType", "time_ms": "TimeMs", "xuid": "Xuid", "gamertag": "Gamertag",
     "type_hint": "TypeHint"},
)  # fmt: skip


def build_sqlite(
    path: Path,
    reference: Path,
    match_ids: list[str],
    owner: tuple[str, str],
    extra_events: dict[str, list[dict]] | None = None,
) -> Path:
    """A legacy SQLite file (MatchCache, HighlightEvents, XuidAliases, Players,
    TeammatesAggregate) of `match_ids`, with the layouts file's defects; `extra_events` adds
    HighlightEvents bodies of matches MatchCache does not hold."""
    with duckdb.connect(str(reference), read_only=True) as ref:
        ref.execute("SET TimeZone = 'UTC'")
        ids = _ids(match_ids)
        matches = ref.execute(
            "SELECT match_id, strftime(start_time, '%Y-%m-%d %H:%M:%S.%f'), playlist_id,"
            " map_id, map_mode_pair_id, game_variant_id, outcome, team_id, kills, deaths,"
            " assists, kda, accuracy, headshot_kills, max_killing_spree, time_played_seconds,"
            " average_life_seconds, team_score, enemy_team_score"
            f" FROM match_stats WHERE match_id IN ({ids})"
        ).fetchall()
        events = ref.execute(
            "SELECT match_id, list(struct_pack(event_type, time_ms, xuid, gamertag, type_hint,"
            " is_medal, medal_value, medal_name) ORDER BY event_index)"
            f" FROM highlight_events WHERE match_id IN ({ids}) GROUP BY match_id ORDER BY 1"
        ).fetchall()
        mates = ref.execute(
            "SELECT DISTINCT a.xuid, a.gamertag FROM xuid_aliases a JOIN match_players p"
            f" USING (xuid) WHERE p.match_id IN ({ids}) ORDER BY 1 LIMIT 4"
        ).fetchall()
    con = sqlite3.connect(path)
    con.executescript(
        """
        CREATE TABLE MatchCache (match_id TEXT, start_time TEXT, playlist_id TEXT,
          playlist_name TEXT, map_id TEXT, map_name TEXT, pair_id TEXT, pair_name TEXT,
          game_variant_id TEXT, game_variant_name TEXT, outcome INTEGER, last_team_id INTEGER,
          kills INTEGER, deaths INTEGER, assists INTEGER, kda REAL, accuracy REAL,
          headshot_kills INTEGER, max_killing_spree INTEGER, time_played_seconds REAL,
          average_life_seconds REAL, my_team_score INTEGER, enemy_team_score INTEGER,
          team_mmr REAL, enemy_mmr REAL, session_id TEXT, session_label TEXT,
          performance_score REAL, is_firefight INTEGER, teammates_signature TEXT,
          known_teammates_count INTEGER, is_with_friends INTEGER, friends_xuids TEXT,
          created_at TEXT, updated_at TEXT);
        CREATE TABLE HighlightEvents (MatchId TEXT, ResponseBody TEXT);
        CREATE TABLE XuidAliases (xuid TEXT, gamertag, last_seen TEXT);
        CREATE TABLE Players (xuid TEXT, gamertag TEXT);
        CREATE TABLE TeammatesAggregate (teammate_xuid TEXT, teammate_gamertag,
          matches_together INTEGER, same_team_count INTEGER, opposite_team_count INTEGER,
          wins_together INTEGER, losses_together INTEGER, first_played TEXT, last_played TEXT,
          computed_at TEXT);
        CREATE TABLE Notes (x);
        """
    )
    for m in matches:
        con.execute(
            "INSERT INTO MatchCache (match_id, start_time, playlist_id, map_id, pair_id,"
            " game_variant_id, outcome, last_team_id, kills, deaths, assists, kda, accuracy,"
            " headshot_kills, max_killing_spree, time_played_seconds, average_life_seconds,"
            " my_team_score, enemy_team_score, session_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'S1')",
            list(m),
        )
    con.execute("INSERT INTO MatchCache (match_id, kills) VALUES (NULL, 3), ('garbage', 1)")
    for n, (match_id, evs) in enumerate(events):
        keys = _VARIANTS[n % len(_VARIANTS)]
        body = []
        for i, e in enumerate(evs):
            gamertag = e["gamertag"]
            if gamertag is not None and n % len(_VARIANTS) == 1:
                gamertag = _utf16_text(gamertag, bom=i % 2 == 0)
            elif gamertag is not None and i % 3 == 0:
                gamertag = "\x1b" + gamertag + "\x00\x00junk"
            out = {
                keys["event_type"]: e["event_type"],
                keys["time_ms"]: e["time_ms"],
                keys["xuid"]: e["xuid"],
                keys["gamertag"]: gamertag,
                keys["type_hint"]: e["type_hint"],
                "is_medal": e["is_medal"],
                "medal_value": e["medal_value"],
                "medal_name": e["medal_name"],
            }
            body.append(out)
        text = json.dumps(body[0] if len(body) == 1 else body)
        con.execute("INSERT INTO HighlightEvents VALUES (?, ?)", [match_id, text])
    for match_id, body in (extra_events or {}).items():
        con.execute("INSERT INTO HighlightEvents VALUES (?, ?)", [match_id, json.dumps(body)])
    con.execute("INSERT INTO HighlightEvents VALUES (?, '{not json')", [match_ids[0]])
    xuid, gamertag = owner
    con.execute("INSERT INTO Players VALUES (?, ?)", [xuid, gamertag])
    for n, (mate, name) in enumerate(mates):
        stored: object = name.encode("utf-16-le") if n % 2 == 0 else name + "\x01"
        con.execute("INSERT INTO XuidAliases VALUES (?, ?, '2024-05-01 10:00:00')", [mate, stored])
        con.execute(
            "INSERT INTO TeammatesAggregate (teammate_xuid, teammate_gamertag, last_played)"
            " VALUES (?, ?, NULL)",
            [f"xuid({mate})", name],
        )
    con.commit()
    con.close()
    return path
