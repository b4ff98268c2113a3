"""Frame paths to repository paths: normalization, suffixes, modules, twins, explicit roots."""

from __future__ import annotations

import pytest

from autotriage.analysis.index import FileIndex
from autotriage.analysis.mapping import map_frame, module_components, normalize_path
from autotriage.models import Frame

REPO = FileIndex(
    [
        "shop/__init__.py",
        "shop/cart.py",
        "shop/util.py",
        "app/util.py",
        "app/services/__init__.py",
        "app/services/billing.py",
        "legacy/app/services/billing.py",
        "src/main/java/com/acme/util/Strings.java",
        "src/main/java/com/acme/legacy/Strings.java",
        "src/main/java/com/acme/billing/Invoice.java",
        "src/server.ts",
        "src/view.ts",
        "src/view.tsx",
        "src/routes/a/handler.ts",
        "src/routes/b/handler.ts",
        "web/src/index.js",
        "lib/format.js",
        "README.md",
        "internal/billing/invoice.go",
        "Acme.Billing/InvoiceService.cs",
        "svc/Acme.Payments/Refunds.cs",
        "svc/Acme.Legacy/Refunds.cs",
        "pkg/billing/invoice.go",
        "packages/inventory/src/inventory/stock.py",
    ]
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("/srv/app/releases/42/shop/cart.py", ["srv", "app", "releases", "42", "shop", "cart.py"]),
        ("webpack:///./src/index.js", ["src", "index.js"]),
        ("webpack://my-app/./src/../src/index.js", ["my-app", "src", "index.js"]),
        ("app:///dist/main.js?v=3#x", ["dist", "main.js"]),
        ("https://cdn.example.com/static/js/app.js?v=1", ["static", "js", "app.js"]),
        ("~/code/shop/cart.py", ["code", "shop", "cart.py"]),
        (
            "C:\\build\\agent\\src\\Acme.Billing\\InvoiceService.cs",
            ["build", "agent", "src", "Acme.Billing", "InvoiceService.cs"],
        ),
        ("<frozen runpy>", []),
        ("node:internal/modules/cjs/loader", []),
        ("<anonymous>", []),
    ],
)
def test_normalize_path(raw: str, expected: list[str]) -> None:
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    ("module", "basename", "expected"),
    [
        ("app.services.billing", "billing.py", ["app", "services", "billing.py"]),
        ("app.services", "__init__.py", ["app", "services", "__init__.py"]),
        ("com.acme.util.Strings", "Strings.java", ["com", "acme", "util", "Strings.java"]),
        (
            "com.acme.billing.Invoice$Line",
            "Invoice.java",
            ["com", "acme", "billing", "Invoice.java"],
        ),
        ("__main__", "cli.py", []),
        ("orders/total", "total.js", ["orders", "total.js"]),
        (
            "github.com/acme/svc/internal/billing",
            "invoice.go",
            ["github.com", "acme", "svc", "internal", "billing", "invoice.go"],
        ),
    ],
)
def test_module_components(module: str, basename: str, expected: list[str]) -> None:
    assert module_components(module, basename) == expected


