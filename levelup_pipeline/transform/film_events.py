"""Film highlight-events chunk -> event dicts, bit for bit spnkr's reader but with `bitarray`
(spnkr's `bitstring` walk costs ~15-40 ms a match of event-loop CPU)."""

from __future__ import annotations

import json
import zlib
from functools import cache
from typing import Any

from bitarray import bitarray

from levelup_pipeline.halo.spnkr_light import spnkr_file

_MIN_XUID = int(2e15)
_MAX_XUID = int(3e15)
_XUID_BITS = 64
_WINDOW = 20_000  # bits spnkr looks at after an xuid to find the event's end marker
_EVENT_BITS = 60 * 8
_TYPES = {10: "mode", 20: "death", 50: "kill"}  # type hint -> event type
_MEDAL_SORTING_WEIGHTS = frozenset(
    {50, 51, 52, 100, 101, 150, 200, 205, 210, 220, 225, 230, 235, 240, 245, 250}
)
_MARKER = bitarray("11000000")  # 0xc0, searched at every bit offset
_TAILS = (bitarray("00101101"), bitarray("00100101"))  # 0x2d, 0x25 just before the marker
_END = bitarray()
_END.frombytes(bytes.fromhex("00002ee0"))
# Real chunks inflate to ~1.2 MB at most; unbounded, 1 MB of zeros cost 2.1 GB of memory.
MAX_HIGHLIGHT_CHUNK_BYTES = 16 * 2**20


@cache
def medal_names() -> dict[int, str]:
    """spnkr's film medal table (film/medal_codes.json), read without importing spnkr."""
    data = spnkr_file("film", "medal_codes.json").read_bytes()
    return {int(code): name for code, name in json.loads(data).items()}


class FilmReadError(Exception):
    """A chunk spnkr's reader would refuse too (spnkr.errors.FilmReadError)."""


def _event_type(hint: int, is_medal: bool) -> str:
    if is_medal and hint in _MEDAL_SORTING_WEIGHTS:
        return "medal"
    if hint in _TYPES:
        return _TYPES[hint]
    raise FilmReadError(f"Unhandled event type args: {hint=}, {is_medal=}")


def _uintle(bits: bitarray) -> int:
    return int.from_bytes(bits.tobytes(), "little")


def _xuid_starts(bits: bitarray) -> list[int]:
    """Bit offsets of every `xuid(le64) 2d|25 c0` at any bit alignment."""
    out = []
    for marker in bits.search(_MARKER):
        tail = bits[marker - 8 : marker]  # Python slicing, as spnkr's (negative -> empty)
        if tail not in _TAILS:
            continue
        start = marker - 8 - _XUID_BITS
        xuid_bits = bits[start : marker - 8]  # shorter near the start: no xuid there
        if len(xuid_bits) == _XUID_BITS and _MIN_XUID < _uintle(xuid_bits) < _MAX_XUID:
            out.append(start)
    return out


def _event(bits: bitarray, start: int, version: int) -> dict[str, Any]:
    # spnkr: selected = bits[start:start + 20000]; end = selected.find(00002ee0)[0];
    # fields = selected[end - 480:end] unpacked (a shorter slice cannot be unpacked).
    end = bits.find(_END, start, min(start + _WINDOW, len(bits)))
    if end < 0:
        raise FilmReadError("highlight event without an end marker")
    if end - start < _EVENT_BITS:
        raise FilmReadError("highlight event shorter than 60 bytes")
    block = bits[end - _EVENT_BITS : end].tobytes()  # the 60 bytes, realigned to bytes
    name = block[12:44] if 39 <= version <= 40 else block[0:32]
    hint, is_medal, medal_value = block[47], block[55] == 1, block[59]
    event_type = _event_type(hint, is_medal)
    return {
        "xuid": _uintle(bits[start : start + _XUID_BITS]),
        "gamertag": name.decode("utf-16le").strip("\x00"),
        "type_hint": hint,
        "is_medal": is_medal,
        "event_type": event_type,
        "time_ms": int.from_bytes(block[48:52], "big"),
        "medal_value": medal_value,
        "medal_name": medal_names().get(medal_value) if event_type == "medal" else None,
    }


def inflate_chunk(data: bytes, limit: int = MAX_HIGHLIGHT_CHUNK_BYTES) -> bytes:
    """zlib.decompress(data), bounded while produced: FilmReadError beyond `limit` bytes."""
    inflater = zlib.decompressobj()
    out = inflater.decompress(data, limit)
    if inflater.unconsumed_tail or len(inflater.flush(1)):
        raise FilmReadError(f"highlight chunk inflates beyond {limit // 2**20} MB")
    if not inflater.eof:
        raise zlib.error("incomplete or truncated zlib stream")
    return out


def read_highlight_events(data: bytes, version: int) -> list[dict[str, Any]]:
    """Events of a highlight chunk of film major `version`: spnkr's `read`, as dicts."""
    bits = bitarray()
    bits.frombytes(inflate_chunk(data))
    return [_event(bits, start, version) for start in _xuid_starts(bits)]
