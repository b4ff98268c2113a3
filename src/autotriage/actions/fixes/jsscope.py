"""Scopes and members of JavaScript/TypeScript sources, read with tree-sitter grammars.

Bindings are collected per function (parameters, ``var``/``let``/``const``, function and
class declarations, imports, ``catch`` parameters) walking out to the program. Block
scopes are folded into their function: that may offer a name that is not visible, never
hide one that is, so a wrong pick fails the tests instead of a right one being missed.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import tree_sitter_javascript
import tree_sitter_typescript
from tree_sitter import Language, Node, Parser, Tree

FUNCTIONS = frozenset(
    {
        "function_declaration",
        "generator_function_declaration",
        "function_expression",
        "function",
        "generator_function",
        "arrow_function",
        "method_definition",
    }
)
_PATTERN_SKIP_FIELDS = ("key", "right", "value_default")

# ECMAScript and Node.js globals (node 20 `globalThis`, without the REPL's module names).
GLOBALS: frozenset[str] = frozenset(
    [
        "AbortController",
        "AbortSignal",
        "AggregateError",
        "Array",
        "ArrayBuffer",
        "Atomics",
        "BigInt",
        "BigInt64Array",
        "BigUint64Array",
        "Blob",
        "Boolean",
        "BroadcastChannel",
        "Buffer",
        "ByteLengthQueuingStrategy",
        "CompressionStream",
        "CountQueuingStrategy",
        "Crypto",
        "CryptoKey",
        "CustomEvent",
        "DOMException",
        "DataView",
        "Date",
        "DecompressionStream",
        "Error",
        "EvalError",
        "Event",
        "EventTarget",
        "File",
        "FinalizationRegistry",
        "Float32Array",
        "Float64Array",
        "FormData",
        "Function",
        "Headers",
        "Infinity",
        "Int16Array",
        "Int32Array",
        "Int8Array",
        "Intl",
        "JSON",
        "Map",
        "Math",
        "MessageChannel",
        "MessageEvent",
        "MessagePort",
        "NaN",
        "Number",
        "Object",
        "Performance",
        "Promise",
        "Proxy",
        "RangeError",
        "ReadableStream",
        "ReferenceError",
        "Reflect",
        "RegExp",
        "Request",
        "Response",
        "Set",
        "SharedArrayBuffer",
        "String",
        "SubtleCrypto",
        "Symbol",
        "SyntaxError",
        "TextDecoder",
        "TextEncoder",
        "TransformStream",
        "TypeError",
        "URIError",
        "URL",
        "URLSearchParams",
        "Uint16Array",
        "Uint32Array",
        "Uint8Array",
        "Uint8ClampedArray",
        "WeakMap",
        "WeakRef",
        "WeakSet",
        "WebAssembly",
        "WritableStream",
        "__dirname",
        "__filename",
        "atob",
        "btoa",
        "clearImmediate",
        "clearInterval",
        "clearTimeout",
        "console",
        "crypto",
        "decodeURI",
        "decodeURIComponent",
        "encodeURI",
        "encodeURIComponent",
        "escape",
        "eval",
        "exports",
        "fetch",
        "global",
        "globalThis",
        "isFinite",
        "isNaN",
        "module",
        "parseFloat",
        "parseInt",
        "performance",
        "process",
        "queueMicrotask",
        "require",
        "setImmediate",
        "setInterval",
        "setTimeout",
        "structuredClone",
        "undefined",
        "unescape",
        "arguments",
    ]
)
OBJECT_MEMBERS = frozenset(
    [
        "constructor",
        "hasOwnProperty",
        "isPrototypeOf",
        "propertyIsEnumerable",
        "toLocaleString",
        "toString",
        "valueOf",
    ]
)


@cache
def _language(kind: str) -> Language:
    if kind == "typescript":
        return Language(tree_sitter_typescript.language_typescript())
    if kind == "tsx":
        return Language(tree_sitter_typescript.language_tsx())
    return Language(tree_sitter_javascript.language())


def language_of(path: str) -> str | None:
    """``javascript``, ``typescript`` or ``tsx`` for a source path, else None."""
    if path.endswith((".js", ".mjs", ".cjs", ".jsx")):
        return "javascript"
    if path.endswith((".ts", ".mts", ".cts")):
        return "typescript"
    if path.endswith(".tsx"):
        return "tsx"
    return None


def parse(text: str, kind: str) -> Tree:
    """The syntax tree of `text` in language `kind`."""
    return Parser(_language(kind)).parse(text.encode())


def has_errors(text: str, kind: str) -> bool:
    """True when the grammar finds a syntax error (the parse gate for TypeScript)."""
    return parse(text, kind).root_node.has_error


def node_text(node: Node) -> str:
    """A node's source text."""
    return (node.text or b"").decode()


