-- 008_imported: rows imported from the original LevelUp's files (`levelup migrate
-- --from-levelup / --from-sqlite`, store/legacy_import.py) that have no raw API body.
-- They never go into the model tables directly: transform_pending folds them in
-- (sql/fold_imported.sql) for the matches - or the parts of a match: skill, film - this
-- project has no raw JSON for. So a rebuild never loses them, and rows derived from raw JSON
-- win wherever both exist (a match refetched by the gap filling replaces its imported rows).
-- Every row keeps its provenance: source file, layout ('duckdb-v4' / 'sqlite'), when it
-- was imported, and the original row as JSON (legacy_row: every column of it).
CREATE TABLE imported_match_stats (
    match_id             VARCHAR PRIMARY KEY,
    start_time           TIMESTAMPTZ,
    playlist_id          VARCHAR,
    playlist_name        VARCHAR,
    map_id               VARCHAR,
    map_name             VARCHAR,
    map_mode_pair_id     VARCHAR,
    map_mode_pair_name   VARCHAR,
    game_variant_id      VARCHAR,
    game_variant_name    VARCHAR,
    is_ranked            BOOLEAN,
    team_id              INTEGER,
    rank                 INTEGER,
    outcome              INTEGER,
    left_early           BOOLEAN,
    kills                INTEGER,
    deaths               INTEGER,
    assists              INTEGER,
    accuracy             DOUBLE,
    shots_fired          INTEGER,
    shots_hit            INTEGER,
    damage_dealt         INTEGER,
    damage_taken         INTEGER,
    headshot_kills       INTEGER,
    melee_kills          INTEGER,
    grenade_kills        INTEGER,
    power_weapon_kills   INTEGER,
    max_killing_spree    INTEGER,
    time_played_seconds  DOUBLE,
    average_life_seconds DOUBLE,
    score                INTEGER,
    personal_score       INTEGER,
    team_score           INTEGER,
    enemy_team_score     INTEGER,
    legacy_session_id    VARCHAR,   -- the original's session membership (sessions are
    legacy_session_label VARCHAR,   -- recomputed here by sessions.sql)
    legacy_row           JSON,
    source               VARCHAR NOT NULL,
    layout               VARCHAR NOT NULL,
    imported_at          TIMESTAMPTZ NOT NULL
);

CREATE TABLE imported_player_match_stats (
    match_id        VARCHAR NOT NULL,
    xuid            VARCHAR NOT NULL,
    team_id         INTEGER,
    team_mmr        DOUBLE,
    enemy_mmr       DOUBLE,
    expected_kills  DOUBLE,
    stddev_kills    DOUBLE,
    expected_deaths DOUBLE,
    stddev_deaths   DOUBLE,
    legacy_row      JSON,
    source          VARCHAR NOT NULL,
    layout          VARCHAR NOT NULL,
    imported_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (match_id, xuid)
);

CREATE TABLE imported_medals (
    match_id    VARCHAR NOT NULL,
    name_id     BIGINT NOT NULL,
    count       INTEGER,
    legacy_row  JSON,
    source      VARCHAR NOT NULL,
    layout      VARCHAR NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (match_id, name_id)
);

-- The original named its personal score awards (no NameId): kept here, not folded into
-- personal_scores (keyed by NameId); a refetched match brings the API's.
CREATE TABLE imported_personal_scores (
    match_id       VARCHAR NOT NULL,
    award_name     VARCHAR NOT NULL,
    award_category VARCHAR,
    count          INTEGER,
    points         INTEGER,
    legacy_row     JSON,
    source         VARCHAR NOT NULL,
    layout         VARCHAR NOT NULL,
    imported_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (match_id, award_name)
);

-- Often irreplaceable: the API stops serving the films of old matches.
CREATE TABLE imported_highlight_events (
    match_id    VARCHAR NOT NULL,
    event_index INTEGER NOT NULL,
    event_type  VARCHAR,
    time_ms     BIGINT,
    xuid        VARCHAR,
    gamertag    VARCHAR,
    type_hint   INTEGER,
    is_medal    BOOLEAN,
    medal_value INTEGER,
    medal_name  VARCHAR,
    legacy_row  JSON,
    source      VARCHAR NOT NULL,
    layout      VARCHAR NOT NULL,
    imported_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (match_id, event_index)
);

-- Gamertag history: every (xuid, gamertag) pair the original saw, whichever table it was in.
CREATE TABLE imported_aliases (
    xuid         VARCHAR NOT NULL,
    gamertag     VARCHAR NOT NULL,
    last_seen    TIMESTAMPTZ,
    legacy_table VARCHAR,
    source       VARCHAR NOT NULL,
    layout       VARCHAR NOT NULL,
    imported_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (xuid, gamertag)
);
