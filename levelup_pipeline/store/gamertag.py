"""Who a player is, as typed: gamertag rules, the case-insensitive player key, XUIDs.

Xbox gamertags are case-insensitive and may use letters of any script (accents, Cyrillic,
CJK...). A gamertag also becomes a folder name, so the check keeps what makes that safe: only
letters, digits and single inner spaces (no separator, dot, control or invisible character),
in one Unicode form (NFC, so an accent typed composed or decomposed names the same folder),
without compatibility look-alikes (fullwidth letters, ligatures) or Latin/Cyrillic/Greek
mixes. Every comparison of two gamertags goes through `gamertag_key` (NFC + case folding):
one player, one partition, one folder and one run lock, whatever the spelling's case.

This module must stay light (standard library only): `levelup sync`'s pre-check imports it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from levelup_pipeline.store.errors import InvalidGamertag

#: Classic gamertags have up to 15 characters, modern ones up to 12 plus a '#1234' suffix.
MAX_GAMERTAG_LENGTH = 15
#: Unicode categories a gamertag character may have: letters, combining marks, decimal digits.
_LETTERS = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo"})
_MARKS = frozenset({"Mn", "Mc"})
_ALLOWED = _LETTERS | _MARKS | {"Nd"}
_SUFFIX_RE = re.compile(r"#[0-9]{1,4}")
#: Scripts that Japanese, Chinese and Korean names mix with each other and with Latin.
_EAST_ASIAN = frozenset(
    {"CJK", "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA", "HANGUL", "BOPOMOFO", "IDEOGRAPHIC"}
)
#: An XUID as users paste it: 16 digits, bare or as `xuid(...)`.
XUID_RE = re.compile(r"(?:xuid\()?([0-9]{16})\)?", re.IGNORECASE)
RULE = (
    "a gamertag is 1 to 15 letters of one alphabet, digits and single spaces (no leading or "
    "trailing space), optionally followed by a '#1234' suffix; or give the 16-digit XUID"
)


def parse_xuid(value: str) -> str | None:
    """The 16 digits of an XUID (`2533274...` or `xuid(2533274...)`), else None."""
    match = XUID_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    return match.group(1) if match else None


def _script(char: str) -> str | None:
    """The script of a letter, from its Unicode name ('LATIN SMALL LETTER E' -> 'LATIN');
    None for script-neutral characters (digits, marks, modifier letters)."""
    if unicodedata.category(char) not in _LETTERS:
        return None
    word = unicodedata.name(char, "").split(" ", 1)[0]
    return None if word in ("", "MODIFIER") else word


def _one_alphabet(text: str) -> bool:
    """Letters of one script, or of East Asian scripts with Latin (Japanese names mix kana,
    kanji and Latin): refuses 'Lеvel' with a Cyrillic 'е' among Latin letters."""
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
    """Return the gamertag in NFC form (surrounding spaces stripped, case kept) or raise
    InvalidGamertag with one sentence saying what is valid."""
    text = unicodedata.normalize("NFC", value.strip(" ")) if isinstance(value, str) else ""
    base, sep, suffix = text.partition("#")
    if not (_valid_base(base) and (not sep or _SUFFIX_RE.fullmatch(sep + suffix))):
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:40] + "..."
        raise InvalidGamertag(f"Invalid gamertag {shown!r}: {RULE}.")
    return text


def gamertag_key(gamertag: str) -> str:
    """The case- and form-insensitive key of a gamertag: 'ÉLODIE' and 'élodie' (composed or
    not) have the same key. Used for every comparison, folder match and lock name."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", gamertag).casefold())


def same_player(first: str, second: str) -> bool:
    """Whether two gamertags name the same Xbox player (case-insensitive)."""
    return gamertag_key(first) == gamertag_key(second)


def find_gamertag(gamertag: str, known: Iterable[str]) -> str | None:
    """The spelling in `known` (registered players, folders) of `gamertag`, if any."""
    key = gamertag_key(gamertag)
    return next((k for k in known if gamertag_key(k) == key), None)


def run_lock_name(gamertag: str) -> str:
    """File name of the per-player run lock (`DAGSTER_HOME/locks/`): one per player key, so
    case variants of a gamertag wait for each other."""
    return f"{gamertag_key(validate_gamertag(gamertag))}.lock"
