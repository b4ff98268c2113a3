"""Undo what logs do to traces before the parsers read them.

Two things happen to a trace on its way through a logging pipeline:

* each line gets a prefix: a timestamp, a level, a thread or logger in brackets, a
  request id, a syslog ``host app[pid]:`` or a container runtime's ``stderr F``;
* the whole trace becomes one JSON log line, with ``\\n`` escapes (structured loggers,
  Docker's json-file driver, Lambda, pino, bunyan, winston, logback's JSON encoder);
* a chat message wraps it in ``` fences and escapes ``&``, ``<`` and ``>`` (Slack).

`clean_lines` returns the text's lines with prefixes removed and JSON lines expanded into
the message and stack they carry, plus the most severe level the prefixes and JSON
fields named. Indentation after a prefix is kept, since Python tracebacks rely on it.

Two more questions about log lines are answered here, for sources that read logs line by
line (CloudWatch): whether a line starts a new log record (`starts_record`: a timestamp,
a level, a Lambda runtime line, a JSON object; a traceback's continuation lines do not),
and whether a record reports an error at all (`reports_error`). JSON records are read by
`autotriage.understanding.logjson` (AWS Lambda's error document among them); Lambda's line
shapes are found here: Node's ``Invoke Error`` line ending in its JSON error document, and
Python's ``[ERROR] Type: value`` line printed before the traceback it ends.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

from autotriage.models import LEVELS, Level, normalize_level
from autotriage.understanding.containerlog import is_partial_record, join_cri_pieces
from autotriage.understanding.logjson import (
    LEVEL_KEYS,
    TYPE_KEYS,
    get_field,
    json_record,
    json_records,
    texts_from_json,
    trailing_record,
)
from autotriage.understanding.logwrap import (
    DASH_HINT,
    DASH_TAIL,
    dash_tailed,
    fpm_lines,
    unescaped,
)

_TIMESTAMP = (
    r"\[?(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2}| UTC)?"
    r"|\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2}"
    # java.util.logging's SimpleFormatter: "Jul 09, 2015 3:23:29 PM".
    r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M"
    r"|\d{2}-(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{4} \d{2}:\d{2}:\d{2}(?: \w+)?"
    r"|\d{2}:\d{2}:\d{2}[.,]\d{3}"
    # Apache's error log: "[Fri Jan 02 06:31:55 2015]" (2.4: "06:31:55.123456").
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
    r" [ \d]\d \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4}"
    # Kibana's default date format: "August 3rd 2017, 19:28:27.000".
    r"|(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December) \d{1,2}(?:st|nd|rd|th) \d{4}, \d{2}:\d{2}:\d{2}(?:\.\d{3})?"
    # rich's RichHandler: "[04:41:57]" (a bare time only in brackets).
    r"|(?<=\[)\d{2}:\d{2}:\d{2}(?=\]))\]?"
)
_LEVEL_WORD = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|SEVERE|CRITICAL|FATAL|PANIC)"
_LEVEL = rf"(?:\[{_LEVEL_WORD}\]|{_LEVEL_WORD}:?|<{_LEVEL_WORD}>)"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# Node's "[cause]:", "[errors]: [" and "[AggregateError: ...]" (an error printed without a
# stack), JavaScriptCore's "[native code]" frame and Monolog's "[stacktrace]" and
# "[previous exception]" belong to the trace.
_BRACKET = (
    r"\[(?!cause\]|errors\]|native code\]|stacktrace\]|previous exception\]"
    r"|[\w$.]{0,100}(?:Error|Rejection)[:\]])"
    r"[^\]\n]{0,100}\]:?"
)
_SYSLOG_PROC = r"[\w.-]+ [\w./-]+\[\d+\]:"
# Heroku's "app[web.1]:" / "heroku[router]:" (the source and the dyno, after the time).
_DYNO = r"[a-z][\w-]{0,30}\[[\w.-]{1,40}\]:"
_CRI = r"(?:stdout|stderr) [FP]"
_PID = r"\d{1,7}"
# Spring Boot's default layout: "<pid> --- [<thread>] <logger> : ".
_SPRING = r"(?:\d{1,7} )?--- \[[^\]\n]{0,100}\]\s+[\w.$\[\]/-]{1,120}\s*:"
_FIELD = rf"(?:{_TIMESTAMP}|{_LEVEL}|{_UUID}|{_BRACKET}|{_SYSLOG_PROC}|{_DYNO}|{_CRI}|{_SPRING})"
_MAX_FIELDS = 12
"""Fields of one prefix after the first (real ones have up to about eight): a line of
timestamps repeated is not read as one huge prefix."""
# A prefix starts with a timestamp or a level (or a CRI stream tag) and may go on with
# more fields; it ends at one separator, so indentation after it survives.
_PREFIX = re.compile(
    rf"^(?:{_CRI} )?(?:{_TIMESTAMP}|\[{_LEVEL_WORD}\]|{_LEVEL_WORD}:?(?=[ \t]))"
    rf"(?:[ \t]+(?:{_FIELD}|{_PID}(?=[ \t]+{_FIELD})|-(?=[ \t]))){{0,{_MAX_FIELDS}}}(?:[ \t]|$)"
)
_LEVEL_IN = re.compile(rf"\b{_LEVEL_WORD}\b")
# A line that starts a new log record: a timestamp, a level word, a Lambda runtime line, JSON.
_RECORD_START = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}"
    r"|\d{2}:\d{2}:\d{2}"
    r"|[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}"
    r"|\[?(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|CRITICAL|FATAL)\]?(?:[\s:]|$)"
    r"|(?:START|END|REPORT|INIT_START|INIT_REPORT) RequestId"
    r"|\{"
    r"|(?:level|time|ts)="
    r")"
)
_ERROR_WORD = re.compile(
    r"\b(?:ERROR|CRITICAL|FATAL|SEVERE|EMERG|ALERT)\b|^\[ERROR\]|^panic: |Traceback \(most recent"
    r"|^Exception in thread |^Unhandled(?:Promise)?Rejection|^Uncaught "
    # Runtimes' own crash heads: Go's fatal error, Rust's panic, .NET's and PHP's.
    r"|^fatal error: |^thread '[^'\n]{0,200}'(?: \(\d+\))? panicked at |^Unhandled [Ee]xception"
    r"|^(?:PHP )?(?:Fatal|Parse) error: "
)
_HEAD_LEVEL = re.compile(r"\b(TRACE|DEBUG|INFO|NOTICE|WARN(?:ING)?|ERROR|CRITICAL|FATAL)\b")
_EXC_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)(?::\s?.*)?$")
_TRACEBACK = "Traceback (most recent call last):"


@dataclass(slots=True)
class CleanText:
    """Lines ready for the parsers, and what the log decoration told us."""

    lines: list[str]
    level: Level | None = None
    fields: dict[str, str] = field(default_factory=dict)


def _worst(a: Level | None, b: Level | None) -> Level | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


_CSI = re.compile(r"\x1b\[[0-9;?]{0,32}[A-Za-z]")
_OSC = re.compile(r"\x1b\][^\x07\x1b\n]{0,2048}(?:\x07|\x1b\\)?")


def _strip_ansi(text: str) -> str:
    """`text` without terminal colour and style codes (loguru, rich, Ruby's highlighted
    messages, Python 3.13) and OSC 8 hyperlinks (rich links file paths with them)."""
    text = _CSI.sub("", text)
    return _OSC.sub("", text) if "\x1b]" in text else text


def _unslack(line: str) -> str:
    # Slack wraps pasted traces in ``` fences and escapes &, < and > in message text.
    if "```" in line:
        line = line.replace("```", "")

    if "&" in line:
        line = line.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return line


def strip_prefix(line: str) -> tuple[str, Level | None]:
    """`line` without its log prefix, and the level the prefix named (if any)."""
    match = _PREFIX.match(line)
    if match is None or match.end() == 0:
        return line, None
    prefix = match.group(0)
    level_match = _LEVEL_IN.search(prefix)
    level = normalize_level(level_match.group(0), "info") if level_match else None
    return line[match.end() :], level


# What a prefix can start with: a CRI stream ("stderr"), a timestamp (a digit, "[", a
# month), a level word. Lines starting otherwise (indented frames, most text) have none.
_MAX_DEPTH = 3
"""Records read inside records: a shipper's envelope, Docker's record, the logger's own."""
_PREFIX_STARTS = frozenset("[0123456789sJFMASONDTIWECP")
MAX_LINES = 10_000
"""Lines read from one text: a longer text is cut there, as `text.MAX_TEXT` cuts characters
(a 1 MB flood of short lines is not read to its end; a trace runs to thousands at most)."""
MAX_LINE = 16_384
"""Characters of one line the parsers see (after a JSON record is expanded): no frame or
header line is longer, and a longer one (a huge message) keeps its start."""
# Trailing blanks before each newline (possessive and at a run's start only: linear), then
# runs of four or more newlines: two single-character loops, fast on a megabyte of them.
_TRAILING_BLANKS = re.compile(r"(?<![ \t\r])[ \t\r]++(?=\n)")
_NEWLINE_RUN = re.compile(r"\n{4,}")


