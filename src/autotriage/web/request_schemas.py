"""The JSON Schemas of the request bodies the routes really read, for ``/openapi.json``.

Written from each vendor's documentation (Sentry's event payload, OTLP/JSON, Slack's
Events API and slash commands, Firehose, SNS, GitHub's issues event) and from the
generic webhook's own model; `autotriage.web.openapi` puts them beside their routes.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "request_id"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "request_id": {"type": "string"},
            },
        }
    },
}
STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
FRAME = {
    "type": "object",
    "properties": {
        "filename": {"type": "string"},
        "abs_path": {"type": "string"},
        "module": {"type": "string"},
        "function": {"type": "string"},
        "lineno": {"type": ["integer", "null"]},
        "colno": {"type": ["integer", "null"]},
        "in_app": {"type": "boolean"},
        "context_line": {"type": "string"},
        "pre_context": {"type": "array", "items": {"type": "string"}},
        "post_context": {"type": "array", "items": {"type": "string"}},
    },
}
SENTRY_EVENT = {
    "type": "object",
    "description": "An event in Sentry's protocol (develop.sentry.dev/sdk/data-model/)",
    "properties": {
        "event_id": {"type": "string", "pattern": "^[0-9a-f]{32}$"},
        "timestamp": {"type": ["string", "number"]},
        "level": {"enum": ["debug", "info", "warning", "error", "fatal"]},
        "platform": {"type": "string"},
        "release": {"type": "string"},
        "environment": {"type": "string"},
        "server_name": {"type": "string"},
        "message": {"type": ["string", "object"]},
        "tags": {"oneOf": [STRINGS, {"type": "array", "items": {"type": "array"}}]},
        "extra": {"type": "object"},
        "contexts": {"type": "object"},
        "fingerprint": {"type": "array", "items": {"type": "string"}},
        "exception": {
            "type": "object",
            "properties": {
                "values": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "type": {"type": "string"},
                            "value": {"type": "string"},
                            "module": {"type": "string"},
                            "stacktrace": {
                                "type": "object",
                                "properties": {"frames": {"type": "array", "items": FRAME}},
                            },
                        },
                    },
                }
            },
        },
    },
}
ANY_VALUE = {
    "type": "object",
    "properties": {
        "stringValue": {"type": "string"},
        "intValue": {"type": ["string", "integer"]},
        "doubleValue": {"type": "number"},
        "boolValue": {"type": "boolean"},
    },
}
ATTRIBUTES = {
    "type": "array",
    "items": {"type": "object", "properties": {"key": {"type": "string"}, "value": ANY_VALUE}},
}
RESOURCE = {"type": "object", "properties": {"attributes": ATTRIBUTES}}
LOG_RECORD = {
    "type": "object",
    "properties": {
        "timeUnixNano": {"type": "string"},
        "severityNumber": {"type": "integer", "minimum": 0, "maximum": 24},
        "severityText": {"type": "string"},
        "body": ANY_VALUE,
        "attributes": ATTRIBUTES,
        "traceId": {"type": "string"},
        "spanId": {"type": "string"},
    },
}
SPAN = {
    "type": "object",
    "properties": {
        "traceId": {"type": "string"},
        "spanId": {"type": "string"},
        "name": {"type": "string"},
        "startTimeUnixNano": {"type": "string"},
        "endTimeUnixNano": {"type": "string"},
        "attributes": ATTRIBUTES,
        "status": {"type": "object"},
        "events": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "timeUnixNano": {"type": "string"},
                    "attributes": ATTRIBUTES,
                },
            },
        },
    },
}


def _scoped(items: str, scope: str, record: dict[str, Any]) -> dict[str, Any]:
    scoped = {"type": "object", "properties": {items: {"type": "array", "items": record}}}
    inner = {
        "type": "object",
        "properties": {"resource": RESOURCE, scope: {"type": "array", "items": scoped}},
    }
    return inner


OTLP_LOGS = {
    "type": "object",
    "properties": {
        "resourceLogs": {"type": "array", "items": _scoped("logRecords", "scopeLogs", LOG_RECORD)}
    },
}
OTLP_TRACES = {
    "type": "object",
    "properties": {
        "resourceSpans": {"type": "array", "items": _scoped("spans", "scopeSpans", SPAN)}
    },
}
BINARY = {"type": "string", "format": "binary"}
FORM = {
    "type": "object",
    "properties": {
        "csrf": {"type": "string"},
        "change": {"type": "string"},
        "next": {"type": "string"},
        "group": {"type": "array", "items": {"type": "string"}},
    },
}
LOGIN = {
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "name": {"type": "string"},
        "next": {"type": "string"},
    },
}
WEBHOOK_BODIES: dict[str, dict[str, Any]] = {
    "/webhook/slack": {
        "application/json": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["text"],
                    "properties": {"text": {"type": "string"}},
                },
                {
                    "type": "object",
                    "required": ["type"],
                    "properties": {
                        "type": {"enum": ["event_callback", "url_verification"]},
                        "event_id": {"type": "string"},
                        "challenge": {"type": "string"},
                        "event": {"type": "object"},
                    },
                },
            ]
        }
    },
    "/webhook/slack/commands": {
        "application/x-www-form-urlencoded": {
            "type": "object",
            "properties": {
                "command": {"type": "string"},
                "text": {"type": "string"},
                "user_id": {"type": "string"},
                "channel_id": {"type": "string"},
            },
        }
    },
    "/webhook/sentry": {
        "application/json": {
            "type": "object",
            "properties": {"action": {"type": "string"}, "data": {"type": "object"}},
        }
    },
    "/webhook/firehose": {
        "application/json": {
            "type": "object",
            "properties": {
                "requestId": {"type": "string"},
                "timestamp": {"type": "integer"},
                "records": {
                    "type": "array",
                    "items": {"type": "object", "properties": {"data": {"type": "string"}}},
                },
            },
        }
    },
    "/webhook/sns": {"text/plain": {"type": "string"}},
    "/webhook/github": {
        "application/json": {
            "type": "object",
            "properties": {
                "action": {"type": "string"},
                "issue": {"type": "object"},
                "repository": {"type": "object"},
            },
        }
    },
}
