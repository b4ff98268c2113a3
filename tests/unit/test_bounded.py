"""Every cache keyed by input is bounded (cachetools' LRU and TTL caches): each place that
uses one (the key ring, SNS certificates, GitHub ETags and assignees, commit logins)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from autotriage.actions.github.client import ETAGS_KEPT, GitHubClient
from autotriage.actions.github.issues import ASSIGNABLE_KEPT, IssueOps
from autotriage.analysis.logins import LOGINS_KEPT, LoginResolver
from autotriage.config import Settings
from autotriage.errors import SignatureInvalid
from autotriage.models import utcnow
from autotriage.sources.aws.sns import CertCache, check_sns_url
from autotriage.store import Store
from autotriage.store.ingest_keys import create_key, revoke_key
from autotriage.web.ingest import KeyRing

CERT_HOST = "https://sns.us-east-1.amazonaws.com"


def test_the_key_ring_forgets_an_answer_after_its_ttl(store: Store) -> None:
    now = [100.0]
    ring = KeyRing(store, ttl=60, clock=lambda: now[0])
    with store.transaction() as session:
        key, info = create_key(session, 7, "ttl test", utcnow())
    assert asyncio.run(ring.resolve(key)).id == info.id
    with store.transaction() as session:
        revoke_key(session, info.prefix, utcnow())
    now[0] += 59
    assert asyncio.run(ring.resolve(key)).id == info.id  # still the cached answer
    now[0] += 2
    with pytest.raises(SignatureInvalid, match="revoked"):
        asyncio.run(ring.resolve(key))


def test_the_key_ring_keeps_at_most_its_bound_of_made_up_keys(store: Store) -> None:
    ring = KeyRing(store, ttl=60, max_keys=16)

    async def flood() -> None:
        for n in range(40):
            with pytest.raises(SignatureInvalid):
                await ring.resolve(f"made-up-key-{n:04d}")

    asyncio.run(flood())
    assert len(ring._cache) == 16


def _cert(days_left: float, *, not_before_days: float = -1) -> bytes:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + dt.timedelta(days=not_before_days))
        .not_valid_after(now + dt.timedelta(days=days_left))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM)


def _certs(pem: bytes, clock: Callable[[], float], **options: Any) -> CertCache:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=pem))
    return CertCache(httpx.Client(transport=transport), clock=clock, **options)


def test_sns_certificates_are_refetched_after_the_ttl_and_bounded_in_number() -> None:
    now = [dt.datetime.now(dt.UTC).timestamp()]
    certs = _certs(_cert(30), lambda: now[0], ttl=3600, limit=4)
    url = f"{CERT_HOST}/SimpleNotificationService-abc.pem"
    certs.key(url)
    certs.key(url)
    assert certs.fetches == 1
    now[0] += 3601
    certs.key(url)
    assert certs.fetches == 2  # trusted for an hour, then fetched again
    for n in range(10):
        certs.key(f"{CERT_HOST}/SimpleNotificationService-{n}.pem")
    assert len(certs) == 4


def test_an_expired_or_future_sns_certificate_is_refused_and_never_kept() -> None:
    now = [dt.datetime.now(dt.UTC).timestamp()]
    expired = _certs(_cert(-1, not_before_days=-30), lambda: now[0])
    with pytest.raises(SignatureInvalid, match="expired"):
        expired.key(f"{CERT_HOST}/a.pem")
    assert len(expired) == 0
    future = _certs(_cert(30, not_before_days=2), lambda: now[0])
    with pytest.raises(SignatureInvalid, match="not valid yet"):
        future.key(f"{CERT_HOST}/b.pem")
    # A key is never used past its certificate's expiry, whatever the ttl says.
    soon = _certs(_cert(1 / 24), lambda: now[0], ttl=86_400)
    soon.key(f"{CERT_HOST}/c.pem")
    now[0] += 2 * 3600
    with pytest.raises(SignatureInvalid, match="expired"):
        soon.key(f"{CERT_HOST}/c.pem")
    assert soon.fetches == 2


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        (f"{CERT_HOST}/x.pem", True),
        ("https://sns.cn-north-1.amazonaws.com.cn/x.pem", True),
        ("https://sns.us-east-1.amazonaws.com.evil.example/x.pem", False),
        ("https://evil.example/sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com:8443/x.pem", False),
        ("http://sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sqs.us-east-1.amazonaws.com/x.pem", False),
        ("https://user@sns.us-east-1.amazonaws.com/x.pem", False),
        ("https://sns.us-east-1.amazonaws.com/x.pem?x=1", False),
    ],
)
def test_sns_certificate_hosts_are_pinned(url: str, ok: bool) -> None:
    if ok:
        assert check_sns_url(url, "SigningCertURL", pem=True) == url
    else:
        with pytest.raises(SignatureInvalid):
            check_sns_url(url, "SigningCertURL", pem=True)


def _github(make_settings: Callable[..., Settings], handler: Any) -> GitHubClient:
    settings = make_settings(
        GITHUB_TOKEN="ghs_test", GITHUB_OWNER="o", GITHUB_REPO="r", GITHUB_API_URL="http://gh.test"
    )
    return GitHubClient(settings.github, transport=httpx.MockTransport(handler))


def test_github_etags_and_assignees_are_bounded(make_settings: Callable[..., Settings]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        number = request.url.path.rsplit("/", 1)[-1]
        if "/assignees/" in request.url.path:
            return httpx.Response(404 if number.endswith("7") else 204)
        body = {"number": int(number), "title": "t", "state": "open"}
        return httpx.Response(200, json=body, headers={"etag": f'"{number}"'})

    client = _github(make_settings, handler)
    for number in range(ETAGS_KEPT + 10):
        client.read(client.rest.issues.get, "o", "r", number, cache_key=f"issue:{number}")
    assert len(client._etags) == ETAGS_KEPT
    ops = IssueOps(client)
    logins = [f"user{n}" for n in range(ASSIGNABLE_KEPT + 10)]
    assert len(ops.filter_assignable(logins)) == len([x for x in logins if not x.endswith("7")])
    assert len(ops.assignable) == ASSIGNABLE_KEPT


def test_commit_logins_are_bounded(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(
        GITHUB_TOKEN="ghs_test", GITHUB_OWNER="o", GITHUB_REPO="r", GITHUB_API_URL="http://gh.test"
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"author": {"login": "dev"}}).encode())

    resolver = LoginResolver(
        settings.analysis, httpx.Client(transport=httpx.MockTransport(handler))
    )
    for n in range(LOGINS_KEPT + 20):
        assert resolver.lookup(f"{n:040x}").login == "dev"
    assert len(resolver._cache) == LOGINS_KEPT


def test_long_tokens_and_big_frames_are_not_remembered() -> None:
    from autotriage.sources.sentry import event as sentry_event
    from autotriage.understanding import parameterize

    blobs = [f"{chr(97 + n % 26)}" * (2000 + n) for n in range(50)]
    for blob in blobs:
        parameterize.template(f"failed to parse {blob} here")
    assert not any(blob in parameterize._KEEP for blob in blobs)
    assert not any(blob in parameterize._SEEN for blob in blobs)
    assert "parse" in parameterize._KEEP  # short words still are
    context = ["x" * 50_000]
    frame = {"filename": "app/big.py", "function": "f", "lineno": 1, "pre_context": context}
    sentry_event.event_from_sentry(
        {"exception": {"values": [{"type": "E", "stacktrace": {"frames": [frame]}}]}}
    )
    assert not any(b"x" * 50_000 in key for key in sentry_event._FRAMES)
