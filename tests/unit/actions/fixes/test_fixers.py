"""Deterministic fixers: the one token at the reported place, renamed to the unique close name."""

from __future__ import annotations

import pytest

from autotriage.actions.fixes.jsfix import fix_javascript
from autotriage.actions.fixes.pyfix import fix_python
from autotriage.actions.fixes.rewrite import NoFix, Rewrite, apply_rewrite
from autotriage.actions.fixes.tree import DictTree

PY_CASES = [
    # (files, line, exception type, value, expected line after the fix)
    (
        {"m.py": "def f(items):\n    total = 0\n    return totl\n"},
        3,
        "NameError",
        "name 'totl' is not defined",
        "    return total",
    ),
    (
        {
            "m.py": "def outer(factor):\n    def inner(v):\n        return v * factr\n    return inner\n"
        },
        3,
        "NameError",
        "name 'factr' is not defined",
        "        return v * factor",
    ),
    (
        {"m.py": "x = lenn([1])\n"},
        1,
        "NameError",
        "name 'lenn' is not defined. Did you mean: 'len'?",
        "x = len([1])",
    ),
    (
        {
            "m.py": "class A:\n    def __init__(self):\n        self.hits = 0\n    def f(self):\n        return hits\n"
        },
        5,
        "NameError",
        "name 'hits' is not defined",
        "        return self.hits",
    ),
    (
        {
            "m.py": "import shapes\nshapes.are(1, 2)\n",
            "shapes.py": "def area(w, h):\n    return w * h\n",
        },
        2,
        "AttributeError",
        "module 'shapes' has no attribute 'are'",
        "shapes.area(1, 2)",
    ),
    (
        {
            "m.py": "class C:\n    def __init__(self):\n        self.items = []\n    def n(self):\n        return len(self.itmes)\n"
        },
        5,
        "AttributeError",
        "'C' object has no attribute 'itmes'",
        "        return len(self.items)",
    ),
    (
        {"m.py": "from p import discont as d\n", "p.py": "def discount():\n    pass\n"},
        1,
        "ImportError",
        "cannot import name 'discont' from 'p' (/x/p.py)",
        "from p import discount as d",
    ),
    (
        {"m.py": "from p import discont\ndiscont()\n", "p.py": "def discount():\n    pass\n"},
        1,
        "ImportError",
        "cannot import name 'discont' from 'p' (/x/p.py)",
        "from p import discount as discont",
    ),
    (
        {"m.py": "def mk(name, email):\n    pass\nmk('a', emial='b')\n"},
        3,
        "TypeError",
        "mk() got an unexpected keyword argument 'emial'",
        "mk('a', email='b')",
    ),
]


@pytest.mark.parametrize(("files", "line", "kind", "value", "after"), PY_CASES)
def test_python_fixers_rewrite_the_one_token(
    files: dict[str, str], line: int, kind: str, value: str, after: str
) -> None:
    found = fix_python(DictTree(files), "m.py", line, None, kind, value)
    assert isinstance(found, Rewrite), found
    assert apply_rewrite(files["m.py"], found).splitlines()[line - 1] == after


PY_REFUSALS = [
    (
        {"m.py": "def f(left, lift):\n    return lft\n"},
        2,
        "NameError",
        "name 'lft' is not defined",
        "equally close",
    ),
    (
        {"m.py": "x = totl + totl\ntotal = 1\n"},
        1,
        "NameError",
        "name 'totl' is not defined",
        "2 uses",
    ),
    (
        {"m.py": "def f(user):\n    return user.name\n"},
        2,
        "AttributeError",
        "'NoneType' object has no attribute 'name'",
        "None",
    ),
    (
        {"m.py": "x = totl\ntotal = 1\n"},
        1,
        "NameError",
        "name 'totl' is not defined. Did you mean: 'tool'?",
        "interpreter suggests",
    ),
    (
        {"m.py": "def mk(**kw):\n    pass\nmk(emial=1)\n"},
        3,
        "TypeError",
        "mk() got an unexpected keyword argument 'emial'",
        "**kw",
    ),
    ({"m.py": "import zzz\n"}, 1, "ModuleNotFoundError", "No module named 'zzz'", "dependency"),
    (
        {
            "m.py": "class B(Unknown):\n    pass\nclass C(B):\n    def f(self):\n        return self.x\n"
        },
        5,
        "AttributeError",
        "'C' object has no attribute 'x'",
        "not in the repository",
    ),
]


@pytest.mark.parametrize(("files", "line", "kind", "value", "why"), PY_REFUSALS)
def test_python_fixers_refuse_what_they_cannot_be_sure_of(
    files: dict[str, str], line: int, kind: str, value: str, why: str
) -> None:
    found = fix_python(DictTree(files), "m.py", line, None, kind, value)
    assert isinstance(found, NoFix)
    assert why in found.reason


JS_CASES = [
    (
        {"a.js": "function f(prices) {\n  let subtotal = 0;\n  return subtotl;\n}\n"},
        3,
        10,
        "ReferenceError",
        "subtotl is not defined",
        "  return subtotal;",
    ),
    (
        {"a.js": "const calc = { add(a, b) { return a + b; } };\ncalc.ad(1, 2);\n"},
        2,
        6,
        "TypeError",
        "calc.ad is not a function",
        "calc.add(1, 2);",
    ),
    (
        {"a.js": "class Cart { total() { return 1; } }\nconst cart = new Cart();\ncart.totl();\n"},
        3,
        6,
        "TypeError",
        "cart.totl is not a function",
        "cart.total();",
    ),
    (
        {
            "a.js": "const f = require('./f');\nf.formatPrise(1);\n",
            "f.js": "exports.formatPrice = (c) => c;\n",
        },
        2,
        3,
        "TypeError",
        "f.formatPrise is not a function",
        "f.formatPrice(1);",
    ),
    (
        {
            "a.ts": "const LIMIT: number = 3;\nexport const clamp = (n: number): number => Math.min(n, LIMT);\n"
        },
        2,
        58,
        "ReferenceError",
        "LIMT is not defined",
        "export const clamp = (n: number): number => Math.min(n, LIMIT);",
    ),
]


@pytest.mark.parametrize(("files", "line", "col", "kind", "value", "after"), JS_CASES)
def test_javascript_fixers_rewrite_the_one_token(
    files: dict[str, str], line: int, col: int, kind: str, value: str, after: str
) -> None:
    path = next(iter(files))
    found = fix_javascript(DictTree(files), path, line, col, kind, value)
    assert isinstance(found, Rewrite), found
    assert apply_rewrite(files[path], found).splitlines()[line - 1] == after


def test_javascript_refuses_a_tie_and_an_unknown_value() -> None:
    tie = {"a.js": "const ops = { sub() {}, sun() {} };\nops.suv();\n"}
    assert (
        "equally close"
        in fix_javascript(
            DictTree(tie), "a.js", 2, 5, "TypeError", "ops.suv is not a function"
        ).reason
    )  # type: ignore[union-attr]
    unknown = {"a.js": "const ops = make();\nops.suv();\n"}
    found = fix_javascript(
        DictTree(unknown), "a.js", 2, 5, "TypeError", "ops.suv is not a function"
    )
    assert isinstance(found, NoFix)
    assert "not known statically" in found.reason
