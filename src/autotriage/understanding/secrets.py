"""The secret rules `autotriage.understanding.scrub` applies to one string.

Each rule is a pattern with a cheap gate (a substring it needs), so most strings skip most
rules. Every pattern runs in linear time with a small constant: it starts with a literal or
a narrow class (the engine skips in C to where it could start, not trying each position),
lookbehinds come after that first character, repeats are bounded or possessive, and no
lazy span rescans the text. ``key=value`` pairs are found from the secret words. In long
texts, RE2 first checks that a rule's shape occurs at all. `bench/redos.py` times it all.

Kinds (`KINDS`): private keys (PEM, PGP, OpenSSH), credentials in URLs, Sentry DSN keys,
``Authorization`` and ``Bearer`` values, JWTs; GitHub, GitLab, Slack, Discord, Telegram,
Stripe, Google, Azure, OpenAI/Anthropic-style, Hugging Face, npm, PyPI, SendGrid, Twilio,
Mailgun, Shopify, DigitalOcean, Vault, Terraform Cloud, Sentry, Linear, Doppler, Atlassian
and age tokens; AWS key ids and secret keys; values of secret-named keys (``password``,
``api_key``, ``token``, ``session``, ``signature``... as ``key=value``, JSON or dict repr,
query strings and signed URLs included); cards (Luhn), IBANs (mod 97), US SSNs; optionally
emails and IPs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from autotriage.understanding.secret_patterns import (
    ANCHORS,
    AUTH_SEP,
    B64,
    CI_B64,
    PEM_BODY,
    PEM_LABEL,
    SCHEME,
    SHAPES_OF,
    TOKEN68,
    Needs,
    ci,
    literal_search,
)

try:
    import re2
except ImportError:  # the wheel is a dependency; without it only long texts slow down
    re2 = None


def fold(text: str, lower: str) -> str:
    """`text` (`lower` is its lower case) as `KEY_VALUE` reads it: lower case, dotless i,
    dotted I and long s as i and s (what `(?i)` folds onto them; lengths are kept), and
    ``[REDACTED`` left as it is (the only upper case the pattern reads)."""
    base = text
    if not text.isascii():
        base = text.replace("\u0130", "i").replace("\u0131", "i").replace("\u017f", "s")
        lower = base.lower()
    if "[redacted" in lower:
        lower = "[REDACTED".join(map(str.lower, base.split("[REDACTED")))
    return lower


_DOUBLED = str.maketrans("0123456789", "0246813579")  # each digit doubled, digits summed
_DOUBLED_BYTES = bytes.maketrans(b"0123456789", b"0246813579")


def _luhn(digits: str) -> bool:
    """Luhn of digits that are not all ASCII (`_card` checks ASCII ones itself)."""
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


_IBAN_DIGITS = str.maketrans({chr(65 + n): str(10 + n) for n in range(26)})  # A=10 ... Z=35


def _iban_ok(text: str) -> bool:
    compact = text.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    moved = compact[4:] + compact[:4]
    return int(moved.translate(_IBAN_DIGITS)) % 97 == 1


def _remembered(redact: Callable[[str], str]) -> Callable[[re.Match[str]], str]:
    """A replacement that calls `redact` on each match's text once per distinct text (a
    flood of the same card or IBAN is checked once; the memo is bounded)."""
    seen: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        text = match.group(0)
        hit = seen.get(text)
        if hit is None:
            if len(seen) >= 4096:
                seen.clear()
            hit = seen[text] = redact(text)
        return hit

    return replace


def _checked(kind: str, check: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    return _remembered(lambda text: f"[REDACTED:{kind}]" if check(text) else text)


@_remembered
def _card(text: str) -> str:
    digits = text.replace(" ", "").replace("-", "")
    if not 13 <= len(digits) <= 19:
        return text
    if digits.isascii():  # the Luhn sum from the bytes, in C
        raw = digits.encode()
        total = sum(raw[-1::-2]) + sum(raw[-2::-2].translate(_DOUBLED_BYTES)) - 48 * len(raw)
        return text if total % 10 else "[REDACTED:card]"
    return "[REDACTED:card]" if _luhn(digits) else text


def _aws_secret(text: str) -> bool:
    # 40 characters of base64 with both cases and a digit; git SHAs (lower hex) never pass.
    return (
        sum(c.isupper() for c in text) >= 2
        and sum(c.islower() for c in text) >= 2
        and any(c.isdigit() for c in text)
        and text.count("/") <= 2
    )


class Lower(str):
    """A gate met when the text's lower case holds this."""

    __slots__ = ()


