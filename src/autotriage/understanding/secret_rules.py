"""The secret rules `autotriage.understanding.scrub` applies to one string, and the gate
index built from them at import (which literal opens which rule).

Each rule is a kind, a cheap gate (a substring it needs, or what it `Needs`), a pattern and
its replacement; some replacements confirm a candidate first (Luhn for cards, mod 97 for
IBANs, the mix of an AWS secret key). Every pattern runs in linear time with a small
constant: it starts with a literal or a narrow class (the engine skips in C to where it
could start, not trying each position), lookbehinds come after that first character,
repeats are bounded or possessive, and no lazy span rescans the text.

Kinds (`KINDS`): private keys (PEM, PGP, OpenSSH), credentials in URLs, Sentry DSN keys,
``Authorization`` and ``Bearer`` values, JWTs; GitHub, GitLab, Slack, Discord, Telegram,
Stripe, Google, Azure, OpenAI/Anthropic-style, Hugging Face, npm, PyPI, SendGrid, Twilio,
Mailgun, Shopify, DigitalOcean, Vault, Terraform Cloud, Sentry, Linear, Doppler, Atlassian
and age tokens; AWS key ids and secret keys; cards (Luhn), IBANs (mod 97), US SSNs. The
values of secret-named keys, emails and IPs are `autotriage.understanding.secrets`' and
`autotriage.understanding.scrub`'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from autotriage.understanding.secret_patterns import (
    AUTH_SEP,
    B64,
    CI_B64,
    PEM_BODY,
    PEM_LABEL,
    SCHEME,
    TOKEN68,
    Lower,
    Needs,
    Rule,
    ci,
    glued,
    literal_search,
    rule,
    word,
)

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


_DIGIT_IN_36 = "(?=[A-Za-z]{0,35}[0-9])"  # a digit among the next 36 letters and digits
_GITLAB_20 = "(?=[A-Za-z_-]{0,19}[0-9])[A-Za-z0-9_-]{20}"  # the classic token's 20, a digit in
_OPENAI_PREFIX = re.compile(r"sk-(?:proj|svcacct|admin|ant-(?:api|admin)\d\d)-")


def _upper_and_digit(body: str) -> bool:
    return any(c.isdigit() for c in body) and any(c.isupper() for c in body)


def _openai_glued(text: str) -> bool:
    # Legacy and project keys hold "T3BlbkFJ" (base64 of "OpenAI"); others need the mix.
    return "T3BlbkFJ" in text or _upper_and_digit(_OPENAI_PREFIX.sub("", text, count=1))


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
    # The user part holds no "[": a token redacted there later (one glued to it) has a ":".
    rule(
        "url_credentials",
        "://",
        r"://[^/\s:@\"'<>\[]{0,256}:[^/\s@\"'<>]{1,512}(?=@)",
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
    # Tokens glued after a word character: a URL-encoded separator ("token%3Dghp_...",
    # "Bearer%20sk-..."), a JSON-escaped newline ("\\nxoxb-..."), concatenated text
    # ("GITHUB_TOKENghp_..."). Each takes the vendor's exact shape, so glued text after it
    # stays, and needs what real ones hold (a digit; an upper-case letter and a digit for
    # the prefixes words end in: "task_test_", "risk-admin-"). They run before every rule
    # that checks a boundary, so a boundary they leave is seen in the same pass; the exact
    # shapes first, so a run (Stripe's, OpenAI's) cannot take their prefix and leave their
    # body, and the runs in an order where each takes the next whole.
    rule("github_token", "gh", glued("gh", rf"[pousr]_{_DIGIT_IN_36}[A-Za-z0-9]{{36}}")),
    rule("github_token", "github_pat_", glued("github_pat_", r"[A-Za-z0-9]{22}_[A-Za-z0-9]{59}")),
    # Fixed lengths are taken wherever they stand, whatever follows: one rule, so no
    # redaction beside one can change whether it matches on the next pass.
    rule("npm_token", "npm_", rf"npm_{_DIGIT_IN_36}[A-Za-z0-9]{{36}}"),
    rule(
        "google_api_key",
        "AIza",
        r"AIza(?:(?<!\wAIza)|(?=[A-Za-z_-]{0,34}[0-9]))[0-9A-Za-z_-]{35}",  # glued: a digit
    ),
    rule("google_oauth", "GOCSPX-", r"GOCSPX-[A-Za-z0-9_-]{28}"),
    rule("sendgrid_key", "SG.", r"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
    rule("shopify_token", "shp", r"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}"),
    rule("digitalocean_token", "_v1_", r"do[opr]_v1_[a-f0-9]{64}"),
    rule("linear_key", "lin_", r"lin_(?:api|oauth)_[A-Za-z0-9]{40}"),
    rule("age_key", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    rule("gitlab_token", "gl", glued("gl", rf"(?:pat|dt|rt|ptt|cbt|oas)-{_GITLAB_20}")),
    rule(
        "huggingface_token",
        "hf_",
        glued("hf_", r"(?=[a-z0-9]{0,33}[A-Z])(?=[A-Z0-9]{0,33}[a-z])[A-Za-z0-9]{34}"),
    ),
    rule(
        "slack_token",
        "xox",
        glued("xox", r"(?:b-\d{8,13}-\d{8,13}-[A-Za-z0-9]{24}|p-(?:\d{8,13}-){3}[a-f0-9]{32})"),
    ),
    rule("slack_token", "xapp-", glued("xapp-", r"\d-[A-Z0-9]{8,12}-\d{8,13}-[a-f0-9]{64}")),
    # Runs: the dotted prefixes first (no run takes a "."; each stops where its own prefix
    # starts again), then the runs that take a following prefix whole ("-" and "_" in their
    # class) before those that stop inside one.
    rule("google_oauth", "ya29.", glued("ya29.", r"(?:(?!ya29\.)[0-9A-Za-z_-]){20,}+")),
    rule(
        "vault_token",
        ("hvs.", "hvb.", "hvr."),
        glued("hv", r"[sbr]\.(?:(?!hv[sbr]\.)[A-Za-z0-9_-]){24,}+"),
    ),
    rule(
        "doppler_token",
        "dp.",
        glued("dp.", r"(?:pt|st|sa|ct|scim|audit)\.(?:(?!dp\.)[A-Za-z0-9]){40,}+"),
    ),
    rule("sentry_token", "sntry", glued("sntry", r"[su]_[A-Za-z0-9_=+/]{40,}+")),
    rule("atlassian_token", "ATATT3", glued("ATATT3", r"[A-Za-z0-9_=-]{100,}+")),
    rule(
        "openai_key",
        "sk-",
        glued(
            "sk-",
            r"(?:(?:proj|svcacct|admin|ant-(?:api|admin)\d\d)-[A-Za-z0-9_-]{32,}+"
            r"|[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})",
        ),
        _checked("openai_key", _openai_glued),
    ),
    rule("pypi_token", "pypi-AgE", glued("pypi-AgE", r"[A-Za-z0-9_-]{50,}+")),
    rule("stripe_key", "whsec_", glued("whsec_", r"[A-Za-z0-9]{24,}+")),
    rule(
        "stripe_key",
        ("k_live_", "k_test_"),
        r"[sr](?<=\w[sr])k_(?:live|test)_(?:(?![sr]k_(?:live|test)_)[A-Za-z0-9]){24,247}+",
        _checked("stripe_key", lambda text: _upper_and_digit(text[8:])),
    ),
    # Access key ids (AKIA long-term, ASIA temporary) are distinctive enough to be taken
    # glued to letters ("aws_keyAKIA...", "xxAKIA...yy") or to a URL escape ("%3DAKIA..."),
    # not inside a longer run of capitals and digits; the other AWS id prefixes need word
    # boundaries. This runs after the glued tokens: one redacted right after a key id ends
    # its run of capitals in the same pass.
    rule(
        "aws_key",
        Needs(length=20, char="A"),
        r"A(?:(?=[KS]IA)(?:(?<![A-Z0-9]A)|(?<=%[0-9A-F][0-9A-F]A))(?:KIA|SIA)[A-Z0-9]{16}(?![A-Z0-9])"
        r"|(?<!\wA)(?:BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[A-Z0-9]{16}\b)",
    ),
    rule("jwt", "eyJ", word("eyJ", r"[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+")),
    rule("github_token", "gh", word("gh", r"[pousr]_[A-Za-z0-9]{20,255}+(?![A-Za-z0-9])")),
    rule("github_token", "github_pat_", word("github_pat_", r"[A-Za-z0-9_]{20,255}\b")),
    rule("gitlab_token", "gl", word("gl", r"(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}\b")),
    rule("slack_token", ("xox", "xapp-"), word("x", r"(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}+")),
    rule(
        "stripe_key",
        ("k_live_", "k_test_"),
        r"[sr](?<!\w[sr])k_(?:live|test)_[A-Za-z0-9]{16,247}+(?![A-Za-z0-9])",
    ),
    rule("stripe_key", "whsec_", word("whsec_", r"[A-Za-z0-9]{24,}+")),
    rule("google_oauth", "ya29.", word("ya29.", r"[0-9A-Za-z_-]{20,}+")),
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
    rule("pypi_token", "pypi-AgE", word("pypi-AgE", r"[A-Za-z0-9_-]{50,}+")),
    rule("twilio_key", "SK", word("SK", r"[0-9a-f]{32}\b")),
    rule("mailgun_key", "key-", word("key-", r"[0-9a-f]{32}\b")),
    rule("vault_token", ("hvs.", "hvb.", "hvr."), word("hv", r"[sbr]\.[A-Za-z0-9_-]{24,}+")),
    rule(
        "terraform_token",
        ".atlasv1.",
        r"[A-Za-z0-9](?<!\w[A-Za-z0-9])[A-Za-z0-9]{13}\.atlasv1\.[A-Za-z0-9_-]{60,}+",
    ),
    rule("sentry_token", "sntry", word("sntry", r"[su]_[A-Za-z0-9_=+/]{40,}+")),
    rule("doppler_token", "dp.", word("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+")),
    rule("atlassian_token", "ATATT3", word("ATATT3", r"[A-Za-z0-9_=-]{100,}+")),
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
