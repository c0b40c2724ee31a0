"""Gamertag rules (any script, safe as a folder name) and the case-insensitive player key."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from levelup_pipeline.store.errors import InvalidGamertag

MAX_GAMERTAG_LENGTH = 15
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo"})
_MARKS = frozenset({"Mn", "Mc"})
_ALLOWED = _LETTERS | _MARKS | {"Nd"}
_SUFFIX_RE = re.compile(r"#[0-9]{1,4}")
# Scripts Japanese, Chinese and Korean names mix with each other and with Latin.
_EAST_ASIAN = frozenset(
    {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}
)
XUID_RE = re.compile(r"(?:xuid\()?([0-9]{16})\)?", re.IGNORECASE)
RULE = (
    "a gamertag is 1 to 15 letters of one alphabet, digits and single spaces (no leading or "
    "trailing space), optionally followed by a '#1234' suffix; or give the 16-digit XUID"
)


def parse_xuid(value: str) -> str | None:
    """The 16 digits of `2533274...` or `xuid(2533274...)`, else None."""
    match = XUID_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    return match.group(1) if match else None


def _script(char: str) -> str | None:
    """The script of a letter ('LATIN SMALL LETTER E' -> 'LATIN'); None for other chars."""
    if unicodedata.category(char) not in _LETTERS:
        return None
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return None if word in ("", "MODIFIER") else word


def _one_alphabet(text: str) -> bool:
    """Refuses a Cyrillic 'е' in 'Lеvel'; East Asian scripts may mix with Latin."""
    scripts = {s for s in map(_script, text) if s is not None}
    return len(scripts) <= 1 or not (scripts - {"LATIN"} - _EAST_ASIAN)


def _valid_base(base: str) -> bool:
    if not 0 < len(base) <= MAX_GAMERTAG_LENGTH or "  " in base:
        return False
    if base[0] == " " or base[-1] == " ":
        return False
    if any(c != " " and unicodedata.category(c) not in _ALLOWED for c in base):
        return False
    # A combining mark must follow a letter or digit, not start the name or a word.
    after = zip(" " + base, base, strict=False)
    if any(p == " " and unicodedata.category(c) in _MARKS for p, c in after):
        return False
    # Compatibility forms (fullwidth 'Ｌ', ligatures, superscripts) display like other text.
    return unicodedata.normalize("NFKC", base) == base and _one_alphabet(base)


def validate_gamertag(value: str) -> str:
    """The gamertag in NFC, surrounding spaces stripped, case kept; else InvalidGamertag."""
    text = unicodedata.normalize("NFC", value.strip(" ")) if isinstance(value, str) else ""
    base, sep, suffix = text.partition("#")
    if not (_valid_base(base) and (not sep or _SUFFIX_RE.fullmatch(sep + suffix))):
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "..."
        raise InvalidGamertag(f"Invalid gamertag {shown!r}: {RULE}.")
    return text


def gamertag_key(gamertag: str) -> str:
    """'ÉLODIE' and 'élodie' share it: Xbox gamertags are case-insensitive."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", gamertag).casefold())


def same_player(first: str, second: str) -> bool:
    return gamertag_key(first) == gamertag_key(second)


def find_gamertag(gamertag: str, known: Iterable[str]) -> str | None:
    """The spelling in `known` of `gamertag`, if any."""
    key = gamertag_key(gamertag)
    return next((k for k in known if gamertag_key(k) == key), None)


def run_lock_name(gamertag: str) -> str:
    """File name of the per-player run lock, one per player key."""
    return f"{gamertag_key(validate_gamertag(gamertag))}.lock"
