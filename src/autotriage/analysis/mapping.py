"""Code mapping: which repository file a stack frame's path names.

Automatic, in this order (Sentry makes users write these by hand):

1. explicit ``CODE_MAPPINGS`` (stack root -> source root) win when they apply;
2. the frame path is normalized: URL schemes and hosts (``webpack://``, ``app:///``,
   ``http://cdn/...``), query strings, ``~/``, ``./`` and ``..`` are removed;
3. the longest suffix of path components that some repository file shares; deployment
   prefixes (``/srv/app/releases/42/``, ``/var/task/``...) simply never match, and a
   source root left over in the repository path (``src/``, ``lib/``) is no conflict;
4. ties are broken by the frame's module (Python dotted modules, Java packages, .NET
   namespaces, Go import paths) turned into a path, so ``com.acme.Foo`` finds
   ``src/main/java/com/acme/Foo.java``;
5. compiled output (``dist/x.js``) maps to its source twin (``src/x.ts``) only when exactly
   one twin exists.

Anything still ambiguous or absent is reported as such, never guessed.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from autotriage.analysis.index import FileIndex
from autotriage.models import Frame

Status = Literal["mapped", "ambiguous", "unmapped"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_UNMAPPABLE = re.compile(r"^(?:<[^>]*>|node:|internal/|native$|\[native code\]|unknown$)")
_COMPILED_DIRS = frozenset({"dist", "build", "out", "lib", "target", ".next", "compiled"})
_COMPILED_EXT = (".js", ".mjs", ".cjs")
_SOURCE_EXT = (".ts", ".tsx", ".mts", ".cts", ".jsx", ".js", ".mjs")
_MAX_SHOWN = 5
_SOURCE_ROOTS = frozenset({"src", "lib", "source", "sources", "python"})


@dataclass(frozen=True, slots=True)
class FrameMapping:
    """Where one frame's file is in the repository, or why we cannot say."""

    status: Status
    repo_path: str | None = None
    how: str = ""
    """``explicit``, ``suffix``, ``module``, ``twin`` or ``partial`` when mapped."""
    candidates: tuple[str, ...] = field(default=())
    detail: str = ""

    @property
    def unique(self) -> bool:
        """Mapped with evidence beyond the file name alone."""
        return self.status == "mapped" and self.how != "partial"


def normalize_path(raw: str) -> list[str]:
    """A frame path as clean components (empty for paths no repository can hold)."""
    path = raw.strip().replace("\\", "/")
    if not path or _UNMAPPABLE.match(path):
        return []
    if path.startswith(("http://", "https://")):
        path = path.split("://", 1)[1].split("/", 1)[1] if "/" in path.split("://", 1)[1] else ""
    path = _SCHEME.sub("", path)
    path = path.split("?", 1)[0].split("#", 1)[0]
    if re.match(r"^[A-Za-z]:/", path):  # a Windows drive
        path = path[2:]
    path = path.removeprefix("~/")
    parts: list[str] = []
    for part in path.split("/"):
        if part in ("", ".", "~"):
            continue
        if part == "..":
            if parts:
                parts.pop()
            continue
        parts.append(part)
    return parts


def module_components(module: str | None, basename: str | None) -> list[str]:
    """The path a module name implies (``a.b.c`` + ``c.py`` -> ``a/b/c.py``).

    Dotted names (Python modules, Java classes, .NET types) become folders; import paths
    with slashes (Go packages, bundler module ids) keep theirs. The last part is replaced
    by the file name when it names the file (``c`` of ``c.py``, Java's ``Invoice$Line``),
    and kept as a folder otherwise (a Go package, a Python package's ``__init__.py``).
    """
    if not module or not basename or " " in module:
        return []
    sep = r"/" if "/" in module else r"[.:]"
    parts = [p for p in re.split(sep, module) if p and p not in (".", "..")]
    if not parts:
        return []
    stem = basename.rsplit(".", 1)[0]
    last = parts[-1]
    if stem == "__init__" or (sep == "/" and last != stem):
        return [*parts, basename]
    if len(parts) == 1 and last != stem:
        return []  # "__main__" and the like say nothing about folders
    return [*parts[:-1], basename]


def module_variants(module: str | None, basename: str | None) -> list[list[str]]:
    """`module_components`, plus the .NET habit of one folder per namespace.

    ``Acme.Billing.InvoiceService`` lives in ``Acme.Billing/InvoiceService.cs`` as often
    as in ``Acme/Billing/InvoiceService.cs``.
    """
    first = module_components(module, basename)
    if not first or module is None or "/" in module or len(first) < 3:
        return [first] if first else []
    return [first, [".".join(first[:-1]), first[-1]]]


