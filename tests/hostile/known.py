"""Hostile cases that do not hold yet, each with the finding it shows (issue 16).

`test_hostile.py` fails when a case outside this list fails, and when a listed case
starts to hold, so the list only shrinks. Values: (where, finding); where is "both",
"sqlite" or "postgres".
"""

from __future__ import annotations

_SURROGATES = "lone UTF-16 surrogates inside a Firehose record: UnicodeEncodeError (500)"
_REPLAY = "the generic delivery id includes the timestamp: a replay with a fresh one is stored"

KNOWN: dict[str, tuple[str, str]] = {
    "firehose/lone_surrogate": ("both", _SURROGATES),
    "firehose/reversed_surrogates": ("both", _SURROGATES),
    "sentry_plugin/secret_in_query": (
        "both",
        "WEBHOOK_SECRET accepted as ?token= (Sentry's legacy plugin can send no header)",
    ),
    "generic/replay/fresh_timestamp/again": ("both", _REPLAY),
}
KNOWN_AFTER: dict[str, tuple[str, str]] = {
    "traceback(s) in the server log": (
        "both",
        "the Firehose surrogate 500s and a client disconnect mid-body log tracebacks",
    ),
}
