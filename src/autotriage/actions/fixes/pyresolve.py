"""What a name refers to across the repository: a module's file and names, a class and its
members, the function a call reaches. Read with `ast` from the analysed commit, never imported.
"""

from __future__ import annotations

import ast

from autotriage.actions.fixes import pyscope
from autotriage.actions.fixes.rewrite import NoFix
from autotriage.actions.fixes.tree import CodeView

_OBJECT_MEMBERS = frozenset(dir(object))


def module_path(view: CodeView, module: str) -> str | None:
    """The repository file of a dotted module name, when exactly one file can be it."""
    stem = module.replace(".", "/")
    wanted = (f"{stem}.py", f"{stem}/__init__.py")
    found = [p for p in view.paths() if any(p == w or p.endswith("/" + w) for w in wanted)]
    return found[0] if len(found) == 1 else None


def module_members(view: CodeView, module: str) -> set[str] | NoFix:
    """The top-level names of repository module `module` (a package's submodules too)."""
    target = module_path(view, module)
    if target is None:
        return NoFix(f"module {module!r} is not one file of the repository")
    text = view.read(target)
    if text is None:
        return NoFix(f"{target} cannot be read")
    try:
        names = pyscope.module_names(ast.parse(text))
    except SyntaxError:
        return NoFix(f"{target} does not parse")
    if target.endswith("__init__.py"):
        prefix = target[: -len("__init__.py")]
        for other in view.paths():
            rest = other[len(prefix) :] if other.startswith(prefix) else ""
            if rest.count("/") == 0 and rest.endswith(".py") and rest != "__init__.py":
                names.add(rest[:-3])
            elif rest.count("/") == 1 and rest.endswith("/__init__.py"):
                names.add(rest.split("/")[0])
    return names


def imported_module(tree: ast.Module, local: str) -> str | None:
    """The dotted name the module `tree` imports as `local`, if it imports one."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname == local or (
                    alias.asname is None and alias.name.split(".")[0] == local
                ):
                    return alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                if (alias.asname or alias.name) == local:
                    return f"{node.module}.{alias.name}"
    return None


def find_class(view: CodeView, path: str, tree: ast.Module, name: str) -> ast.ClassDef | None:
    """The class `name` as this module sees it: defined here, imported from a repository
    module, or else the only class of that name in the repository."""
    local = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name]
    if len(local) == 1:
        return local[0]
    source = imported_module(tree, name)
    targets = (
        [module_path(view, source.rsplit(".", 1)[0])]
        if source and "." in source
        else [p for p in view.paths() if p.endswith(".py") and p != path]
    )
    found: list[ast.ClassDef] = []
    for target in targets:
        text = view.read(target) if target else None
        if text is None or f"class {name}" not in text:
            continue
        try:
            module = ast.parse(text)
        except SyntaxError:
            continue
        found += [n for n in module.body if isinstance(n, ast.ClassDef) and n.name == name]
    return found[0] if len(found) == 1 else None


def instance_members(
    view: CodeView, path: str, tree: ast.Module, cls: ast.ClassDef, depth: int = 0
) -> set[str] | NoFix:
    """Every attribute an instance of `cls` has, bases included; NoFix when a base is unknown."""
    names = pyscope.class_members(cls) | _OBJECT_MEMBERS
    for base in cls.bases:
        if isinstance(base, ast.Name) and base.id == "object":
            continue
        if not isinstance(base, ast.Name) or depth > 5:
            return NoFix(f"base class of `{cls.name}` cannot be resolved statically")
        parent = find_class(view, path, tree, base.id)
        if parent is None:
            return NoFix(f"base class `{base.id}` of `{cls.name}` is not in the repository")
        inherited = instance_members(view, path, tree, parent, depth + 1)
        if isinstance(inherited, NoFix):
            return inherited
        names |= inherited
    if any(
        isinstance(n, ast.FunctionDef) and n.name in {"__getattr__", "__getattribute__"}
        for n in cls.body
    ):
        return NoFix(f"`{cls.name}` defines __getattr__: its attributes are dynamic")
    return names


def callee(
    view: CodeView, path: str, tree: ast.Module, call: ast.Call, line: int
) -> ast.FunctionDef | ast.AsyncFunctionDef | NoFix:
    """The function or method `call` reaches, when the repository defines exactly one."""
    func = call.func
    if isinstance(func, ast.Name):
        defs = [
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == func.id
        ]
        if len(defs) == 1:
            return defs[0]
        cls = find_class(view, path, tree, func.id)
        if cls is not None:
            init = [n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"]
            if len(init) == 1:
                return init[0]
        source = imported_module(tree, func.id)
        target = module_path(view, source.rsplit(".", 1)[0]) if source and "." in source else None
        text = view.read(target) if target else None
        if text is not None:
            defs = [
                n
                for n in ast.parse(text).body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == func.id
            ]
            if len(defs) == 1:
                return defs[0]
        return NoFix(f"`{func.id}` is not one function of the repository")
    if (
        isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "self"
    ):
        cls = pyscope.enclosing_class(tree, line, call.col_offset)
        methods = [
            n
            for n in (cls.body if cls else [])
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == func.attr
        ]
        if len(methods) == 1:
            return methods[0]
    return NoFix("the callee cannot be resolved statically")
