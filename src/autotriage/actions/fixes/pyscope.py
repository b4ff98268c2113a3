"""Which names exist at a point of a Python module, found with `ast` (never by importing it).

A scope's names are what it binds: parameters, assignment and loop targets, ``with``/
``except`` names, imports, ``def``/``class`` names, walrus and ``match`` captures, and
``global`` declarations. Class bodies are skipped for code nested in their methods, as
Python does; comprehension variables belong to their comprehension.
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Iterator

ScopeNode = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
BUILTINS: frozenset[str] = frozenset(dir(builtins))


def _targets(node: ast.AST) -> Iterator[str]:
    """Names bound by an assignment target (tuples, starred, but not attributes)."""
    if isinstance(node, ast.Name):
        yield node.id
    elif isinstance(node, ast.Tuple | ast.List):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)


def _params(args: ast.arguments) -> Iterator[str]:
    for arg in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        yield arg.arg
    if args.vararg:
        yield args.vararg.arg
    if args.kwarg:
        yield args.kwarg.arg


def _own_nodes(scope: ast.AST) -> Iterator[ast.AST]:
    """The nodes evaluated in `scope` itself, not in a nested function, class or comprehension."""
    stack = list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (*_FUNCTIONS, ast.ClassDef, *_COMPREHENSIONS)):
            continue  # its name (if any) is bound here; its body is another scope
        stack.extend(ast.iter_child_nodes(node))


def bound_names(scope: ast.AST) -> set[str]:
    """Every name `scope` binds."""
    names: set[str] = set()
    if isinstance(scope, _FUNCTIONS):
        names.update(_params(scope.args))
    if isinstance(scope, _COMPREHENSIONS):
        for generator in scope.generators:
            names.update(_targets(generator.target))
    for node in _own_nodes(scope):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.alias):
            names.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.Global | ast.Nonlocal):
            names.update(node.names)
        elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
    return names


def _contains(node: ast.AST, line: int, col: int) -> bool:
    start = (getattr(node, "lineno", 0), getattr(node, "col_offset", 0))
    end = (getattr(node, "end_lineno", 0) or 0, getattr(node, "end_col_offset", 0) or 0)
    return start <= (line, col) < end


def enclosing_scopes(tree: ast.Module, line: int, col: int) -> list[ast.AST]:
    """Scopes around (line, col), innermost first, ending with the module."""
    chain: list[ast.AST] = [tree]
    node: ast.AST = tree
    while True:
        inner = next(
            (c for c in ast.iter_child_nodes(node) if _contains(c, line, col)),
            None,
        )
        if inner is None:
            break
        if isinstance(inner, (*_FUNCTIONS, ast.ClassDef, *_COMPREHENSIONS)):
            chain.append(inner)
        node = inner
    return list(reversed(chain))


def visible_names(tree: ast.Module, line: int, col: int) -> set[str]:
    """Names Python would find at (line, col): enclosing scopes, module globals, builtins."""
    scopes = enclosing_scopes(tree, line, col)
    names: set[str] = set(BUILTINS)
    for index, scope in enumerate(scopes):
        # A class body's names are visible only to code directly in that body.
        if isinstance(scope, ast.ClassDef) and index > 0:
            continue
        names |= bound_names(scope)
    return names


def enclosing_class(tree: ast.Module, line: int, col: int) -> ast.ClassDef | None:
    """The class whose method holds (line, col), when the method's first parameter is ``self``."""
    scopes = enclosing_scopes(tree, line, col)
    for index, scope in enumerate(scopes):
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            parent = scopes[index + 1] if index + 1 < len(scopes) else None
            params = [a.arg for a in (*scope.args.posonlyargs, *scope.args.args)]
            if isinstance(parent, ast.ClassDef) and params[:1] == ["self"]:
                return parent
    return None


def module_names(tree: ast.Module) -> set[str]:
    """Names a module defines at its top level (what ``module.x`` or ``from m import x`` finds)."""
    return bound_names(tree)


def class_members(cls: ast.ClassDef) -> set[str]:
    """What an instance of `cls` has: body names (methods, attributes, annotations) and
    every ``self.x`` assigned in its methods."""
    names = bound_names(cls)
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            params = [a.arg for a in (*node.args.posonlyargs, *node.args.args)]
            owner = params[0] if params else None
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Attribute)
                    and isinstance(inner.ctx, ast.Store)
                    and isinstance(inner.value, ast.Name)
                    and inner.value.id == owner
                ):
                    names.add(inner.attr)
    return names
