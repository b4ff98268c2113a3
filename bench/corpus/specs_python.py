"""The Python repository of the corpus: a small shop with four authors and planted bugs."""

from __future__ import annotations

from build import Author, Case, Commit, RepoSpec

ALICE = Author("Alice Archer", "alice@example.com")
BOB = Author("Bob Baker", "bob@example.com")
CAROL = Author("Carol Chen", "carol@example.com")
DAVE = Author("Dave Diaz", "dave@example.com")
EVE = Author("Eve Evans", "eve@example.com")
FRANK = Author("Frank Fox", "frank@example.com")

CLI = '''"""Entry point: python -m shop.cli CASE."""
import sys

from app import util as app_util
from shop import cart, legacy, pricing, report


def main(case):
    if case == "zero":
        return pricing.unit_price(10.0, 0)
    if case == "keyerror":
        return cart.total([{"sku": "a", "cost": 2}])
    if case == "chained":
        return cart.checkout([{"sku": "a", "price": 2, "qty": 0}])
    if case == "json":
        return app_util.load_settings("{not json")
    if case == "legacy":
        return legacy.parse_code("")
    if case == "rival":
        return report.summary({"count": 3})
    if case == "drift":
        return pricing.unit_price(10.0, 0)
    raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main(sys.argv[1])
'''

PRICING_V1 = '''"""Prices."""


def unit_price(total, qty):
    if qty == 0:
        return 0.0
    return total / qty
'''

PRICING_V2 = '''"""Prices."""


def unit_price(total, qty):
    # Quantities are never zero upstream, so skip the check.
    return round(total / qty, 2)  # BUG:zero BUG:chained BUG:drift
'''

PRICING_HOTFIX = '''"""Prices (hotfixed on the server)."""
import logging

log = logging.getLogger(__name__)


def unit_price(total, qty):
    log.debug("unit price of %s for %s", total, qty)
    return total / qty
'''

CART_V1 = '''"""The cart."""
from shop import pricing


def total(items):
    return sum(item.get("price", 0) for item in items)


def checkout(items):
    lines = []
    for item in items:
        lines.append(pricing.unit_price(item["price"], item["qty"]))
    return lines
'''

CART_V2 = '''"""The cart."""
from shop import pricing


def total(items):
    return sum(item["price"] for item in items)  # BUG:keyerror


def checkout(items):
    lines = []
    for item in items:
        try:
            lines.append(pricing.unit_price(item["price"], item["qty"]))
        except ArithmeticError as exc:
            raise ValueError(f"cannot price {item['sku']}") from exc
    return lines
'''

CART_V3 = CART_V2.replace(
    'def total(items):\n    return sum(item["price"] for item in items)  # BUG:keyerror',
    'def total(items):\n    """Sum of the item prices (items now carry a price)."""\n'
    '    return sum(item["price"] for item in items)  # BUG:keyerror',
)

APP_UTIL = '''"""App helpers."""
import json


def load_settings(text):
    return json.loads(text)  # BUG:json
'''

SHOP_UTIL = '''"""Shop helpers (same file name as app/util.py on purpose)."""


def load_settings(text):
    return dict(line.split("=", 1) for line in text.splitlines())
'''

FMT_V1 = '''"""Number formatting."""


def percent(value):
    return f"{100 * value:.0f}%"
'''

FMT_V2 = '''"""Number formatting."""


def percent(value):
    return f"{100 * value:.1f}%"  # BUG:rival
'''

REPORT = '''"""Order reports."""
from shop import fmt


def summary(stats):
    share = stats.get("share")  # "share" is gone since the stats rewrite
    return fmt.percent(share)
'''

LEGACY = '''"""Code nobody touched in over a year."""


def parse_code(code):
    return code[0]  # BUG:legacy
'''

CODEOWNERS = """# Owners of the shop
*           @acme/core
shop/       @alice-archer
shop/pricing.py @bob-baker @acme/pricing
app/        carol@example.com
*.md        docs@example.com
"""

SPEC = RepoSpec(
    name="pyshop",
    language="python",
    run=["python3", "-m", "shop.cli"],
    deploy_prefix="srv/app/releases/42",
    commits=[
        Commit(
            "initial",
            ALICE,
            "Start the shop",
            {
                "README.md": "# shop\n",
                "shop/__init__.py": "",
                "shop/cli.py": CLI,
                "shop/cart.py": CART_V1,
                "shop/pricing.py": PRICING_V1,
                "shop/legacy.py": LEGACY,
                "shop/util.py": SHOP_UTIL,
                "shop/fmt.py": FMT_V1,
                "app/__init__.py": "",
                "app/util.py": APP_UTIL,
                "CODEOWNERS": CODEOWNERS,
            },
            days_ago=400,
        ),
        Commit("pricing", BOB, "Simplify unit prices", {"shop/pricing.py": PRICING_V2}, 30),
        Commit("cart", CAROL, "Wrap pricing errors in checkout", {"shop/cart.py": CART_V2}, 20),
        Commit("docs", DAVE, "Document cart totals", {"shop/cart.py": CART_V3}, 10),
        Commit("report", EVE, "Order summary report", {"shop/report.py": REPORT}, 6),
        Commit("decimals", FRANK, "One decimal in percentages", {"shop/fmt.py": FMT_V2}, 4),
    ],
    cases=[
        Case("zero", ["zero"], "shop/pricing.py", "pricing", ["@bob-baker", "@acme/pricing"]),
        # Carol made "price" mandatory; Dave's later edit was above the line.
        Case("keyerror", ["keyerror"], "shop/cart.py", "cart", ["@alice-archer"]),
        # Chained: the root cause (ZeroDivisionError in pricing) is the culprit. Carol's
        # later commit only re-indented the caller's line (into a try block); blame
        # ignores whitespace, or "newest blamed line" would name her.
        Case("chained", ["chained"], "shop/pricing.py", "pricing", ["@bob-baker", "@acme/pricing"]),
        # Crash inside the standard library: the culprit is the last in-app frame.
        # (Its lines are all older than a year, so no suspect either.)
        Case("json", ["json"], "app/util.py", None, ["carol@example.com"]),
        # The bug is older than a year: no suspect commit may be named.
        Case("legacy", ["legacy"], "shop/legacy.py", None, ["@alice-archer"]),
        # Eve's new caller passes None; Frank edited the crashing line two days later.
        # Blame names Frank (the newest): wrong, so it must not come with high confidence.
        Case("rival", ["rival"], "shop/fmt.py", "report", ["@alice-archer"]),
        # The server runs a hotfixed file: the line differs from the repository.
        Case(
            "drift",
            ["drift"],
            "shop/pricing.py",
            None,
            ["@bob-baker", "@acme/pricing"],
            in_repo=False,
            patch_deploy={"shop/pricing.py": PRICING_HOTFIX},
        ),
    ],
)