@pytest.mark.parametrize(
    ("frame", "status", "repo_path"),
    [
        # deployment prefixes never match, the suffix does
        (Frame(abs_path="/srv/app/releases/42/shop/cart.py"), "mapped", "shop/cart.py"),
        (Frame(abs_path="/var/task/app/util.py"), "mapped", "app/util.py"),
        (Frame(abs_path="/app/shop/util.py"), "mapped", "shop/util.py"),
        # "app/services/billing.py" is a suffix of two files: the shorter path is whole
        (Frame(abs_path="/srv/app/services/billing.py"), "ambiguous", None),
        (
            Frame(abs_path="/srv/app/services/billing.py", module="app.services.billing"),
            "ambiguous",
            None,
        ),
        (
            Frame(abs_path="/x/legacy/app/services/billing.py"),
            "mapped",
            "legacy/app/services/billing.py",
        ),
        # relative file names with a module (Java): the package finds the folder
        (
            Frame(filename="Strings.java", module="com.acme.util.Strings"),
            "mapped",
            "src/main/java/com/acme/util/Strings.java",
        ),
        (
            Frame(filename="Strings.java", module="com.acme.legacy.Strings"),
            "mapped",
            "src/main/java/com/acme/legacy/Strings.java",
        ),
        (Frame(filename="Strings.java"), "ambiguous", None),
        (
            Frame(filename="Invoice.java", module="com.acme.billing.Invoice$Item"),
            "mapped",
            "src/main/java/com/acme/billing/Invoice.java",
        ),
        # URLs and bundler schemes
        (Frame(abs_path="webpack:///./web/src/index.js"), "mapped", "web/src/index.js"),
        (Frame(abs_path="app:///lib/format.js"), "mapped", "lib/format.js"),
        # compiled output to its only source twin; two twins: ambiguous
        (Frame(abs_path="/app/dist/server.js"), "mapped", "src/server.ts"),
        (Frame(abs_path="/app/dist/routes/a/handler.js"), "mapped", "src/routes/a/handler.ts"),
        (Frame(abs_path="/app/dist/view.js"), "ambiguous", None),
        (Frame(abs_path="/app/dist/handler.js"), "unmapped", None),
        # Go build paths and .NET Windows paths
        (
            Frame(abs_path="/home/runner/work/svc/svc/internal/billing/invoice.go"),
            "mapped",
            "internal/billing/invoice.go",
        ),
        (
            Frame(abs_path="C:\\agent\\_work\\1\\s\\Acme.Billing\\InvoiceService.cs"),
            "mapped",
            "Acme.Billing/InvoiceService.cs",
        ),
        # Go: the import path names the package folder; .NET: one folder per namespace
        (
            Frame(filename="invoice.go", module="github.com/acme/svc/internal/billing"),
            "mapped",
            "internal/billing/invoice.go",
        ),
        (
            Frame(filename="Refunds.cs", module="Acme.Payments.Refunds"),
            "mapped",
            "svc/Acme.Payments/Refunds.cs",
        ),
        (Frame(filename="Refunds.cs"), "ambiguous", None),
        # a src/ layout package installed into site-packages
        (
            Frame(abs_path="/venv/lib/python3.11/site-packages/inventory/stock.py"),
            "mapped",
            "packages/inventory/src/inventory/stock.py",
        ),
        # only the file name matches and its folder differs: not guessed
        (Frame(abs_path="/srv/other/cart.py"), "unmapped", None),
        (Frame(abs_path="/usr/lib/python3.11/json/decoder.py"), "unmapped", None),
        (Frame(abs_path="<frozen runpy>"), "unmapped", None),
        (Frame(), "unmapped", None),
    ],
)
def test_map_frame(frame: Frame, status: str, repo_path: str | None) -> None:
    mapping = map_frame(frame, REPO)
    assert (mapping.status, mapping.repo_path) == (status, repo_path), mapping.detail


def test_ambiguous_frames_name_their_candidates() -> None:
    mapping = map_frame(Frame(filename="util.py"), REPO)
    assert mapping.status == "ambiguous"
    assert set(mapping.candidates) == {"shop/util.py", "app/util.py"}
    assert "shop/util.py" in mapping.detail


def test_python_module_breaks_a_tie_between_same_suffixes() -> None:
    index = FileIndex(["a/jobs/run.py", "b/jobs/run.py"])
    frame = Frame(filename="jobs/run.py", module="b.jobs.run")
    mapping = map_frame(frame, index)
    assert (mapping.status, mapping.repo_path) == ("mapped", "b/jobs/run.py")


def test_explicit_mappings_win_over_automatic_ones() -> None:
    frame = Frame(abs_path="/opt/shop-build/cart.py")
    assert map_frame(frame, REPO).status == "unmapped"
    mapping = map_frame(frame, REPO, {"/opt/shop-build/": "shop/"})
    assert (mapping.status, mapping.repo_path) == ("mapped", "shop/cart.py")
    assert mapping.how == "explicit"


def test_explicit_mapping_to_a_missing_file_is_reported_not_guessed() -> None:
    frame = Frame(abs_path="/srv/app/releases/42/shop/cart.py")
    mapping = map_frame(frame, REPO, {"/srv/app/releases/42/": "backend/"})
    assert mapping.status == "unmapped"
    assert "backend/shop/cart.py" in mapping.detail


def test_longest_explicit_root_applies_first() -> None:
    frame = Frame(abs_path="/srv/lib/util.py")
    mapping = map_frame(frame, REPO, {"/srv/": "nowhere/", "/srv/lib/": "app/"})
    assert mapping.repo_path == "app/util.py"
