"""Sentry API shapes: API events to the protocol, Link cursors, rate-limit waits."""

from __future__ import annotations

import httpx

from autotriage.sources.sentry import api as sentry_api
from autotriage.sources.sentry import event as sentry

API_EVENT = {
    "eventID": "f" * 32,
    "groupID": "1170820242",
    "dateCreated": "2024-05-01T10:00:00Z",
    "platform": "python",
    "title": "ZeroDivisionError: division by zero",
    "culprit": "app.pricing in total",
    "tags": [
        {"key": "environment", "value": "prod"},
        {"key": "level", "value": "error"},
        {"key": "server_name", "value": "web-1"},
    ],
    "release": {"version": "1.4.2"},
    "entries": [
        {
            "type": "exception",
            "data": {
                "values": [
                    {
                        "type": "ZeroDivisionError",
                        "value": "division by zero",
                        "module": None,
                        "stacktrace": {
                            "frames": [
                                {
                                    "filename": "app/pricing.py",
                                    "absPath": "/srv/app/pricing.py",
                                    "function": "total",
                                    "module": "app.pricing",
                                    "lineNo": 41,
                                    "colNo": None,
                                    "inApp": True,
                                    "context": [
                                        [40, "    n = 0"],
                                        [41, "    return x / n"],
                                        [42, ""],
                                    ],
                                }
                            ]
                        },
                    }
                ]
            },
        },
        {"type": "request", "data": {"url": "https://shop.example/cart", "method": "POST"}},
    ],
}


def test_api_event_maps_like_a_protocol_event() -> None:
    event = sentry.event_from_sentry(sentry_api.protocol_event(API_EVENT))
    assert event.title == "ZeroDivisionError: division by zero"
    assert event.environment == "prod"
    assert event.release == "1.4.2"
    assert event.service == "web-1"
    assert event.tags["url"] == "https://shop.example/cart"
    assert event.contexts["sentry"]["issue_id"] == "1170820242"
    frame = event.exceptions[-1].frames[-1]
    assert (frame.abs_path, frame.lineno, frame.in_app) == ("/srv/app/pricing.py", 41, True)
    assert frame.context_line == "    return x / n"
    assert frame.pre_context == ["    n = 0"]
    assert frame.post_context == [""]


def test_next_cursor_follows_results_true_only() -> None:
    link = (
        '<https://sentry.io/api/0/projects/o/p/issues/?&cursor=100:-1:1>; rel="previous"; '
        'results="false"; cursor="100:-1:1", '
        '<https://sentry.io/api/0/projects/o/p/issues/?&cursor=100:1:0>; rel="next"; '
        'results="true"; cursor="100:1:0"'
    )
    assert sentry_api.next_cursor(link) == "100:1:0"
    assert sentry_api.next_cursor(link.replace('results="true"', 'results="false"')) is None
    assert sentry_api.next_cursor(None) is None


def test_rate_limit_waits() -> None:
    date = "Sun, 29 Nov 2026 02:00:00 GMT"  # epoch 1795917600
    exhausted = httpx.Response(
        200,
        headers={
            "x-sentry-rate-limit-remaining": "0",
            "x-sentry-rate-limit-reset": "1795917630",
            "date": date,
        },
    )
    assert sentry_api.rate_limit_wait(exhausted) == 30.0
    assert sentry_api.rate_limit_wait(httpx.Response(429, headers={"retry-after": "7"})) == 7.0
    plenty = httpx.Response(200, headers={"x-sentry-rate-limit-remaining": "39"})
    assert sentry_api.rate_limit_wait(plenty) is None
