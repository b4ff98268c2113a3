"""The operator surfaces with ``AUTOTRIAGE_API_TOKEN`` set: ``/api/*``, ``/trigger-scan``,
``/metrics`` and the console take exactly ``Authorization: Bearer <token>``.

Every other scheme, a token in the query string or another header, and case or padding
tricks are refused. That the refusal takes flat time is held by the comparison itself:
each refused token reaches ``hmac.compare_digest`` whole, whether it shares a long prefix
with the real one or none (a timing threshold would be flaky on a shared machine).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable, Iterator

import pytest
from fastapi.testclient import TestClient

from autotriage.config import Settings
from autotriage.web.app import create_app

TOKEN = "at_3f9c2b7e1d4a6058c9e2f1b3a7d5c8e0"
NEAR = TOKEN[:-1] + ("1" if TOKEN[-1] != "1" else "2")  # all but the last character
FAR = "zz" + "z" * (len(TOKEN) - 2)  # same length, no common prefix
ROUTES = [
    ("GET", "/api/groups"),
    ("GET", "/api/scans"),
    ("POST", "/trigger-scan"),
    ("GET", "/metrics"),
    ("GET", "/"),
    ("GET", "/sources"),
]


def _basic(text: str) -> str:
    return "Basic " + base64.b64encode(text.encode()).decode()


TRIES: list[tuple[str, dict[str, str], str]] = [
    ("no credentials", {}, ""),
    ("basic user:token", {"authorization": _basic(f"user:{TOKEN}")}, ""),
    ("basic token:", {"authorization": _basic(f"{TOKEN}:")}, ""),
    ("basic raw token", {"authorization": f"Basic {TOKEN}"}, ""),
    ("token scheme", {"authorization": f"Token {TOKEN}"}, ""),
    ("sentry scheme", {"authorization": f"Sentry sentry_key={TOKEN}"}, ""),
    ("no space", {"authorization": f"Bearer{TOKEN}"}, ""),
    ("tab for space", {"authorization": f"Bearer\t{TOKEN}"}, ""),
    ("comma after scheme", {"authorization": f"Bearer, {TOKEN}"}, ""),
    ("token upper-cased", {"authorization": f"Bearer {TOKEN.upper()}"}, ""),
    ("token prefix", {"authorization": f"Bearer {TOKEN[:-1]}"}, ""),
    ("token plus one", {"authorization": f"Bearer {TOKEN}x"}, ""),
    ("token twice", {"authorization": f"Bearer {TOKEN} {TOKEN}"}, ""),
    ("near miss", {"authorization": f"Bearer {NEAR}"}, ""),
    ("far miss", {"authorization": f"Bearer {FAR}"}, ""),
    ("empty bearer", {"authorization": "Bearer "}, ""),
    ("query token", {}, f"?token={TOKEN}"),
    ("query access_token", {}, f"?access_token={TOKEN}"),
    ("query api_token", {}, f"?api_token={TOKEN}"),
    ("autotriage header", {"x-autotriage-token": TOKEN}, ""),
    ("api key header", {"x-api-key": TOKEN}, ""),
    ("token as cookie", {"cookie": f"token={TOKEN}"}, ""),
    ("token as session cookie", {"cookie": f"autotriage_session={TOKEN}"}, ""),
]


@pytest.fixture
def client(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    settings = make_settings(AUTOTRIAGE_WORKER="false", AUTOTRIAGE_API_TOKEN=TOKEN)
    with TestClient(create_app(settings), follow_redirects=False) as test_client:
        yield test_client


def _refused(method: str, path: str, status: int, location: str) -> bool:
    if path in ("/", "/sources"):  # the console sends a visitor to its login
        return status == 303 and location.startswith("/login")
    return status == 401


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_other_way_of_presenting_the_token_is_refused(
    client: TestClient, method: str, path: str
) -> None:
    wrongly_let_in = []
    for name, headers, query in TRIES:
        response = client.request(method, path + query, headers=headers)
        if not _refused(method, path, response.status_code, response.headers.get("location", "")):
            wrongly_let_in.append((name, response.status_code))
        elif response.status_code == 401:
            assert "a valid bearer token is required" in response.text
            assert response.headers["www-authenticate"] == "Bearer"
    assert wrongly_let_in == []


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] != "/trigger-scan"])
@pytest.mark.parametrize(
    "authorization", [f"Bearer {TOKEN}", f"bearer {TOKEN}", f"BEARER  {TOKEN} "]
)
def test_the_bearer_token_is_taken_with_the_scheme_in_any_case(
    client: TestClient, method: str, path: str, authorization: str
) -> None:
    # RFC 9110 section 11.1: the scheme is case-insensitive; the token itself is not.
    response = client.request(method, path, headers={"authorization": authorization})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("wrong", [TOKEN.upper(), TOKEN[:-1], f"{TOKEN} ", NEAR, FAR, ""])
def test_the_console_login_form_refuses_anything_but_the_token(
    client: TestClient, wrong: str
) -> None:
    response = client.post("/login", data={"name": "x", "token": wrong, "next": "/"})
    assert response.status_code == 303
    assert response.headers["location"].endswith("error=1")
    assert "set-cookie" not in response.headers


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    """Every pair of byte strings handed to ``hmac.compare_digest`` from here on."""
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((bytes(a), bytes(b)))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    return seen


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("POST", "/login")])
def test_a_near_and_a_far_miss_are_both_compared_whole_in_constant_time(
    client: TestClient, compared: list[tuple[bytes, bytes]], method: str, path: str
) -> None:
    for wrong in (NEAR, FAR):
        compared.clear()
        if path == "/login":
            response = client.post(path, data={"name": "x", "token": wrong, "next": "/"})
        else:
            response = client.request(method, path, headers={"authorization": f"Bearer {wrong}"})
        assert not 200 <= response.status_code < 300
        assert (wrong.encode(), TOKEN.encode()) in compared, compared
