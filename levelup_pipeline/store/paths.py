"""Where a player's files live, and the gamertag check that keeps those paths safe.

The gamertag becomes a folder name, so it is validated strictly before any path is built:
nothing but ASCII letters, digits and single inner spaces can reach the file system.
"""

from __future__ import annotations

import re
from pathlib import Path

from levelup_pipeline.store.errors import InvalidGamertag

DB_FILENAME = "stats.duckdb"
PLAYERS_SUBDIR = "players"
LOCK_SUFFIX = ".lock"
MAX_GAMERTAG_LENGTH = 15
_GAMERTAG_RE = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*")
_SUFFIX_RE = re.compile(r"#[0-9]{1,4}")
_RULE = (
    "a gamertag is 1 to 15 ASCII letters, digits and single spaces (no leading or trailing "
    "space), optionally followed by a '#1234' suffix"
)


def validate_gamertag(value: str) -> str:
    """Return the gamertag (surrounding whitespace stripped) or raise InvalidGamertag.

    Refuses path tricks ('..', '/', '\\\\'), control and NUL characters, non-ASCII look-alikes,
    double spaces and anything over 15 characters before the optional '#1234' suffix.
    """
    if not isinstance(value, str):
        raise InvalidGamertag(f"Invalid gamertag {value!r}: {_RULE}.")
    text = value.strip(" ")
    base, sep, suffix = text.partition("#")
    ok = (
        0 < len(base) <= MAX_GAMERTAG_LENGTH
        and _GAMERTAG_RE.fullmatch(base) is not None
        and (not sep or _SUFFIX_RE.fullmatch("#" + suffix) is not None)
    )
    if not ok:
        shown = value if len(value) <= 40 else value[:40] + "..."
        raise InvalidGamertag(f"Invalid gamertag {shown!r}: {_RULE}.")
    return text


def _root(data_dir: Path | None) -> Path:
    """`<data_dir>/players`: player folders live beside backups, archives and cached assets."""
    if data_dir is not None:
        return Path(data_dir) / PLAYERS_SUBDIR
    from levelup_pipeline.config import data_dir as default_data_dir

    return default_data_dir() / PLAYERS_SUBDIR


def player_dir(gamertag: str, data_dir: Path | None = None) -> Path:
    """The player's folder. Gamertags are case-insensitive, so an existing folder differing
    only in case is reused instead of creating a second database for the same player."""
    name = validate_gamertag(gamertag)
    root = _root(data_dir)
    candidate = root / name
    if not candidate.exists() and root.is_dir():
        wanted = name.casefold()
        for child in root.iterdir():
            if child.is_dir() and child.name.casefold() == wanted:
                return child
    return candidate


def player_db_path(gamertag: str, data_dir: Path | None = None) -> Path:
    """The player's DuckDB file: <data_dir>/players/<gamertag>/stats.duckdb."""
    return player_dir(gamertag, data_dir) / DB_FILENAME


def lock_path(db_path: Path) -> Path:
    """The file lock that serialises writers: stats.duckdb.lock next to the database."""
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def list_player_dirs(data_dir: Path | None = None) -> list[Path]:
    """Player folders under <data_dir>/players (valid gamertag names only), sorted by name."""
    root = _root(data_dir)
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if not child.is_dir():
            continue
        try:
            validate_gamertag(child.name)
        except InvalidGamertag:
            continue
        if child.name == child.name.strip():
            found.append(child)
    return sorted(found, key=lambda p: p.name.casefold())
