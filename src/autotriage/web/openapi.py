"""``/openapi.json`` describes every route, with the request bodies each really reads.

FastAPI describes the routes it parses parameters for; most of ours read the raw body
themselves (signatures are checked on the exact bytes), and the DSN and OTLP endpoints
are plain Starlette routes. This module adds what FastAPI cannot see: the Sentry DSN
endpoints, OTLP/HTTP, the console's pages and forms, ``/metrics``, and the body of each
webhook, so a schema-driven fuzzer (schemathesis, in CI) reaches every route.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from autotriage.sources.generic.webhook import Document

INT64_MAX = 2**63 - 1
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


def _responses(
    *statuses: int, ok: dict[str, Any] | None = None, html: bool = False
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if ok is not None:
        out["200"] = {"description": "accepted", "content": {"application/json": {"schema": ok}}}
    if html:
        out["200"] = {
            "description": "the page",
            "content": {"text/html": {"schema": {"type": "string"}}},
        }
    for status in statuses:
        out[str(status)] = {
            "description": "refused, with the reason",
            "content": {"application/json": {"schema": ERROR}},
        }
    return out


def _body(content: dict[str, Any]) -> dict[str, Any]:
    return {
        "required": True,
        "content": {media: {"schema": schema} for media, schema in content.items()},
    }


def _id(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
    }


def extra_paths() -> dict[str, dict[str, Any]]:
    """Path items for the routes FastAPI does not describe."""
    project = {
        **_id("project_id"),
        "schema": {"type": "integer", "minimum": 0, "maximum": INT64_MAX},
    }
    dsn_ok = {"type": "object", "properties": {"id": {"type": ["string", "null"]}}}
    otlp_ok = {"type": "object"}
    refused = (400, 401, 413, 429)
    paths: dict[str, dict[str, Any]] = {
        "/api/{project_id}/envelope/": {
            "post": {
                "summary": "Sentry SDK envelope (DSN endpoint)",
                "operationId": "sentry_envelope",
                "parameters": [project],
                "requestBody": _body(
                    {
                        "application/x-sentry-envelope": {"type": "string"},
                        "text/plain": {"type": "string"},
                    }
                ),
                "responses": _responses(*refused, ok=dsn_ok),
            }
        },
        "/api/{project_id}/store/": {
            "post": {
                "summary": "Sentry legacy store endpoint",
                "operationId": "sentry_store",
                "parameters": [project],
                "requestBody": _body({"application/json": SENTRY_EVENT}),
                "responses": _responses(*refused, ok=dsn_ok),
            }
        },
        "/v1/logs": {
            "post": {
                "summary": "OTLP/HTTP logs export",
                "operationId": "otlp_logs",
                "requestBody": _body(
                    {"application/json": OTLP_LOGS, "application/x-protobuf": BINARY}
                ),
                "responses": {
                    "200": {
                        "description": "export response",
                        "content": {"application/json": {"schema": otlp_ok}},
                    }
                },
            }
        },
        "/v1/traces": {
            "post": {
                "summary": "OTLP/HTTP traces export",
                "operationId": "otlp_traces",
                "requestBody": _body(
                    {"application/json": OTLP_TRACES, "application/x-protobuf": BINARY}
                ),
                "responses": {
                    "200": {
                        "description": "export response",
                        "content": {"application/json": {"schema": otlp_ok}},
                    }
                },
            }
        },
        "/metrics": {
            "get": {
                "summary": "Prometheus metrics",
                "operationId": "metrics",
                "responses": {
                    "200": {
                        "description": "text exposition",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    pages = {"/": [], "/groups/{group_id}": [_id("group_id")], "/sources": [], "/login": []}
    for path, params in pages.items():
        operation = "console_" + (
            path.strip("/").replace("/", "_").replace("{", "").replace("}", "") or "groups"
        )
        paths[path] = {
            "get": {
                "summary": "console page",
                "operationId": operation,
                "parameters": params,
                "responses": _responses(404, html=True),
            }
        }
    forms = {
        "/login": ([], LOGIN),
        "/logout": ([], FORM),
        "/console/groups/{group_id}/status": ([_id("group_id")], FORM),
        "/console/bulk": ([], FORM),
        "/console/actions/{action_id}/retry": ([_id("action_id")], FORM),
        "/console/groups/{group_id}/analyze": ([_id("group_id")], FORM),
        "/console/scan": ([], FORM),
    }
    for path, (params, schema) in forms.items():
        operation = "console_post_" + path.strip("/").replace("/", "_").replace("{", "").replace(
            "}", ""
        )
        item = paths.setdefault(path, {})
        item["post"] = {
            "summary": "console form",
            "operationId": operation,
            "parameters": params,
            "requestBody": _body({"application/x-www-form-urlencoded": schema}),
            "responses": {"303": {"description": "back to a page"}},
        }
    return paths


def describe(app: FastAPI) -> dict[str, Any]:
    """The whole description: FastAPI's, the webhook bodies, and `extra_paths`."""
    if app.openapi_schema is not None:
        return app.openapi_schema
    spec = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes)
    bodies = {
        **WEBHOOK_BODIES,
        "/webhook/generic": {
            "application/json": Document.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
        },
    }
    defs = bodies["/webhook/generic"]["application/json"].pop("$defs", {})
    spec.setdefault("components", {}).setdefault("schemas", {}).update(defs)
    for path, content in bodies.items():
        post = spec["paths"].get(path, {}).get("post")
        if post is not None:
            post["requestBody"] = _body(content)
    for path, item in extra_paths().items():
        spec["paths"].setdefault(path, {}).update(item)
    app.openapi_schema = spec
    return spec


def install(app: FastAPI) -> None:
    """Serve `describe(app)` at ``/openapi.json``."""
    app.openapi = lambda: describe(app)  # type: ignore[method-assign]
