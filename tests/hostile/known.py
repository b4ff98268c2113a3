"""Hostile cases that do not hold yet, each with the finding it shows (issue 16).

`test_hostile.py` fails when a case outside this list fails, and when a listed case
starts to hold, so the list only shrinks. Values: (where, finding); where is "both",
"sqlite" or "postgres".
"""

from __future__ import annotations

KNOWN: dict[str, tuple[str, str]] = {
    "sentry_envelope/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_store/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_logs/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_traces/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_hook/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_plugin/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "slack_event/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sns/lone_surrogate": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_envelope/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_envelope/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_store/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_store/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_logs/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_logs/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_logs/type/resourceLogs/int": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_logs/type/resourceLogs/bigint": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_logs/type/resourceLogs/neg_bigint": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_logs/type/resourceLogs/float": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_logs/type/resourceLogs/bool": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_traces/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_traces/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "otlp_traces/type/resourceSpans/int": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_traces/type/resourceSpans/bigint": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_traces/type/resourceSpans/neg_bigint": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_traces/type/resourceSpans/float": ("both", "wrong JSON type in an OTLP field (500)"),
    "otlp_traces/type/resourceSpans/bool": ("both", "wrong JSON type in an OTLP field (500)"),
    "sentry_hook/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_hook/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_hook/sig/stale_timestamp": ("both", "Sentry-Hook-Timestamp never checked"),
    "sentry_plugin/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sentry_plugin/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "slack_event/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "slack_event/cesu8": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "github/deep_100k": ("both", "JSON nested 100,000 deep in the GitHub webhook (500)"),
    "github/type/action/deep": ("both", "JSON nested 100,000 deep in the GitHub webhook (500)"),
    "github/type/issue/deep": ("both", "JSON nested 100,000 deep in the GitHub webhook (500)"),
    "github/type/repository/int": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/bigint": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/neg_bigint": (
        "both",
        "wrong JSON type in a GitHub webhook field (500)",
    ),
    "github/type/repository/float": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/str": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/list": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/bool": ("both", "wrong JSON type in a GitHub webhook field (500)"),
    "github/type/repository/deep": ("both", "JSON nested 100,000 deep in the GitHub webhook (500)"),
    "github/string_10mb": ("both", "GitHub webhook reads past MAX_BODY_BYTES"),
    "github/limit/just_over": ("both", "GitHub webhook reads past MAX_BODY_BYTES"),
    "github/limit/far_over": ("both", "GitHub webhook reads past MAX_BODY_BYTES"),
    "sns/reversed_surrogates": (
        "both",
        "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)",
    ),
    "sns/cesu8": ("both", "lone/reversed UTF-16 surrogates and CESU-8: UnicodeEncodeError (500)"),
    "sns/type/Type/list": ("both", "wrong JSON type in SNS `Type` (500)"),
    "sns/type/Type/object": ("both", "wrong JSON type in SNS `Type` (500)"),
    "ids/api/groups/9223372036854775808": ("both", "ids and offsets past int64 (500)"),
    "ids/api/groups/-9223372036854775809": ("both", "ids and offsets past int64 (500)"),
    "ids/api/scans/9223372036854775808": ("both", "ids and offsets past int64 (500)"),
    "ids/groups/18446744073709551616": ("both", "ids and offsets past int64 (500)"),
    "ids/api_groups/offset_2_63": ("both", "ids and offsets past int64 (500)"),
    "ids/api_groups/offset_2_70": ("both", "ids and offsets past int64 (500)"),
    "host_redirect/api/groups/": ("both", "trailing-slash redirect built from the Host header"),
    "host_redirect/health/": ("both", "trailing-slash redirect built from the Host header"),
    "host_redirect/api/1/envelope": ("both", "trailing-slash redirect built from the Host header"),
    "host_redirect/webhook/generic/": (
        "both",
        "trailing-slash redirect built from the Host header",
    ),
    "echo/x_request_id_script": ("both", "X-Request-ID echoed unbounded and unsanitised"),
    "echo/x_request_id_10k": ("both", "X-Request-ID echoed unbounded and unsanitised"),
    "sentry_plugin/secret_in_query": ("both", "WEBHOOK_SECRET accepted as ?token="),
    "generic/replay/fresh_timestamp/again": (
        "both",
        "generic delivery id includes the timestamp: replay with a fresh one stores again",
    ),
}
KNOWN_AFTER: dict[str, tuple[str, str]] = {
    "traceback(s) in the server log": ("both", "the 5xx findings above log tracebacks"),
    "fetched GET /api/0/": ("both", "a Sentry issue id from a webhook is pasted into the API path"),
}
