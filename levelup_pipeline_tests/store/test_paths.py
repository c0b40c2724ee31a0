"""Gamertag validation and player paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from levelup_pipeline.store.errors import InvalidGamertag, StoreError
from levelup_pipeline.store.gamertag import (
    find_gamertag,
    gamertag_key,
    parse_xuid,
    run_lock_name,
    same_player,
)
from levelup_pipeline.store.paths import (
    player_db_path,
    player_dir,
    validate_gamertag,
)


@pytest.mark.parametrize(
    "gamertag",
    [
        "aCurtis X89",
        "A",
        "Major Nelson",
        "abcdefghijklmno",
        "Spartan#1234",
        "x1 2 3",
        # Xbox gamertags may use letters of any script (issue 21 item 14)
        "Spärtan",
        "Élodie Dupré",
        "Лёха",
        "Σίσυφος",
        "李小龍",
        "ゲーマー太郎",
        "Tokyo太郎#42",
        "김민준",
        "नमस्ते",
    ],
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
        "Ѕpartan",  # Cyrillic S look-alike among Latin letters
        "ｆｕｌｌwidth",
        "ﬁsh",  # ligature: a compatibility form
        "Level\u200bUp",  # zero-width space
        "a\u202eb",  # right-to-left override
        "\u0301abc",  # a combining mark cannot start a name
        "ab \u0301c",  # ... nor a word
        "2533274792599999",  # an XUID is not a gamertag (16 characters)
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
    assert "1 to 15 letters of one alphabet, digits and single spaces" in message
    assert message.count(".") >= 1 and "\n" not in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, StoreError)


def test_surrounding_spaces_are_stripped() -> None:
    assert validate_gamertag("  Major Nelson ") == "Major Nelson"


def test_one_unicode_form_and_one_key_per_player(tmp_path: Path) -> None:
    """An accent typed decomposed names the same folder as the composed one (NFC), and
    every case variant has the same key: one player, one folder, one lock."""
    composed, decomposed = "\u00c9lodie", "E\u0301lodie"
    assert validate_gamertag(decomposed) == composed
    assert gamertag_key(composed) == gamertag_key(decomposed) == gamertag_key("éLODIE")
    assert same_player("Major Nelson", "mAJOR nELSON") and not same_player("Elodie", "Élodie")
    assert run_lock_name("ÉLODIE") == run_lock_name("e\u0301lodie") == "élodie.lock"
    assert find_gamertag("major nelson", ["Other", "Major Nelson"]) == "Major Nelson"
    (tmp_path / "players" / decomposed).mkdir(parents=True)  # as macOS stores names
    assert player_dir("élodie", tmp_path) == tmp_path / "players" / decomposed


@pytest.mark.parametrize(
    ("value", "xuid"),
    [
        ("2533274792599999", "2533274792599999"),
        ("xuid(2533274792599999)", "2533274792599999"),
        (" XUID(2533274792599999) ", "2533274792599999"),
        ("253327479259999", None),  # 15 digits
        ("25332747925999990", None),  # 17 digits
        ("\u0662533274792599999", None),  # an Arabic-Indic digit
        ("Major Nelson", None),
    ],
)
def test_parse_xuid(value: str, xuid: str | None) -> None:
    assert parse_xuid(value) == xuid


def test_player_paths(tmp_path: Path) -> None:
    players = tmp_path / "players"  # data/players/{gamertag}/stats.duckdb, as the guide lays out
    assert player_dir("Major Nelson", tmp_path) == players / "Major Nelson"
    assert player_db_path("Major Nelson", tmp_path) == players / "Major Nelson" / "stats.duckdb"
    (players / "Major Nelson").mkdir(parents=True)
    assert player_dir("major nelson", tmp_path) == players / "Major Nelson"  # case-insensitive


def test_default_data_dir(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEVELUP_DATA_DIR", str(tmp_path))
    assert player_dir("Abc") == tmp_path.resolve() / "players" / "Abc"
