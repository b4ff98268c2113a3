"""Deterministic fixes for JavaScript/TypeScript errors: an undefined name, a missing method.

``ReferenceError: x is not defined`` becomes the unique close name visible at that point;
``TypeError: o.m is not a function`` becomes the unique close member of what ``o`` is
statically known to be (an object literal, an instance of a class, a required or imported
module of the repository). Sources are parsed with tree-sitter; nothing is run.
"""

from __future__ import annotations

import posixpath
import re

from tree_sitter import Node

from autotriage.actions.fixes import jsscope
from autotriage.actions.fixes.jsscope import descendants, node_text
from autotriage.actions.fixes.rewrite import NoFix, Rewrite, byte_col
from autotriage.actions.fixes.suggest import check_hint
from autotriage.actions.fixes.tree import CodeView

REFERENCE = re.compile(r"^(?P<name>[\w$]+) is not defined")
NOT_A_FUNCTION = re.compile(r"^(?P<object>[\w$]+(?:\.[\w$]+)*)\.(?P<name>[\w$]+) is not a function")
_EXTENSIONS = ("", ".js", ".mjs", ".cjs", ".ts", "/index.js", "/index.ts")


def _nodes_on_line(
    root: Node, line: int, col: int | None, test: type | None, want: str, name: str
) -> list[Node]:
    del test
    found = [
        n
        for n in descendants(root)
        if n.type == want and n.start_point[0] == line - 1 and node_text(n) == name
    ]
    if col is not None and len(found) > 1:
        exact = [n for n in found if n.start_point[1] <= col < n.end_point[1]]
        found = exact or found
    return found


def _one(found: list[Node], what: str) -> Node | NoFix:
    if not found:
        return NoFix(f"no {what} on the reported line")
    if len(found) > 1:
        return NoFix(f"{len(found)} uses of {what} on the reported line; refusing to guess which")
    return found[0]


def _rewrite(path: str, token: Node, old: str, new: str, why: str, cause: str) -> Rewrite:
    return Rewrite(
        path,
        token.start_point[0] + 1,
        token.start_point[1],
        token.end_point[1],
        old,
        new,
        why,
        cause,
    )


def fix_reference(path: str, root: Node, line: int, col: int | None, name: str) -> Rewrite | NoFix:
    """``ReferenceError``: the identifier at the position, renamed to the close name in scope."""
    token = _one(_nodes_on_line(root, line, col, None, "identifier", name), repr(name))
    if isinstance(token, NoFix):
        return token
    choice = check_hint(name, None, jsscope.visible_names(token))
    if choice.name is None:
        return NoFix(choice.reason)
    return _rewrite(
        path,
        token,
        name,
        choice.name,
        f"`{choice.name}` is the only name in scope within CPython's typo distance of `{name}`",
        f"`{name}` is not defined where it is used (a misspelling of `{choice.name}`)",
    )


def _declaration(at: Node, name: str) -> Node | None:
    """The value a `const`/`let`/`var` named `name` is initialised with, nearest scope first."""
    node: Node | None = at
    while node is not None:
        if node.type in jsscope.FUNCTIONS or node.type == "program":
            for candidate in descendants(node):
                if candidate.type == "variable_declarator":
                    ident = candidate.child_by_field_name("name")
                    if ident is not None and node_text(ident) == name:
                        return candidate.child_by_field_name("value")
        node = node.parent
    return None


def _object_keys(obj: Node) -> set[str]:
    keys: set[str] = set()
    for child in obj.named_children:
        key = child.child_by_field_name("key") or child.child_by_field_name("name")
        if child.type == "shorthand_property_identifier":
            keys.add(node_text(child))
        elif key is not None:
            keys.add(node_text(key).strip("'\""))
    return keys


