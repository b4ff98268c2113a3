"""Redact secrets from events before they are stored, and from text before it leaves.

Redaction keeps the shape (``[REDACTED:aws_key]``) so a reader still understands the error,
and runs at intake, before fingerprinting, so a secret never splits a group.

Kinds: PEM private keys, credentials in URLs (``user:pass@``), ``Authorization`` header
values and ``Bearer`` tokens, JWTs, GitHub tokens (``ghp_``, ``gho_``, ``ghu_``, ``ghs_``,
``ghr_``, ``github_pat_``), Slack tokens (``xox?-``, ``xapp-``) and webhook URLs, AWS
access key ids and secret keys, values of secret-named keys (password, passwd, secret,
api_key, apikey, auth, credentials, token, private_key, session, cookie...) in
``key=value``, ``key: value``, JSON and dict-repr forms, payment card numbers (Luhn-checked),
IBANs (mod-97-checked), US social security numbers; and optionally email addresses and IP
addresses. `scrub_text` redacts emails by default (text that leaves goes to people);
`scrub_event` keeps them by default (the stored event is ours), unless told otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from autotriage.config_sections import ScrubSettings
from autotriage.models import ErrorEvent

_KEY_WORDS = (
    r"password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|auth|authorization"
    r"|credentials?|token|private[_-]?key|session(?:[_-]?id)?|sessid|cookie|signature|dsn"
)
# A key is secret when one of the words ends it (optionally with an _id/_key suffix), so
# "db_password", "X-Auth-Token" and "sessionid" match while "author" and "tokenizer" don't.
_SECRET_KEY = re.compile(rf"(?i)^[\w.-]*?(?:{_KEY_WORDS})(?:[_-]?(?:id|key|value|hash))?$")
_QUOTE = r"[\"']"
# A key candidate is any token before "=", ":" or "=>"; whether it names a secret is decided
# by `_SECRET_KEY` afterwards. (One expression doing both is quadratic on "a.a.a..." text.)
_KEY = re.compile(r"(?<![\w.-])(?P<key>[\w.-]{1,60})(?=[\"']?\s*(?:=>|[=:]))")
_SEP_VALUE = re.compile(
    rf"(?P<sep>{_QUOTE}?\s*(?:=>|[=:])\s*)"
    r"(?P<value>\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s,;&)}\]\"']+)"
)
_COOKIE_HEADER = re.compile(r"(?im)(?P<key>\b(?:set-)?cookie\b[\"']?\s*[:=]\s*)(?P<value>[^\n\"]+)")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    number = "".join(str(int(c, 36)) for c in moved)
    return int(number) % 97 == 1


def _checked(kind: str, check: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        return f"[REDACTED:{kind}]" if check(match.group(0)) else match.group(0)

    return replace


def _card(text: str) -> bool:
    digits = re.sub(r"\D", "", text)
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _aws_secret(text: str) -> bool:
    # 40 characters of base64 with both cases and a digit; git SHAs (lower hex) never pass.
    return (
        sum(c.isupper() for c in text) >= 2
        and sum(c.islower() for c in text) >= 2
        and any(c.isdigit() for c in text)
        and text.count("/") <= 2
    )


_Rule = tuple[str, re.Pattern[str], "Callable[[re.Match[str]], str] | None"]

_RULES: list[_Rule] = [
    (
        "private_key",
        re.compile(
            r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----"
            r"|(?:[A-Za-z0-9+/=\s]|\\[nr])*)",
            re.S,
        ),
        None,
    ),
    ("slack_webhook", re.compile(r"https://hooks\.slack\.com/(?:services|workflows)/[\w/]+"), None),
    ("url_credentials", re.compile(r"(?<=://)[^/\s:@\"'<>]*:[^/\s@\"'<>]+(?=@)"), None),
    (
        "authorization",
        re.compile(
            r"(?i)(?<=authorization)(?P<sep>[\"']?\s*[:=]\s*[\"']?)(?P<scheme>(?:Bearer|Basic|Token|"
            r"Digest|Negotiate|AWS4-HMAC-SHA256|Bot)\s+)?[^\s\"',;]+"
        ),
        lambda m: f"{m['sep']}{m['scheme'] or ''}[REDACTED:authorization]",
    ),
    ("bearer", re.compile(r"(?i)(?<=bearer )(?!\[REDACTED)[A-Za-z0-9._~+/=-]{8,}"), None),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), None),
    (
        "github_token",
        re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b"),
        None,
    ),
    ("slack_token", re.compile(r"\b(?:xox[abposr]|xapp)-[A-Za-z0-9-]{10,}\b"), None),
    (
        "aws_key",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b"),
        None,
    ),
    (
        "aws_secret",
        re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"),
        _checked("aws_secret", _aws_secret),
    ),
    (
        "card",
        re.compile(r"(?<![\w-])[2-6]\d{3}(?:[ -]?\d){9,15}(?![\w-])"),
        _checked("card", _card),
    ),
    (
        "iban",
        re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
        _checked("iban", _iban_ok),
    ),
    (
        "ssn",
        re.compile(r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),
        None,
    ),
]
# A condition each rule's pattern needs before it can match, checked with substring scans
# (most strings in an event are names and paths): skipping a rule whose condition fails
# changes nothing, and saves most of the regex work. Keep in step with _RULES.
_Gate = Callable[[str, str, int], bool]
_GATES: dict[str, _Gate] = {
    "private_key": lambda text, lower, digits: "-----BEGIN" in text,
    "slack_webhook": lambda text, lower, digits: "hooks.slack.com" in text,
    "url_credentials": lambda text, lower, digits: "://" in text,
    "authorization": lambda text, lower, digits: "authorization" in lower,
    "bearer": lambda text, lower, digits: "bearer " in lower,
    "jwt": lambda text, lower, digits: "eyJ" in text,
    "github_token": lambda text, lower, digits: "gh" in text or "github_pat_" in text,
    "slack_token": lambda text, lower, digits: "xox" in text or "xapp-" in text,
    "aws_key": lambda text, lower, digits: len(text) >= 20 and "A" in text,
    "aws_secret": lambda text, lower, digits: len(text) >= 40 and digits > 0,
    "card": lambda text, lower, digits: digits >= 13,
    "iban": lambda text, lower, digits: digits >= 2 and len(text) >= 12,
    "ssn": lambda text, lower, digits: digits >= 9 and "-" in text,
}


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_IP = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
    r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
    r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){0,6}(?![\w:])"
)


@dataclass(frozen=True, slots=True)
class ScrubPolicy:
    """Which optional kinds to redact on top of the secrets that are always redacted."""

    emails: bool = True
    ips: bool = False

    @classmethod
    def from_settings(cls, scrub: ScrubSettings) -> ScrubPolicy:
        """The policy ``SCRUB_EMAILS`` / ``SCRUB_IPS`` (the scrub section) ask for."""
        return cls(emails=scrub.scrub_emails, ips=scrub.scrub_ips)


DEFAULT_POLICY = ScrubPolicy()


_SCHEMES = frozenset({"bearer", "basic", "token", "digest", "negotiate", "bot", "aws4-hmac-sha256"})


def _redact_key_values(text: str) -> str:
    out: list[str] = []
    done = 0
    for match in _KEY.finditer(text):
        if match.start() < done or not _SECRET_KEY.match(match["key"]):
            continue
        found = _SEP_VALUE.match(text, match.end())
        if found is None:
            continue
        value = found["value"]
        following = text[found.end() : found.end() + 11]
        scheme = value.lower() in _SCHEMES and following.startswith(" [REDACTED")
        if "[REDACTED" in value or scheme:
            continue  # already redacted, or an auth scheme before its redacted value
        kind = re.sub(r"[^a-z0-9_]", "_", match["key"].lower()).strip("_")[:40] or "secret"
        quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
        out += [text[done : found.start("value")], f"{quote}[REDACTED:{kind}]{quote}"]
        done = found.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _cookie(match: re.Match[str]) -> str:
    return f"{match['key']}[REDACTED:cookie]"


def scrub_text(
    text: str,
    policy: ScrubPolicy = DEFAULT_POLICY,
    *,
    emails: bool | None = None,
    ips: bool | None = None,
) -> str:
    """`text` with every secret it recognises replaced by a ``[REDACTED:kind]`` token.

    Emails and IP addresses follow `policy` (the caller's ``SCRUB_EMAILS`` /
    ``SCRUB_IPS``; by default emails redacted, IPs kept) unless ``emails``/``ips`` say
    otherwise. Nothing here is configured globally: whoever sends text out passes the
    policy it was built with.
    """
    emails = policy.emails if emails is None else emails
    ips = policy.ips if ips is None else ips
    return _walker(emails, ips).text(text)


def _scrub(text: str, emails: bool, ips: bool) -> str:
    lower = text.lower()
    digits = sum(map(str.isdigit, text))
    for kind, pattern, replace in _RULES:
        if _GATES[kind](text, lower, digits):
            text = pattern.sub(replace or f"[REDACTED:{kind}]", text)
    if "cookie" in lower:
        text = _COOKIE_HEADER.sub(_cookie, text)
    if "=" in text or ":" in text:
        text = _redact_key_values(text)
    if emails and "@" in text:
        text = _EMAIL.sub("[REDACTED:email]", text)
    if ips and (digits or ":" in text):
        text = _IP.sub("[REDACTED:ip]", text)
    return text


@lru_cache(maxsize=16_384)
def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (``password``, ``X-Api-Key``, ``sessionid``...)."""
    return bool(_SECRET_KEY.match(key.strip()))


