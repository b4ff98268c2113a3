"""The patterns of `autotriage.understanding.secrets`: data only (nothing here runs once
imported), so the scrubber's hot path stays in two modules.

Every pattern runs in linear time with a small constant: it starts with a literal or a
narrow class, lookbehinds come after that first character, repeats are bounded or
possessive, and no lazy span rescans the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

_KEY_WORDS = (
    r"password|passwd|pwd|passphrase|secret|api[_-]?key|apikey|access[_-]?key|auth|authorization"
    r"|credentials?|token|private[_-]?key|session(?:[_-]?id)?|sessid|cookie|signature|dsn"
    r"|account[_-]?key"
)
# A key is secret when one of the words ends it (optionally with an _id/_key suffix), so
# "db_password", "X-Auth-Token" and "sessionid" match while "author" and "tokenizer" don't.
SECRET_KEY = re.compile(rf"(?i)^[\w.-]{{0,200}}?(?:{_KEY_WORDS})(?:[_-]?(?:id|key|value|hash))?$")
# A key=value pair: a secret word (and suffix; any case, as `(?i)` would read it) ending a
# run of [\w.-] at most 60 long, a separator and a value (quoted, bounded; or unquoted, to
# the next stop character). Separator and value are taken atomically, the first that fits,
# and the value is redacted only when it holds no ``[REDACTED``. A value that is not
# redacted is not consumed (keys inside it are read), except an unquoted one up to its
# redaction (held): every key before that holds it too, so a flood of keys before one
# redaction stays linear. The pattern reads the text as it is (letters as `ci` classes),
# so no lower-case copy is made and `split` gives the text's own pieces.
_WORDS = {  # each word's first letter -> the rest of the words that start with it
    "p": "(?:ass(?:word|wd|phrase)|wd|rivate[_-]?key)",
    "s": "(?:ecret|ession(?:[_-]?id)?|essid|ignature)",
    "a": "(?:pi[_-]?key|pikey|ccess[_-]?key|uth(?:orization)?|ccount[_-]?key)",
    "t": "oken",
    "c": "(?:redentials?|ookie)",
    "d": "sn",
}
# Each word starts with one of these.
ANCHORS: tuple[str, ...] = ("pass", "pwd", "secret", "api", "access", "auth", "credential")
ANCHORS += ("token", "private", "sess", "cookie", "signature", "dsn", "account")
_STOP = r"\s,;&)}\]\"'"
_CLEAN = r"(?!\[REDACTED)"
# What `(?i)` folds onto an ASCII letter besides its own two cases (sre's own table).
_EXOTIC = "\u0130\u0131\u017f\u212a"  # dotted I, dotless i, long s, Kelvin sign
_FOLDS = {"i": "iI\u0130\u0131", "k": "kK\u212a", "s": "sS\u017f"}


def _case_class(char: str) -> str:
    return f"[{_FOLDS.get(char, char + char.upper())}]"


def ci(word: str) -> str:
    """`word` as classes that match exactly what ``(?i)word`` matches, but let the regex
    engine skip ahead to the first letter (an ignore-case pattern tries every position)."""
    return "".join(_case_class(c.lower()) if c.isalpha() else re.escape(c) for c in word)


def _ci_pattern(pattern: str) -> str:
    """`pattern` (lower-case letters, groups, alternations and letterless classes) with
    each letter outside a class as its `ci` class."""
    return re.sub(r"\[[^\]]*\]|\\.|[a-z]", lambda m: ci(m[0]) if m[0].isalpha() else m[0], pattern)


# One branch per case of each first letter, each starting with that letter: the engine
# skips in C to where one could start, and each branch is ruled out by its first letter.
_WORD = "|".join(
    f"{first}{_ci_pattern(rest)}"
    for word, rest in _WORDS.items()
    for first in _case_class(word)[1:-1]
)
# The word and suffix ending the key (a run of [\w.-] at most 60 long ends there), then
# the separator (`=>`, `=` or `:`; a string prefix before a quote), then a value's opening
# quote: the value is what a token replaces, the quotes stay around it. Optional parts are
# alternations with an empty branch and one-character dispatches: sre runs them in fewer
# steps than `(...)?` groups, trying the same branches in the same order.
_KEY = rf"(?P<word>(?:{_WORD}){_ci_pattern('(?:[_-]?(?:id|key|value|hash)|)')})(?<![\w.-]{{61}})"
_SEP = (
    r"(?P<sep>[\"']?\s{0,8}(?:=>?|:)\s{0,8}"
    r"(?:[rRbBfFuU](?:(?<=[rR])[bBfF]?|(?<=[bBfF])[rR]?|(?<=[uU]))(?=[\"'])|)[\"']?)"
)
_UNQUOTED = r"(?<![\"'])"  # the separator took no quote


def _inside(quote: str, clean: str = "") -> str:
    """What a value in `quote`s holds, after the separator took the opening one: first a
    run with no escape (nor, when `clean`, a ``[``), one fast repeat that matches only
    where the general form would match the same; then that form (escapes; each character
    `clean`). The closing quote follows (the ``close`` group takes it)."""
    bracket = r"\[" if clean else ""
    fast = rf"[^{quote}\\\n{bracket}]{{0,2048}}+(?={quote})"
    return rf"(?<={quote})(?:{fast}|(?:{clean}[^{quote}\\\n]|\\{clean}.){{0,2048}}+(?={quote}))"


_QUOTED = _inside('"') + "|" + _inside("'")
_QUOTED_CLEAN = _inside('"', _CLEAN) + "|" + _inside("'", _CLEAN)
# Groups: word, sep, value (for a held value, the run up to its redaction), close (the
# closing quote; after an unquoted value, a quote that follows it, which no key reads).
# Separator and value are atomic: a quoted value holding a redaction matches, then fails
# the condition.
KEY_VALUE = re.compile(
    rf"{_KEY}(?>{_SEP}(?:(?P<value>{_QUOTED_CLEAN}"
    rf"|{_UNQUOTED}(?:{_CLEAN}[^{_STOP}])++(?![^{_STOP}])"
    rf"|{_UNQUOTED}(?:{_CLEAN}[^{_STOP}])*+(?=\[REDACTED))|{_QUOTED})(?P<close>[\"']?))"
    r"(?(value)|(?!))"
)
# `KEY_VALUE` for a text with no ``[REDACTED`` in it (nothing can be held or unclean, so
# the same pairs, with fewer steps each: the hot path of a key=value flood). Nothing
# follows the value, so the atomic group is left out (the first fit is the same), and so
# is the closing quote: no pair starts at a quote, so leaving it to the text after the pair
# finds the same pairs with one part less per pair. The commonest value, unquoted, is
# tried first.
# A bare "=" before what cannot start a longer separator (">", space, a quote, a string
# prefix) is the separator the general form would take: tried first, in one step.
_SEP_PLAIN = _SEP.replace("(?P<sep>", "(?P<sep>=(?![>\\s\"'rRbBfFuU])|", 1)
KEY_VALUE_PLAIN = re.compile(rf"{_KEY}{_SEP_PLAIN}(?P<value>{_UNQUOTED}[^{_STOP}]++|{_QUOTED})")
KEY_RUN = re.compile(r"[\w.-]*")  # matches any text: its end is where a key's run ends
COOKIE_HEADER = re.compile(
    rf"(?m)(?P<key>{ci('cookie')}(?<!\w{ci('cookie')})\b[\"']?[ \t]{{0,8}}[:=][ \t]{{0,8}})"
    r"(?P<value>[^\n\"]++)"
)
# The PEM body: base64, whitespace, escaped newlines (keys pasted into JSON or env files)
# and the RFC 1421 headers of encrypted keys, taken possessively up to an optional END line.
# A header is tried before each character that could start one (P, D, V, C); runs of the
# others are taken whole.
PEM_BODY = (
    r"(?:(?:Proc-Type|DEK-Info|Version|Comment):[^\n\\]{0,200}"
    r"|[A-BE-OQ-UW-Za-z0-9+/=\s]++|[A-Za-z0-9+/=\s]|\\[nr])*+"
)
PEM_LABEL = r"[A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"
B64 = "[A-Za-z0-9/+]"
CI_B64 = rf"[A-Za-z0-9+/{_EXOTIC}]"  # what (?i)[A-Za-z0-9+/] matches
TOKEN68 = rf"[A-Za-z0-9._~+/\-{_EXOTIC}]"  # what (?i)[A-Za-z0-9._~+/-] matches
# The first character of a separator after "authorization", then the rest of
# ["']?[ \t]{0,8}[:=][ \t]{0,8}["']? given which it was.
AUTH_SEP = (
    r"(?P<sep>[\"' \t:=](?<=" + ci("authorization") + r"[\"' \t:=])"
    r"(?:(?<=[\"'])[ \t]{0,8}[:=]|(?<=[ \t])[ \t]{0,7}[:=]|(?<=[:=]))[ \t]{0,8}[\"']?)"
)
SCHEME = (
    r"(?P<scheme>(?i:Bearer|Basic|Token|Digest|Negotiate|AWS4-HMAC-SHA256|Bot|Sentry)[ \t]{1,8})"
)


# An address starts where no local-part character stands before it; nor right after an
# address's own marker, so that what a redaction ungluing leaves is judged as it was in the
# first pass ("a@b.cosk-x@b.co" keeps "-x@b.co" on both: scrubbing stays idempotent).
EMAIL = re.compile(
    r"[\w.+-](?<![\w.+-][\w.+-])(?<!\[REDACTED:email\][\w.+-])[\w.+-]{0,63}+@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
    r"\.[A-Za-z]{2,24}\b"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1?\d?\d)"
_HEX = "[0-9a-fA-F]"
# IPv4's first digit is taken before its lookbehind, then the rest of 25[0-5] | 2[0-4]\d |
# 1?\d?\d given that digit; IPv6 (full | compressed) likewise from its first hex digit.
_IPV4 = (
    r"(?<![\w.]\d)(?:(?<=2)(?:5[0-5]|[0-4]\d)|(?<=1)\d\d|\d)?\."
    rf"(?:{_OCTET}\.){{2}}{_OCTET}(?![\w.])"
)
_IPV6 = (
    rf"(?<![\w:]{_HEX}){_HEX}{{0,3}}:(?:(?:{_HEX}{{1,4}}:){{6}}{_HEX}{{1,4}}(?![\w:])"
    rf"|(?:{_HEX}{{1,4}}:){{0,5}}:(?:{_HEX}{{1,4}}:?){{0,6}}(?![\w:]))"
)
# Either alone when the text cannot hold the other; both, in one pattern, when it can.
IPS = {
    (True, False): re.compile(rf"\d{_IPV4}"),
    (False, True): re.compile(rf"{_HEX}{_IPV6}"),
    (True, True): re.compile(rf"[\da-fA-F](?:(?<=\d){_IPV4}|(?<={_HEX}){_IPV6})"),
}
SCHEMES = frozenset(
    {"bearer", "basic", "token", "digest", "negotiate", "bot", "aws4-hmac-sha256", "sentry"}
)


# Shapes every match of a rule contains (its lookarounds dropped, classes widened: \w to
# all but the ASCII non-word characters, \d to Unicode decimals), searched by RE2 (linear,
# in C) in long texts before the rule runs: a long text with nothing of that shape skips
# it. Rules that start with a literal need none; these try many positions.
_NOT_ASCII_WORD = r"[^\x00-\x2c/:-@\[-\^`{-\x7f]"
_D = r"\p{Nd}"
_H = "[0-9A-Fa-f]"
SHAPES_OF = {
    "azure_client_secret": rf"{_NOT_ASCII_WORD}{{3}}8Q~{_NOT_ASCII_WORD}{{31}}",
    "terraform_token": r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_-]{60,}",
    "telegram_bot_token": rf"{_D}{{8}}:AA[0-9A-Za-z_-]{{33}}",
    "azure_account_key": rf"(?i)accountkey=[A-Za-z0-9+/{_EXOTIC}]{{20,}}",
    "aws_secret": r"[A-Za-z0-9/+]{40}",
    "card": rf"[2-6]{_D}{{3}}(?:[ -]?{_D}){{9}}",
    "iban": rf"[A-Z]{{2}}{_D}{{2}}(?: ?[A-Z0-9]{{4}}){{2}}",
    "ssn": rf"{_D}{{3}}-{_D}{{2}}-{_D}{{4}}",
    "email": r"@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2}",
    "ipv4": rf"{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}\.{_D}{{1,3}}",
    "ipv6": rf"(?:{_H}{{1,4}}:){{7}}{_H}|{_H}::",
}


@dataclass(frozen=True, slots=True)
class Needs:
    """A gate met when the text is at least `length` long, holds at least `digits` digits
    (a lower bound, as `scrub.scrub_string` counts them) and `char`, if given."""

    length: int = 0
    digits: int = 0
    char: str = ""

    def met(self, text: str, digits: int) -> bool:
        """Whether `text` (holding `digits` digits) meets this."""
        return len(text) >= self.length and digits >= self.digits and self.char in text

    @property
    def shortest(self) -> int:
        """The length of the shortest text that can meet this."""
        return max(self.length, self.digits, len(self.char))


def literal_search(literals: Iterable[str]) -> re.Pattern[str]:
    """A pattern whose `findall` gives every one of `literals` a text holds, overlapping
    ones too (no literal starts another). It takes a literal's first character, then looks
    from there (a lookahead inside a one-character lookbehind) for the literals that start
    with it: the engine skips in C to those characters instead of trying every position."""
    rests: dict[str, list[str]] = {}
    for literal in sorted(literals, key=len, reverse=True):
        rests.setdefault(literal[0], []).append(re.escape(literal[1:]))
    first = "".join(sorted(map(re.escape, rests)))
    starts = "|".join(f"{re.escape(char)}(?:{'|'.join(rest)})" for char, rest in rests.items())
    return re.compile(f"[{first}](?<=(?=({starts}))[{first}])")


# What `secrets.redact_key_values` cuts and searches with.
KV_LAST_61, KV_REVERSED, KV_TO_40 = slice(None, -62, -1), slice(None, None, -1), slice(0, 40)
KV_RUN_BEFORE = re.compile(r"\x00(?<=[\w.-]\x00)")  # a text before a pair ends in a key's run
KV_RUNS = re.compile(r"\x00([\w.-]*)")
KV_NOT_KIND = re.compile(r"[^a-z0-9_\n]")
KV_LEADING = re.compile(r"\n_+")
KV_MARKS = ("[REDACTED", " [REDACTED")
KV_TRAILING = re.compile(r"_(?<!__)_*+\n")  # tried from a run's first "_" only: linear
KV_LONG = re.compile(r"\n[^\n]{41}")
# A kind (a key lowered, "-" and "." as "_") that holds a lower-case token prefix a rule
# would read in its token becomes "secret" instead (none of the upper-case, "-" or "."
# prefixes survive; a card's digits cannot end a kind). `KV_TOKEN_LITERALS` is the cheap
# test (`in`, in C) before the pattern.
KV_TOKEN_LITERALS = ("gh", "github_pat_", "npm_", "k_live_", "k_test_", "whsec_", "hf_", "shp")
_TOKENISH = r"gh[pousr]_|github_pat_|npm_|[sr]k_(?:live|test)_|whsec_|hf_|shp(?:at|ss|ca|pa)_"
KV_TOKENISH = re.compile(_TOKENISH)
KV_TOKENISH_KIND = re.compile(rf"(?m)^[^\n]*(?:{_TOKENISH})[^\n]*")


class Lower(str):
    """A gate met when the text's lower case holds this."""

    __slots__ = ()


Replace = Callable[[re.Match[str]], str]
Gate = str | tuple[str, ...] | Needs
Rule = tuple[str, Gate, re.Pattern[str], "Replace | str"]


def rule(kind: str, gate: Gate, pattern: str, replace: Replace | str | None = None) -> Rule:
    """A rule; its gate is a substring the text (or, `Lower`, its lower case) needs, a
    tuple of them (one is enough), or what it `Needs` (length, digits, a character)."""
    return (kind, gate, re.compile(pattern), f"[REDACTED:{kind}]" if replace is None else replace)


def word(literal: str, rest: str) -> str:
    """``\\b`` + `literal` + `rest`, with the boundary checked after the literal (so the
    engine searches for the literal instead of trying a boundary at every position)."""
    lit = re.escape(literal)
    return rf"{lit}(?<!\w{lit}){rest}"


def glued(literal: str, rest: str) -> str:
    """`literal` + `rest` where a word character comes right before `literal` (where
    `word` does not match), checked after the literal like `word`'s boundary."""
    lit = re.escape(literal)
    return rf"{lit}(?<=\w{lit}){rest}"