class _Resolver:
    """Finds the members of what an expression statically is, across repository files."""

    def __init__(self, view: CodeView) -> None:
        self.view = view

    def root(self, path: str) -> Node | None:
        kind = jsscope.language_of(path)
        text = self.view.read(path)
        return None if kind is None or text is None else jsscope.parse(text, kind).root_node

    def resolve_module(self, importer: str, spec: str) -> str | None:
        if not spec.startswith("."):
            return None
        base = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
        paths = set(self.view.paths())
        return next((base + ext for ext in _EXTENSIONS if base + ext in paths), None)

    def exports(self, path: str) -> set[str] | NoFix:
        root = self.root(path)
        if root is None:
            return NoFix(f"{path} cannot be read")
        names: set[str] = set()
        for node in descendants(root):
            if node.type == "assignment_expression":
                left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                target = node_text(left) if left is not None else ""
                if target == "module.exports" and right is not None:
                    if right.type != "object":
                        return NoFix(f"{path} exports something other than an object literal")
                    names |= _object_keys(right)
                elif re.fullmatch(r"(?:module\.)?exports\.[\w$]+", target):
                    names.add(target.rsplit(".", 1)[1])
            elif node.type == "export_statement":
                for child in node.named_children:
                    names.update(jsscope.scope_names_of_declaration(child))
        return names

    def class_members(self, path: str, root: Node, name: str, depth: int = 0) -> set[str] | NoFix:
        classes = [
            n
            for n in descendants(root)
            if n.type == "class_declaration"
            and node_text(n.child_by_field_name("name") or n) == name
        ]
        if len(classes) != 1:
            source = self.imported_from(path, root, name)
            other = self.root(source) if source else None
            if other is None or depth > 5:
                return NoFix(f"class `{name}` is not defined once in the repository")
            return self.class_members(source or path, other, name, depth + 1)
        cls = classes[0]
        members = set(jsscope.OBJECT_MEMBERS)
        body = cls.child_by_field_name("body")
        for node in descendants(body) if body is not None else []:
            if node.type in {"method_definition", "field_definition", "public_field_definition"}:
                key = node.child_by_field_name("name") or node.child_by_field_name("property")
                if key is not None:
                    members.add(node_text(key))
            elif (
                node.type == "member_expression"
                and node.parent is not None
                and node.parent.type == "assignment_expression"
            ):
                obj, prop = node.child_by_field_name("object"), node.child_by_field_name("property")
                if obj is not None and obj.type == "this" and prop is not None:
                    members.add(node_text(prop))
        heritage = next((c for c in cls.named_children if c.type == "class_heritage"), None)
        if heritage is not None:
            base = heritage.named_children[-1] if heritage.named_children else None
            if base is None or base.type != "identifier":
                return NoFix(f"base class of `{name}` cannot be resolved statically")
            inherited = self.class_members(path, root, node_text(base), depth + 1)
            if isinstance(inherited, NoFix):
                return inherited
            members |= inherited
        return members

    def imported_from(self, path: str, root: Node, name: str) -> str | None:
        for node in descendants(root):
            if node.type == "import_statement":
                source = node.child_by_field_name("source")
                if source is not None and name in set(jsscope.scope_names(node)) | set(
                    _import_names(node)
                ):
                    return self.resolve_module(path, node_text(source).strip("'\"`"))
            if node.type == "variable_declarator":
                ident, value = node.child_by_field_name("name"), node.child_by_field_name("value")
                if (
                    ident is not None
                    and value is not None
                    and name in set(jsscope.pattern_names(ident))
                ):
                    spec = _require_spec(value)
                    if spec is not None:
                        return self.resolve_module(path, spec)
        return None

    def members(self, path: str, root: Node, at: Node, obj: str) -> set[str] | NoFix:
        if obj == "this":
            node: Node | None = at
            while node is not None and node.type not in {"class_declaration", "class"}:
                node = node.parent
            name = node.child_by_field_name("name") if node is not None else None
            if name is None:
                return NoFix("`this` is not inside a named class")
            return self.class_members(path, root, node_text(name))
        if "." in obj:
            return NoFix(f"`{obj}` is a nested member: its value is not known statically")
        value = _declaration(at, obj)
        if value is None:
            source = self.imported_from(path, root, obj)
            if source is None:
                return NoFix(
                    f"`{obj}` is not declared in this file or imported from the repository"
                )
            return self.exports(source)
        if value.type == "object":
            return _object_keys(value) | jsscope.OBJECT_MEMBERS
        if value.type == "new_expression":
            ctor = value.child_by_field_name("constructor")
            if ctor is None or ctor.type != "identifier":
                return NoFix(f"the class of `{obj}` cannot be resolved statically")
            return self.class_members(path, root, node_text(ctor))
        spec = _require_spec(value)
        if spec is not None:
            source = self.resolve_module(path, spec)
            if source is None:
                return NoFix(f"{spec!r} is not a module of the repository")
            return self.exports(source)
        return NoFix(f"the value of `{obj}` is not known statically")


