"""`intake.opaque_id`: a sender's id is stored as it is unless it holds a secret."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from autotriage.intake import opaque_id
from autotriage.understanding.scrub import scrub_text


@given(st.from_regex(r"[0-9A-Fa-f-]{1,64}", fullmatch=True))
def test_hex_and_uuid_ids_skip_the_scrubber_only_because_it_would_change_nothing(
    value: str,
) -> None:
    assert scrub_text(value) == value  # else the fast path would keep a secret
    assert opaque_id(value) == value


def test_an_id_holding_a_secret_is_a_digest_distinct_ids_stay_distinct() -> None:
    one, two = opaque_id("evt-AKIAQWERTYUIOPASDF12-1"), opaque_id("evt-AKIAQWERTYUIOPASDF12-2")
    assert one is not None and one.startswith("sha256:") and "AKIA" not in one
    assert one != two
    assert opaque_id("evt-AKIAQWERTYUIOPASDF12-1") == one
    assert opaque_id("order-42") == "order-42"
    assert opaque_id(None) is None
