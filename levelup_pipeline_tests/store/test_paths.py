"""Gamertag validation and player paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from levelup_pipeline.store import (
    InvalidGamertag,
    StoreError,
    list_player_dirs,
    player_db_path,
    player_dir,
    validate_gamertag,
)


@pytest.mark.parametrize(
    "gamertag", ["aCurtis X89", "A", "Major Nelson", "abcdefghijklmno", "Spartan#1234", "x1 2 3"]
)
def test_valid_gamertags(gamertag: str) -> None:
    assert validate_gamertag(gamertag) == gamertag


@pytest.mark.parametrize(
    "gamertag",
    [
        "",
        " ",
        "..",
        "../etc",
        "a/b",
        "a\\b",
        "a\x00b",
        "a\nb",
        "a\tb",
        "abcdefghijklmnop",
        "two  spaces",
        "Spärtan",
        "Ѕpartan",  # Cyrillic S look-alike
        "ｆｕｌｌwidth",
        "x'; DROP TABLE match_stats; --",
        "name#",
        "name#12345",
        "#1234",
        "a.b",
        "C:",
        "name_1",
    ],
)
def test_invalid_gamertags(gamertag: str) -> None:
    with pytest.raises(InvalidGamertag) as info:
        validate_gamertag(gamertag)
    message = str(info.value)
    assert "1 to 15 ASCII letters, digits and single spaces" in message
    assert message.count(".") >= 1 and "\n" not in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, StoreError)


def test_surrounding_spaces_are_stripped() -> None:
    assert validate_gamertag("  Major Nelson ") == "Major Nelson"


def test_player_paths(tmp_path: Path) -> None:
    players = tmp_path / "players"  # data/players/{gamertag}/stats.duckdb, as the guide lays out
    assert player_dir("Major Nelson", tmp_path) == players / "Major Nelson"
    assert player_db_path("Major Nelson", tmp_path) == players / "Major Nelson" / "stats.duckdb"
    (players / "Major Nelson").mkdir(parents=True)
    assert player_dir("major nelson", tmp_path) == players / "Major Nelson"  # case-insensitive


def test_default_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    assert player_dir("Abc") == tmp_path.resolve() / "players" / "Abc"


def test_list_player_dirs(tmp_path: Path) -> None:
    assert list_player_dirs(tmp_path / "missing") == []
    for name in ("Zed", "alpha", "not.valid"):
        (tmp_path / "players" / name).mkdir(parents=True)
    (tmp_path / "players" / "file").write_text("x")
    assert [p.name for p in list_player_dirs(tmp_path)] == ["alpha", "Zed"]