def _import_names(node: Node) -> list[str]:
    names: list[str] = []
    for child in descendants(node):
        if child.type in {"import_specifier", "namespace_import", "import_clause"}:
            names += list(jsscope._declared(child))
    return names


def _require_spec(value: Node) -> str | None:
    if value.type != "call_expression":
        return None
    func, args = value.child_by_field_name("function"), value.child_by_field_name("arguments")
    if (
        func is None
        or node_text(func) != "require"
        or args is None
        or len(args.named_children) != 1
    ):
        return None
    arg = args.named_children[0]
    return node_text(arg).strip("'\"`") if arg.type == "string" else None


def fix_not_a_function(
    view: CodeView, path: str, root: Node, line: int, col: int | None, obj: str, name: str
) -> Rewrite | NoFix:
    """``TypeError: o.m is not a function``: the member renamed to the one close member."""
    found = [
        n
        for n in descendants(root)
        if n.type == "member_expression"
        and n.start_point[0] <= line - 1 <= n.end_point[0]
        and node_text(n.child_by_field_name("property") or n) == name
        and node_text(n.child_by_field_name("object") or n) == obj
    ]
    if col is not None and len(found) > 1:
        found = [n for n in found if n.start_point[1] <= col < n.end_point[1]] or found
    member = _one(found, f"`{obj}.{name}`")
    if isinstance(member, NoFix):
        return member
    prop = member.child_by_field_name("property")
    if prop is None:
        return NoFix("unexpected syntax at the reported line")
    members = _Resolver(view).members(path, root, member, obj)
    if isinstance(members, NoFix):
        return members
    choice = check_hint(name, None, members)
    if choice.name is None:
        return NoFix(choice.reason)
    return _rewrite(
        path,
        prop,
        name,
        choice.name,
        f"`{obj}` has `{choice.name}`, the only member within CPython's typo distance of `{name}`",
        f"`{obj}.{name}` is called but `{obj}` has no such member",
    )


def fix_javascript(
    view: CodeView, path: str, line: int, col: int | None, exc_type: str, value: str
) -> Rewrite | NoFix:
    """The one-token rewrite for a JS/TS error at `path`:`line` (col 1-based), or why not."""
    kind = jsscope.language_of(path)
    text = view.read(path)
    if kind is None or text is None:
        return NoFix(f"{path} is not a readable JavaScript/TypeScript file")
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return NoFix(f"{path} has no line {line}")
    byte = None if col is None else byte_col(lines[line - 1], max(col - 1, 0))
    root = jsscope.parse(text, kind).root_node
    message = value.strip()
    reference = REFERENCE.match(message)
    if exc_type == "ReferenceError" and reference:
        return fix_reference(path, root, line, byte, reference["name"])
    call = NOT_A_FUNCTION.match(message)
    if exc_type == "TypeError" and call:
        return fix_not_a_function(view, path, root, line, byte, call["object"], call["name"])
    return NoFix(f"no deterministic fixer for {exc_type}: {message[:80]}")
