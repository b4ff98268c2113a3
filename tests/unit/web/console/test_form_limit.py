"""The console's forms are read capped: the login form takes posts from anyone, and it
once held a whole body in memory before looking at its size (found by the hostile
corpus, issue 16: a declared gigabyte was waited for, and read)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from autotriage.web.console.pages import MAX_FORM_BYTES

CHUNK = b"token=x&" * 8192  # 64 KiB


@pytest.mark.parametrize(("path", "status"), [("/login", 413), ("/logout", 401)])
def test_a_form_past_the_limit_is_refused(client: TestClient, path: str, status: int) -> None:
    def body() -> Iterator[bytes]:
        for _ in range(256):  # 16 MiB, sent without a length
            yield CHUNK

    answer = client.post(
        path, content=body(), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert answer.status_code == status  # /logout refuses a visitor without a session first


def test_a_declared_length_past_the_limit_is_refused_at_once(client: TestClient) -> None:
    answer = client.post(
        "/login",
        content=b"token=x",
        headers={
            "content-type": "application/x-www-form-urlencoded",
            "content-length": str(MAX_FORM_BYTES + 1),
        },
    )
    assert answer.status_code == 413
    assert "limit" in answer.text
