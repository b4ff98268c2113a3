"""The file index answers longest-suffix questions exactly, even over many files."""

from __future__ import annotations

from autotriage.analysis.index import FileIndex


def test_longest_suffix_prefers_more_matching_components() -> None:
    index = FileIndex(["a/b/c.py", "x/b/c.py", "c.py", "a/c.py"])
    match = index.longest_suffix(["srv", "a", "b", "c.py"])
    assert (match.length, match.paths, match.total) == (3, ("a/b/c.py",), 1)


def test_suffix_matches_whole_components_only() -> None:
    index = FileIndex(["lib/mycart.py", "shop/cart.py"])
    match = index.longest_suffix(["cart.py"])
    assert match.paths == ("shop/cart.py",)
    assert index.longest_suffix(["art.py"]).length == 0


def test_many_candidates_are_counted_but_capped() -> None:
    index = FileIndex([f"pkg{i}/__init__.py" for i in range(500)])
    match = index.longest_suffix(["__init__.py"])
    assert match.total == 500
    assert len(match.paths) == 64
    assert index.longest_suffix(["pkg42", "__init__.py"]).paths == ("pkg42/__init__.py",)


def test_membership_and_size() -> None:
    index = FileIndex(["a.py", "b/c.py"])
    assert "b/c.py" in index
    assert "c.py" not in index
    assert len(index) == 2
    assert index.with_suffix(["c.py"]) == ["b/c.py"]
