"""Who may use the console: a login with ``AUTOTRIAGE_API_TOKEN``, a signed session
cookie, and a CSRF token on every form that changes something.

The session cookie is HttpOnly and SameSite=Strict, and signed with an HMAC keyed by a
hash of the API token: changing the token logs everyone out. With no token configured,
the console is read-write only for requests from loopback, read-only from anywhere
else, and says so on every page.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass

from pydantic import SecretStr
from starlette.requests import Request

from autotriage.web.auth import refuse_when_exposed

COOKIE = "autotriage_session"
SESSION_SECONDS = 12 * 3600
LOCAL_ACTOR = "local operator"


@dataclass(frozen=True, slots=True)
class Session:
    """A visitor as the console sees them."""

    actor: str
    nonce: str
    can_write: bool
    logged_in: bool
    github: str = ""
    """The operator's GitHub login, if they gave one: "assign to me" assigns the issue too."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def is_loopback(request: Request) -> bool:
    """Whether the request came from this machine."""
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class Access:
    """Issues and checks session cookies and CSRF tokens for one app."""

    def __init__(self, token: SecretStr | None, clock: object = time.time) -> None:
        self.token = token
        # Without a token the key only has to outlive this process: sessions are local.
        seed = token.get_secret_value().encode() if token else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"autotriage console session\0" + seed).digest()
        self._clock = clock

    @property
    def required(self) -> bool:
        """Whether a login is needed (a token is configured)."""
        return self.token is not None

    def _now(self) -> float:
        return float(self._clock())  # type: ignore[operator]

    def _sign(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode(), hashlib.sha256).digest())

    def check_token(self, given: str) -> bool:
        """Whether `given` is the API token (constant time)."""
        if self.token is None:
            return False
        return hmac.compare_digest(given.encode(), self.token.get_secret_value().encode())

    def issue(self, actor: str, github: str = "") -> str:
        """A new session cookie value for `actor` (GitHub login `github`, if known)."""
        body = {
            "a": actor[:80],
            "g": github[:39],
            "n": secrets.token_urlsafe(16),
            "e": int(self._now()) + SESSION_SECONDS,
        }
        payload = _b64(json.dumps(body, separators=(",", ":")).encode())
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str | None) -> tuple[str, str, str] | None:
        """The (actor, nonce, GitHub login) a valid, unexpired cookie holds, else None."""
        if not cookie or "." not in cookie:
            return None
        payload, _, signature = cookie.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        try:
            body = json.loads(_unb64(payload))
            actor, nonce, expires = str(body["a"]), str(body["n"]), int(body["e"])
            github = str(body.get("g", ""))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return None if expires < self._now() else (actor, nonce, github)

    def session(self, request: Request) -> Session | None:
        """The visitor's session; None when a login is required and missing."""
        found = self.read(request.cookies.get(COOKIE))
        if self.required:
            if found is not None:
                return Session(found[0], found[1], True, True, found[2])
            bearer = request.headers.get("authorization", "")
            scheme, _, value = bearer.partition(" ")
            if scheme.lower() == "bearer" and self.check_token(value.strip()):
                return Session("api token", "", can_write=False, logged_in=True)
            return None
        # Without a token, a server bound beyond loopback serves no console at all.
        refuse_when_exposed(request)
        actor, nonce, github = found if found else (LOCAL_ACTOR, "", "")
        return Session(actor, nonce, is_loopback(request), False, github)

    def csrf_token(self, session: Session) -> str:
        """The CSRF token bound to `session` (its cookie nonce)."""
        return self._sign("csrf:" + session.nonce) if session.nonce else ""

    def csrf_ok(self, session: Session, given: str) -> bool:
        """Whether a form's CSRF token belongs to `session`."""
        expected = self.csrf_token(session)
        return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