def clean_lines(text: str) -> CleanText:
    """The text's lines with log prefixes stripped and JSON records expanded."""
    out = CleanText(lines=[])
    stripped_text = text.strip()
    if "```" in stripped_text[:8]:  # a JSON document pasted in a chat, fenced
        stripped_text = stripped_text.replace("```", "").strip()
    if stripped_text[:1] == "[" and stripped_text[-1:] == "]":
        # A JSON array of records (Cloud Logging's export, a log viewer's download).
        records = json_records(stripped_text)
        if records is not None:
            for entry in records[:MAX_LINES]:
                _add_record(entry, out, depth=1)
            return _finished(out)
    whole = json_record(stripped_text) if "\n" in stripped_text else None
    if whole is not None:
        raw_lines = [stripped_text]
    else:
        text = text.replace("\r\n", "\n")
        if "\n\n\n" in text:
            # More than two blank lines in a row read as two: a flood of empty lines costs
            # the parsers nothing then (no trace format gives a third blank line a meaning).
            text = _NEWLINE_RUN.sub("\n\n\n", _TRAILING_BLANKS.sub("", text))
        raw_lines = text.split("\n", MAX_LINES)[:MAX_LINES]
        if text.lstrip("\n")[:1] in (" ", "\t"):
            # A paste indented as a whole (a Markdown code block, a quoted mail) reads as
            # unindented (the lines kept are dedented, not the whole text).
            raw_lines = textwrap.dedent("\n".join(raw_lines)).split("\n")
    if " P " in text:
        raw_lines = join_cri_pieces(raw_lines)
    # Most lines of a long text are frames or plain lines: each step is skipped by a plain
    # string test where it cannot apply, so a megabyte of lines stays well under 100 ms.
    compose = _composed(raw_lines)
    dashed = dash_tailed(raw_lines)
    partial = ""  # the start of a line a Docker or fluent-bit record left unfinished
    for raw in raw_lines:
        if not raw or raw.isspace():
            out.lines.append("")
            continue
        if "\x1b" in raw:
            raw = _strip_ansi(raw)
        if "`" in raw or "&" in raw:
            raw = _unslack(raw)
        if compose:
            raw = _COMPOSE.sub("", raw, count=1)
        if dashed:
            raw = DASH_TAIL.sub("", raw)
        # Trailing whitespace means nothing in any runtime's trace (indentation leads).
        line = raw.rstrip()
        if line[:1] in _PREFIX_STARTS:
            line, level = strip_prefix(line)
            if level is not None:
                out.level = _worst(out.level, level)
            if compose:  # a timestamp before the service's name
                line = _COMPOSE.sub("", line, count=1)
        if line[:1] == "`" and line[1:2].strip("`"):
            line = line[1:]  # a code span's opening (no runtime starts a line with a backtick)
        record = (json_record(line) or trailing_record(line)) if "{" in line else None
        if record is None:
            if partial:  # a piece whose end never came: keep what came
                _add_record({"log": partial}, out, depth=1)
                partial = ""
            out.lines.extend(fpm_lines(line) if "PHP message: " in line else unescaped(line))
            continue
        piece = record.get("log")
        if isinstance(piece, str) and (partial or is_partial_record(record, piece)):
            if is_partial_record(record, piece) and len(partial) < MAX_LINE:
                partial += piece  # the runtime split one long line into records: join them
                continue
            record = {**record, "log": partial + piece}
            partial = ""
        _add_record(record, out, depth=1)
    if partial:
        _add_record({"log": partial}, out, depth=1)
    return _finished(out)


