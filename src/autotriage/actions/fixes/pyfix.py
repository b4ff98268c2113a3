"""Deterministic fixes for Python errors whose fix the interpreter itself implies.

Each fixer reads the crashing line with `ast`, finds the one token the error names, and
rewrites it to the unique name that exists there by CPython's "Did you mean" rule
(`autotriage.actions.fixes.suggest`). User code is parsed, never imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from autotriage.actions.fixes import pyresolve, pyscope
from autotriage.actions.fixes.rewrite import NoFix, Rewrite, byte_col
from autotriage.actions.fixes.suggest import check_hint
from autotriage.actions.fixes.tree import CodeView

_HINT = r"(?:\. Did you mean:? '(?P<hint>[\w.]+)'\?)?"
NAME_ERROR = re.compile(rf"^name '(?P<name>\w+)' is not defined{_HINT}")
MODULE_ATTR = re.compile(rf"^module '(?P<module>[\w.]+)' has no attribute '(?P<name>\w+)'{_HINT}")
OBJECT_ATTR = re.compile(
    rf"^(?:'(?P<cls>\w+)' object|type object '(?P<type>\w+)')"
    rf" has no attribute '(?P<name>\w+)'{_HINT}"
)
IMPORT_NAME = re.compile(
    rf"^cannot import name '(?P<name>\w+)' from '(?P<module>[\w.]+)'[^.]*{_HINT}"
)
UNEXPECTED_KW = re.compile(
    rf"^(?P<func>[\w.<>]+)\(\) got an unexpected keyword argument '(?P<name>\w+)'{_HINT}"
)
N = TypeVar("N", bound=ast.AST)

Fixer = Callable[[CodeView, str, ast.Module, int, int | None, re.Match[str]], Rewrite | NoFix]


def _at_line(
    tree: ast.Module, line: int, col: int | None, kind: type[N], test: Callable[[N], bool]
) -> list[N]:
    found = [
        n
        for n in ast.walk(tree)
        if isinstance(n, kind) and getattr(n, "lineno", None) == line and test(n)
    ]
    if col is not None and len(found) > 1:
        found = [
            n
            for n in found
            if getattr(n, "col_offset", -1) <= col < (getattr(n, "end_col_offset", 0) or 0)
        ] or found
    return found


def _one(found: list[N], what: str) -> N | NoFix:
    if not found:
        return NoFix(f"no {what} on the reported line")
    if len(found) > 1:
        return NoFix(f"{len(found)} uses of {what} on the reported line; refusing to guess which")
    return found[0]


def _choose(name: str, hint: str | None, candidates: Iterable[str]) -> str | NoFix:
    choice = check_hint(name, hint, candidates)
    return choice.name if choice.name is not None else NoFix(choice.reason)


def _name_end(node: ast.AST, name: str) -> tuple[int, int]:
    start = getattr(node, "col_offset", 0)
    return start, start + len(name.encode())


def fix_name_error(
    view: CodeView, path: str, tree: ast.Module, line: int, col: int | None, m: re.Match[str]
) -> Rewrite | NoFix:
    """``NameError``: the unique close name in scope, or ``self.name`` when the class has it."""
    name, hint = m["name"], m["hint"]
    del view
    node = _one(
        _at_line(tree, line, col, ast.Name, lambda n: n.id == name and isinstance(n.ctx, ast.Load)),
        repr(name),
    )
    if isinstance(node, NoFix):
        return node
    start, end = _name_end(node, name)
    cls = pyscope.enclosing_class(tree, line, node.col_offset)
    if cls is not None and name in pyscope.class_members(cls) and hint in (None, f"self.{name}"):
        return Rewrite(
            path,
            line,
            start,
            end,
            name,
            f"self.{name}",
            f"`{name}` is an attribute of `{cls.name}`, and this is one of its methods",
            f"`{name}` is used as a bare name inside a method of `{cls.name}`",
        )
    candidates = pyscope.visible_names(tree, line, node.col_offset)
    chosen = _choose(name, hint, candidates)
    if isinstance(chosen, NoFix):
        return chosen
    return Rewrite(
        path,
        line,
        start,
        end,
        name,
        chosen,
        f"`{chosen}` is the only name in scope within typo distance of `{name}`",
        f"`{name}` is not defined where it is used (a misspelling of `{chosen}`)",
    )


def _attribute_rewrite(
    path: str, line: int, node: ast.Attribute, name: str, chosen: str, why: str, cause: str
) -> Rewrite:
    # The attribute name ends the node: `value.attr` ends at end_col_offset.
    end = node.end_col_offset or 0
    return Rewrite(path, line, end - len(name.encode()), end, name, chosen, why, cause)


def fix_module_attribute(
    view: CodeView, path: str, tree: ast.Module, line: int, col: int | None, m: re.Match[str]
) -> Rewrite | NoFix:
    """``AttributeError`` on a module of the repository: the unique close top-level name."""
    name, module, hint = m["name"], m["module"], m["hint"]
    node = _one(
        _at_line(
            tree,
            line,
            col,
            ast.Attribute,
            lambda n: n.attr == name and isinstance(n.value, ast.Name | ast.Attribute),
        ),
        f"'.{name}'",
    )
    if isinstance(node, NoFix):
        return node
    if not isinstance(node, ast.Attribute):
        return NoFix("unexpected syntax at the reported line")
    if isinstance(node.value, ast.Name) and pyresolve.imported_module(tree, node.value.id) not in (
        module,
        None,
    ):
        return NoFix(f"`{node.value.id}` is not module {module!r} here")
    members = pyresolve.module_members(view, module)
    if isinstance(members, NoFix):
        return members
    chosen = _choose(name, hint, members)
    if isinstance(chosen, NoFix):
        return chosen
    return _attribute_rewrite(
        path,
        line,
        node,
        name,
        chosen,
        f"module `{module}` defines `{chosen}`, the only name within typo distance of `{name}`",
        f"module `{module}` has no attribute `{name}`",
    )


def fix_object_attribute(
    view: CodeView, path: str, tree: ast.Module, line: int, col: int | None, m: re.Match[str]
) -> Rewrite | NoFix:
    """``AttributeError`` on an instance (or class) whose class the repository defines."""
    name, hint = m["name"], m["hint"]
    class_name = m["cls"] or m["type"]
    if class_name == "NoneType":
        return NoFix("the value is None: the fix is not a name, so no deterministic fix")
    node = _one(_at_line(tree, line, col, ast.Attribute, lambda n: n.attr == name), f"'.{name}'")
    if isinstance(node, NoFix):
        return node
    if not isinstance(node, ast.Attribute):
        return NoFix("unexpected syntax at the reported line")
    cls = pyresolve.find_class(view, path, tree, class_name)
    if cls is None:
        return NoFix(f"class `{class_name}` is not defined once in the repository")
    members = pyresolve.instance_members(view, path, tree, cls)
    if isinstance(members, NoFix):
        return members
    chosen = _choose(name, hint, members)
    if isinstance(chosen, NoFix):
        return chosen
    return _attribute_rewrite(
        path,
        line,
        node,
        name,
        chosen,
        f"`{class_name}` has `{chosen}`, the only attribute within typo distance of `{name}`",
        f"`{class_name}` objects have no attribute `{name}`",
    )


def fix_import_name(
    view: CodeView, path: str, tree: ast.Module, line: int, col: int | None, m: re.Match[str]
) -> Rewrite | NoFix:
    """``ImportError: cannot import name``: the unique close name the module defines."""
    del col  # an import names its module and name: the line is enough
    name, module, hint = m["name"], m["module"], m["hint"]
    imports = _at_line(
        tree, line, None, ast.ImportFrom, lambda n: any(a.name == name for a in n.names)
    )
    node = _one(imports, f"an import of {name!r}")
    if isinstance(node, NoFix):
        return node
    if not isinstance(node, ast.ImportFrom):
        return NoFix("unexpected syntax at the reported line")
    members = pyresolve.module_members(view, module)
    if isinstance(members, NoFix):
        return members
    chosen = _choose(name, hint, members)
    if isinstance(chosen, NoFix):
        return chosen
    alias = next(a for a in node.names if a.name == name)
    if alias.lineno != line:
        return NoFix("the imported name is not on the reported line")
    used = any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(tree))
    # Without `as`, the import also binds the name the code uses: keep that name bound.
    new = f"{chosen} as {name}" if alias.asname is None and used else chosen
    start = alias.col_offset
    return Rewrite(
        path,
        line,
        start,
        start + len(name.encode()),
        name,
        new,
        f"module `{module}` defines `{chosen}`, the only name within typo distance of `{name}`",
        f"`{name}` cannot be imported from `{module}`",
    )


def fix_unexpected_keyword(
    view: CodeView, path: str, tree: ast.Module, line: int, col: int | None, m: re.Match[str]
) -> Rewrite | NoFix:
    """``TypeError: f() got an unexpected keyword argument``: the callee's close parameter."""
    name, hint, func_name = m["name"], m["hint"], m["func"].split(".")[-1]
    calls = _at_line(
        tree,
        line,
        col,
        ast.Call,
        lambda n: any(k.arg == name and k.lineno == line for k in n.keywords),
    )
    call = _one(calls, f"a call passing {name}=")
    if isinstance(call, NoFix):
        return call
    if not isinstance(call, ast.Call):
        return NoFix("unexpected syntax at the reported line")
    callee = pyresolve.callee(view, path, tree, call, line)
    if isinstance(callee, NoFix):
        return callee
    if callee.name != func_name:
        return NoFix(f"the error names {m['func']}() but the call resolves to {callee.name}()")
    if callee.args.kwarg is not None:
        return NoFix(f"{callee.name}() takes **{callee.args.kwarg.arg}")
    params = [
        a.arg for a in (*callee.args.args, *callee.args.kwonlyargs) if a.arg not in {"self", "cls"}
    ]
    passed = {k.arg for k in call.keywords if k.arg and k.arg != name}
    chosen = _choose(name, hint, [p for p in params if p not in passed])
    if isinstance(chosen, NoFix):
        return chosen
    keyword = next(k for k in call.keywords if k.arg == name)
    return Rewrite(
        path,
        line,
        keyword.col_offset,
        keyword.col_offset + len(name.encode()),
        name,
        chosen,
        f"{callee.name}() takes `{chosen}`, the only parameter within typo distance of `{name}`",
        f"{callee.name}() is called with a keyword argument it does not take (`{name}`)",
    )


