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


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a part holding a digit is data whole; ':' joins (times, MAC, host:port)
        ("BSSID changed to 5c:50:15:36:bc:03", "BSSID changed to <*>"),
        ("wpad:80 error : Could not connect", "<*> error : Could not connect"),
        # paths with two separators, units after numbers, signs against numbers
        ("Reading file: /etc/xinetd.d/chargen now", "Reading file: <*> now"),
        ("0 bytes sent, lifetime <1 sec", "<*> sent, lifetime <*>"),
        ("took 12:31 PM", "took <*>"),
        # printed literals anywhere, also as key:value; values after '=' take glued brackets
        ("down true canceled false", "down <*> canceled <*>"),
        ("updateDimmed overlap:false", "updateDimmed overlap:<*>"),
        ("ws=WorkSource{10113}, uid=1000", "ws=<*>, uid=<*>"),
        # optional annotations leave; a bracketed single name is data
        ("connection from 1.2.3.4 () at noon", "connection from <*> at noon"),
        ("PCI Interrupt Link [LNKD] disabled", "PCI Interrupt Link disabled"),
        # the word after "user", even when the name is "user"
        ("Invalid user user from 1.2.3.4", "Invalid user <*> from <*>"),
        # a message that is all data keeps its word count
        ("sda1 sda2 sda3 sda4", "<*> <*> <*> <*>"),
        # words that only look like data stay
        ("disk full on /var", "disk full on /var"),
        ("cafe deadbee ok", "cafe deadbee ok"),
    ],
)
def test_template_rules(message: str, expected: str) -> None:
    assert template(message) == expected
    assert template(expected) == expected


def test_a_long_message_is_read_to_its_first_16_kib() -> None:
    head = "error " * 3000
    assert template(head + "tail") == template(head + "other tail")
    assert template("x " * 10 + "tail") != template("x " * 10 + "other tail")


@pytest.mark.parametrize(
    "message",
    [
        "[PhoneIntfMgr] getDataEnabled: subId=1 phoneId=1",  # a bracket opening the message
        "j(jyU)8by,_AhO=[]uqVrTy>7-&=wRiP9zL9}",  # a bracket right after '='
        "6V&h/Z/{FZ/A()/R]s7y2(A",  # a bracket inside a word
        "=KaRF?%FSqr8VK(,Y(B7qM)p<WMKDk)e7\tvRR",  # a value meeting a bracket after a drop
        "OXG3 0=IXu3kJ-jO#y =*[Xn63]?)C\n,8N:l#",  # a literal '*' after '='
    ],
)
def test_templates_of_templates_do_not_change(message: str) -> None:
    once = template(message)
    assert template(once) == once
