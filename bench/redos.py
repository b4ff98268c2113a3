"""Every parser and the scrubber on 1 MB of adversarial text: milliseconds each (target < 100).

Each adversarial text repeats a fragment that starts a pattern without finishing it (a PEM
header with no END line, an unclosed Slack link, a key with an unclosed quote...), the
shape that makes a backtracking regex quadratic. Each text is put where a parser reads it
(an event message, a log line, a span status, a Slack message) and timed once per parser;
the table prints the slowest text per parser, in ms per MB of text (`scrub_value_keys`
scrubs each input twice, as a key and as a value), and how many inputs are over 100 ms.

    python bench/redos.py [--size 1048576] [--only scrub] [--repeat 3] [--inputs]

Each call is timed `--repeat` times and the least CPU time is kept (the machine's noise
only adds time; ``--repeat 1`` is the single run of earlier figures).

A second table times each trace parser alone (`scan` with that one parser over the text's
cleaned lines), the log-line splitter and `parse_text` (``parse_text_all``), on the general
texts and on `PARSER_FRAGMENTS`: each runtime's frame prefix repeated on one huge line,
near-misses, many short lines, floods of headers without frames, one 1 MB JSON line. The
parsers read a text's first `logtext.MAX_LINES` lines (`MAX_LINE` characters each): a flood
of short lines is cut there, not read to its end.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import gzip
import json
import time
from collections.abc import Callable
from typing import Any

from autotriage.errors import IntakeError
from autotriage.sources.aws import sns
from autotriage.sources.registry import REGISTRY
from autotriage.understanding.logtext import clean_lines
from autotriage.understanding.parameterize import compute_template, parameterize
from autotriage.understanding.scrub import ScrubPolicy, scrub_text, scrub_value
from autotriage.understanding.template_v2 import template_v2

FRAGMENTS = {
    "pem_headers": "-----BEGIN PRIVATE KEY-----",
    "pem_body_no_end": "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + "A" * 64 + "\n",
    "slack_links": "<http://a|",
    "slack_unclosed": "<https://x",
    "mentions": "<@U1 ",
    "key_unclosed_quote": 'password="x',
    "key_colon_spaces": "token:    ",
    "authorization": "Authorization: Bearer ",
    "url_creds": "://a:b",
    "email_dots": "a@b.c.",
    "jwt_prefix": "eyJaaaaa.eyJaaaaa",
    "digits_spaces": "4111 ",
    "base64_run": "Ab1+",
    "trace_headers": "Traceback (most recent call last):\n",
    "file_lines": '  File "/a.py", line 1, in f\n',
    "java_at": "\tat a.b.C.d(",
    "js_at": "    at f (",
    "caused_by": "Caused by: a.B: ",
    "go_goroutine": "goroutine 1 [running]:\nmain.f(",
    "dots": "a.",
    "spaces": " ",
    "newlines": "\n",
    "ansi": "\x1b[31m",
    "brackets": "[[[[",
    "iso_dates": "2024-03-07T10:15:02.123Z ",
}


# Fragments aimed at one scrub rule each: its prefix or shape left unfinished (near
# misses), its whole shape (a flood of real-format secrets), or its character class run long.
SCRUB_FRAGMENTS = {
    "pem_encrypted_headers": "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: ",
    "slack_hook_unfinished": "https://hooks.slack.com/services/",
    "discord_hook_unfinished": "https://discord.com/api/webhooks/1/",
    "url_user_no_at": "://" + "a" * 30 + ":",
    "dsn_key_no_at": "://" + "a" * 32 + "/",
    "authorization_eq": "authorization=",
    # every key's unquoted value runs to the redaction at the end of the run
    "key_flood_then_redacted": "password=" * 2000 + "[REDACTED:x] ",
    "bearer_real": "Bearer abcdefgh12 ",
    "jwt_real": "eyJhbGciOi.eyJzdWIiOi.c2ln ",
    "github_short": "ghp_" + "A" * 19 + " ",
    "gitlab_prefix": "glpat-",
    "slack_token_prefix": "xoxb-",
    "stripe_prefix": "sk_live_",
    "whsec_prefix": "whsec_",
    "google_prefixes": "AIza ya29. GOCSPX-",
    "azure_account_key": "AccountKey=",
    "azure_sig": "?sig=",
    "azure_client_near": "abc8Q~",
    "token_prefixes": "hf_ npm_ pypi-AgE SG. key- shpat_ doo_v1_ hvs. sntrys_ lin_api_ ATATT3",
    "twilio_near": "SK" + "0" * 31 + " ",
    "terraform_near": "a" * 14 + ".atlasv1.",
    "age_prefix": "AGE-SECRET-KEY-1",
    "telegram_near": "12345678:AA",
    "aws_key_near": "AKIA" + "A" * 15 + " ",
    "aws_secret_near": "aB3/" * 9 + "aB3 ",
    "cards_real": "4111 1111 1111 1111 ",
    "iban_near": "GB82 WEST ",
    "ssn_real": "123-45-6789 ",
    "ssn_near": "123-45-",
    "emails_real": "a@b.co ",
    "ipv4_near": "1.2.3.",
    "ipv4_real": "1.2.3.4 ",
    "ipv6_near": "a:b:",
    "ipv6_real": "::1 ",
    "cookie_header": "Cookie: a",
    "key_values_real": "password=x ",
    "key_words_no_sep": "api_key ",
    "key_values_non_ascii": "\u0131 password=x ",
    # the densest floods of pairs: the shortest word, a quoted value, a key longer than its
    # word, and a held value before each redaction
    "key_values_short": "pwd=x ",
    "key_values_quoted": "pwd:'x'",
    "key_values_prefixed": "db_password=x ",
    "key_values_held": "pwd=[REDACTED:x] ",
    "dotted_i_mix": "\u0130a=",
}


def adversarial(size: int) -> dict[str, str]:
    """Each fragment (the general ones and `SCRUB_FRAGMENTS`) repeated up to `size`."""
    fragments = FRAGMENTS | SCRUB_FRAGMENTS
    return {name: (frag * (size // len(frag) + 1))[:size] for name, frag in fragments.items()}


def _event(text: str) -> dict[str, Any]:
    return {
        "event_id": "a" * 32,
        "level": "error",
        "message": text,
        "exception": {"values": [{"type": "E", "value": text}]},
    }


def _firehose(text: str) -> bytes:
    data = {
        "messageType": "DATA_MESSAGE",
        "logGroup": "/g",
        "logStream": "s",
        "logEvents": [{"id": "1", "timestamp": 1, "message": text}],
    }
    record = base64.b64encode(gzip.compress(json.dumps(data).encode())).decode()
    return json.dumps({"requestId": "r", "timestamp": 1, "records": [{"data": record}]}).encode()


def _otlp(text: str) -> bytes:
    record = {"severityNumber": 17, "body": {"stringValue": text}}
    doc = {"resourceLogs": [{"scopeLogs": [{"logRecords": [record]}]}]}
    return json.dumps(doc).encode()


def _sns(text: str) -> None:
    alarm = {"AlarmName": "a", "NewStateValue": "ALARM", "NewStateReason": text}
    sns.parse_notification(
        {
            "Type": "Notification",
            "Message": json.dumps(alarm),
            "TopicArn": "arn:aws:sns:us-east-1:1:t",
            "MessageId": "m",
        }
    )


def _envelope(text: str) -> bytes:
    item = json.dumps(_event(text)).encode()
    return b"{}\n" + json.dumps({"type": "event", "length": len(item)}).encode() + b"\n" + item


BODIES: dict[str, Callable[[str], bytes]] = {
    "sentry_envelope": _envelope,
    "sentry": lambda text: json.dumps({"event": _event(text), "url": "u"}).encode(),
    "firehose": _firehose,
    "slack": lambda text: json.dumps({"text": text}).encode(),
    "cloudwatch": lambda text: json.dumps(
        {"events": [{"message": text, "timestamp": 1, "logStreamName": "s"}]}
    ).encode(),
    "otlp": _otlp,
    "generic": lambda text: json.dumps(
        {
            "message": text[:1000],
            "exception": {"type": "E", "value": text[:1000], "stacktrace": text},
        }
    ).encode(),
    "text": lambda text: text.encode(),
}


def targets() -> dict[str, Callable[[str], object]]:
    """Name -> a call that runs one parser (or the scrubber) over a text."""
    out: dict[str, Callable[[str], object]] = {
        "scrub_text": scrub_text,
        "scrub_text_ips": lambda text: scrub_text(text, ips=True),
        "scrub_value_keys": lambda text: scrub_value({text: text}, ScrubPolicy(ips=True)),
        "log_lines": clean_lines,
        "parameterize": parameterize,
        "template": compute_template,
        "template_v2": template_v2,
        "sns": _sns,
    }
    for name, spec in REGISTRY.items():
        body = BODIES.get(name)
        if body is None:
            continue

        def run(text: str, parse: Any = spec.parse, make: Any = body) -> object:
            return parse(make(text), {"content-type": "application/json"})

        out[f"parse_{name}"] = run
    return out


# Texts each call scrubs per input: scrub_value_keys scrubs the text as a key and as a
# value (2 MB for a 1 MB input), so its figure is per MB of text, like the others.
TEXTS_PER_INPUT = {"scrub_value_keys": 2}


REPEAT = 3
"""Runs per call timed (`--repeat`): the least CPU time is taken. On a shared virtual
machine identical runs differ by up to 2x (the host's other guests share the cores and
caches), and that noise only ever adds time."""


def time_ms(call: Callable[[str], object], text: str) -> float:
    """CPU milliseconds for one call, the least of `REPEAT` runs (CPU time, so a busy
    machine's waits don't count); documented refusals count as done."""
    best = float("inf")
    for _ in range(REPEAT):
        start = time.process_time()
        with contextlib.suppress(IntakeError):
            call(text)
        best = min(best, time.process_time() - start)
    return best * 1000


# Fragments aimed at one trace parser each (and at the log-line splitter): the start of a
# frame or header left unfinished, or finished and repeated, on one long line and on many.
PARSER_FRAGMENTS: dict[str, str | None] = {
    "py_during_handling": "During handling of the above exception, another exception occurred:\n",
    "py_unclosed_file": '  File "/a.py',
    "py_group_boxes": "  +-+---- 1 ----\n  | ",
    "py_value_lines": "ValueError: x\n    more\n",
    "py_caret_lines": "    ^^^^~~~~\n",
    "go_panics": "panic: x [recovered]\n",
    "go_frame_pairs": "main.f(0x1)\n\t/a.go:1 +0x1 fp=0x1 sp=0x1 pc=0x1\n",
    "go_created_by": "created by main.f in goroutine 1\n",
    "go_unfinished_location": "\t/a.go:",
    "go_registers": "rax    0x0\n",
    "java_more": "\t... 1 more\n",
    "java_thread": 'Exception in thread "',
    "java_frames": "\tat a.b.C.d(C.java:1)\n",
    "java_nested_parens": "\tat a.b(((",
    "dotnet_inner": " ---> System.Exception: x",
    "dotnet_end_inner": "   --- End of inner exception stack trace ---\n",
    "dotnet_frames": "   at A.B.C(String a) in /a.cs:line 1\n",
    "dotnet_parens": "   at A.B(((((",
    "dotnet_il_offset": "   at A.B () [0x",
    "js_gecko_frames": "f@http://a/b.js:1:1\n",
    "js_at_signs": "@@@@",
    "js_native_code": "[native code]\n",
    "js_name_only": "baz\n",
    "js_cause": "[cause]: Error: x {\n",
    "js_async_at": "    at async ",
    "js_unclosed_parens": "    at f (((((",
    "ruby_frames": "\tfrom a.rb:1:in `f'\n",
    "ruby_unclosed_in": "a.rb:1:in `",
    "ruby_class_first": "A::B (",
    "ruby_windows_paths": "C:/a:",
    "php_stack": "#0 /a.php(1): f()\n",
    "php_uncaught": "PHP Fatal error:  Uncaught E: x in ",
    "php_next": "Next E: x in /a.php:1\n",
    "php5_quote": "exception 'E' with message '",
    "log_prefix_run": "2024-03-07 10:15:02,123 INFO [a] ",
    "log_prefix_lines": "2024-03-07 10:15:02,123 INFO [a] x\n",
    "log_json_unclosed": '{"msg":"',
    "log_json_lines": '{"level":"error","msg":"x","stack":"Error: y\\n    at f (a.js:1:1)"}\n',
    "log_fences": "```",
    "log_slack_escapes": "&lt;",
    "log_cri": "stderr F ",
    "log_ansi_unterminated": "\x1b[1;2;3;4;5;6;7;8;9;0",
    "log_blank_space_lines": "  \n",
    "log_brackets_unclosed": "[a ",
    # Each runtime's frame prefix repeated on one huge line, near-misses of frame lines
    # (one character short), and many short lines.
    "py_file_prefix_one_line": 'File "',
    "py_frames_one_line": '  File "/a.py", line 1, in f',
    "py_header_one_line": "Traceback (most recent call last): ",
    "py_frame_near_miss": '  File "/a.py", line 1, in\n',
    "py_exc_lines": "a.b.C: x\n",
    "py_chain_then_header": "The above exception was the direct cause of the following exception:\n"
    "Traceback (most recent call last):\n",
    "rich_box_tops": "╭─ Traceback (most recent call last) ─╮\n",
    "rich_box_lines": "│ /a.py:1 in f │\n",
    "rich_box_one_line": "│ a:1 in ",
    "rich_code_lines": "│ ❱ 1 │ x │\n",
    "rich_locals_boxes": "│ ╭─ locals ─╮ │\n",
    "java_at_one_line": "at a.b.C.d(C.java:1) ",
    "java_thread_headers": 'Exception in thread "main" java.lang.E: x\n',
    "java_headers_no_frames": "java.lang.IllegalStateException: x\n",
    "java_caused_lines": "Caused by: a.B: x\n",
    "java_frame_near_miss": "\tat a.b.C.d(C.java:1\n",
    "java_suffix_brackets": "\tat a.b.C.d(C.java:1) ~[",
    "js_at_one_line": "    at ",
    "js_frames_one_line": "at f (a.js:1:1) ",
    "js_headers_no_frames": "TypeError: x\n",
    "js_errors_blocks": "[errors]: [\n",
    "js_bracketed_headers": "[AggregateError: x] {\n",
    "js_member_frames": "Error: x\n    at f (a.js:1:1),\n",
    "js_emitted": "Emitted 'error' event on Worker instance at:\n",
    "js_throw_sites": "a.js:1\n  x\n  ^\n\n",
    "js_frame_near_miss": "    at f (a.js:1:1\n",
    "js_gecko_one_line": "f@a.js:1:1 ",
    "go_goroutine_lines": "goroutine 1 [running]:\n",
    "go_call_one_line": "main.f(",
    "go_panic_one_line": "panic: ",
    "go_location_near_miss": "main.f()\n\t/a.go:x +0x1\n",
    "ruby_in_one_line": ":in `",
    "ruby_top_lines": "a.rb:1:in `f': m (E)\n",
    "ruby_from_one_line": "from a.rb:1:in `f' ",
    "ruby_colons": "a:1:",
    "php_stack_one_line": "#0 /a.php(1): f() ",
    "php_fatal_lines": "PHP Fatal error:  Uncaught E: x in /a.php:1\n",
    "php_plain_in": " in /a.php on line ",
    "dotnet_at_one_line": "   at A.B() in /a.cs:line 1 ",
    "dotnet_arrows_one_line": " ---> ",
    "log_bracket_fields_one_line": "[a] ",
    "log_braces": "{",
    "log_json_huge_value": None,  # one valid JSON line with a 1 MB message (built below)
    "log_level_words": "ERROR ",
    "log_short_lines": "a\n",
    "log_colon_lines": ":\n",
    "log_osc_unterminated": "\x1b]8;;",
    # Short lines that each hold a word a trace may start at: every line is tried.
    "short_at_lines": "at x\n",
    "short_at_sign_lines": "@\n",
    "short_paren_lines": "a (B)\n",
    "short_error_lines": "Error\n",
    "short_panic_lines": "panic: \n",
    "short_mixed_lines": "@\na (B)\nError\npanic\n:in \n",
}


def parser_texts(size: int) -> dict[str, str]:
    """Every fragment (the general ones and `PARSER_FRAGMENTS`) repeated up to `size`."""
    texts = adversarial(size)
    for name, frag in PARSER_FRAGMENTS.items():
        if frag is not None:
            texts[name] = (frag * (size // len(frag) + 1))[:size]
    texts["log_json_huge_value"] = json.dumps(
        {"level": "error", "msg": "x" * (size - 40), "stack": "Error: x\n    at f (a.js:1:1)"}
    )
    return texts


def parser_table(size: int, only: str) -> float:
    """Each trace parser alone over the cleaned lines of every text, then the splitter."""
    from autotriage.understanding.parsers import PARSERS

    texts = parser_texts(size)
    lines = {label: clean_lines(text).lines for label, text in texts.items()}
    worst_overall = 0.0
    from autotriage.understanding.text import parse_text

    # Whole texts: the splitter, and parse_text (splitter and every parser) on every text.
    whole = {"log_lines": clean_lines, "parse_text_all": parse_text}
    calls: dict[str, Callable[[str], object]] = dict(whole)
    for platform, parse in PARSERS:

        def scan_with(label: str, parse: Any = parse) -> object:
            return _scan_one(parse, lines[label])

        calls[f"parser_{platform}"] = scan_with
    for name, call in calls.items():
        if only and only not in name:
            continue
        if name in whole:
            timings = {label: time_ms(call, text) for label, text in texts.items()}
        else:
            timings = {label: time_ms(call, label) for label in texts}
        label, worst = max(timings.items(), key=lambda item: item[1])
        worst_overall = max(worst_overall, worst)
        flag = "" if worst < 100 else "  OVER 100 ms"
        print(f"{name:<24} {worst:>9.1f}  {label:<20}{flag}")
    return worst_overall


def _scan_one(parse: Any, lines: list[str]) -> int:
    """`autotriage.understanding.parsers.scan` with one parser: the traces it finds, up to
    the events one text gives (`MAX_EVENTS`), as `parse_text` reads them."""
    from autotriage.understanding.text import MAX_EVENTS

    found, i = 0, 0
    while i < len(lines) and found < MAX_EVENTS:
        trace = parse(lines, i) if lines[i] else None
        if trace is not None and trace.end > i:
            found += 1
            i = trace.end
        else:
            i += 1
    return found


def print_inputs(rows: dict[str, dict[str, float]]) -> None:
    """One line per input: its ms per MB under each scrub target (`--inputs`)."""
    print(f"{'input':<26}" + "".join(f"{name:>18}" for name in rows))
    for label in next(iter(rows.values())):
        print(f"{label:<26}" + "".join(f"{row[label]:>18.1f}" for row in rows.values()))


def main() -> None:
    """Print the slowest adversarial text per target."""
    global REPEAT
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument("--only", default="")
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per call, least taken")
    parser.add_argument("--inputs", action="store_true", help="print every input's scrub row")
    args = parser.parse_args()
    REPEAT = max(1, args.repeat)
    texts = adversarial(args.size)
    worst_overall, over = 0.0, 0
    rows: dict[str, dict[str, float]] = {}
    scale = (1024 * 1024) / args.size
    head = f"{'target':<24} {'worst ms/MB':>11}  {'worst input':<22} over 100"
    print(f"{head}  (input {args.size} chars, least of {REPEAT} runs)")
    for name, call in targets().items():
        if args.only and args.only not in name:
            continue
        per_mb = scale / TEXTS_PER_INPUT.get(name, 1)
        timings = {label: time_ms(call, text) * per_mb for label, text in texts.items()}
        label, worst = max(timings.items(), key=lambda item: item[1])
        worst_overall = max(worst_overall, worst)
        n_over = sum(ms >= 100 for ms in timings.values())
        over += n_over
        print(f"{name:<24} {worst:>11.1f}  {label:<22} {n_over:>3} of {len(timings)}")
        if name.startswith("scrub_"):
            rows[name] = timings
    if args.inputs and rows:
        print_inputs(rows)
    print("each trace parser alone, and the log-line splitter, with the parser fragments too:")
    worst_overall = max(worst_overall, parser_table(args.size, args.only))
    print(f"worst: {worst_overall:.1f} ms per MB; scrub inputs over budget: {over}")


if __name__ == "__main__":
    main()