FIXERS: tuple[tuple[str, re.Pattern[str], Fixer], ...] = (
    ("NameError", NAME_ERROR, fix_name_error),
    ("AttributeError", MODULE_ATTR, fix_module_attribute),
    ("AttributeError", OBJECT_ATTR, fix_object_attribute),
    ("ImportError", IMPORT_NAME, fix_import_name),
    ("TypeError", UNEXPECTED_KW, fix_unexpected_keyword),
)


def fix_python(
    view: CodeView, path: str, line: int, col: int | None, exc_type: str, value: str
) -> Rewrite | NoFix:
    """The one-token rewrite that fixes this error at `path`:`line`, or why there is none.

    `col` is a 0-based character column when the trace has one (Python's rarely do).
    """
    short = exc_type.rsplit(".", 1)[-1]
    if short == "ModuleNotFoundError":
        return NoFix("a missing module is a dependency problem, not a name to correct")
    for kind, pattern, fixer in FIXERS:
        match = pattern.match(value.strip())
        if (short == kind or (kind == "ImportError" and short == "ImportError")) and match:
            text = view.read(path)
            if text is None:
                return NoFix(f"{path} cannot be read at the analysed commit")
            try:
                tree = ast.parse(text)
            except SyntaxError:
                return NoFix(f"{path} does not parse")
            lines = text.splitlines()
            if not 1 <= line <= len(lines):
                return NoFix(f"{path} has no line {line}")
            byte = None if col is None else byte_col(lines[line - 1], col)
            return fixer(view, path, tree, line, byte, match)
    return NoFix(f"no deterministic fixer for {exc_type}: {value.strip()[:80]}")
