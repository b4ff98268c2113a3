"""Templates: data out, words in."""

from __future__ import annotations

import pytest

from autotriage.understanding.parameterize import parameterize, template


@pytest.mark.parametrize(
    ("message", "named"),
    [
        ("mail ann.lee+x@example.co.uk now", "mail <email> now"),
        ("GET https://api.example.com/v1/users/42?x=1 failed", "GET <url> failed"),
        ("host db-7.prod.internal down", "host <hostname> down"),
        ("from 10.0.3.7:5432 and 2001:db8::1", "from <ip> and <ip>"),
        ("id 9f1c2e4a-1b2c-4d5e-8f90-123456789abc", "id <uuid>"),
        ("commit 3f786850e387550fdab836ed7e6dc881de23001b at 0x7ffe12", "commit <hex> at <hex>"),
        ("at 2024-03-07T10:15:02.123Z", "at <date>"),
        ("on Thu Mar 7 10:15:02 2024 ok", "on <date> ok"),
        ("took 1532ms", "took <duration>"),
        ("retry 3 of 5", "retry <int> of <int>"),
        ("user='bob' ok=true", "user=<quoted> ok=<bool>"),
        ("request req_8fa2c1 failed", "request <int> failed"),
    ],
)
def test_named_placeholders(message: str, named: str) -> None:
    assert parameterize(message) == named


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("user 42 logged in from 10.0.0.1", "user 7 logged in from fe80::1"),
        (
            "connection from 1.2.3.4 (a.example.com) at Sat Jun 4 12:00:00 2005",
            "connection from 5.6.7.8 (9.9.9.9) at Sun Jul 10 01:02:03 2005",
        ),
        ("blk_-6952295868487656571 size 91178", "blk_38865049064139660 size 3"),
        ("path /var/lib/nova/instances/4f2a-11/disk", "path /var/lib/nova/instances/9b/disk"),
        ("  spaced   out  ", "spaced out"),
    ],
)
def test_same_template(first: str, second: str) -> None:
    assert template(first) == template(second)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("session opened for user root", "session closed for user root"),
        ("KeyError: 'sku'", "KeyError: 'price'"),
        ("disk full on /var", "disk full on /tmp"),
    ],
)
def test_different_template(first: str, second: str) -> None:
    assert template(first) != template(second)