def _finished(out: CleanText) -> CleanText:
    """`out` with Lambda's Python exception lines in place and the lines capped."""
    _lambda_python_order(out.lines)
    if len(out.lines) > MAX_LINES or any(len(line) > MAX_LINE for line in out.lines):
        out.lines = [line[:MAX_LINE] for line in out.lines[:MAX_LINES]]
    return out


# `docker compose logs` (and `docker-compose`) put "<service>-<n>  | " before each line,
# the names padded to one width (Stackato and others "<app>.<n>: "); a text is read so
# when its first lines carry it. The instance number tells it from "Error: " and the like.
_COMPOSE = re.compile(r"^[A-Za-z0-9][\w.-]{0,62}[._-]\d{1,4}(?: +\| |: )")
_COMPOSE_HINT = re.compile(r"[._-]\d{1,4}(?: +\| |: )")
_COMPOSE_PROBE = 20


def _composed(lines: list[str]) -> bool:
    """Whether `lines` come from ``docker compose logs``: two or more of the first
    `_COMPOSE_PROBE` lines carry a service prefix (after colour, chat fences and a log
    prefix, which a shipper may put before it)."""
    # (A plain search first: a record's few lines each run it, most fail it at once.)
    if sum(1 for line in lines[:_COMPOSE_PROBE] if _COMPOSE_HINT.search(line, 0, 100)) < 2:
        return False
    probe = []
    for line in lines[:_COMPOSE_PROBE]:
        text = _unslack(_strip_ansi(line)).strip() if line.strip() else ""
        if text[:1] in _PREFIX_STARTS:
            text = strip_prefix(text)[0]
        if text:
            probe.append(text)
    return sum(1 for line in probe if _COMPOSE.match(line)) >= 2