def _redacted_key(key: str) -> str:
    return f"[REDACTED:{re.sub(r'[^a-z0-9_]', '_', key.lower())[:40]}]"


_CACHED_LENGTH = 256
_CACHE_SIZE = 65_536


_REMEMBERED = 2_048
_MEMO_ITEMS = 16


class _Walker:
    """Scrubs text and JSON-like values under one policy.

    Events repeat the same short strings (names, paths, code lines), lists of frames and
    big objects (an SDK's module list) over and over, so the walker remembers what it
    made of each: strings by value, lists of objects and objects of 16 keys or more by
    their JSON. A remembered result is handed out again, not copied, so results are
    read-only. The walk is the hot loop of intake, hence the exact type checks
    and the inlined cache lookups.
    """

    __slots__ = ("emails", "ips", "remembered", "secret_keys", "seen")

    def __init__(self, emails: bool, ips: bool) -> None:
        self.emails = emails
        self.ips = ips
        self.seen: dict[str, str] = {}
        self.remembered: dict[bytes, Any] = {}
        self.secret_keys: dict[Any, bool] = {}

    def text(self, text: str) -> str:
        hit = self.seen.get(text)
        if hit is not None:
            return hit
        clean = _scrub(text, self.emails, self.ips) if text else text
        if len(text) <= _CACHED_LENGTH:
            if len(self.seen) >= _CACHE_SIZE:
                self.seen.clear()
            self.seen[text] = clean
        return clean

    def value(self, value: Any) -> Any:
        kind = type(value)
        if kind is str:
            return self.text(value)
        if kind is dict:
            return self.mapping(value)
        if kind is list or kind is tuple:
            return self.sequence(value)
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return self.mapping(value)
        if isinstance(value, list | tuple):
            return self.sequence(value)
        return value

    def mapping(self, value: dict[Any, Any]) -> dict[Any, Any]:
        if len(value) >= _MEMO_ITEMS:
            return self._remembered(value, self.entries)  # type: ignore[no-any-return]
        return self.entries(value)

    def entries(self, value: dict[Any, Any]) -> dict[Any, Any]:
        seen = self.seen
        secret = self.secret_keys
        out: dict[Any, Any] = {}
        for key, item in value.items():
            named = secret.get(key)
            if named is None:
                if len(secret) >= _CACHE_SIZE:
                    secret.clear()
                named = secret[key] = isinstance(key, str) and is_secret_key(key)
            if named and item not in (None, "", [], {}):
                out[key] = _redacted_key(key)
                continue
            kind = type(item)
            if kind is str:
                hit = seen.get(item)
                out[key] = hit if hit is not None else self.text(item)
            elif kind is dict:
                out[key] = self.mapping(item)
            elif kind in _PLAIN:
                out[key] = item
            else:
                out[key] = self.value(item)
        return out

    def sequence(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        if len(value) < 2 or type(value[0]) is not dict:
            return self.items(value)
        return self._remembered(value, self.items)  # type: ignore[no-any-return]

    def _remembered(self, value: Any, walk: Callable[[Any], Any]) -> Any:
        """`walk(value)`, remembered by the value's JSON (one C call to compute)."""
        try:
            key = orjson.dumps(value)
        except TypeError:  # not JSON (a set, an object): walk it
            return walk(value)
        hit = self.remembered.get(key)
        if hit is None:
            hit = walk(value)
            if len(self.remembered) >= _REMEMBERED:
                self.remembered.clear()
            self.remembered[key] = hit
        return hit

    def items(self, value: list[Any] | tuple[Any, ...]) -> list[Any]:
        seen = self.seen
        out: list[Any] = []
        for item in value:
            kind = type(item)
            if kind is str:
                hit = seen.get(item)
                out.append(hit if hit is not None else self.text(item))
            elif kind is dict:
                out.append(self.mapping(item))
            elif kind in _PLAIN:
                out.append(item)
            else:
                out.append(self.value(item))
        return out


_PLAIN = frozenset({int, float, bool, type(None)})
_WALKERS = {(e, i): _Walker(e, i) for e in (False, True) for i in (False, True)}


def _walker(emails: bool, ips: bool) -> _Walker:
    return _WALKERS[bool(emails), bool(ips)]


def scrub_value(value: Any, policy: ScrubPolicy) -> Any:
    """Any JSON-like value with secrets redacted; values under secret-named keys replaced."""
    return _walker(policy.emails, policy.ips).value(value)


_IDENTITY = ("source", "source_event_id", "received_at", "occurred_at")
_FREE_FORM = frozenset({"contexts", "raw"})


def scrub_payload(event: ErrorEvent, *, emails: bool = False, ips: bool = False) -> dict[str, Any]:
    """`event` as data with secrets redacted from every text field, ``raw`` included:
    what the inbox stores.

    The typed fields are converted to JSON types; ``contexts`` and ``raw`` are taken as
    they are, since sources fill them from JSON (converting them cost more than all the
    rest). Callers that need JSON must check: `json_ready_payload` does.
    """
    data = event.model_dump(mode="json", exclude=_FREE_FORM)  # type: ignore[arg-type]
    data["contexts"], data["raw"] = event.contexts, event.raw
    # Identity fields are ours, not the user's text: scrubbing a digit run inside an event
    # id would merge distinct events under one dedupe key and drop them.
    identity = {key: data.pop(key) for key in _IDENTITY}
    clean: dict[str, Any] = scrub_value(data, ScrubPolicy(emails=emails, ips=ips))
    clean.update(identity)
    return clean


def json_ready_payload(event: ErrorEvent) -> dict[str, Any]:
    """`scrub_payload` with ``contexts`` and ``raw`` converted to JSON types as well."""
    return scrub_payload(ErrorEvent.model_validate(event.model_dump(mode="json")))


def scrub_event(event: ErrorEvent, *, emails: bool = False, ips: bool = False) -> ErrorEvent:
    """A copy of `event` with secrets redacted from every text field, ``raw`` included."""
    return ErrorEvent.model_validate(scrub_payload(event, emails=emails, ips=ips))