_Replace = Callable[[re.Match[str]], str]
_Gate = str | tuple[str, ...] | Needs
_Rule = tuple[str, _Gate, re.Pattern[str], "_Replace | str"]


def _rule(kind: str, gate: _Gate, pattern: str, replace: _Replace | str | None = None) -> _Rule:
    """A rule; its gate is a substring the text (or, `Lower`, its lower case) needs, a
    tuple of them (one is enough), or what it `Needs` (length, digits, a character)."""
    return (kind, gate, re.compile(pattern), f"[REDACTED:{kind}]" if replace is None else replace)


def _word(literal: str, rest: str) -> str:
    """``\\b`` + `literal` + `rest`, with the boundary checked after the literal (so the
    engine searches for the literal instead of trying a boundary at every position)."""
    lit = re.escape(literal)
    return rf"{lit}(?<!\w{lit}){rest}"


RULES: list[_Rule] = [
    _rule(
        "private_key", "-----BEGIN", f"-----BEGIN {PEM_LABEL}{PEM_BODY}(?:-----END {PEM_LABEL})?"
    ),
    _rule(
        "slack_webhook",
        "hooks.slack.com",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/]++",
    ),
    _rule(
        "discord_webhook",
        "/api/webhooks/",
        r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]++",
    ),
    _rule(
        "url_credentials",
        "://",
        r"://(?!\[REDACTED:)[^/\s:@\"'<>]{0,256}:[^/\s@\"'<>]{1,512}(?=@)",
        "://[REDACTED:url_credentials]",
    ),
    _rule("sentry_dsn_key", "://", r"://[0-9a-f]{32}(?=@)", "://[REDACTED:sentry_dsn_key]"),
    _rule(
        "authorization",
        Lower("authorization"),
        rf"{AUTH_SEP}{SCHEME}?(?i:[^\s\"',;]++)",
        lambda m: f"{m['sep']}{m['scheme'] or ''}[REDACTED:authorization]",
    ),
    # RFC 6750's b64token: "=" only as padding at the end ("bearer expires_in=3600" stays).
    _rule(
        "bearer",
        Lower("bearer "),
        rf" (?<={ci('bearer')} )(?!\[REDACTED){TOKEN68}{{8,}}+=*+(?![\w=[])",
        " [REDACTED:bearer]",
    ),
    _rule(
        "jwt", "eyJ", _word("eyJ", r"[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+")
    ),
    _rule("github_token", "gh", _word("gh", r"[pousr]_[A-Za-z0-9]{20,255}\b")),
    _rule("github_token", "github_pat_", _word("github_pat_", r"[A-Za-z0-9_]{20,255}\b")),
    _rule("gitlab_token", "gl", _word("gl", r"(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}\b")),
    _rule("slack_token", ("xox", "xapp-"), _word("x", r"(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}+")),
    _rule(
        "stripe_key",
        ("k_live_", "k_test_"),
        r"[sr](?<!\w[sr])k_(?:live|test)_[A-Za-z0-9]{16,247}\b",
    ),
    _rule("stripe_key", "whsec_", _word("whsec_", r"[A-Za-z0-9]{24,}+")),
    _rule("google_api_key", "AIza", _word("AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    _rule("google_oauth", "ya29.", _word("ya29.", r"[0-9A-Za-z_-]{20,}+")),
    _rule("google_oauth", "GOCSPX-", _word("GOCSPX-", r"[A-Za-z0-9_-]{28}\b")),
    _rule(
        "azure_account_key",
        Lower("accountkey="),
        rf"{CI_B64}(?<={ci('accountkey=')}{CI_B64})(?i:[A-Za-z0-9+/]{{19,}}+)={{0,2}}",
    ),
    _rule(
        "azure_sas",
        "sig=",
        r"sig=(?<=[?&]sig=)[A-Za-z0-9%+/]{16,}+={0,2}",
        "sig=[REDACTED:azure_sas]",
    ),
    _rule(
        "azure_client_secret",
        "8Q~",
        r"[\w~.-](?<![\w~.-][\w~.-])[\w~.-]{2}8Q~[\w~.-]{31,34}(?![\w~.-])",
    ),
    _rule(
        "openai_key",
        "sk-",
        _word("sk-", r"(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{32,}+"),
    ),
    _rule("huggingface_token", "hf_", _word("hf_", r"[A-Za-z0-9]{34,}+")),
    _rule("npm_token", "npm_", _word("npm_", r"[A-Za-z0-9]{36}\b")),
    _rule("pypi_token", "pypi-AgE", _word("pypi-AgE", r"[A-Za-z0-9_-]{50,}+")),
    _rule("sendgrid_key", "SG.", _word("SG.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    _rule("twilio_key", "SK", _word("SK", r"[0-9a-f]{32}\b")),
    _rule("mailgun_key", "key-", _word("key-", r"[0-9a-f]{32}\b")),
    _rule("shopify_token", "shp", _word("shp", r"(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b")),
    _rule("digitalocean_token", "_v1_", _word("do", r"[opr]_v1_[a-f0-9]{64}\b")),
    _rule("vault_token", ("hvs.", "hvb.", "hvr."), _word("hv", r"[sbr]\.[A-Za-z0-9_-]{24,}+")),
    _rule(
        "terraform_token",
        ".atlasv1.",
        r"[A-Za-z0-9](?<!\w[A-Za-z0-9])[A-Za-z0-9]{13}\.atlasv1\.[A-Za-z0-9_-]{60,}+",
    ),
    _rule("sentry_token", "sntry", _word("sntry", r"[su]_[A-Za-z0-9_=+/]{40,}+")),
    _rule("linear_key", "lin_", _word("lin_", r"(?:api|oauth)_[A-Za-z0-9]{40}\b")),
    _rule("doppler_token", "dp.", _word("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+")),
    _rule("atlassian_token", "ATATT3", _word("ATATT3", r"[A-Za-z0-9_=-]{100,}+")),
    _rule("age_key", "AGE-SECRET-KEY-1", _word("AGE-SECRET-KEY-1", r"[0-9A-Z]{58}\b")),
    # Bot API URLs put the token right after "/bot".
    _rule(
        "telegram_bot_token",
        ":AA",
        r"\d(?:(?<=/bot\d)|(?<![\w:]\d))\d{7,9}:AA[0-9A-Za-z_-]{33}(?![\w-])",
    ),
    _rule(
        "aws_key",
        Needs(length=20, char="A"),
        _word("A", r"(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[A-Z0-9]{16}\b"),
    ),
    _rule(
        "aws_secret",
        Needs(length=40, digits=1),
        rf"{B64}(?<![A-Za-z0-9/+=]{B64}){B64}{{39}}(?![A-Za-z0-9/+=])",
        _checked("aws_secret", _aws_secret),
    ),
    _rule(
        "card",
        Needs(digits=13),
        r"[2-6](?<![\w-][2-6])\d{3}(?:[ -]?\d){9,15}(?![\w-])",
        _card,
    ),
    _rule(
        "iban",
        Needs(length=12, digits=2),
        r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        _checked("iban", _iban_ok),
    ),
    _rule(
        "ssn",
        Needs(digits=9, char="-"),
        r"\d(?<![\d-]\d)\d\d-(?<!000-)(?<!666-)(?<!9\d\d-)(?!00)\d{2}-(?!0000)\d{4}(?![\d-])",
    ),
]
KINDS = tuple(dict.fromkeys(kind for kind, _, _, _ in RULES))


def _opened_by(lowered: bool) -> dict[str, tuple[int, ...]]:
    """Each gate literal of the text (`lowered`: of its lower case) -> the rules it opens."""
    out: dict[str, tuple[int, ...]] = {}
    for index, (_, gate, _, _) in enumerate(RULES):
        if isinstance(gate, Needs) or isinstance(gate, Lower) != lowered:
            continue
        for literal in (gate,) if isinstance(gate, str) else gate:
            out[str(literal)] = (*out.get(str(literal), ()), index)
    return out


OPENED_BY, OPENED_BY_LOWER = _opened_by(False), _opened_by(True)
CALLED = tuple(index for index, (_, gate, _, _) in enumerate(RULES) if isinstance(gate, Needs))
SHORTEST_CALLED = min(gate.shortest for _, gate, _, _ in RULES if isinstance(gate, Needs))
"""Texts shorter than this meet no `Needs` gate."""


# Every gate literal a short text holds, in one pass. The literals are read before any rule
# runs, so no redaction token may hold a later rule's literal (test_scrub.py checks).
LITERALS, LOWER_LITERALS = literal_search(OPENED_BY), literal_search(OPENED_BY_LOWER)

LONG_TEXT = 4096
"""Texts at least this long are searched by RE2 first (shorter ones cost less to scan
than to encode for RE2)."""


def _literal_set() -> Any:
    """One RE2 set of every gate literal (`Lower` ones ignoring case: a superset of the
    lower-case test) and every key word's start (`ANCHORS`, folded as `fold` does)."""
    found = re2.Set.SearchSet()
    for literal in OPENED_BY:
        found.Add(re.escape(literal))
    for literal in OPENED_BY_LOWER:
        found.Add("(?i)" + re.escape(literal))
    for anchor in ANCHORS:
        found.Add(ci(anchor))
    found.Compile()
    return found


_LITERAL_SET = _literal_set() if re2 is not None else None
_OPENS = [*OPENED_BY.values(), *OPENED_BY_LOWER.values()]
SHAPES = {kind: re2.compile(shape.encode()) for kind, shape in SHAPES_OF.items()} if re2 else {}
WINDOW = 1024
"""A rule's match lies within this of a match of its shape (the unbounded ones' shapes
end where their runs do)."""
_MOST_WINDOWS = 4096


def opened_in(data: bytes) -> tuple[set[int], bool]:
    """The rules the gate literals in `data` (a text's UTF-8) open, and whether it holds a
    key word's start, by RE2 in one pass; without RE2, every rule, and True."""
    if _LITERAL_SET is None:
        return set(range(len(RULES))), True
    opened: set[int] = set()
    words = False
    for index in _LITERAL_SET.Match(data) or ():
        if index < len(_OPENS):
            opened.update(_OPENS[index])
        else:
            words = True
    return opened, words


SET_TEXT = 64
"""Texts this long or longer (and shorter than `LONG_TEXT`) have their gate literals found
by `opened_in` (about 1 µs to call, then fast); shorter ones by `LITERALS` (fast to call,
slow per candidate character)."""


class LongText:
    """What a long text holds, by RE2 (linear, in C): the rules its gate literals open, in
    one pass; whether it holds a key word; whether it holds a kind's `SHAPES_OF` (each
    searched when asked). Without RE2, every rule and shape is taken as present."""

    __slots__ = ("data", "found", "opened", "words")

    def __init__(self, text: str) -> None:
        self.data = text.encode("utf-8", "surrogatepass")
        self.found: dict[str, bool] = {}
        self.opened, self.words = opened_in(self.data)
        self.opened.update(CALLED)

    def holds(self, kind: str) -> bool:
        """Whether the text holds `kind`'s shape (true for kinds that have none)."""
        shape = SHAPES.get(kind)
        if shape is None:
            return True
        if kind not in self.found:
            self.found[kind] = shape.search(self.data) is not None
        return self.found[kind]

    def windows(self, kinds: tuple[str, ...], text: str) -> list[tuple[int, int]] | None:
        """Spans of `text` (an ASCII text this one became) that hold every match of
        `kinds`: each match of their shapes widened by `WINDOW`; None when a shape occurs
        too often for windows to pay, or the text is not ASCII (then run on it all)."""
        if not text.isascii() or not all(kind in SHAPES for kind in kinds):
            return None
        data, edges = text.encode(), []
        for kind in kinds:
            for count, found in enumerate(SHAPES[kind].finditer(data)):
                if count == _MOST_WINDOWS:  # a flood: scanning it all costs less
                    return None
                edges.append((found.start() - WINDOW, found.end() + WINDOW))
        spans: list[tuple[int, int]] = []
        for start, end in sorted(edges):
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((max(start, 0), end))
        return spans