def pattern_names(node: Node) -> Iterator[str]:
    """Names bound by a declarator or parameter pattern (destructuring included)."""
    if node.type in {"identifier", "shorthand_property_identifier_pattern"}:
        yield node_text(node)
        return
    if node.type in {"assignment_pattern", "object_assignment_pattern"}:
        left = node.child_by_field_name("left")
        if left is not None:
            yield from pattern_names(left)
        return
    if node.type in {"required_parameter", "optional_parameter"}:
        inner = node.child_by_field_name("pattern")
        if inner is not None:
            yield from pattern_names(inner)
        return
    if node.type == "pair_pattern":
        value = node.child_by_field_name("value")
        if value is not None:
            yield from pattern_names(value)
        return
    if node.type in {"object_pattern", "array_pattern", "rest_pattern", "formal_parameters"}:
        for child in node.named_children:
            yield from pattern_names(child)


def _declared(node: Node) -> Iterator[str]:
    """Names one statement-level node declares in the scope that holds it."""
    kind = node.type
    if kind in {"variable_declarator"}:
        name = node.child_by_field_name("name")
        if name is not None:
            yield from pattern_names(name)
    elif kind in {"function_declaration", "generator_function_declaration", "class_declaration"}:
        name = node.child_by_field_name("name")
        if name is not None:
            yield node_text(name)
    elif kind in {"import_specifier", "namespace_import", "import_clause"}:
        alias = node.child_by_field_name("alias")
        name = alias or node.child_by_field_name("name")
        if name is not None and kind == "import_specifier":
            yield node_text(name)
        for child in node.named_children:
            if child.type == "identifier" and kind != "import_specifier":
                yield node_text(child)
    elif kind == "catch_clause":
        param = node.child_by_field_name("parameter")
        if param is not None:
            yield from pattern_names(param)


def scope_names(scope: Node) -> set[str]:
    """Names declared in `scope` (a function or the program), not inside nested functions."""
    names: set[str] = set()
    if scope.type in FUNCTIONS:
        params = scope.child_by_field_name("parameters") or scope.child_by_field_name("parameter")
        if params is not None:
            names.update(pattern_names(params))
        name = scope.child_by_field_name("name")
        if name is not None and scope.type != "method_definition":
            names.add(node_text(name))
    body = scope.child_by_field_name("body") if scope.type in FUNCTIONS else scope
    stack = list(body.named_children) if body is not None else []
    while stack:
        node = stack.pop()
        names.update(_declared(node))
        if node.type in FUNCTIONS or node.type in {"class_declaration", "class"}:
            continue
        stack.extend(node.named_children)
    return names


def visible_names(at: Node) -> set[str]:
    """Every name visible at node `at`: enclosing functions, the program, the globals."""
    names = set(GLOBALS)
    node: Node | None = at
    while node is not None:
        if node.type in FUNCTIONS or node.type == "program":
            names |= scope_names(node)
        node = node.parent
    return names


def descendants(root: Node) -> Iterator[Node]:
    """Every node under `root`, depth first."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def scope_names_of_declaration(node: Node) -> set[str]:
    """Names an exported declaration (``export function f``, ``export const a = ...``) binds."""
    if node.type in {"lexical_declaration", "variable_declaration"}:
        return {name for d in node.named_children for name in _declared(d)}
    if node.type == "export_clause":
        out: set[str] = set()
        for spec in node.named_children:
            alias = spec.child_by_field_name("alias") or spec.child_by_field_name("name")
            if alias is not None:
                out.add(node_text(alias))
        return out
    return set(_declared(node))
