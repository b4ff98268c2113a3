"""The secret rules `autotriage.understanding.scrub` applies to one string.

Each rule is a pattern with a cheap gate (a substring it needs), so most strings skip most
rules. Every pattern runs in time linear in its input: no lazy span that rescans the rest
of the text for each start (the PEM rule takes the key body's own alphabet, possessively),
and bounded repeats elsewhere; `bench/redos.py` measures each on 1 MB of adversarial text.

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
_QUOTE = r"[\"']"
# A key candidate is any token before "=", ":" or "=>"; whether it names a secret is decided
# by `SECRET_KEY` afterwards. (One expression doing both is quadratic on "a.a.a..." text.)
_KEY = re.compile(r"(?<![\w.-])(?P<key>[\w.-]{1,60})(?=[\"']?\s{0,8}(?:=>|[=:]))")
# Quoted values are bounded: an unclosed quote after every key would otherwise rescan the
# rest of the text once per key.
_SEP_VALUE = re.compile(
    rf"(?P<sep>{_QUOTE}?\s{{0,8}}(?:=>|[=:])\s{{0,8}})"
    r"(?P<value>\"(?:[^\"\\\n]|\\.){0,2048}+\"|'(?:[^'\\\n]|\\.){0,2048}+'|[^\s,;&)}\]\"']++)"
)
_COOKIE_HEADER = re.compile(
    r"(?im)(?P<key>\b(?:set-)?cookie\b[\"']?[ \t]{0,8}[:=][ \t]{0,8})(?P<value>[^\n\"]++)"
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
_Rule = tuple[str, re.Pattern[str], "_Replace | None"]


def _simple(kind: str, pattern: str) -> _Rule:
    return (kind, re.compile(pattern), None)


# The PEM body: base64, whitespace, escaped newlines (keys pasted into JSON or env files)
# and the RFC 1421 headers of encrypted keys, taken possessively up to an optional END line.
_PEM_BODY = r"(?:(?:Proc-Type|DEK-Info|Version|Comment):[^\n\\]{0,200}|[A-Za-z0-9+/=\s]|\\[nr])*+"
_PEM_LABEL = r"[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"

RULES: list[_Rule] = [
    _simple("private_key", rf"-----BEGIN {_PEM_LABEL}{_PEM_BODY}(?:-----END {_PEM_LABEL})?"),
    _simple("slack_webhook", r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[\w/]++"),
    _simple("discord_webhook", r"https://(?:\w+\.)?discord(?:app)?\.com/api/webhooks/\d+/[\w-]++"),
    _simple(
        "url_credentials", r"(?<=://)(?!\[REDACTED:)[^/\s:@\"'<>]{0,256}:[^/\s@\"'<>]{1,512}(?=@)"
    ),
    _simple("sentry_dsn_key", r"(?<=://)[0-9a-f]{32}(?=@)"),
    (
        "authorization",
        re.compile(
            r"(?i)(?<=authorization)(?P<sep>[\"']?[ \t]{0,8}[:=][ \t]{0,8}[\"']?)"
            r"(?P<scheme>(?:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|Bot|Sentry)"
            r"[ \t]{1,8})?[^\s\"',;]++"
        ),
        lambda m: f"{m['sep']}{m['scheme'] or ''}[REDACTED:authorization]",
    ),
    # RFC 6750's b64token: "=" only as padding at the end ("bearer expires_in=3600" stays).
    _simple("bearer", r"(?i)(?<=bearer )(?!\[REDACTED)[A-Za-z0-9._~+/-]{8,}+=*+(?![\w=[])"),
    _simple("jwt", r"\beyJ[A-Za-z0-9_-]{5,}+\.eyJ[A-Za-z0-9_-]{5,}+\.[A-Za-z0-9_-]*+"),
    _simple(
        "github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})\b"
    ),
    _simple("gitlab_token", r"\bgl(?:pat|dt|rt|ptt|cbt|oas)-[A-Za-z0-9_-]{20,64}\b"),
    _simple("slack_token", r"\b(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}+"),
    _simple(
        "stripe_key", r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,247}\b|\bwhsec_[A-Za-z0-9]{24,}+"
    ),
    _simple("google_api_key", r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
    _simple("google_oauth", r"\bGOCSPX-[A-Za-z0-9_-]{28}\b|\bya29\.[0-9A-Za-z_-]{20,}+"),
    _simple("azure_account_key", r"(?i)(?<=AccountKey=)[A-Za-z0-9+/]{20,}+={0,2}"),
    _simple("azure_sas", r"(?<=[?&]sig=)[A-Za-z0-9%+/]{16,}+={0,2}"),
    _simple("azure_client_secret", r"(?<![\w~.-])[\w~.-]{3}8Q~[\w~.-]{31,34}(?![\w~.-])"),
    _simple(
        "openai_key", r"\bsk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\d\d-)?[A-Za-z0-9_-]{32,}+"
    ),
    _simple("huggingface_token", r"\bhf_[A-Za-z0-9]{34,}+"),
    _simple("npm_token", r"\bnpm_[A-Za-z0-9]{36}\b"),
    _simple("pypi_token", r"\bpypi-AgE[A-Za-z0-9_-]{50,}+"),
    _simple("sendgrid_key", r"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"),
    _simple("twilio_key", r"\bSK[0-9a-f]{32}\b"),
    _simple("mailgun_key", r"\bkey-[0-9a-f]{32}\b"),
    _simple("shopify_token", r"\bshp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}\b"),
    _simple("digitalocean_token", r"\bdo[opr]_v1_[a-f0-9]{64}\b"),
    _simple("vault_token", r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}+"),
    _simple("terraform_token", r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}+"),
    _simple("sentry_token", r"\bsntry[su]_[A-Za-z0-9_=+/]{40,}+"),
    _simple("linear_key", r"\blin_(?:api|oauth)_[A-Za-z0-9]{40}\b"),
    _simple("doppler_token", r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}+"),
    _simple("atlassian_token", r"\bATATT3[A-Za-z0-9_=-]{100,}+"),
    _simple("age_key", r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}\b"),
    # Bot API URLs put the token right after "/bot".
    _simple("telegram_bot_token", r"(?:(?<=/bot)|(?<![\w:]))\d{8,10}:AA[0-9A-Za-z_-]{33}(?![\w-])"),
    _simple(
        "aws_key", r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|AROA|APKA)[A-Z0-9]{16}\b"
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
    _simple("ssn", r"(?<![\d-])(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}(?![\d-])"),
]
# A condition each rule's pattern needs before it can match, checked with substring scans
# (most strings in an event are names and paths): skipping a rule whose condition fails
# changes nothing, and saves most of the regex work. Keep in step with RULES.
_Gate = Callable[[str, str, int], bool]
GATES: dict[str, _Gate] = {
    "private_key": lambda text, lower, digits: "-----BEGIN" in text,
    "slack_webhook": lambda text, lower, digits: "hooks.slack.com" in text,
    "discord_webhook": lambda text, lower, digits: "/api/webhooks/" in text,
    "url_credentials": lambda text, lower, digits: "://" in text,
    "sentry_dsn_key": lambda text, lower, digits: "://" in text and "@" in text,
    "authorization": lambda text, lower, digits: "authorization" in lower,
    "bearer": lambda text, lower, digits: "bearer " in lower,
    "jwt": lambda text, lower, digits: "eyJ" in text,
    "github_token": lambda text, lower, digits: "gh" in text or "github_pat_" in text,
    "gitlab_token": lambda text, lower, digits: "gl" in text,
    "slack_token": lambda text, lower, digits: "xox" in text or "xapp-" in text,
    "stripe_key": lambda text, lower, digits: (
        "k_live_" in text or "k_test_" in text or "whsec_" in text
    ),
    "google_api_key": lambda text, lower, digits: "AIza" in text,
    "google_oauth": lambda text, lower, digits: "GOCSPX-" in text or "ya29." in text,
    "azure_account_key": lambda text, lower, digits: "accountkey=" in lower,
    "azure_sas": lambda text, lower, digits: "sig=" in text,
    "azure_client_secret": lambda text, lower, digits: "8Q~" in text,
    "openai_key": lambda text, lower, digits: "sk-" in text,
    "huggingface_token": lambda text, lower, digits: "hf_" in text,
    "npm_token": lambda text, lower, digits: "npm_" in text,
    "pypi_token": lambda text, lower, digits: "pypi-AgE" in text,
    "sendgrid_key": lambda text, lower, digits: "SG." in text,
    "twilio_key": lambda text, lower, digits: "SK" in text and digits > 0,
    "mailgun_key": lambda text, lower, digits: "key-" in text,
    "shopify_token": lambda text, lower, digits: "shp" in text,
    "digitalocean_token": lambda text, lower, digits: "_v1_" in text,
    "vault_token": lambda text, lower, digits: "hvs." in text or "hvb." in text or "hvr." in text,
    "terraform_token": lambda text, lower, digits: ".atlasv1." in text,
    "sentry_token": lambda text, lower, digits: "sntry" in text,
    "linear_key": lambda text, lower, digits: "lin_" in text,
    "doppler_token": lambda text, lower, digits: "dp." in text,
    "atlassian_token": lambda text, lower, digits: "ATATT3" in text,
    "age_key": lambda text, lower, digits: "AGE-SECRET-KEY-1" in text,
    "telegram_bot_token": lambda text, lower, digits: ":AA" in text,
    "aws_key": lambda text, lower, digits: len(text) >= 20 and "A" in text,
    "aws_secret": lambda text, lower, digits: len(text) >= 40 and digits > 0,
    "card": lambda text, lower, digits: digits >= 13,
    "iban": lambda text, lower, digits: digits >= 2 and len(text) >= 12,
    "ssn": lambda text, lower, digits: digits >= 9 and "-" in text,
}
KINDS = tuple(kind for kind, _, _ in RULES)

EMAIL = re.compile(
    r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b"
)
IP = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\w.])"
    r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}(?![\w:])"
    r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:?){0,6}(?![\w:])"
)
_SCHEMES = frozenset(
    {"bearer", "basic", "token", "digest", "negotiate", "bot", "aws4-hmac-sha256", "sentry"}
)


def _redact_key_values(text: str) -> str:
    out: list[str] = []
    done = 0
    for match in _KEY.finditer(text):
        if match.start() < done or not SECRET_KEY.match(match["key"]):
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


def scrub_string(text: str, emails: bool, ips: bool) -> str:
    """`text` with every rule applied (emails and IPs only when asked)."""
    lower = text.lower()
    digits = sum(map(str.isdigit, text))
    for kind, pattern, replace in RULES:
        if GATES[kind](text, lower, digits):
            text = pattern.sub(replace or f"[REDACTED:{kind}]", text)
    if "cookie" in lower:
        text = _COOKIE_HEADER.sub(_cookie, text)
    if "=" in text or ":" in text:
        text = _redact_key_values(text)
    if emails and "@" in text:
        text = EMAIL.sub("[REDACTED:email]", text)
    if ips and (digits or ":" in text):
        text = IP.sub("[REDACTED:ip]", text)
    return text