def _common_suffix(a: Sequence[str], b: Sequence[str]) -> int:
    n = 0
    for x, y in zip(reversed(a), reversed(b), strict=False):
        if x != y:
            break
        n += 1
    return n


def _shown(paths: Sequence[str], total: int) -> str:
    more = f" and {total - _MAX_SHOWN} more" if total > _MAX_SHOWN else ""
    return ", ".join(paths[:_MAX_SHOWN]) + more


def _explicit(raw: str, mappings: Mapping[str, str], index: FileIndex) -> FrameMapping | None:
    for stack_root in sorted(mappings, key=len, reverse=True):
        if raw.startswith(stack_root):
            source_root = mappings[stack_root].strip("/")
            rest = raw[len(stack_root) :].lstrip("/")
            path = posixpath.normpath(posixpath.join(source_root, rest)) if rest else source_root
            if path in index:
                return FrameMapping("mapped", path, "explicit", detail=f"code mapping {stack_root}")
            return FrameMapping(
                "unmapped",
                detail=f"code mapping {stack_root} -> {source_root or '.'} names {path}, "
                "which is not in the repository",
            )
    return None


def _twin(components: list[str], index: FileIndex) -> FrameMapping | None:
    """``dist/x.js`` -> ``src/x.ts`` when exactly one source twin exists."""
    if not components or not components[-1].endswith(_COMPILED_EXT):
        return None
    found: set[str] = set()
    for i, part in enumerate(components[:-1]):
        if part not in _COMPILED_DIRS:
            continue
        stem = components[-1].rsplit(".", 1)[0]
        tail = components[i + 1 : -1]
        for ext in _SOURCE_EXT:
            for root in (["src"], []):
                found.update(index.with_suffix([*root, *tail, stem + ext]) if tail or root else [])
    found.discard("/".join(components))
    if len(found) == 1:
        path = found.pop()
        return FrameMapping("mapped", path, "twin", detail="compiled output mapped to its source")
    if found:
        shown = sorted(found)
        return FrameMapping(
            "ambiguous",
            candidates=tuple(shown[:_MAX_SHOWN]),
            detail=f"compiled output has several source twins: {_shown(shown, len(shown))}",
        )
    return None


def map_frame(
    frame: Frame, index: FileIndex, mappings: Mapping[str, str] | None = None
) -> FrameMapping:
    """Map `frame` onto a file of `index` (see the module docstring for the rules)."""
    raw = frame.abs_path or frame.filename or ""
    if mappings and raw:
        explicit = _explicit(raw, mappings, index)
        if explicit is not None:
            return explicit
    components = normalize_path(raw)
    if frame.filename and frame.abs_path and len(normalize_path(frame.filename)) > len(components):
        components = normalize_path(frame.filename)
    if not components:
        return FrameMapping("unmapped", detail=f"{raw or 'no path'} cannot be a repository file")
    match = index.longest_suffix(components)
    module: list[str] = []
    for variant in module_variants(frame.module, components[-1]):
        if not module:
            module = variant
        if match.length > 0 and len(variant) > match.length:
            # The module says more than the path (Java: only "Invoice.java"): search by it.
            by_module = index.longest_suffix(variant)
            if by_module.length > match.length:
                match, module = by_module, variant
    if match.length == 0:
        twin = _twin(components, index)
        return twin or FrameMapping("unmapped", detail=f"no file named {components[-1]}")
    paths = list(match.paths)
    if len(paths) > 1 and module:
        scores = {p: _common_suffix(p.split("/"), module) for p in paths}
        top = max(scores.values())
        paths = [p for p in paths if scores[p] == top]
        total = len(paths)
    else:
        total = match.total
    if total > 1:
        return FrameMapping(
            "ambiguous",
            candidates=tuple(paths[:_MAX_SHOWN]),
            detail=f"{'/'.join(components[-match.length :])} matches {_shown(paths, total)}",
        )
    path = paths[0]
    repo_parts = path.split("/")
    rest = repo_parts[: len(repo_parts) - match.length]
    # A "src/" layout package is deployed without its source root: src/pkg/x.py runs as
    # site-packages/pkg/x.py, so an unmatched source-root folder is no conflict.
    whole = match.length in (len(repo_parts), len(components), len(module)) or (
        bool(rest) and rest[-1] in _SOURCE_ROOTS
    )
    if whole:
        how = "module" if match.total > 1 else "suffix"
        return FrameMapping("mapped", path, how)
    twin = _twin(components, index)
    if twin is not None and twin.status == "mapped":
        return twin
    if match.length == 1:
        return FrameMapping(
            "unmapped",
            candidates=(path,),
            detail=f"only the file name matches {path}; its folders differ",
        )
    return FrameMapping("mapped", path, "partial", detail=f"folders differ from {path}")
