"""Envelope parsing, and where SDKs put the DSN key."""

from __future__ import annotations

import json

import pytest

from autotriage.errors import PayloadInvalid
from autotriage.sources.sentry import envelope as env
from autotriage.sources.sentry.envelope import public_key
from tests.support import fixture_bytes

LIMIT = 64 * 1024


def test_spec_example_has_an_attachment_and_an_event() -> None:
    parsed = env.parse_envelope(fixture_bytes("sentry", "d2_envelope_spec_example.txt"))
    assert parsed.headers["event_id"] == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert [item.type for item in parsed.items] == ["attachment", "event"]
    assert len(parsed.items[0].payload) == 10
    extracted = env.extract(parsed)
    assert [e.message for e in extracted.events] == ["hello world"]
    assert extracted.events[0].source_event_id == "9ec79c33ec9942ab8353589fcb2e04dc"
    assert extracted.dropped == {"attachment": 1}


def test_items_without_length_and_without_trailing_newline() -> None:
    body = (
        b'{"event_id":"abc"}\n'
        b'{"type":"session"}\n{"sid":"1","status":"ok"}\n'
        b'{"type":"event"}\n{"event_id":"e1","message":"no length here"}'
    )
    extracted = env.extract(env.parse_envelope(body))
    assert [e.source_event_id for e in extracted.events] == ["e1"]
    assert extracted.dropped == {"session": 1}


def test_length_payload_may_contain_newlines() -> None:
    payload = b'{"event_id":"e2",\n"message":"two\\nlines"}'
    body = b"{}\n" + json.dumps({"type": "event", "length": len(payload)}).encode() + b"\n"
    body += payload + b"\n"
    events = env.extract(env.parse_envelope(body)).events
    assert events[0].message == "two\nlines"


def test_unknown_item_types_are_skipped_not_rejected() -> None:
    body = (
        b'{}\n{"type":"future_thing","length":3}\nabc\n'
        b'{"type":"client_report"}\n{"discarded_events":[]}\n'
        b'{"type":"transaction"}\n{"type":"transaction","spans":[]}\n'
        b'{"type":"event"}\n{"event_id":"e3","exception":{"values":[{"type":"KeyError"}]}}\n'
    )
    extracted = env.extract(env.parse_envelope(body))
    assert extracted.skipped == {"future_thing": 1}
    assert extracted.dropped == {"client_report": 1, "transaction": 1}
    assert extracted.events[0].title == "KeyError"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "header line is empty"),
        (b"not json\n", "envelope header is not valid JSON"),
        (b"[1]\n", "envelope header must be a JSON object"),
        (b'{}\n{"length":2}\nab\n', "item 1 header has no `type`"),
        (b'{}\n{"type":"event","length":99}\n{}\n', "declares 99 bytes"),
        (b'{}\n{"type":"event","length":-1}\n', "non-negative integer"),
        (b'{}\n{"type":"event"}\n{"message": \n', "item 1 (event) is not valid JSON"),
        (b'{}\n{"type":"event"}\n' + b"[" * 5000 + b"]" * 5000 + b"\n", "nested"),
    ],
)
def test_broken_envelopes_name_the_problem(body: bytes, reason: str) -> None:
    with pytest.raises(
        PayloadInvalid, match=reason.replace("`", ".").replace("(", r"\(").replace(")", r"\)")
    ):
        env.extract(env.parse_envelope(body))


KEY = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("headers", "query", "header"),
    [
        (
            {"x-sentry-auth": f"Sentry sentry_version=7, sentry_client=x/1, sentry_key={KEY}"},
            {},
            None,
        ),
        ({"authorization": f"Sentry sentry_key={KEY}, sentry_version=7"}, {}, None),
        ({}, {"sentry_key": KEY, "sentry_version": "7"}, None),
        ({}, {}, {"dsn": f"http://{KEY}@127.0.0.1:3000/42"}),
        ({"authorization": "Bearer other"}, {}, {"dsn": f"https://{KEY}:@sentry.io/42"}),
    ],
)
def test_public_key_from_every_place_sdks_put_it(
    headers: dict[str, str], query: dict[str, str], header: dict[str, str] | None
) -> None:
    assert public_key(headers, query, header) == KEY


def test_no_key_anywhere() -> None:
    assert public_key({"authorization": "Bearer x"}, {}, {"event_id": "1"}) is None
