"""Amazon SNS HTTPS deliveries: CloudWatch alarm notifications, verified message by message.

Docs: https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html
(the fields signed per message type, SignatureVersion 1 = SHA1withRSA, 2 = SHA256withRSA),
https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html and
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
(the alarm JSON in ``Message``).

Field mapping: ``MessageId`` -> source_event_id; ``Timestamp``/``StateChangeTime`` ->
occurred_at; an exception ``CloudWatchAlarm: <AlarmName>`` (so occurrences group per
alarm) with ``NewStateReason`` as the message; metric, namespace, region, account and
the alarm ARN -> tags and ``contexts.alarm``. Alarms going back to OK are `Ignored`.

The signing certificate is fetched only from ``https://sns.<region>.amazonaws.com/*.pem``
(anything else is refused without a request: no SSRF), through an injected httpx client;
its validity dates are checked, and its key is cached for at most an hour, never past the
certificate's expiry, and for at most 32 URLs.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from cachetools import TTLCache
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from autotriage.errors import Ignored, PayloadInvalid, SignatureInvalid, TopicNotAllowed
from autotriage.models import ErrorEvent, ExceptionInfo
from autotriage.sources.base import PublicKeys, load_json, require_object
from autotriage.understanding.text import parse_text

NAME = "sns"
_HOST = re.compile(r"sns\.[a-z]{2}(?:-[a-z]+)+-\d\.amazonaws\.com(?:\.cn)?")
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
    "UnsubscribeConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
_OPTIONAL = frozenset({"Subject"})
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
MAX_CERT_BYTES = 64 * 1024
CERT_TTL_SECONDS = 3600.0
"""How long a fetched signing certificate is trusted before it is fetched again."""


def check_sns_url(url: str, what: str, *, pem: bool) -> str:
    """`url` if it is an https URL on ``sns.<region>.amazonaws.com``; else SignatureInvalid."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise SignatureInvalid(f"{what} is not a valid URL") from None
    ok = (
        parts.scheme == "https"
        and parts.hostname is not None
        and bool(_HOST.fullmatch(parts.hostname))
        and port is None
        and parts.username is None
        and parts.password is None
        and not parts.fragment
    )
    if ok and pem:
        ok = parts.path.endswith(".pem") and not parts.query and "/.." not in parts.path
    if not ok:
        raise SignatureInvalid(f"{what} is not an SNS URL (https://sns.<region>.amazonaws.com/)")
    return url


def message_type(message: Mapping[str, Any]) -> str:
    """The message's ``Type``, if it is one SNS sends."""
    kind = message.get("Type")
    if not isinstance(kind, str) or kind not in _SIGNED_FIELDS:
        raise PayloadInvalid(f"`Type` {kind!r} is not an SNS message type")
    return str(kind)


def string_to_sign(message: Mapping[str, Any]) -> bytes:
    """The exact bytes SNS signed: ``Key\\nValue\\n`` for each signed field, in order."""
    out = []
    for key in _SIGNED_FIELDS[message_type(message)]:
        value = message.get(key)
        if value is None and key in _OPTIONAL:
            continue
        if not isinstance(value, str):
            raise PayloadInvalid(f"`{key}` must be a string")
        out.append(f"{key}\n{value}\n")
    return "".join(out).encode()


