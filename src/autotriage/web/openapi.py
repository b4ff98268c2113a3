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
from autotriage.web.request_schemas import (
    BINARY,
    ERROR,
    FORM,
    LOGIN,
    OTLP_LOGS,
    OTLP_TRACES,
    SENTRY_EVENT,
    WEBHOOK_BODIES,
)

INT64_MAX = 2**63 - 1


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
        "/console/groups/{group_id}/assign": ([_id("group_id")], FORM),
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
