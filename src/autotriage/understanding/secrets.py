"""The secret rules `autotriage.understanding.scrub` applies to one string.

Each rule is a pattern with a cheap gate (a substring it needs), so most strings skip most
rules. Every pattern runs in linear time with a small constant: it starts with a literal or
a narrow class (the engine skips in C to where it could start, not trying each position),
lookbehinds come after that first character, repeats are bounded or possessive, and no
lazy span rescans the text. ``key=value`` pairs are found from the secret words, by one
`split` whose per-pair work is done in C (`redact_key_values`). In long texts, RE2 first
checks that a rule's shape occurs at all. `bench/redos.py` times it all.

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
from itertools import compress, repeat
from operator import add, getitem
from typing import Any

from autotriage.understanding.secret_patterns import (
    ANCHORS,
    AUTH_SEP,
    B64,
    CI_B64,
    KEY_RUN,
    KEY_VALUE,
    KEY_VALUE_PLAIN,
    KV_LAST_61,
    KV_LEADING,
    KV_LONG,
    KV_MARKS,
    KV_NOT_KIND,
    KV_REVERSED,
    KV_RUN_BEFORE,
    KV_RUNS,
    KV_TO_40,
    KV_TRAILING,
    PEM_BODY,
    PEM_LABEL,
    SCHEME,
    SCHEMES,
    SHAPES_OF,
    TOKEN68,
    Lower,
    Needs,
    Rule,
    ci,
    literal_search,
    rule,
    word,
)

try:
    import re2
except ImportError:  # the wheel is a dependency; without it only long texts slow down
    re2 = None


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


RULES: list[Rule] = [
    rule("private_key", "-----BEGIN", f"-----BEGIN {PEM_LABEL}{PEM_BODY}(?:-----END {PEM_LABEL})?"),
    rule(
        "slack_webhook",
        "hooks.slack.com",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/]++",
    ),
    rule(
        "discord_webhook",
        "/api/webhooks/",
        r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]++",
    ),
    rule(
        "url_credentials",
        "://",
        r"://(?!\[REDACTED:)[^/\s:@\"'<>]{0,256}:[^/\s@\"'<>]{1,512}(?=@)",
        "://[REDACTED:url_credentials]",
    ),
    rule("sentry_dsn_key", "://", r"://[0-9a-f]{32}(?=@)", "://[REDACTED:sentry_dsn_key]"),
    rule(
        "authorization",
        Lower("authorization"),
        rf"{AUTH_SEP}{SCHEME}?(?i:[^\s\"',;]++)",
        lambda m: f"{m['sep']}{m['scheme'] or ''}[REDACTED:authorization]",
    ),
    # RFC 6750's b64token: "=" only as padding at the end ("bearer expires_in=3600" stays).
    rule(
        "bearer",
        Lower("bearer "),
        rf" (?<={ci('bearer')} )(?!\[REDACTED){TOKEN68}{{8,}}+=*+(?![\w=[])",
        " [REDACTED:bearer]",
    ),
    # Access key ids (AKIA long-term, ASIA temporary) are distinctive enough to be taken
    # glued to letters ("aws_keyAKIA...", "xxAKIA...yy"), not inside a longer run of
    # capitals and digits; the other AWS id prefixes need word boundaries.
    rule(
        "aws_key",
        Needs(length=20, char="A"),
        r"A(?:(?<![A-Z0-9]A)(?:KIA|SIA)[A-Z0-9]{16}(?![A-Z0-9])"
        r"|(?<!\wA)(?:BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[A-Z0-9]{16}\b)",
    ),
    rule("jwt", "eyJ", word("eyJ", r"[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+")),
    rule("github_token", "gh", word("gh", r"[pousr]_[A-Za-z0-9]{20,255}\b")),
    rule("github_token", "github_pat_", word("github_pat_", r"[A-Za-z0-9_]{20,255}\b")),
    rule("gitlab_token", "gl", word("gl", r"(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}\b")),
    rule("slack_token", ("xox", "xapp-"), word("x", r"(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}+")),
    rule(
        "stripe_key",
        ("k_live_", "k_test_"),
        r"[sr](?<!\w[sr])k_(?:live|test)_[A-Za-z0-9]{16,247}\b",
    ),
    rule("stripe_key", "whsec_", word("whsec_", r"[A-Za-z0-9]{24,}+")),
    rule("google_api_key", "AIza", word("AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])")),
    rule("google_oauth", "ya29.", word("ya29.", r"[0-9A-Za-z_-]{20,}+")),
    rule("google_oauth", "GOCSPX-", word("GOCSPX-", r"[A-Za-z0-9_-]{28}\b")),
    rule(
        "azure_account_key",
        Lower("accountkey="),
        rf"{CI_B64}(?<={ci('accountkey=')}{CI_B64})(?i:[A-Za-z0-9+/]{{19,}}+)={{0,2}}",
    ),
    rule(
        "azure_sas",
        "sig=",
        r"sig=(?<=[?&]sig=)[A-Za-z0-9%+/]{16,}+={0,2}",
        "sig=[REDACTED:azure_sas]",
    ),
    rule(
        "azure_client_secret",
        "8Q~",
        r"[\w~.-](?<![\w~.-][\w~.-])[\w~.-]{2}8Q~[\w~.-]{31,34}(?![\w~.-])",
    ),
    rule(
        "openai_key",
        "sk-",
        word("sk-", r"(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{32,}+"),
    ),
    rule("huggingface_token", "hf_", word("hf_", r"[A-Za-z0-9]{34,}+")),
    rule("npm_token", "npm_", word("npm_", r"[A-Za-z0-9]{36}\b")),
    rule("pypi_token", "pypi-AgE", word("pypi-AgE", r"[A-Za-z0-9_-]{50,}+")),
    rule("sendgrid_key", "SG.", word("SG.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b")),
    rule("twilio_key", "SK", word("SK", r"[0-9a-f]{32}\b")),
    rule("mailgun_key", "key-", word("key-", r"[0-9a-f]{32}\b")),
    rule("shopify_token", "shp", word("shp", r"(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b")),
    rule("digitalocean_token", "_v1_", word("do", r"[opr]_v1_[a-f0-9]{64}\b")),
    rule("vault_token", ("hvs.", "hvb.", "hvr."), word("hv", r"[sbr]\.[A-Za-z0-9_-]{24,}+")),
    rule(
        "terraform_token",
        ".atlasv1.",
        r"[A-Za-z0-9](?<!\w[A-Za-z0-9])[A-Za-z0-9]{13}\.atlasv1\.[A-Za-z0-9_-]{60,}+",
    ),
    rule("sentry_token", "sntry", word("sntry", r"[su]_[A-Za-z0-9_=+/]{40,}+")),
    rule("linear_key", "lin_", word("lin_", r"(?:api|oauth)_[A-Za-z0-9]{40}\b")),
    rule("doppler_token", "dp.", word("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+")),
    rule("atlassian_token", "ATATT3", word("ATATT3", r"[A-Za-z0-9_=-]{100,}+")),
    rule("age_key", "AGE-SECRET-KEY-1", word("AGE-SECRET-KEY-1", r"[0-9A-Z]{58}\b")),
    # Bot API URLs put the token right after "/bot".
    rule(
        "telegram_bot_token",
        ":AA",
        r"\d(?:(?<=/bot\d)|(?<![\w:]\d))\d{7,9}:AA[0-9A-Za-z_-]{33}(?![\w-])",
    ),
    rule(
        "aws_secret",
        Needs(length=40, digits=1),
        rf"{B64}(?<![A-Za-z0-9/+=]{B64}){B64}{{39}}(?![A-Za-z0-9/+=])",
        _checked("aws_secret", _aws_secret),
    ),
    rule(
        "card",
        Needs(digits=13),
        r"[2-6](?<![\w-][2-6])\d{3}(?:[ -]?\d){9,15}(?![\w-])",
        _card,
    ),
    rule(
        "iban",
        Needs(length=12, digits=2),
        r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        _checked("iban", _iban_ok),
    ),
    rule(
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
    lower-case test) and every key word's start (`ANCHORS`, in any case, as `ci` reads them)."""
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


