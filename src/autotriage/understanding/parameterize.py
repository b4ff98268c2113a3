"""Turn a message into its template: the variable parts replaced by placeholders.

Only fingerprints see templates; stored titles keep the original message. The shapes follow
Sentry's message parameterization (emails, URLs, hostnames, IPs, UUIDs, hex ids and SHAs,
dates and times, durations, numbers, quoted values after ``=``), extended with the rules
log-template miners use: a part of a token that contains a digit is data (``blk_-695229``,
``req-8f3a``, ``user42``, ``10.0.0.7:5432``), because in log text it almost always is;
paths, printed literals (``true``, ``null``) and bracketed single names are data; and a
few positional rules: any value after ``=``, the word after ``user``, a month, weekday or
time zone next to other date parts, a unit after a number. docs/grouping.md lists them
and how they score on Loghub.

`template` is pure and deterministic: two messages that differ only in their data give the
same string on any machine, in any order — a stateless grouping key. Every placeholder is
the same ``<*>`` there, a run of them collapses to one (the *kind* of a value varies
between occurrences of one template), and a bracket holding nothing or only a value is
dropped as an optional annotation. `parameterize` gives named placeholders (``<email>``,
``<ip>``...) for people to read.
"""

from __future__ import annotations

import re

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?"
_TLD = (
    r"(?:com|net|org|io|dev|app|cloud|internal|local|localdomain|lan|edu|gov|mil|info|biz|svc"
    r"|cluster|(?!js|py|go|rb|cs|ts|sh|so|gz|md|db|pl|rs|kt|hs|ex|py|cc|hh|el)[a-z]{2})"
)

