-- 001_initial: the whole per-player schema.
-- raw_* tables are the source of truth (verbatim API JSON); every other table is derived from
-- them by transform_pending() and can be rebuilt at any time.

CREATE TABLE IF NOT EXISTS sync_meta (
    key        VARCHAR PRIMARY KEY,
    value      VARCHAR,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

CREATE TABLE IF NOT EXISTS raw_match_json (
    match_id        VARCHAR PRIMARY KEY,
    stats_json      JSON NOT NULL,
    skill_json      JSON,
    highlights_json JSON,
    skill_status    VARCHAR,      -- 'ok' / 'missing' / 'failed' / NULL (not fetched yet)
    film_status     VARCHAR,      -- 'ok' / 'missing' / 'failed' / NULL (not fetched yet)
    fetched_at      TIMESTAMPTZ NOT NULL,
    transformed_at  TIMESTAMPTZ   -- NULL = derived rows missing or stale
);

CREATE TABLE IF NOT EXISTS raw_ugc_json (
    asset_id   VARCHAR NOT NULL,
    version_id VARCHAR NOT NULL,
    asset_kind VARCHAR,
    body_json  JSON NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (asset_id, version_id)
);

CREATE TABLE IF NOT EXISTS raw_profile_json (
    xuid       VARCHAR PRIMARY KEY,
    body_json  JSON NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS match_stats (
    match_id                 VARCHAR PRIMARY KEY,
    start_time               TIMESTAMPTZ,
    end_time                 TIMESTAMPTZ,
    duration_seconds         DOUBLE,
    time_played_seconds      DOUBLE,
    playlist_id              VARCHAR,
    playlist_version_id      VARCHAR,
    map_id                   VARCHAR,
    map_version_id           VARCHAR,
    game_variant_id          VARCHAR,
    game_variant_version_id  VARCHAR,
    map_mode_pair_id         VARCHAR,
    map_mode_pair_version_id VARCHAR,
    game_variant_category    INTEGER,
    mode_category            VARCHAR,
    is_ranked                BOOLEAN,
    lifecycle                VARCHAR,
    teams_enabled            BOOLEAN,
    gameplay_interaction     INTEGER,
    season_id                VARCHAR,
    team_id                  INTEGER,
    rank                     INTEGER,
    outcome                  INTEGER,  -- 1 tie, 2 win, 3 loss, 4 left / did not finish
    left_early               BOOLEAN,
    kills                    INTEGER,
    deaths                   INTEGER,
    assists                  INTEGER,
    kda                      DOUBLE,   -- the API's K + A/3 - D
    kd_ratio                 DOUBLE,   -- K / D, K when D = 0
    accuracy                 DOUBLE,
    shots_fired              INTEGER,
    shots_hit                INTEGER,
    damage_dealt             INTEGER,
    damage_taken             INTEGER,
    headshot_kills           INTEGER,
    melee_kills              INTEGER,
    grenade_kills            INTEGER,
    power_weapon_kills       INTEGER,
    max_killing_spree        INTEGER,
    average_life_seconds     DOUBLE,
    score                    INTEGER,
    personal_score           INTEGER,
    team_score               INTEGER,
    enemy_team_score         INTEGER,
    playlist_name            VARCHAR,
    map_name                 VARCHAR,
    game_variant_name        VARCHAR,
    map_mode_pair_name       VARCHAR,
    performance_score        DOUBLE,
    session_id               INTEGER
);
CREATE INDEX IF NOT EXISTS match_stats_start_time ON match_stats (start_time);
CREATE INDEX IF NOT EXISTS match_stats_session_id ON match_stats (session_id);
CREATE INDEX IF NOT EXISTS match_stats_mode_category ON match_stats (mode_category);
CREATE INDEX IF NOT EXISTS match_stats_map_id ON match_stats (map_id);
CREATE INDEX IF NOT EXISTS match_stats_playlist_id ON match_stats (playlist_id);

CREATE TABLE IF NOT EXISTS player_match_stats (
    match_id                      VARCHAR NOT NULL,
    xuid                          VARCHAR NOT NULL,
    team_id                       INTEGER,
    team_mmr                      DOUBLE,
    enemy_mmr                     DOUBLE,
    team_mmrs                     JSON,
    expected_kills                DOUBLE,
    stddev_kills                  DOUBLE,
    actual_kills                  INTEGER,
    expected_deaths               DOUBLE,
    stddev_deaths                 DOUBLE,
    actual_deaths                 INTEGER,
    pre_match_csr                 INTEGER,
    post_match_csr                INTEGER,
    pre_match_tier                VARCHAR,
    post_match_tier               VARCHAR,
    pre_match_sub_tier            INTEGER,
    post_match_sub_tier           INTEGER,
    measurement_matches_remaining INTEGER,
    PRIMARY KEY (match_id, xuid)
);

CREATE TABLE IF NOT EXISTS match_players (
    match_id       VARCHAR NOT NULL,
    xuid           VARCHAR NOT NULL,  -- bare xuid for humans, 'bid(N)' for bots
    is_human       BOOLEAN,
    bot_difficulty INTEGER,
    team_id        INTEGER,
    outcome        INTEGER,
    rank           INTEGER,
    kills          INTEGER,
    deaths         INTEGER,
    assists        INTEGER,
    kda            DOUBLE,
    accuracy       DOUBLE,
    score          INTEGER,
    personal_score INTEGER,
    left_early     BOOLEAN,
    PRIMARY KEY (match_id, xuid)
);
CREATE INDEX IF NOT EXISTS match_players_xuid ON match_players (xuid);

CREATE TABLE IF NOT EXISTS medals (
    match_id                     VARCHAR NOT NULL,
    name_id                      BIGINT NOT NULL,
    name                         VARCHAR,
    count                        INTEGER,
    total_personal_score_awarded INTEGER,
    PRIMARY KEY (match_id, name_id)
);

CREATE TABLE IF NOT EXISTS personal_scores (
    match_id VARCHAR NOT NULL,
    name_id  BIGINT NOT NULL,
    count    INTEGER,
    points   INTEGER,
    PRIMARY KEY (match_id, name_id)
);

CREATE TABLE IF NOT EXISTS highlight_events (
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
    PRIMARY KEY (match_id, event_index)
);

CREATE TABLE IF NOT EXISTS xuid_aliases (
    xuid       VARCHAR NOT NULL,
    gamertag   VARCHAR NOT NULL,
    first_seen TIMESTAMPTZ,
    last_seen  TIMESTAMPTZ,
    source     VARCHAR,  -- 'film' or 'profile' (the first source that saw the pair)
    PRIMARY KEY (xuid, gamertag)
);

CREATE TABLE IF NOT EXISTS ugc_assets (
    asset_id            VARCHAR NOT NULL,
    version_id          VARCHAR NOT NULL,  -- '' when the body had none
    asset_kind          VARCHAR,
    public_name         VARCHAR,
    description         VARCHAR,
    hero_image_url      VARCHAR,
    thumbnail_image_url VARCHAR,
    image_urls          JSON,
    fetched_at          TIMESTAMPTZ,
    PRIMARY KEY (asset_id, version_id)
);

CREATE TABLE IF NOT EXISTS medal_metadata (
    name_id        BIGINT PRIMARY KEY,
    name           VARCHAR,
    description    VARCHAR,
    type           VARCHAR,
    difficulty     VARCHAR,
    sprite_index   INTEGER,
    sorting_weight INTEGER,
    personal_score INTEGER
);

CREATE TABLE IF NOT EXISTS unavailable_matches (
    match_id   VARCHAR PRIMARY KEY,
    reason     VARCHAR,
    first_seen TIMESTAMPTZ NOT NULL,
    last_seen  TIMESTAMPTZ NOT NULL
);

-- Aggregates: empty shells so readers never hit a missing table; refresh_aggregates() replaces
-- them with CREATE OR REPLACE TABLE ... AS SELECT.
CREATE TABLE IF NOT EXISTS mv_map_stats (
    map_id VARCHAR, map_name VARCHAR, matches BIGINT, wins BIGINT, losses BIGINT,
    win_rate DOUBLE, kills BIGINT, deaths BIGINT, assists BIGINT, kd DOUBLE, avg_kda DOUBLE,
    accuracy DOUBLE, avg_performance_score DOUBLE, time_played_seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS mv_mode_category_stats (
    mode_category VARCHAR, matches BIGINT, wins BIGINT, losses BIGINT,
    win_rate DOUBLE, kills BIGINT, deaths BIGINT, assists BIGINT, kd DOUBLE, avg_kda DOUBLE,
    accuracy DOUBLE, avg_performance_score DOUBLE, time_played_seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS mv_session_stats (
    session_id INTEGER, start_time TIMESTAMPTZ, end_time TIMESTAMPTZ, matches BIGINT,
    wins BIGINT, losses BIGINT, kills BIGINT, deaths BIGINT, assists BIGINT, kd DOUBLE,
    avg_performance_score DOUBLE, time_played_seconds DOUBLE
);
CREATE TABLE IF NOT EXISTS mv_global_stats (
    matches BIGINT, wins BIGINT, losses BIGINT, ties BIGINT, left_early BIGINT, win_rate DOUBLE,
    kills BIGINT, deaths BIGINT, assists BIGINT, kd DOUBLE, avg_kda DOUBLE, accuracy DOUBLE,
    avg_performance_score DOUBLE, hours_played DOUBLE, first_match TIMESTAMPTZ,
    last_match TIMESTAMPTZ, sessions BIGINT, last_sync TIMESTAMPTZ
);
