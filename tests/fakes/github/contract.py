"""GitHub's published OpenAPI description as a contract the fake and the client must keep.

`Contract.load()` reads ``tests/contracts/github-rest-openapi.json.gz`` once (it is large),
turns its OpenAPI 3.0 schemas into JSON Schema (``nullable`` becomes a ``null`` type) and
then checks each request the client sends (path, method, query parameters, JSON body)
and each response the fake returns (status declared, JSON body matching its schema).

Statuses any endpoint may answer, whatever its description lists, are accepted with the
body GitHub documents for them: 304 to a conditional GET (no body), 403/429 for rate
limits and 5xx from GitHub's edge. They are the faults the fake injects on purpose.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

CONTRACT_PATH = Path(__file__).resolve().parents[2] / "contracts" / "github-rest-openapi.json.gz"
SPEC_URI = "urn:github-rest"
GREEDY = ("/contents/{path}", "/git/ref/{ref}", "/git/refs/{ref}")
ANY_ENDPOINT_STATUSES = {304, 403, 429, 500, 502, 503, 504}


class ContractViolation(AssertionError):
    """A request or response that GitHub's OpenAPI description does not allow."""


@dataclass(frozen=True, slots=True)
class Operation:
    """One documented operation: its path template and its JSON-pointer location."""

    template: str
    method: str
    pointer: str
    spec: dict[str, Any]