# One alternation, tried left to right at each position: the more specific shape first.
_SHAPES: list[tuple[str, str]] = [
    ("email", r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    ("url", r"(?<![a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\"'<>()\[\]{}]+"),
    (
        "date",
        r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
        r"(?:Z|\s?[+-]\d{2}:?\d{2})?)?\b"
        rf"|\b(?:{_DAY}\s+)?{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?(?:\s+\d{{1,2}}:\d{{2}}"
        r"(?::\d{2}(?:[.,]\d+)?)?)?(?:\s+\d{4}\b)?"
        r"|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b",
    ),
    (
        "uuid",
        r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b",
    ),
    (
        "ip",
        r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?(?![\w.])"
        r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])"
        r"|(?<![\w:])(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4})?(?![\w:])",
    ),
    (
        "hostname",
        rf"(?<![\w.-])(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{{0,61}}[a-zA-Z0-9])?\.)+{_TLD}\b(?![.\w-])"
        r"(?::\d{1,5})?",
    ),
    ("hex", r"\b0[xX][0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]*[a-fA-F][0-9a-fA-F]*\b"),
    (
        "duration",
        r"\b\d+(?:\.\d+)?\s?(?:ns|us|µs|ms|s|sec|secs|seconds?|mins?|minutes?|h|hrs?|hours?"
        r"|days?)\b",
    ),
    ("quoted", r"(?<==)(?:\"[^\"]*\"|'[^']*')"),
    ("bool", r"(?<==)(?:true|false|True|False|null|None|nil)\b"),
    # Whatever token still holds a digit: numbers, counters, ids such as req_8f3a2 or blk_-69.
    ("int", r"(?<![^\s<>=:,;()\[\]{}\"'|])[^\s<>=:,;()\[\]{}\"'|]*\d[^\s<>=:,;()\[\]{}\"'|]*"),
]
_SHAPE = re.compile("|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _SHAPES))
# Possessive: no separator is "<", so backing off never finds another match, and the
# engine keeps no backtracking state for it.
_RUN = re.compile(r"<\*>(?:[\s/.,:_=&?-]*+<\*>)++")
# A bracket pair holding nothing or one value is an optional annotation ("bytes (1.2 KB)
# sent" and "bytes sent" are one statement; "from 1.2.3.4 ()" and "from ... (a.example)"
# too), so it leaves the template with the space before it.
# Not right after "=" (there the bracket is the value: "a=[]" keeps it), and only at the end
# of a word (inside one, as in "a()/b", dropping it would make another word).
# Each branch starts with a literal character (the space, or the bracket with the "=" test
# after it), so the expression scans for " ", "(" and "[" instead of trying every position.
_OPTIONAL = re.compile(
    r"(?: (?:\((?:<\*>)?\)|\[(?:<\*>)?\])|\((?<!=\()(?:<\*>)?\)|\[(?<!=\[)(?:<\*>)?\])"
    r"(?=[\s,.;:!?)\]}'\"]|$)"
)
# A comparison sign written against a number is part of the value ("lifetime <1 sec").
_SIGNED = re.compile(r"(?:(?<=\s)|^)[<>]=?<\*>")

_DELIMITER_CHARS = r"\s<>=,;()\[\]{}\"'|"
# A part of a token holding a digit, from delimiter to delimiter (':' joins rather than
# splits, so a time, a MAC or IPv6 address and host:port are one part). It starts only at
# a part's first character, so the pass is linear in the message's length.
_NUMBER = re.compile(rf"(?<![^{_DELIMITER_CHARS}])[^{_DELIMITER_CHARS}]*\d[^{_DELIMITER_CHARS}]*")
_DELIMITERS = re.compile(rf"([{_DELIMITER_CHARS}]+)")
# A value after "=" takes the brackets glued to it: ws=WorkSource{10113}, a=Info{x/y}.
_GLUED = re.compile(r"(?<==)<\*>(?:\([^()]*\)|\{[^{}]*\}|\[[^\[\]]*\])")
_EMAIL = re.compile(_SHAPES[0][1])
_URL = re.compile(_SHAPES[1][1])
_HOSTNAME = re.compile(_SHAPES[5][1])
_HEX_WORD = re.compile(r"[0-9a-fA-F]+")
_QUOTED = re.compile(r"(?<==)(?:\"[^\"]*\"|'[^']*')")
_MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec January February March April June"
_MONTHS += " July August September October November December"
_DAYS = "Mon Tue Wed Thu Fri Sat Sun Monday Tuesday Wednesday Thursday Friday Saturday Sunday"
_ZONES = "UTC GMT EST EDT CST CDT MST MDT PST PDT CET CEST BST IST JST AEST AEDT"
_WORDS = frozenset(f"{_MONTHS} {_DAYS} {_ZONES}".split())
# Literals are printed values ("down true canceled false", "overlap:false").
_LITERAL_NAMES = "true false True False TRUE FALSE null NULL None nil undefined"
_LITERALS = frozenset(_LITERAL_NAMES.split())
# Units: data when they follow a number ("1.16 KB", "3 seconds", "<1 sec").
_UNIT_NAMES = "B KB MB GB TB PB kB KiB MiB GiB TiB bytes byte kb mb gb ns us µs ms s sec secs"
_UNIT_NAMES += " second seconds min mins minute minutes h hr hrs hour hours day days % percent"
_UNIT_NAMES += " AM PM am pm"  # 12:31 PM
_UNITS = frozenset(_UNIT_NAMES.split())
_NAME_WORDS = frozenset({"user", "User", "users", "username", "Username"})
_DATE_WORD = "<?>"  # a date word or literal: data only next to other data
_UNIT_WORD = "<u>"  # a unit: data only right after a number
_TRAILING = ".,;:)]}"
_HOST_MAX = 255  # longer than any hostname or e-mail address: not worth a regular expression
_KEEP: dict[str, str] = {}
# Log streams repeat identical lines; their templates are remembered (bounded in count and
# in message length, so at most a few MB).
_MEMO: dict[str, str] = {}
_MEMO_LIMIT = 20_000
_MEMO_MAX_LENGTH = 512
_READABLE_LIMIT = 2000
# A grouping key reads a message's first 16 KiB: beyond that two messages are one problem,
# and the work per message stays bounded (the pass itself is linear: tens of ms per MB).
_TEMPLATE_LIMIT = 16_384
_KEEP_LIMIT = 100_000
_SEEN_LIMIT = 50_000
_KEEP_MAX_LENGTH = 64


def _is_value(part: str) -> bool:
    if len(part) > _HOST_MAX:
        return part.count("/") >= 2
    return (
        # eight or more hex digits with no decimal one: an id (deadbeef), as Sentry has it
        (len(part) >= 8 and _HEX_WORD.fullmatch(part) is not None)
        or ("@" in part and _EMAIL.fullmatch(part) is not None)
        or ("." in part and _HOSTNAME.fullmatch(part) is not None)
        # a path with two separators names a resource: /etc/x.d/chargen, a/b/c, C:\\x\\y
        or part.count("/") + part.count("\\") >= 2
    )


def _word(word: str) -> str:
    # The template piece of one whitespace-separated word whose digit parts are masked.
    bare = word.rstrip(_TRAILING)
    if bare in _WORDS:
        return _DATE_WORD + word[len(bare) :]
    if bare in _UNITS:
        return _UNIT_WORD + word[len(bare) :]
    if bare in _LITERALS:
        return "<*>" + word[len(bare) :]
    if word[:1] == "[" and word[-1:] == "]" and _DELIMITERS.search(word, 1, len(word) - 1) is None:
        return "[<*>]"  # one bracketed name: a thread, device or component ([main], [LNKD])
    parts = _DELIMITERS.split(word)
    for i in range(0, len(parts), 2):
        part = parts[i]
        if part and ((i and parts[i - 1].endswith("=")) or _is_value(part)):
            parts[i] = "<*>"  # a value after "=" is data, whatever its shape
        elif ":" in part and part.rpartition(":")[2] in _LITERALS:
            parts[i] = part.rpartition(":")[0] + ":<*>"
    piece = "".join(parts)
    return _GLUED.sub("<*>", piece) if "=<*>" in piece else piece


def _piece(word: str) -> str:
    # Every word's piece is remembered: words repeat, and once masked so do most values.
    piece = _word(word)
    if len(word) > _KEEP_MAX_LENGTH:
        return piece  # long words are ids and blobs: they do not repeat, and would hold memory
    if len(_KEEP) >= _KEEP_LIMIT:
        _KEEP.clear()
    _KEEP[word] = piece
    return piece


class _Seen(dict[str, str]):
    # The piece of every word met, by the word; a word not met yet is looked at once. Looked
    # up with `map(_SEEN.__getitem__, words)`, so a known word costs no Python-level call.
    __slots__ = ()

    def __missing__(self, word: str) -> str:
        # A word not met before: its digit parts masked, then its piece (remembered by the
        # masked form too, which repeats where the word itself does not).
        masked = _NUMBER.sub("<*>", word)
        piece = _KEEP.get(masked) or _piece(masked)
        if len(word) > _KEEP_MAX_LENGTH:
            return piece  # long words are ids and blobs: they do not repeat, would hold memory
        if len(self) >= _SEEN_LIMIT:
            self.clear()
        self[word] = piece
        return piece


_SEEN = _Seen()
_PIECE_OF = _SEEN.__getitem__


def clear_caches() -> None:
    """Forget remembered words and messages (for benchmarks that start cold)."""
    _KEEP.clear()
    _SEEN.clear()
    _MEMO.clear()


def template(message: str) -> str:
    """The grouping template of `message`: every variable part one ``<*>``.

    Each whitespace-separated word's piece is remembered; a word met for the first time has
    its digit parts masked by one pass of a regular expression (parts run from delimiter to
    delimiter: whitespace and ``=,;()[]{}<>"'|``) and only then meets the slower rules
    (e-mail addresses, hostnames, paths, values after ``=``). Dates, units and user names
    are data by their neighbours. All of it is linear in the message's length. Whitespace
    runs collapse to one space.
    """
    known = _MEMO.get(message)
    if known is not None:
        return known
    result = compute_template(message)
    if len(message) <= _MEMO_MAX_LENGTH:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()  # a crude bound: cheaper than LRU bookkeeping on every call
        _MEMO[message] = result
    return result


def compute_template(message: str) -> str:
    """`template` without the cache of repeated messages."""
    text = message[:_TEMPLATE_LIMIT]
    if "=" in text and ("='" in text or '="' in text):
        text = _QUOTED.sub("<*>", text)
    if "://" in text:
        text = _URL.sub("<*>", text)
    words = text.split()
    pieces = list(map(_PIECE_OF, words))
    text = " ".join(pieces)
    # "ser" is in both "user" and "User"; a name word counts only as a whole piece.
    if "<?>" in text or "<u>" in text or ("ser" in text and not _NAME_WORDS.isdisjoint(pieces)):
        text = _resolve_words(words, pieces, text)
    text = _tidy(text)
    if text == "<*>" and len(words) > 1:
        return " ".join(["<*>"] * len(words))  # all data: only the word count tells apart
    return text


def _tidy(text: str) -> str:
    # The shape rules, repeated while one of them changes the text (rare: dropping a
    # bracket or folding a value can bring two values together), so that templating a
    # template changes nothing.
    while True:
        if text.count("<*>") > 1:
            text = _RUN.sub("<*>", text)
        before = text
        if "=<*>" in text and ("=<*>(" in text or "=<*>{" in text or "=<*>[" in text):
            text = _GLUED.sub("<*>", text)  # a run can end right before a bracket
        if _has_optional(text):
            text = _drop_optional(text)
        if "<<" in text or "><" in text:
            text = _SIGNED.sub("<*>", text)
        if text == before:
            return text


def _has_optional(text: str) -> bool:
    # Whether `text` holds a bracket `_OPTIONAL` may drop (a cheap test before the pass).
    return ("(" in text or "[" in text) and (
        "()" in text or "(<*>)" in text or "[]" in text or "[<*>]" in text
    )


def _drop_optional(text: str) -> str:
    # Repeated so that "((1))" and its template give the same result (templates are
    # idempotent); each round removes at least two characters. Another round runs only
    # while the text still holds an empty or one-value bracket, which every match needs.
    while True:
        text, dropped = _OPTIONAL.subn("", text)
        if not dropped or not _has_optional(text):
            break
    if text[:1] == " " or "  " in text:  # a bracket that opened the message, or stood alone
        text = " ".join(text.split())
    return text


def _resolve_words(words: list[str], pieces: list[str], text: str) -> str:
    # Words that are data by position: the word after "user" is a user name ("Invalid user
    # admin from ...", but in "invalid user user from" the name is the second "user"), a
    # unit right after a number is part of it, and a month, weekday or zone next to a
    # masked value is part of a date ("Sat Jun 4 12:00:01"; two sweeps let "Sat" see "4"
    # through "Jun"). Only the marked words are visited: `text` is the pieces joined by
    # single spaces, so a mark's index is the number of spaces before it.
    out = pieces
    last = len(out) - 1
    # A piece that is a name word is that word unmasked (every masked piece holds a "<").
    if not _NAME_WORDS.isdisjoint(out):
        for i in [i for i in range(last) if out[i] in _NAME_WORDS]:
            if out[i] == words[i]:  # not itself the name after an earlier "user"
                out[i + 1] = "<*>"
    units, dates = _marks(text, _UNIT_WORD), _marks(text, _DATE_WORD)
    for i in units:
        if i and out[i - 1].endswith("<*>"):
            out[i] = "<*>" + out[i][3:]
    for order in (dates, dates[::-1]):
        for i in order:
            before = i > 0 and out[i - 1].endswith("<*>")
            if before or (i < last and out[i + 1].startswith("<*>")):
                out[i] = "<*>" + out[i][3:]
    for i in units + dates:
        if out[i].startswith((_DATE_WORD, _UNIT_WORD)):
            out[i] = words[i]
    return " ".join(out)


def _marks(text: str, mark: str) -> list[int]:
    found = []
    at = text.find(mark)
    while at >= 0:
        if at == 0 or text[at - 1] == " ":  # a mark starts its piece
            found.append(text.count(" ", 0, at))
        at = text.find(mark, at + 3)
    return found


def parameterize(message: str) -> str:
    """`message` with every variable part replaced by a named placeholder, such as ``<ip>``.

    For people to read (the first 2,000 characters); it uses the shape expressions rather
    than `template`'s token fast path, so a value's kind shows even when it holds no digit.
    """

    def name(match: re.Match[str]) -> str:
        return f"<{match.lastgroup}>"

    # The named expressions backtrack on pathological input; people read short messages.
    return _SHAPE.sub(name, " ".join(message[:_READABLE_LIMIT].split()))
