"""`load_json`: every source's JSON decoder, with its depth limit read off the bytes."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from autotriage.errors import PayloadInvalid
from autotriage.sources.base import _PEELED, MAX_JSON_DEPTH, _nests_deeper, load_json

# Strings full of the characters the byte-level depth reading must not be fooled by.
_tricky = st.text(alphabet=st.sampled_from('[]{}"\\ab\né'), max_size=8)
_values = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | _tricky,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_tricky, inner, max_size=3),
    max_leaves=30,
)


def _reference_depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_reference_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_reference_depth, value), default=0)
    return 0


@given(_values)
def test_depth_from_bytes_matches_the_decoded_document(value: Any) -> None:
    depth = _reference_depth(value)
    wide = [value] * (_PEELED // 2)  # past `_PEELED` marks: counted, not peeled
    for body in (orjson.dumps(value), json.dumps(value, indent=1).encode()):
        for limit in range(12):  # peeled within limit // 2 rounds, or counted
            assert _nests_deeper(body, limit) is (depth > limit), (body, limit)
    for limit in (depth - 1, depth + 1):
        assert _nests_deeper(orjson.dumps(wide), limit) is (depth + 1 > limit)


def test_nesting_past_the_limit_is_refused_even_behind_brackets_in_strings() -> None:
    deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(PayloadInvalid, match="nested deeper"):
        load_json(deep.encode())
    # Closing brackets inside a string must not hide the nesting around them.
    hidden = "[" * (MAX_JSON_DEPTH + 1) + '"' + "]" * 80 + '"' + "]" * (MAX_JSON_DEPTH + 1)
    with pytest.raises(PayloadInvalid, match="nested deeper"):
        load_json(hidden.encode())
    at_limit = "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    assert load_json(at_limit.encode()) is not None


def test_what_orjson_refuses_the_standard_library_still_reads() -> None:
    # What no store holds as JSON is kept readable as text (see sources/base._storable).
    assert load_json(b'{"x": NaN, "y": -Infinity}') == {"x": "nan", "y": "-inf"}
    assert load_json('{"x": 1}'.encode("utf-16")) == {"x": 1}
    # Past 64 bits a number reads as a float, as in JavaScript (RFC 8259 section 6).
    assert load_json(b'{"x": 123456789012345678901234567890}')["x"] == pytest.approx(
        1.2345e29, 1e-3
    )
    assert load_json(b'{"x": "\\ud800"}') == {"x": "\ufffd"}


@pytest.mark.parametrize(
    ("body", "reason"),
    [(b"{", "not valid JSON"), (b"\xff\xfe\x00", "not valid JSON"), (b"[" * 5000, "JSON|nested")],
)
def test_bad_bodies_are_payload_invalid(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadInvalid, match=reason):
        load_json(body)
