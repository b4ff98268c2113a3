"""The `Source` protocol every registered source offers, and helpers sources share.

A source is its pure `parse`, the `sniff` that ``replay --source auto`` asks, the
`verify` its web endpoints run on the raw body, the `routes` it serves and, for sources
autotriage fetches from, `poll`: one page per call, returning the next cursor (the scan
runner owns loops, schedules and backoff). `autotriage.sources.registry` lists them all.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent

if TYPE_CHECKING:
    from starlette.routing import BaseRoute

    from autotriage.config_sections import (
        AwsSettings,
        IngestSettings,
        SentrySettings,
        SlackSettings,
    )

Parser = Callable[[bytes, Mapping[str, str]], list[ErrorEvent]]
Sniffer = Callable[[bytes], bool]


class PublicKeys(Protocol):
    """Where a verifier gets a signing certificate's key (SNS); cached by the caller."""

    def key(self, url: str) -> Any:
        """The public key of the certificate at `url`."""


@dataclass(frozen=True, slots=True)
class Verifying:
    """What a verifier may use besides the request: the sections holding the secrets
    (the shared webhook secret and skew in ``ingest``; Sentry's, Slack's and AWS's own),
    the injected clock (epoch seconds) and, for SNS, the signing-certificate cache."""

    ingest: IngestSettings
    sentry: SentrySettings
    slack: SlackSettings
    aws: AwsSettings
    now: float
    certificates: PublicKeys | None = None


Verifier = Callable[[bytes, Mapping[str, str], Verifying], None]
"""``verify(raw_body, lower_cased_headers, verifying)``; raises `SignatureInvalid`."""

Routes = Callable[[], "Sequence[BaseRoute]"]
"""The web routes a source serves, imported only when an app is built (so parsing and
replay never load the web stack)."""


class Source(Protocol):
    """What the registry knows of each source."""

    @property
    def name(self) -> str:
        """The source name its events are stored under."""

    @property
    def parse(self) -> Parser:
        """``parse(body, headers)``: pure, no database, network, settings or wall clock."""

    @property
    def sniff(self) -> Sniffer | None:
        """Whether a file looks like this source's payload (``--source auto``)."""

    @property
    def verify(self) -> Verifier | None:
        """The signature check the source's endpoints run (None: keyed by ingest key)."""

    @property
    def routes(self) -> Routes | None:
        """The web routes the source serves (None: replay only)."""

    @property
    def poll(self) -> Callable[..., Any] | None:
        """Fetch one page and return it with the next cursor (None: push only)."""


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """A registered source (see `Source`)."""

    name: str
    parse: Parser
    sniff: Sniffer | None = None
    verify: Verifier | None = None
    routes: Routes | None = None
    poll: Callable[..., Any] | None = None


MAX_JSON_DEPTH = 64


_KEEP_MARKS = bytes(c for c in range(256) if c not in b'[]{}"')
_ESCAPED = b"\\/bfnrtu"
"""A backslash and every byte a JSON escape's backslash can precede (``\\uXXXX`` too)."""
_KEEP_ESCAPES = bytes(c for c in range(256) if c not in b'[]{}"' + _ESCAPED)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}
_PEELED = 4096
"""Bracket marks up to this length are peeled (`_nests_deeper`), longer ones counted."""


def _nests_deeper(body: bytes, limit: int) -> bool:
    """Whether a valid JSON document nests deeper than `limit`, read off its brackets
    outside strings.

    Only the marks (brackets and quotes) are kept, and with them, where the document has
    escapes, every byte an escape's backslash can precede: each escape then stays a pair
    (a backslash stands only in escapes, and what it precedes is kept), so an escaped
    backslash, then an escaped quote (the only escapes that change where strings end) go
    by two `bytes.replace` calls on that much shorter text, linear however many there are
    (a regex pass costs a match per escape: 200 ms for 1 MB of ANSI colour codes), and
    the other escapes with the letters. What is left of each string is then a pair of
    quotes around any brackets it held, and adjacent quotes can go in pairs without
    changing which brackets sit between an opening and a closing one. A short run of
    marks is peeled: each round takes every empty ``[]`` and then every empty ``{}``, one
    or two levels, so a document gone within ``limit // 2`` rounds is no deeper than
    `limit`. Otherwise the levels are counted from the start. All of it runs in C,
    several times faster than walking the decoded document.
    """
    if b"\\" in body:
        kept = body.translate(None, _KEEP_ESCAPES).replace(b"\\\\", b"").replace(b'\\"', b"")
        marks = kept.translate(None, _ESCAPED)
    else:
        marks = body.translate(None, _KEEP_MARKS)
    if marks.count(b"[") + marks.count(b"{") <= limit:
        return False  # fewer opening brackets than the limit, in strings or not
    marks = marks.replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[::2])
    if len(marks) <= _PEELED:
        peeled = marks
        for _ in range(limit // 2):
            if not peeled:
                return False
            peeled = peeled.replace(b"[]", b"").replace(b"{}", b"")
    return max(accumulate(map(_STEP.__getitem__, marks)), default=0) > limit


def load_json(body: bytes | str, *, what: str = "body") -> Any:
    """Decode a JSON body, or raise `PayloadInvalid` with the reason (never a traceback)."""
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        # orjson refuses what the standard library takes (NaN, UTF-16, huge integers):
        # parse those with the standard library, which also words the error.
        value = _load_json_slowly(body, what)
    if _nests_deeper(body, MAX_JSON_DEPTH):
        raise PayloadInvalid(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    return value


def _load_json_slowly(body: bytes, what: str) -> Any:
    """The standard library's decoder, with its errors worded as `PayloadInvalid`, and
    what it takes that no store can hold made storable (`_storable`)."""
    try:
        return _storable(json.loads(body))
    except RecursionError:
        raise PayloadInvalid(f"{what} is nested too deeply") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadInvalid(f"{what} is not valid JSON: {exc}") from None


_INT64 = 2**63
_SURROGATES = re.compile("[\ud800-\udfff]")


def _storable(value: Any) -> Any:
    """`value` with lone UTF-16 surrogates (and CESU-8, which decodes to them) as U+FFFD,
    integers past 64 bits as their digits, and NaN/Infinity as their names: what SDKs
    send (a JS string cut mid-pair, a Python float('nan')), kept readable, stored as valid
    JSON. Only documents orjson refused come here, so the fast path pays nothing."""
    kind = type(value)
    if kind is str:
        return _SURROGATES.sub("\ufffd", value)
    if kind is int:
        return value if -_INT64 <= value < _INT64 else str(value)
    if kind is float:
        return value if math.isfinite(value) else str(value)
    if kind is list:
        return [_storable(item) for item in value]
    if kind is dict:
        return {_storable(key): _storable(item) for key, item in value.items()}
    return value


def require_object(value: Any, what: str = "body") -> dict[str, Any]:
    """`value` if it is a JSON object, else `PayloadInvalid`."""
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{what} must be a JSON object")
    return value


def signed_delivery_id(body: bytes, signature: str) -> str:
    """What names a verified delivery for dedupe: a hash of its body and signature.

    Unsigned headers (a request id, a timestamp a body-only signature does not cover) are
    left out on purpose: a replay that changes them is still the same delivery.
    """
    return hashlib.sha256(body + b"\n" + signature.strip().lower().encode()).hexdigest()
