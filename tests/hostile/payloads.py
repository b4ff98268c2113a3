"""Valid requests for every ingest route, each carrying planted secrets, and their signers.

A hostile case starts from one of these and breaks one thing; the signer signs the broken
body so the break reaches the parser instead of stopping at the signature check.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WEBHOOK_SECRET = "hostile-webhook-secret-0001"
SENTRY_CLIENT_SECRET = "hostile-sentry-client-secret"
SLACK_SIGNING_SECRET = "hostile-slack-signing-secret"
GITHUB_WEBHOOK_SECRET = "hostile-github-hook-secret"
FIREHOSE_KEY = "hostile-firehose-access-key"
API_TOKEN = "hostile-api-token-0001"
SENTRY_AUTH_TOKEN = "hostile-sentry-auth-token"

# Planted secrets (real formats the scrubber must catch); none may be found anywhere after.
PLANTED = {
    "aws_key": "AKIAHOSTILE0PLANTED1",
    "github_token": "ghp_H0st1lePlantedT0kenValue0000000001",
    "password": "Hostile-Pw-Planted-77",
}
SERVER_SECRETS = (
    WEBHOOK_SECRET,
    SENTRY_CLIENT_SECRET,
    SLACK_SIGNING_SECRET,
    GITHUB_WEBHOOK_SECRET,
    FIREHOSE_KEY,
    API_TOKEN,
    SENTRY_AUTH_TOKEN,
)
DIRTY = (
    f"boom key={PLANTED['aws_key']} auth {PLANTED['github_token']} password={PLANTED['password']}"
)

Headers = dict[str, str]


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign_generic(body: bytes, now: float | None = None) -> Headers:
    """``X-Autotriage-Timestamp`` and ``X-Autotriage-Signature`` over ``ts.body``."""
    stamp = str(int(now if now is not None else time.time()))
    digest = _hex(WEBHOOK_SECRET, stamp.encode() + b"." + body)
    return {"x-autotriage-timestamp": stamp, "x-autotriage-signature": f"sha256={digest}"}


def sign_generic_body_only(body: bytes, now: float | None = None) -> Headers:
    """The weaker form the generic webhook also takes: an HMAC of the body alone, so the
    timestamp beside it is not covered (a replay can put a fresh one)."""
    stamp = str(int(now if now is not None else time.time()))
    digest = _hex(WEBHOOK_SECRET, body)
    return {"x-autotriage-timestamp": stamp, "x-autotriage-signature": f"sha256={digest}"}


def sign_slack(body: bytes, now: float | None = None) -> Headers:
    """Slack's v0 signature over ``v0:ts:body``."""
    stamp = str(int(now if now is not None else time.time()))
    digest = _hex(SLACK_SIGNING_SECRET, b"v0:" + stamp.encode() + b":" + body)
    return {"x-slack-request-timestamp": stamp, "x-slack-signature": f"v0={digest}"}


def sign_sentry_hook(body: bytes, now: float | None = None) -> Headers:
    """An Integration Platform delivery of an ``event_alert``."""
    stamp = str(int(now if now is not None else time.time()))
    return {
        "sentry-hook-resource": "event_alert",
        "sentry-hook-timestamp": stamp,
        "sentry-hook-signature": _hex(SENTRY_CLIENT_SECRET, body),
        "request-id": uuid.uuid4().hex,
    }


def sign_github(body: bytes, now: float | None = None) -> Headers:
    """``X-Hub-Signature-256`` of an ``issues`` delivery."""
    del now
    return {
        "x-github-event": "issues",
        "x-github-delivery": str(uuid.uuid4()),
        "x-hub-signature-256": "sha256=" + _hex(GITHUB_WEBHOOK_SECRET, body),
    }


def sign_firehose(body: bytes, now: float | None = None) -> Headers:
    """The access key Firehose sends as ``X-Amz-Firehose-Access-Key``, and the request id
    the body names (when it names one)."""
    del now
    try:
        rid = json.loads(body).get("requestId")
    except (ValueError, AttributeError, RecursionError):
        rid = None
    return {
        "x-amz-firehose-access-key": FIREHOSE_KEY,
        "x-amz-firehose-request-id": rid if isinstance(rid, str) else str(uuid.uuid4()),
    }


def sign_token(body: bytes, now: float | None = None) -> Headers:
    """The legacy shared secret in ``X-Autotriage-Token``."""
    del now, body
    return {"x-autotriage-token": WEBHOOK_SECRET}


