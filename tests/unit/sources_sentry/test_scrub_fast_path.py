"""The scrubber's fast path (skip events no pattern could match) changes no outcome.

Ingest speed depends on it (bench/ingest_sentry.py), so it is checked against the full
per-string walk on generated events built from fragments of every secret pattern.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autotriage.models import ErrorEvent
from autotriage.understanding import scrub

FRAGMENTS = [
    "-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----", "AKIAABCDEFGHIJKLMNOP",
    "ghp_" + "a" * 24, "github_pat_" + "b" * 24, "xoxb-1234567890-abc", "eyJa.eyJb.sig",
    "Bearer abcdefgh1234", "https://user:pw@host/x", "password=hunter2", "\nsecret: x",
    "api_key=1", "Token: t", "session=s", "cookie=c", "credentials=c", "auth=a",
    " ", "\n", "\t", "\\", "\"", "=", ":", "@", "/", "x", "é", "ASIA", "beare", "://a@b",
]
text = st.lists(st.sampled_from(FRAGMENTS), max_size=6).map("".join)
keys = st.sampled_from(["password", "Session", "user", "x_token", "db", "AUTH", "note"])


def _slow(event: ErrorEvent) -> ErrorEvent:
    return ErrorEvent.model_validate(scrub._scrub_value(event.model_dump()))


@settings(max_examples=400, deadline=None)
@given(message=text, tag=text, extra=st.dictionaries(keys, text, max_size=3))
def test_fast_path_matches_the_full_walk(message: str, tag: str, extra: dict[str, str]) -> None:
    event = ErrorEvent(source="t", message=message, tags={"t": tag}, contexts={"extra": extra})
    assert scrub.scrub_event(event) == _slow(event)


def test_every_pattern_has_a_quick_check() -> None:
    # A new pattern in scrub._PATTERNS needs a matching marker in scrub's quick check.
    assert [kind for kind, _ in scrub._PATTERNS] == [
        "private_key", "aws_key", "github_token", "slack_token", "jwt", "bearer",
        "url_credentials",
    ]
    for sample in FRAGMENTS[:16]:
        assert scrub._may_hold_secret(sample), sample


@pytest.mark.parametrize("fragment", FRAGMENTS)
@pytest.mark.parametrize("where", ["message", "tag", "key", "nested"])
def test_each_fragment_alone(fragment: str, where: str) -> None:
    wrapped = f"note {fragment} end"
    event = {
        "message": ErrorEvent(source="t", message=wrapped),
        "tag": ErrorEvent(source="t", tags={"t": wrapped}),
        "key": ErrorEvent(source="t", contexts={fragment.split("=")[0].strip(): "v"}),
        "nested": ErrorEvent(source="t", raw={"a": [{"b": wrapped}]}),
    }[where]
    assert scrub.scrub_event(event) == _slow(event)
