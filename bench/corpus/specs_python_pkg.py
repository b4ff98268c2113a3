"""A second Python repository: a ``src/`` layout package deployed into site-packages.

The traces then show the application's own files under ``.../site-packages/``, which the
trace parser marks as library code: the analysis must still find them in the repository
(and say that the frames were not marked in-app).
"""

from __future__ import annotations

from build import Author, Case, Commit, RepoSpec

LENA = Author("Lena Lopez", "lena@example.com")
MIKE = Author("Mike Moore", "mike@example.com")
NORA = Author("Nora Novak", "nora@example.com")

CLI = '''"""python -m inventory.cli CASE"""
import sys

from inventory import stock
from inventory.io import csvload


def main(case):
    if case == "attr":
        return stock.reorder({"sku": "a", "level": 2})
    if case == "index":
        return csvload.first_column("")
    raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main(sys.argv[1])
'''

STOCK_V1 = '''"""Stock levels."""


def reorder(item):
    return max(0, 10 - item["level"])
'''

STOCK_V2 = '''"""Stock levels."""


def reorder(item):
    threshold = item.policy.threshold  # BUG:attr
    return max(0, threshold - item["level"])
'''

CSVLOAD_V1 = '''"""CSV helpers."""


def first_column(text):
    rows = [line.split(",") for line in text.splitlines()]
    return [row[0] for row in rows]
'''

CSVLOAD_V2 = '''"""CSV helpers."""


def first_column(text):
    rows = [line.split(",") for line in text.splitlines()]
    header = rows[0]  # BUG:index
    return [row[header.index("sku")] for row in rows[1:]]
'''

CODEOWNERS = """/src/inventory/        @acme/inventory
/src/inventory/io/     nora@example.com
"""

SPEC = RepoSpec(
    name="pyinventory",
    language="python-package",
    run=["python3", "-m", "inventory.cli"],
    deploy_prefix="opt/venv/lib/python3.11/site-packages",
    deploy_subdir="src",
    commits=[
        Commit(
            "initial",
            LENA,
            "Inventory package",
            {
                "pyproject.toml": '[project]\nname = "inventory"\nversion = "0.1.0"\n',
                "src/inventory/__init__.py": "",
                "src/inventory/cli.py": CLI,
                "src/inventory/stock.py": STOCK_V1,
                "src/inventory/io/__init__.py": "",
                "src/inventory/io/csvload.py": CSVLOAD_V1,
                "tests/test_stock.py": "def test_nothing():\n    pass\n",
                ".github/CODEOWNERS": CODEOWNERS,
            },
            days_ago=120,
        ),
        Commit("policy", MIKE, "Per-item reorder policy", {"src/inventory/stock.py": STOCK_V2}, 9),
        Commit(
            "header",
            NORA,
            "Read the sku column by name",
            {"src/inventory/io/csvload.py": CSVLOAD_V2},
            3,
        ),
    ],
    cases=[
        Case("attr", ["attr"], "src/inventory/stock.py", "policy", ["@acme/inventory"]),
        Case("index", ["index"], "src/inventory/io/csvload.py", "header", ["nora@example.com"]),
    ],
)