def sign_none(body: bytes, now: float | None = None) -> Headers:
    """No credentials (SNS verifies its own signed messages)."""
    del now, body
    return {}


@dataclass
class Target:
    """One ingest route: how to build a valid body and sign any body for it."""

    name: str
    path: str
    valid: Callable[[str], Any]
    """A JSON-able document (or bytes) carrying `text` in its main text field."""
    sign: Callable[..., Headers]
    content_type: str = "application/json"
    encode: Callable[[Any], bytes] = field(default=lambda doc: json.dumps(doc).encode())
    needs_key: bool = False
    fields: tuple[str, ...] = ()
    """Documented top-level fields whose type a case will break."""
    stores: bool = True
    """Whether a valid body stores an event (SNS without a real signature never does)."""

    def body(self, text: str = DIRTY) -> bytes:
        """The valid body carrying `text`, encoded."""
        doc = self.valid(text)
        return doc if isinstance(doc, bytes) else self.encode(doc)


def sentry_event(text: str) -> dict[str, Any]:
    """A Sentry event as an SDK sends it, with `text` in the exception value and a tag."""
    return {
        "event_id": uuid.uuid4().hex,
        "platform": "python",
        "level": "error",
        "release": "hostile@1.0.0",
        "tags": {"where": text},
        "exception": {
            "values": [
                {
                    "type": "HostileError",
                    "value": text,
                    "stacktrace": {
                        "frames": [
                            {
                                "filename": "app/hostile.py",
                                "function": "handle",
                                "lineno": 7,
                                "in_app": True,
                                "context_line": "raise HostileError(text)",
                            }
                        ]
                    },
                }
            ]
        },
    }


def envelope(event: dict[str, Any]) -> bytes:
    """One event in one envelope."""
    item = json.dumps(event).encode()
    header = json.dumps({"event_id": event.get("event_id")}).encode()
    item_header = json.dumps({"type": "event", "length": len(item)}).encode()
    return header + b"\n" + item_header + b"\n" + item + b"\n"


def otlp_logs(text: str) -> dict[str, Any]:
    """An OTLP/JSON logs export with one ERROR record and exception attributes."""
    attributes = [
        {"key": "exception.type", "value": {"stringValue": "HostileError"}},
        {"key": "exception.message", "value": {"stringValue": text}},
    ]
    record = {
        "timeUnixNano": str(int(time.time() * 1e9)),
        "severityNumber": 17,
        "severityText": "ERROR",
        "body": {"stringValue": text},
        "attributes": attributes,
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "hostile"}}]}
    return {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": [record]}]}]}


def otlp_traces(text: str) -> dict[str, Any]:
    """An OTLP/JSON traces export with one errored span carrying an exception event."""
    now = int(time.time() * 1e9)
    event = {
        "name": "exception",
        "timeUnixNano": str(now),
        "attributes": [
            {"key": "exception.type", "value": {"stringValue": "HostileError"}},
            {"key": "exception.message", "value": {"stringValue": text}},
        ],
    }
    span = {
        "traceId": uuid.uuid4().hex,
        "spanId": uuid.uuid4().hex[:16],
        "name": "GET /hostile",
        "kind": 2,
        "startTimeUnixNano": str(now),
        "endTimeUnixNano": str(now + 1000),
        "status": {"code": 2, "message": text},
        "events": [event],
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "hostile"}}]}
    return {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}


def generic(text: str) -> dict[str, Any]:
    """A generic webhook document."""
    return {
        "message": text,
        "level": "error",
        "service": "hostile",
        "event_id": uuid.uuid4().hex,
        "tags": {"where": "hostile"},
        "exception": {
            "type": "HostileError",
            "value": text,
            "frames": [{"filename": "app/hostile.py", "function": "handle", "lineno": 7}],
        },
    }


def sentry_hook(text: str) -> dict[str, Any]:
    """An ``event_alert.triggered`` delivery."""
    return {
        "action": "triggered",
        "data": {"event": sentry_event(text), "triggered_rule": "hostile"},
        "installation": {"uuid": "hostile"},
    }


def sentry_plugin(text: str) -> dict[str, Any]:
    """The legacy WebHooks plugin's post."""
    return {
        "id": uuid.uuid4().hex[:8],
        "project": "hostile",
        "url": "https://sentry.example/1",
        "event": sentry_event(text),
    }


