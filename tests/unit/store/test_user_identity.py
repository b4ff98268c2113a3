"""Which user an event names, the way Sentry's user tag picks one."""

from __future__ import annotations

from typing import Any

import pytest

from autotriage.models import ErrorEvent
from autotriage.store.groups import user_identity


@pytest.mark.parametrize(
    ("contexts", "expected"),
    [
        ({"user": {"id": "42", "email": "ana@example.com"}}, "id:42"),
        ({"user": {"id": 42}}, "id:42"),
        ({"user": {"username": "ana", "email": "ana@example.com"}}, "username:ana"),
        (
            {"user": {"email": "ana@example.com", "ip_address": "203.0.113.7"}},
            "email:ana@example.com",
        ),
        ({"user": {"ip_address": "203.0.113.7"}}, "ip:203.0.113.7"),
        ({"user": {"ip_address": "{{auto}}"}}, None),  # the server was to fill it in
        ({"user": {"id": "[REDACTED:secret]", "username": "bo"}}, "username:bo"),
        ({"user": {"id": True, "segment": "paid"}}, None),
        ({"user": "ana"}, None),
        ({"otel": {"attributes": {"enduser.id": "u-9"}}}, "id:u-9"),
        ({}, None),
    ],
)
def test_user_identity(contexts: dict[str, Any], expected: str | None) -> None:
    assert user_identity(ErrorEvent(source="sentry", message="x", contexts=contexts)) == expected