def redact_key_values(text: str) -> str:
    """`text` with the value of every ``key=value`` pair whose key names a secret replaced
    by ``[REDACTED:<key>]`` (`KEY_VALUE`; quotes stay). A flood of pairs is the costliest
    input, so the work per pair is done in C, not by a Python loop: `split` gives, per
    pair, the text before it, the word ending its key, the separator with any opening
    quote, the value and any closing quote; keys and tokens are made by string operations
    on all of them joined."""
    marked = "[REDACTED" in text
    parts = (KEY_VALUE if marked else KEY_VALUE_PLAIN).split(text)
    if len(parts) == 1:
        return text
    pres, words, values = parts[0:-1:5], parts[1::5], parts[3::5]
    keys, runs = words, bool(KV_RUN_BEFORE.search("\x00".join(pres) + "\x00"))
    if runs:  # some key starts left of its word
        keys = list(map(add, map(getitem, _left_runs(pres, text), repeat(KV_REVERSED)), words))
    tokens = _tokens(keys, runs)
    if marked:
        afters, closes = parts[5::5], parts[4::5]
        for index in compress(range(len(values)), map(str.startswith, afters, repeat(KV_MARKS))):
            value = values[index]
            if afters[index][0] == "[":  # an unquoted value held up to its redaction
                if not closes[index]:
                    tokens[index] = value
            elif value.lower() in SCHEMES:  # a scheme before its redacted value
                tokens[index] = value
    parts[3::5] = tokens
    return "".join(parts)


def _left_runs(pres: list[str], text: str) -> list[str]:
    """Reversed, the run of [\\w.-] that ends each text before a pair (where its key starts:
    the word's lookbehind keeps run and word under 61 characters, and no run reaches back
    past the pair before, which ends in a quote or before a stop character)."""
    tails: list[str] = list(map(getitem, pres, repeat(KV_LAST_61)))
    if "\x00" in text:
        return list(map(getitem, map(KEY_RUN.match, tails), repeat(0)))  # type: ignore[arg-type]
    runs: list[str] = KV_RUNS.findall("\x00" + "\x00".join(tails))
    return runs


def _tokens(keys: list[str], runs: bool) -> list[str]:
    """Each key's token, ``[REDACTED:kind]``: the key lowered, each character but [a-z0-9_]
    as "_", stripped of "_", cut to 40; made on all the keys joined (`runs`: whether some
    key is longer than its word, so may start with "_" or pass 40)."""
    kinds = "\n".join(keys).lower()
    if kinds.isascii():  # [\w.-] lowered: "-" and "." are all there is to replace
        kinds = kinds.replace("-", "_").replace(".", "_")
    else:  # a letter that lowers to non-ASCII ("\u017fecret") may end or start a key
        kinds = KV_NOT_KIND.sub("_", kinds)
        if "_\n" in kinds or kinds.endswith("_"):
            kinds = KV_TRAILING.sub("\n", kinds + "\n")[:-1]
        runs = True
    if runs:
        kinds = KV_LEADING.sub("\n", kinds).lstrip("_")
        if KV_LONG.search("\n" + kinds):
            kinds = "\n".join(map(getitem, kinds.split("\n"), repeat(KV_TO_40)))
    return ("[REDACTED:" + kinds.replace("\n", "]\n[REDACTED:") + "]").split("\n")