def slack_event(text: str) -> dict[str, Any]:
    """An Events API ``message`` callback."""
    return {
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:10].upper(),
        "team_id": "T0HOSTILE",
        "event": {
            "type": "message",
            "channel": "C0HOSTILE",
            "user": "U0HOSTILE",
            "ts": f"{time.time():.6f}",
            "text": f'Traceback (most recent call last):\n  File "app.py", line 3\nValueError: {text}',
        },
    }


def slack_command(text: str) -> bytes:
    """The ``/autotriage`` slash command as Slack posts it (form-encoded)."""
    from urllib.parse import urlencode

    return urlencode(
        {"command": "/autotriage", "text": text, "user_id": "U0HOSTILE", "team_id": "T0HOSTILE"},
        errors="surrogatepass",
    ).encode()


def github_issue(text: str) -> dict[str, Any]:
    """An ``issues.closed`` delivery naming an unknown repository."""
    return {
        "action": "closed",
        "issue": {"number": 1, "title": text, "state": "closed", "body": text},
        "repository": {"full_name": "None/None", "name": "None", "owner": {"login": "None"}},
        "sender": {"login": "hostile"},
    }


def firehose(text: str) -> dict[str, Any]:
    """A Firehose HTTP delivery of one CloudWatch Logs subscription record."""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": "123456789012",
        "logGroup": "/aws/lambda/hostile",
        "logStream": "2024/01/01/[$LATEST]abc",
        "subscriptionFilters": ["hostile"],
        "logEvents": [
            {
                "id": uuid.uuid4().hex,
                "timestamp": int(time.time() * 1000),
                "message": f"[ERROR] HostileError: {text}",
            }
        ],
    }
    record = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    return {
        "requestId": str(uuid.uuid4()),
        "timestamp": int(time.time() * 1000),
        "records": [{"data": record}],
    }


def sns(text: str) -> dict[str, Any]:
    """An SNS notification that is not really signed by AWS (always refused)."""
    return {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:hostile",
        "Message": text,
        "Timestamp": "2024-01-01T00:00:00.000Z",
        "SignatureVersion": "1",
        "Signature": base64.b64encode(b"forged").decode(),
        "SigningCertURL": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem",
    }


TARGETS = [
    Target(
        "sentry_envelope",
        "/api/1/envelope/",
        lambda text: envelope(sentry_event(text)),
        sign_none,
        content_type="application/x-sentry-envelope",
        needs_key=True,
    ),
    Target(
        "sentry_store",
        "/api/1/store/",
        sentry_event,
        sign_none,
        needs_key=True,
        fields=("event_id", "exception", "tags", "release", "level", "platform"),
    ),
    Target(
        "otlp_logs",
        "/v1/logs",
        otlp_logs,
        sign_none,
        needs_key=True,
        fields=("resourceLogs",),
    ),
    Target(
        "otlp_traces",
        "/v1/traces",
        otlp_traces,
        sign_none,
        needs_key=True,
        fields=("resourceSpans",),
    ),
    Target(
        "generic",
        "/webhook/generic",
        generic,
        sign_generic,
        fields=(
            "message",
            "level",
            "service",
            "event_id",
            "tags",
            "exception",
            "timestamp",
            "fingerprint",
            "link",
        ),
    ),
    Target(
        "sentry_hook",
        "/webhook/sentry",
        sentry_hook,
        sign_sentry_hook,
        fields=("action", "data"),
    ),
    Target(
        "sentry_plugin",
        "/webhook/sentry",
        sentry_plugin,
        sign_token,
        fields=("id", "project", "url", "event"),
    ),
    Target(
        "slack_event",
        "/webhook/slack",
        slack_event,
        sign_slack,
        fields=("type", "event_id", "event"),
    ),
    Target(
        "slack_command",
        "/webhook/slack/commands",
        slack_command,
        sign_slack,
        content_type="application/x-www-form-urlencoded",
        stores=False,
    ),
    Target(
        "github",
        "/webhook/github",
        github_issue,
        sign_github,
        fields=("action", "issue", "repository"),
        stores=False,
    ),
    Target(
        "firehose",
        "/webhook/firehose",
        firehose,
        sign_firehose,
        fields=("requestId", "timestamp", "records"),
    ),
    Target(
        "sns",
        "/webhook/sns",
        sns,
        sign_none,
        content_type="text/plain; charset=UTF-8",
        fields=("Type", "Message", "SigningCertURL"),
        stores=False,
    ),
]