class CertCache:
    """Signing certificates' public keys by URL, fetched through `http` and kept at most
    `ttl` seconds and never past the certificate's own expiry; at most `limit` of them
    (a flood of distinct valid-looking URLs cannot grow memory)."""

    def __init__(
        self,
        http: httpx.Client,
        limit: int = 32,
        ttl: float = CERT_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.http = http
        self.clock = clock
        # url -> (the certificate's notAfter, its key); verifiers run in the thread pool.
        self._keys: MutableMapping[str, tuple[float, rsa.RSAPublicKey]] = TTLCache(
            limit, ttl, clock
        )
        self._lock = threading.Lock()
        self.fetches = 0

    def __len__(self) -> int:
        return len(self._keys)

    def key(self, url: str) -> rsa.RSAPublicKey:
        """The RSA public key of the certificate at `url` (validated before any request)."""
        check_sns_url(url, "SigningCertURL", pem=True)
        with self._lock:
            cached = self._keys.get(url)
        if cached is not None and self.clock() < cached[0]:
            return cached[1]
        try:
            response = self.http.get(url, timeout=10.0)
        except httpx.HTTPError as exc:
            raise SignatureInvalid(f"could not fetch the signing certificate: {exc}") from None
        self.fetches += 1
        if response.status_code != 200 or len(response.content) > MAX_CERT_BYTES:
            raise SignatureInvalid(f"signing certificate fetch answered {response.status_code}")
        try:
            cert = x509.load_pem_x509_certificate(response.content)
        except ValueError:
            raise SignatureInvalid("the signing certificate is not a PEM certificate") from None
        now = datetime.fromtimestamp(self.clock(), UTC)
        if now >= cert.not_valid_after_utc:
            raise SignatureInvalid(
                f"the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}"
            )
        if now < cert.not_valid_before_utc:
            raise SignatureInvalid("the signing certificate is not valid yet")
        key = cert.public_key()
        if not isinstance(key, rsa.RSAPublicKey):
            raise SignatureInvalid("the signing certificate's key is not RSA")
        with self._lock:
            self._keys[url] = (cert.not_valid_after_utc.timestamp(), key)
        return key


def check_topic(message: Mapping[str, Any], allowed: list[str], header_topic: str | None) -> str:
    """The message's topic, if allowed (checked before any certificate is fetched)."""
    topic = message.get("TopicArn")
    if not isinstance(topic, str) or not topic:
        raise PayloadInvalid("`TopicArn` must be a non-empty string")
    if header_topic and header_topic != topic:
        raise PayloadInvalid("x-amz-sns-topic-arn does not match `TopicArn`")
    if topic not in allowed:
        raise TopicNotAllowed(topic)
    return topic


def verify(message: Mapping[str, Any], certs: PublicKeys) -> None:
    """Verify the message's signature with its (SNS-hosted) signing certificate."""
    version = message.get("SignatureVersion")
    algorithm = _HASHES.get(str(version))
    if algorithm is None:
        raise SignatureInvalid(f"SignatureVersion {version!r} is not 1 or 2")
    signed = string_to_sign(message)
    try:
        signature = base64.b64decode(str(message.get("Signature") or ""), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureInvalid("`Signature` is not base64") from None
    url = message.get("SigningCertURL") or message.get("SigningCertUrl")
    if not isinstance(url, str):
        raise SignatureInvalid("`SigningCertURL` is missing")
    key = certs.key(url)
    try:
        key.verify(signature, signed, padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SignatureInvalid("the SNS signature does not match the message") from None


def subscribe_url(message: Mapping[str, Any]) -> str:
    """The confirmation URL of a SubscriptionConfirmation, checked to be SNS's own."""
    url = message.get("SubscribeURL")
    if not isinstance(url, str):
        raise PayloadInvalid("`SubscribeURL` must be a string")
    check_sns_url(url, "SubscribeURL", pem=False)
    query = parse_qs(urlsplit(url).query)
    if query.get("Action") != ["ConfirmSubscription"]:
        raise SignatureInvalid("SubscribeURL is not a ConfirmSubscription URL")
    return url


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)  # +0000 -> +00:00
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def alarm_event(message: Mapping[str, Any], alarm: Mapping[str, Any]) -> ErrorEvent:
    """A CloudWatch alarm notification as an event that groups per alarm."""
    name = str(alarm.get("AlarmName") or "unnamed alarm")
    state = str(alarm.get("NewStateValue") or "")
    if state and state != "ALARM":
        raise Ignored(f"alarm {name} is now {state}")
    trigger = alarm.get("Trigger")
    trigger = trigger if isinstance(trigger, dict) else {}
    arn = str(alarm.get("AlarmArn") or "")
    region = arn.split(":")[3] if arn.count(":") >= 5 else str(alarm.get("Region") or "")
    tags = {
        "alarm": name,
        "metric": str(trigger.get("MetricName") or ""),
        "namespace": str(trigger.get("Namespace") or ""),
        "region": region,
        "account": str(alarm.get("AWSAccountId") or ""),
    }
    reason = str(alarm.get("NewStateReason") or message.get("Subject") or "")
    return ErrorEvent(
        source=NAME,
        source_event_id=str(message.get("MessageId")),
        occurred_at=_time(alarm.get("StateChangeTime")) or _time(message.get("Timestamp")),
        level="error",
        platform="aws",
        service=tags["namespace"] or None,
        message=f"CloudWatch alarm {name}: {reason}"[:8192],
        tags={k: v[:200] for k, v in tags.items() if v},
        exceptions=[ExceptionInfo(type="CloudWatchAlarm", value=name)],
        fingerprint_hint=["cloudwatch-alarm", arn or name],
        contexts={
            "alarm": {
                "arn": arn,
                "description": alarm.get("AlarmDescription"),
                "trigger": trigger,
                "old_state": alarm.get("OldStateValue"),
            }
        },
        raw=dict(message),
    )


def parse_notification(message: Mapping[str, Any]) -> list[ErrorEvent]:
    """A verified Notification's events: a CloudWatch alarm, or error text."""
    body = message.get("Message")
    if not isinstance(body, str):
        raise PayloadInvalid("`Message` must be a string")
    alarm = None
    if body.lstrip().startswith("{"):
        try:
            alarm = require_object(load_json(body.encode(), what="Message"), "Message")
        except PayloadInvalid:
            alarm = None
    if alarm is not None and "AlarmName" in alarm:
        return [alarm_event(message, alarm)]
    if not body.strip():
        raise Ignored("empty notification")
    event = parse_text(body, source=NAME)[0]
    return [event.model_copy(update={"source_event_id": str(message.get("MessageId"))})]


def load_message(body: bytes) -> dict[str, Any]:
    """The SNS message a delivery's body holds (sent as text/plain JSON)."""
    message = require_object(load_json(body))
    message_type(message)
    return message


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """A Notification's events, unverified (replay); the web route verifies first."""
    del headers
    message = load_message(body)
    if message["Type"] != "Notification":
        raise Ignored(f"an SNS {message['Type']} carries no error")
    return parse_notification(message)


def sniff(body: bytes) -> bool:
    """True for JSON that looks like an SNS HTTPS delivery."""
    head = body[:4096]
    return (
        head.lstrip().startswith(b"{")
        and b'"TopicArn"' in head
        and (b'"SigningCertURL"' in body or b'"SigningCertUrl"' in body)
    )