def _to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema dialect -> JSON Schema draft 4 (``nullable`` -> ``null`` type)."""
    if isinstance(node, list):
        return [_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _to_json_schema(v) for k, v in node.items() if k != "nullable"}
    if node.get("nullable") is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            rest = {k: v for k, v in out.items() if k not in ("description", "title")}
            out = {"anyOf": [rest, {"type": "null"}]}
    return out


def _pointer_escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


class Contract:
    """The loaded description: operations by path template and a draft-4 schema registry."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = _to_json_schema(document)
        resource = Resource.from_contents(self.document, default_specification=DRAFT4)
        self.registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
        self._routes: dict[int, list[tuple[re.Pattern[str], str]]] = {}
        for template in self.document["paths"]:
            parts = template.strip("/").split("/") if template != "/" else []
            regex = "/".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
            # file paths and git refs hold slashes: these last parameters may span segments
            key = len(parts)
            if template.endswith(GREEDY):
                regex, key = regex[: -len("[^/]+")] + ".+", -1
            self._routes.setdefault(key, []).append((re.compile(f"^{regex}$"), template))
        self._validators: dict[str, Draft4Validator] = {}
        self._lock = threading.Lock()

    @classmethod
    @cache
    def load(cls, path: Path = CONTRACT_PATH) -> Contract:
        """The contract, parsed once per process."""
        with gzip.open(path, "rb") as handle:
            return cls(json.load(handle))

    def operation(self, method: str, path: str) -> Operation:
        """The documented operation for `method` `path`, or a violation naming them."""
        parts = path.strip("/").split("/") if path.strip("/") else []
        joined = "/".join(parts)
        routes = self._routes.get(len(parts), []) + self._routes.get(-1, [])
        candidates = [template for regex, template in routes if regex.match(joined)]
        # literal segments beat parameters (/issues/comments over /issues/{issue_number})
        candidates.sort(key=lambda t: t.count("{"))
        for template in candidates:
            item = self.document["paths"][template]
            if method.lower() in item:
                pointer = f"/paths/{_pointer_escape(template)}/{method.lower()}"
                return Operation(template, method.upper(), pointer, item[method.lower()])
        raise ContractViolation(f"{method} {path} is not a documented GitHub REST operation")

    def _validator(self, pointer: str) -> Draft4Validator:
        with self._lock:
            found = self._validators.get(pointer)
            if found is None:
                found = Draft4Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry)
                self._validators[pointer] = found
            return found

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def instance(self, name: str) -> Any:
        """A minimal valid instance of ``components/schemas/<name>`` (every required field)."""
        return _minimal(self.document["components"]["schemas"][name], self, 0)

    def _check(self, pointer: str, value: Any, what: str) -> None:
        errors = sorted(self._validator(pointer).iter_errors(value), key=lambda e: e.path)
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or "(root)"
            raise ContractViolation(f"{what}: at {where}: {first.message[:300]}")

    def check_request(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> Operation:
        """Validate a request; return its operation."""
        op = self.operation(method, path)
        declared: dict[str, dict[str, Any]] = {}
        for index, raw in enumerate(op.spec.get("parameters", [])):
            param = self._resolve(raw)
            if param.get("in") == "query":
                ref = raw.get("$ref")
                pointer = (
                    ref.lstrip("#") + "/schema"
                    if ref
                    else f"{op.pointer}/parameters/{index}/schema"
                )
                declared[param["name"]] = {"pointer": pointer, "schema": param.get("schema", {})}
        for name, values in query.items():
            if name not in declared:
                raise ContractViolation(f"{op.method} {op.template}: undocumented query {name!r}")
            schema = declared[name]["schema"]
            for value in values:
                typed: Any = value
                if schema.get("type") == "integer" and value.lstrip("-").isdigit():
                    typed = int(value)
                elif schema.get("type") == "boolean" and value in ("true", "false"):
                    typed = value == "true"
                self._check(declared[name]["pointer"], typed, f"query {name}")
        request_body = op.spec.get("requestBody")
        if request_body is None:
            if body is not None and method.upper() in ("GET", "DELETE"):
                raise ContractViolation(f"{op.method} {op.template}: takes no body")
            return op
        request_body = self._resolve(request_body)
        if body is None:
            if request_body.get("required"):
                raise ContractViolation(f"{op.method} {op.template}: body required")
            return op
        if "application/json" not in request_body.get("content", {}):
            return op
        pointer = self._body_pointer(op, "requestBody")
        self._check(pointer, body, f"{op.method} {op.template} request body")
        return op

    def _body_pointer(self, op: Operation, *parts: str) -> str:
        node = op.spec
        pointer = op.pointer
        for part in parts:
            node = node[part]
            pointer = f"{pointer}/{_pointer_escape(part)}"
            if "$ref" in node:
                pointer = node["$ref"].lstrip("#")
                node = self._resolve(node)
        return f"{pointer}/content/application~1json/schema"

    def check_response(self, op: Operation, status: int, body: Any) -> None:
        """Validate a response to `op`: a declared status and a body of its schema."""
        responses = op.spec.get("responses", {})
        key = str(status)
        if key not in responses:
            if status in ANY_ENDPOINT_STATUSES:
                return
            raise ContractViolation(f"{op.method} {op.template}: undeclared status {status}")
        response = self._resolve(responses[key])
        content = response.get("content", {})
        if "application/json" not in content:
            return
        if body is None:
            raise ContractViolation(f"{op.method} {op.template} {status}: JSON body expected")
        pointer = self._body_pointer(op, "responses", key)
        self._check(pointer, body, f"{op.method} {op.template} {status} response")


def _minimal(schema: dict[str, Any], contract: Contract, depth: int) -> Any:
    """The plainest value `schema` accepts: required fields only, first choices, nulls."""
    schema = contract._resolve(schema)
    if depth > 12:
        return None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [contract._resolve(o) for o in schema[key]]
            if any(o.get("type") == "null" for o in options):
                return None
            return _minimal(options[0], contract, depth + 1)
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _minimal(part, contract, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        return merged
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        if "null" in kind:
            return None
        kind = kind[0]
    if kind == "object" or "properties" in schema:
        props = schema.get("properties", {})
        return {
            name: _minimal(props.get(name, {}), contract, depth + 1)
            for name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer" or kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2026-01-01T00:00:00Z"
        if fmt in ("uri", "url"):
            return "https://example.invalid/"
        return "x"
    return None
