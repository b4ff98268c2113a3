"""CORS for the DSN endpoints, so browser SDKs (``@sentry/browser``) can post from a page.

Browser SDKs post envelopes from the page's origin with the key in the query string, and
read ``X-Sentry-Rate-Limits``/``Retry-After`` from the answer to back off. Like Sentry's
own ingest, the DSN endpoints answer any origin: the public key, not the origin, is the
credential, and no cookie is ever read. Preflight ``OPTIONS`` requests are answered here;
every answer of those paths, refusals included, carries the CORS headers.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_DSN_PATH = re.compile(r"^/api/\d+/(?:envelope|store)/$")
_ALLOWED_HEADERS = (
    "content-type, content-encoding, x-sentry-auth, authorization, sentry-trace, baggage"
)
_ANSWER_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-expose-headers", b"x-sentry-rate-limits, retry-after, x-sentry-error"),
]
_PREFLIGHT_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"POST, OPTIONS"),
    (b"access-control-allow-headers", _ALLOWED_HEADERS.encode()),
    (b"access-control-max-age", b"3600"),
]


class DsnCors:
    """ASGI middleware adding CORS to the DSN endpoints only."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _DSN_PATH.match(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS":
            start = {"type": "http.response.start", "status": 204, "headers": _PREFLIGHT_HEADERS}
            await send(start)
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_ANSWER_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_cors)
