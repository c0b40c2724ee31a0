"""load_json (msgspec, json.loads for what msgspec refuses) reads every document as json.loads
does: the same values, of the same types."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from levelup_pipeline.transform import match_stats as t
from levelup_pipeline.transform._common import load_json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=30,
)


def _same(a: Any, b: Any) -> bool:
    """Equal values of equal types (1 is not 1.0 here), NaN equal to itself."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(value=JSON_VALUES)
def test_load_json_reads_any_document_like_json_loads(value: Any) -> None:
    for text in (json.dumps(value), json.dumps(value, ensure_ascii=False, indent=1)):
        assert _same(load_json(text), json.loads(text))
        assert _same(load_json(text.encode()), json.loads(text.encode()))


@settings(max_examples=300, deadline=None)
@given(
    digits=st.text("0123456789", min_size=1, max_size=40),
    fraction=st.text("0123456789", max_size=30),
    exponent=st.integers(-400, 400),
    sign=st.sampled_from(["", "-"]),
)
def test_load_json_rounds_numbers_like_json_loads(
    digits: str, fraction: str, exponent: int, sign: str
) -> None:
    digits = digits.lstrip("0") or "0"
    for number in (
        f"{sign}{digits}",
        f"{sign}{digits}.{fraction or '0'}",
        f"{sign}{digits}e{exponent}",
        f"{sign}{digits}.{fraction or '0'}E{exponent}",
    ):
        text = f'{{"n": {number}}}'
        assert _same(load_json(text), json.loads(text)), text


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1, "a": 2}',
        "[18446744073709551616, -9223372036854775809, 123456789012345678901234567890]",
        "[NaN, Infinity, -Infinity]",
        "[1e400, -1e400, 1e-400]",
        '["\\ud800", "\\udfff x"]',
        '"\\u0000"',
        "  [1]  ",
    ],
)
def test_load_json_edge_cases(text: str) -> None:
    assert _same(load_json(text), json.loads(text))


@pytest.mark.parametrize("text", ["[1]x", "", "{", "\ufeff[1]", "[1,]", "'a'"])
def test_load_json_refuses_what_json_loads_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        json.loads(text)
    with pytest.raises(ValueError):
        load_json(text)
    assert t.parse_json(text) is None
