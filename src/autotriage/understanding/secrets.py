"""The secret rules `autotriage.understanding.scrub` applies to one string.

Each rule is a pattern with a cheap gate (a substring it needs), so most strings skip most
rules. Every pattern runs in time linear in its input, with a small constant: each starts
with a literal or a narrow character class (so the regex engine skips ahead in C to the
next place it could start, instead of trying every position), its lookbehinds come after
that first character, repeats are bounded or possessive, and no lazy span rescans the
rest of the text. ``key=value`` pairs are found from the secret words (one literal scan
each), not from every token before a ``=``. `bench/redos.py` times each rule on 1 MB of
adversarial text.

Kinds (`KINDS`): PEM/PGP/OpenSSH private keys, credentials in URLs (``user:pass@``),
Sentry DSN keys, ``Authorization`` values and ``Bearer`` tokens, JWTs; GitHub, GitLab,
Slack (tokens and webhooks), Discord webhooks, Telegram bots, Stripe, Google (API keys,
OAuth secrets and tokens), Azure (storage account keys, SAS signatures, client secrets),
OpenAI/Anthropic-style ``sk-`` keys, Hugging Face, npm, PyPI, SendGrid, Twilio, Mailgun,
Shopify, DigitalOcean, Vault, Terraform Cloud, Sentry auth tokens, Linear, Doppler,
Atlassian, age keys; AWS access key ids and secret keys; values of secret-named keys
(password, secret, api_key, token, session, cookie, signature... in ``key=value``,
``key: value``, JSON and dict-repr forms, query strings included: that covers AWS and GCS
signed URLs); payment cards (Luhn), IBANs (mod 97), US SSNs; optionally emails and IPs.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_KEY_WORDS = (
    r"password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|auth|authorization"
    r"|credentials?|token|private[_-]?key|session(?:[_-]?id)?|sessid|cookie|signature|dsn"
    r"|account[_-]?key"
)
# A key is secret when one of the words ends it (optionally with an _id/_key suffix), so
# "db_password", "X-Auth-Token" and "sessionid" match while "author" and "tokenizer" don't.
SECRET_KEY = re.compile(rf"(?i)^[\w.-]{{0,200}}?(?:{_KEY_WORDS})(?:[_-]?(?:id|key|value|hash))?$")
_SEP = r"(?:[_-]?(?:id|key|value|hash))?(?=[\"']?\s{0,8}(?:=>|[=:]))"
# Where a secret word can end a key: one pattern per leading literal, run on the folded
# text only when that literal occurs in it (each scan is a fast literal search).
_WORD_ENDS = {
    anchor: re.compile(f"(?:{words}){_SEP}")
    for anchor, words in {
        "pass": "pass(?:word|wd|phrase)",
        "pwd": "pwd",
        "secret": "secret",
        "api": "api[_-]?key|apikey",
        "access": "access[_-]?key",
        "auth": "auth(?:orization)?",
        "credential": "credentials?",
        "token": "token",
        "private": "private[_-]?key",
        "sess": "session(?:[_-]?id)?|sessid",
        "cookie": "cookie",
        "signature": "signature",
        "dsn": "dsn",
        "account": "account[_-]?key",
    }.items()
}
# What `(?i)` folds onto an ASCII letter besides its own two cases (sre's own table).
_FOLDS = {"i": "iIİı", "k": "kKK", "s": "sSſ"}
_FOLD = str.maketrans({"İ": "i", "ı": "i", "ſ": "s"})  # then lower(): lengths kept
_QUOTE = r"[\"']"
# Quoted values are bounded: an unclosed quote after every key would otherwise rescan the
# rest of the text once per key.
_SEP_VALUE = re.compile(
    rf"(?P<sep>{_QUOTE}?\s{{0,8}}(?:=>|[=:])\s{{0,8}})"
    r"(?P<value>\"(?:[^\"\\\n]|\\.){0,2048}+\"|'(?:[^'\\\n]|\\.){0,2048}+'|[^\s,;&)}\]\"']++)"
)


def _ci(word: str) -> str:
    """`word` as classes that match exactly what ``(?i)word`` matches, but let the regex
    engine skip ahead to the first letter (an ignore-case pattern tries every position)."""
    return "".join(
        f"[{_FOLDS.get(c.lower(), c.lower() + c.upper())}]" if c.isalpha() else re.escape(c)
        for c in word
    )


_COOKIE_HEADER = re.compile(
    rf"(?m)(?P<key>{_ci('cookie')}(?<!\w{_ci('cookie')})\b[\"']?[ \t]{{0,8}}[:=][ \t]{{0,8}})"
    r"(?P<value>[^\n\"]++)"
)
_DOUBLED = str.maketrans("0123456789", "0246813579")  # each digit doubled, digits summed


def _luhn(digits: str) -> bool:
    # Every second digit from the right doubled, by translation: no Python loop per digit
    # (a text of card-like runs calls this once per run).
    doubled = digits[-2::-2].translate(_DOUBLED)
    return (sum(map(int, digits[-1::-2])) + sum(map(int, doubled))) % 10 == 0


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
    digits = text.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _aws_secret(text: str) -> bool:
    # 40 characters of base64 with both cases and a digit; git SHAs (lower hex) never pass.
    return (
        sum(c.isupper() for c in text) >= 2
        and sum(c.islower() for c in text) >= 2
        and any(c.isdigit() for c in text)
        and text.count("/") <= 2
    )


_Replace = Callable[[re.Match[str]], str]
_Gate = Callable[[str, str, int], bool]
_Rule = tuple[str, _Gate, re.Pattern[str], "_Replace | str"]


def _rule(kind: str, gate: _Gate, pattern: str, replace: _Replace | str | None = None) -> _Rule:
    return (kind, gate, re.compile(pattern), f"[REDACTED:{kind}]" if replace is None else replace)


def _word(literal: str, rest: str) -> str:
    """``\\b`` + `literal` + `rest`, with the boundary checked after the literal (so the
    engine searches for the literal instead of trying a boundary at every position)."""
    lit = re.escape(literal)
    return rf"{lit}(?<!\w{lit}){rest}"


# The PEM body: base64, whitespace, escaped newlines (keys pasted into JSON or env files)
# and the RFC 1421 headers of encrypted keys, taken possessively up to an optional END line.
# A header is tried before each character that could start one (P, D, V, C); runs of the
# others are taken whole.
_PEM_BODY = (
    r"(?:(?:Proc-Type|DEK-Info|Version|Comment):[^\n\\]{0,200}"
    r"|[A-BE-OQ-UW-Za-z0-9+/=\s]++|[A-Za-z0-9+/=\s]|\\[nr])*+"
)
_PEM_LABEL = r"[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
_B64 = "[A-Za-z0-9/+]"
_TOKEN68 = r"[A-Za-z0-9._~+/\-İıſK]"  # what (?i)[A-Za-z0-9._~+/-] matches
# The first character of a separator after "authorization", then the rest of
# ["']?[ \t]{0,8}[:=][ \t]{0,8}["']? given which it was.
_AUTH_SEP = (
    r"(?P<sep>[\"' \t:=](?<=" + _ci("authorization") + r"[\"' \t:=])"
    r"(?:(?<=[\"'])[ \t]{0,8}[:=]|(?<=[ \t])[ \t]{0,7}[:=]|(?<=[:=]))[ \t]{0,8}[\"']?)"
)

RULES: list[_Rule] = [
    _rule(
        "private_key",
        lambda text, lower, digits: "-----BEGIN" in text,
        rf"-----BEGIN {_PEM_LABEL}{_PEM_BODY}(?:-----END {_PEM_LABEL})?",
    ),
    _rule(
        "slack_webhook",
        lambda text, lower, digits: "hooks.slack.com" in text,
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/]++",
    ),
    _rule(
        "discord_webhook",
        lambda text, lower, digits: "/api/webhooks/" in text,
        r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]++",
    ),
    _rule(
        "url_credentials",
        lambda text, lower, digits: "://" in text,
        r"://(?!\[REDACTED:)[^/\s:@\"'<>]{0,256}:[^/\s@\"'<>]{1,512}(?=@)",
        "://[REDACTED:url_credentials]",
    ),
    _rule(
        "sentry_dsn_key",
        lambda text, lower, digits: "://" in text and "@" in text,
        r"://[0-9a-f]{32}(?=@)",
        "://[REDACTED:sentry_dsn_key]",
    ),
    _rule(
        "authorization",
        lambda text, lower, digits: "authorization" in lower,
        _AUTH_SEP + r"(?P<scheme>(?i:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|Bot"
        r"|Sentry)[ \t]{1,8})?(?i:[^\s\"',;]++)",
        r"\g<sep>\g<scheme>[REDACTED:authorization]",
    ),
    # RFC 6750's b64token: "=" only as padding at the end ("bearer expires_in=3600" stays).
    _rule(
        "bearer",
        lambda text, lower, digits: "bearer " in lower,
        rf" (?<={_ci('bearer')} )(?!\[REDACTED){_TOKEN68}{{8,}}+=*+(?![\w=[])",
        " [REDACTED:bearer]",
    ),
    _rule(
        "jwt",
        lambda text, lower, digits: "eyJ" in text,
        _word("eyJ", r"[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+"),
    ),
    _rule(
        "github_token",
        lambda text, lower, digits: "gh" in text,
        _word("gh", r"[pousr]_[A-Za-z0-9]{20,255}\b"),
    ),
    _rule(
        "github_token",
        lambda text, lower, digits: "github_pat_" in text,
        _word("github_pat_", r"[A-Za-z0-9_]{20,255}\b"),
    ),
    _rule(
        "gitlab_token",
        lambda text, lower, digits: "gl" in text,
        _word("gl", r"(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}\b"),
    ),
    _rule(
        "slack_token",
        lambda text, lower, digits: "xox" in text or "xapp-" in text,
        _word("x", r"(?:ox[abposre]|app)-[A-Za-z0-9-]{10,}+"),
    ),
    _rule(
        "stripe_key",
        lambda text, lower, digits: "k_live_" in text or "k_test_" in text,
        r"[sr](?<!\w[sr])k_(?:live|test)_[A-Za-z0-9]{16,247}\b",
    ),
    _rule(
        "stripe_key",
        lambda text, lower, digits: "whsec_" in text,
        _word("whsec_", r"[A-Za-z0-9]{24,}+"),
    ),
    _rule(
        "google_api_key",
        lambda text, lower, digits: "AIza" in text,
        _word("AIza", r"[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    ),
    _rule(
        "google_oauth",
        lambda text, lower, digits: "ya29." in text,
        _word("ya29.", r"[0-9A-Za-z_-]{20,}+"),
    ),
    _rule(
        "google_oauth",
        lambda text, lower, digits: "GOCSPX-" in text,
        _word("GOCSPX-", r"[A-Za-z0-9_-]{28}\b"),
    ),
    _rule(
        "azure_account_key",
        lambda text, lower, digits: "accountkey=" in lower,
        rf"[A-Za-z0-9+/İıſK](?<={_ci('accountkey=')}[A-Za-z0-9+/İıſK])(?i:[A-Za-z0-9+/]{{19,}}+)"
        r"={0,2}",
    ),
    _rule(
        "azure_sas",
        lambda text, lower, digits: "sig=" in text,
        r"sig=(?<=[?&]sig=)[A-Za-z0-9%+/]{16,}+={0,2}",
        "sig=[REDACTED:azure_sas]",
    ),
    _rule(
        "azure_client_secret",
        lambda text, lower, digits: "8Q~" in text,
        r"[\w~.-](?<![\w~.-][\w~.-])[\w~.-]{2}8Q~[\w~.-]{31,34}(?![\w~.-])",
    ),
    _rule(
        "openai_key",
        lambda text, lower, digits: "sk-" in text,
        _word("sk-", r"(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{32,}+"),
    ),
    _rule(
        "huggingface_token",
        lambda text, lower, digits: "hf_" in text,
        _word("hf_", r"[A-Za-z0-9]{34,}+"),
    ),
    _rule(
        "npm_token",
        lambda text, lower, digits: "npm_" in text,
        _word("npm_", r"[A-Za-z0-9]{36}\b"),
    ),
    _rule(
        "pypi_token",
        lambda text, lower, digits: "pypi-AgE" in text,
        _word("pypi-AgE", r"[A-Za-z0-9_-]{50,}+"),
    ),
    _rule(
        "sendgrid_key",
        lambda text, lower, digits: "SG." in text,
        _word("SG.", r"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    ),
    _rule(
        "twilio_key",
        lambda text, lower, digits: "SK" in text and digits > 0,
        _word("SK", r"[0-9a-f]{32}\b"),
    ),
    _rule(
        "mailgun_key",
        lambda text, lower, digits: "key-" in text,
        _word("key-", r"[0-9a-f]{32}\b"),
    ),
    _rule(
        "shopify_token",
        lambda text, lower, digits: "shp" in text,
        _word("shp", r"(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b"),
    ),
    _rule(
        "digitalocean_token",
        lambda text, lower, digits: "_v1_" in text,
        _word("do", r"[opr]_v1_[a-f0-9]{64}\b"),
    ),
    _rule(
        "vault_token",
        lambda text, lower, digits: "hvs." in text or "hvb." in text or "hvr." in text,
        _word("hv", r"[sbr]\.[A-Za-z0-9_-]{24,}+"),
    ),
    _rule(
        "terraform_token",
        lambda text, lower, digits: ".atlasv1." in text,
        r"[A-Za-z0-9](?<!\w[A-Za-z0-9])[A-Za-z0-9]{13}\.atlasv1\.[A-Za-z0-9_-]{60,}+",
    ),
    _rule(
        "sentry_token",
        lambda text, lower, digits: "sntry" in text,
        _word("sntry", r"[su]_[A-Za-z0-9_=+/]{40,}+"),
    ),
    _rule(
        "linear_key",
        lambda text, lower, digits: "lin_" in text,
        _word("lin_", r"(?:api|oauth)_[A-Za-z0-9]{40}\b"),
    ),
    _rule(
        "doppler_token",
        lambda text, lower, digits: "dp." in text,
        _word("dp.", r"(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+"),
    ),
    _rule(
        "atlassian_token",
        lambda text, lower, digits: "ATATT3" in text,
        _word("ATATT3", r"[A-Za-z0-9_=-]{100,}+"),
    ),
    _rule(
        "age_key",
        lambda text, lower, digits: "AGE-SECRET-KEY-1" in text,
        _word("AGE-SECRET-KEY-1", r"[0-9A-Z]{58}\b"),
    ),
    # Bot API URLs put the token right after "/bot".
    _rule(
        "telegram_bot_token",
        lambda text, lower, digits: ":AA" in text,
        r"\d(?:(?<=/bot\d)|(?<![\w:]\d))\d{7,9}:AA[0-9A-Za-z_-]{33}(?![\w-])",
    ),
    _rule(
        "aws_key",
        lambda text, lower, digits: len(text) >= 20 and "A" in text,
        _word("A", r"(?:KIA|SIA|BIA|CCA|GPA|IDA|IPA|NPA|NVA|ROA|PKA)[A-Z0-9]{16}\b"),
    ),
    _rule(
        "aws_secret",
        lambda text, lower, digits: len(text) >= 40 and digits > 0,
        rf"{_B64}(?<![A-Za-z0-9/+=]{_B64}){_B64}{{39}}(?![A-Za-z0-9/+=])",
        _checked("aws_secret", _aws_secret),
    ),
    _rule(
        "card",
        lambda text, lower, digits: digits >= 13,
        r"[2-6](?<![\w-][2-6])\d{3}(?:[ -]?\d){9,15}(?![\w-])",
        _checked("card", _card),
    ),
    _rule(
        "iban",
        lambda text, lower, digits: digits >= 2 and len(text) >= 12,
        r"[A-Z](?<!\w[A-Z])[A-Z]\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b",
        _checked("iban", _iban_ok),
    ),
    _rule(
        "ssn",
        lambda text, lower, digits: digits >= 9 and "-" in text,
        r"\d(?<![\d-]\d)\d\d-(?<!000-)(?<!666-)(?<!9\d\d-)(?!00)\d{2}-(?!0000)\d{4}(?![\d-])",
    ),
]
KINDS = tuple(dict.fromkeys(kind for kind, _, _, _ in RULES))

EMAIL = re.compile(
    r"[\w.+-](?<![\w.+-][\w.+-])[\w.+-]{0,63}+@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
    r"\.[A-Za-z]{2,24}\b"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_HEX = "[0-9a-fA-F]"
# IPv4 | full IPv6 | compressed IPv6, from the first character: for IPv4 its digit is
# taken before the lookbehinds, then the rest of 25[0-5] | 2[0-4]\d | 1?\d?\d given it.
IP = re.compile(
    r"[\da-fA-F](?:(?<=\d)(?<![\w.]\d)(?:(?<=2)(?:5[0-5]|[0-4]\d)|(?<=1)\d\d|\d)?\."
    rf"(?:{_OCTET}\.){{2}}{_OCTET}(?![\w.])"
    rf"|(?<={_HEX})(?<![\w:]{_HEX}){_HEX}{{0,3}}:(?:(?:{_HEX}{{1,4}}:){{6}}{_HEX}{{1,4}}(?![\w:])"
    rf"|(?:{_HEX}{{1,4}}:){{0,5}}:(?:{_HEX}{{1,4}}:?){{0,6}}(?![\w:])))"
)
_SCHEMES = frozenset(
    {"bearer", "basic", "token", "digest", "negotiate", "bot", "aws4-hmac-sha256", "sentry"}
)


def _word_char(char: str) -> bool:
    return char.isalnum() or char in "_.-"


def _key_ends(text: str) -> list[int]:
    """Where a key ending in a secret word ends (a separator follows), in order."""
    folded = (text if text.isascii() else text.translate(_FOLD)).lower()
    ends: set[int] = set()
    for anchor, pattern in _WORD_ENDS.items():
        if anchor in folded:
            ends.update(match.end() for match in pattern.finditer(folded))
    return sorted(ends)


def _redact_key_values(text: str) -> str:
    out: list[str] = []
    done = 0
    for end in _key_ends(text):
        start = end
        while start > end - 61 and start > done and _word_char(text[start - 1]):
            start -= 1
        if start < done or end - start > 60 or (start and _word_char(text[start - 1])):
            continue  # inside a value already redacted, or too long a key to be one
        key = text[start:end]
        if not SECRET_KEY.match(key):
            continue
        found = _SEP_VALUE.match(text, end)
        if found is None:
            continue
        value = found["value"]
        following = text[found.end() : found.end() + 11]
        scheme = value.lower() in _SCHEMES and following.startswith(" [REDACTED")
        if "[REDACTED" in value or scheme:
            continue  # already redacted, or an auth scheme before its redacted value
        kind = re.sub(r"[^a-z0-9_]", "_", key.lower()).strip("_")[:40] or "secret"
        quote = value[0] if value[:1] in "\"'" and len(value) > 1 else ""
        out += [text[done : found.start("value")], f"{quote}[REDACTED:{kind}]{quote}"]
        done = found.end()
    if not out:
        return text
    out.append(text[done:])
    return "".join(out)


def _cookie(match: re.Match[str]) -> str:
    return f"{match['key']}[REDACTED:cookie]"


_NO_DIGITS = str.maketrans("", "", "0123456789")


def scrub_string(text: str, emails: bool, ips: bool) -> str:
    """`text` with every rule applied (emails and IPs only when asked)."""
    lower = text.lower()
    # ASCII digits by one C call; other text may hold other digits `\d` matches: count
    # them all then (the gates only need a lower bound, so too many is safe).
    digits = len(text) - len(text.translate(_NO_DIGITS)) if text.isascii() else len(text)
    for kind, gate, pattern, replace in RULES:
        if gate(text, lower, digits):
            text = pattern.sub(replace, text)
    if "cookie" in lower:
        text = _COOKIE_HEADER.sub(_cookie, text)
    if "=" in text or ":" in text:
        text = _redact_key_values(text)
    if emails and "@" in text:
        text = EMAIL.sub("[REDACTED:email]", text)
    if ips and (digits or ":" in text):
        text = IP.sub("[REDACTED:ip]", text)
    return text
