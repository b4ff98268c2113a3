"""Odd and hostile frames against a real repository: reasons, never exceptions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from autotriage.analysis import analyze_with
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

CART = "/srv/app/releases/42/shop/cart.py"


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        ([Frame(abs_path=CART, lineno=10_000, in_app=True)], "past the end of shop/cart.py"),
        ([Frame(abs_path=CART, lineno=-3, in_app=True)], "no line number"),
        ([Frame(abs_path=CART, lineno=None, in_app=True, context_line="x")], "no line number"),
        ([Frame(abs_path="/srv/a\x00b/cart.py", lineno=1, in_app=True)], "its folders differ"),
        (
            [Frame(abs_path="/usr/lib/python3.11/json/decoder.py", lineno=3)],
            "no frame maps to a file",
        ),
        ([Frame(abs_path=CART, lineno=7, in_app=False)], "marked as library code"),
        ([Frame(filename="util.py", lineno=2, in_app=True)], "matches"),
        ([Frame(abs_path="--output=/tmp/pwned", lineno=1, in_app=True)], "no file named"),
    ],
)
def test_odd_frames_become_reasons(
    corpus: dict[str, Any], make_settings: Any, tmp_path: Path, frames: list[Frame], reason: str
) -> None:
    settings = make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))
    event = ErrorEvent(
        source="test",
        release="--version",
        exceptions=[ExceptionInfo(type="Odd", frames=frames)],
    )
    result = analyze_with(event, settings.analysis, location=str(corpus["python/zero"].repo_path))
    assert any(reason in r for r in result.reasons), result.reasons
    assert 0.0 <= result.confidence <= 1.0
    assert not (tmp_path / "pwned").exists()


def test_frame_mapping_to_a_repo_file_with_context_and_release_sha(
    corpus: dict[str, Any], make_settings: Any, tmp_path: Path
) -> None:
    trace = corpus["python/zero"]
    settings = make_settings(AUTOTRIAGE_REPO_CACHE_DIR=str(tmp_path / "cache"))
    event = ErrorEvent(
        source="test",
        release=f"pyshop@1.0.0+{trace.expected_sha[:10]}",
        exceptions=[
            ExceptionInfo(
                type="ZeroDivisionError",
                frames=[
                    Frame(
                        abs_path="/srv/app/releases/42/shop/pricing.py",
                        lineno=trace.expected_line,
                        function="unit_price",
                        in_app=True,
                        context_line="return round(total / qty, 2)  # BUG:zero BUG:chained BUG:drift",
                    )
                ],
            )
        ],
    )
    result = analyze_with(event, settings.analysis, location=str(trace.repo_path))
    assert result.commit == trace.expected_sha
    assert any(f"resolved via {trace.expected_sha[:10]}" in r for r in result.reasons)
    assert result.confidence == 1.0