def _add_record(record: dict[str, Any], out: CleanText, depth: int) -> None:
    """Append a JSON record's lines to `out`, each with its own prefix stripped (Docker's
    json-file driver keeps it inside "log"), and a line that is itself a JSON record (a
    JSON logger's line inside Docker's record) expanded once more; keep its level and fields."""
    inner, json_level, fields = texts_from_json(record)
    out.level = _worst(out.level, json_level)
    compose = False
    if len(inner) > 1:  # (one search over the record's first lines says no to most records)
        head = "\n".join(inner[:_COMPOSE_PROBE])
        compose = bool(_COMPOSE_HINT.search(head)) and _composed(inner)
        if len(inner) > 2 and DASH_HINT.search(head) and dash_tailed(inner):
            inner = [DASH_TAIL.sub("", line) for line in inner]
    for key, value in fields.items():
        out.fields.setdefault(key, value)
    for inner_line in inner:
        if "\x1b" in inner_line:  # a coloured trace logged as a JSON string
            inner_line = _strip_ansi(inner_line)
        clean = inner_line.rstrip()
        if compose:
            clean = _COMPOSE.sub("", clean, count=1)
        if clean[:1] in _PREFIX_STARTS:
            clean, inner_level = strip_prefix(clean)
            out.level = _worst(out.level, inner_level)
        if clean[:1] == "`" and clean[1:2].strip("`"):
            clean = clean[1:]
        nested = None
        if depth < _MAX_DEPTH and "{" in clean:
            # A record inside a record (a JSON logger's line in Docker's, that in a shipper's),
            # and a Lambda "Invoke Error" line carried as a record's message.
            nested = json_record(clean) or trailing_record(clean)
        if nested is None:
            out.lines.extend(fpm_lines(clean) if "PHP message: " in clean else unescaped(clean))
        else:
            _add_record(nested, out, depth + 1)


def _lambda_python_order(lines: list[str]) -> None:
    """Lambda's Python runtime prints ``[ERROR] Type: value`` first, then the traceback
    without it: where an exception line comes just before a traceback whose frames end with
    none, put it back after the frames, where Python has it."""
    if _TRACEBACK not in lines:  # (one list scan: most texts have no traceback)
        return
    heads = [k for k, line in enumerate(lines) if line == _TRACEBACK and k > 0]
    for at in reversed(heads):
        exc_line = lines[at - 1].strip()
        if not _EXC_LINE.match(exc_line):
            continue
        end = at + 1
        while end < len(lines) and lines[end][:1] in (" ", "\t"):
            end += 1  # the frames and their source lines are indented; what ends them is not
        if end > at + 1 and not (end < len(lines) and _EXC_LINE.match(lines[end].strip())):
            lines.insert(end, exc_line)


def starts_record(line: str) -> bool:
    """Whether a log line starts a new record (else it continues the one before it)."""
    return bool(_RECORD_START.match(line))


def _first(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    for key in keys:
        value = get_field(data, key)
        if value not in (None, "", [], {}):
            return value
    return None


def reports_error(text: str) -> bool:
    """Whether a log record reports an error (not every line a log filter matched does)."""
    head = text.split("\n", 1)[0]
    data = json_record(head) if head.lstrip().startswith("{") else None
    if data is not None:
        inner = data.get("log")
        if isinstance(inner, str) and not _first(data, LEVEL_KEYS):
            return reports_error(inner)
        level = _first(data, LEVEL_KEYS)
        if level is not None:
            return normalize_level(str(level), "info") in ("error", "fatal")
        return _first(data, TYPE_KEYS) is not None
    if _TRACEBACK in text or "errorType" in head:
        return True
    # A record says its level near its start: the words are looked for in the first
    # `_HEAD_SCAN` characters (a 1 MB first line is not searched to its end).
    head = head[:_HEAD_SCAN]
    level_match = _HEAD_LEVEL.search(head)
    if level_match:
        return normalize_level(level_match.group(1), "info") in ("error", "fatal")
    return bool(_ERROR_WORD.search(head) or _EXC_LINE.match(head.strip()))


_HEAD_SCAN = 2048
