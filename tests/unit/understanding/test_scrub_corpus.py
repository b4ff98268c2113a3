"""The secret corpus: every secret of at least 40 kinds redacted, every near-miss kept."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autotriage.understanding.scrub import scrub_text
from tests.secret_corpus import judge, load_corpus, precision_recall

CORPUS = load_corpus()


def test_the_corpus_covers_forty_kinds_with_samples_and_near_misses() -> None:
    assert len(CORPUS) >= 40
    assert all(kind["samples"] and kind["near_misses"] for kind in CORPUS)
    for kind in CORPUS:
        for sample in kind["samples"]:
            assert sample["secret"] in sample["text"], kind["kind"]


@pytest.mark.parametrize("kind", CORPUS, ids=[kind["kind"] for kind in CORPUS])
def test_each_kind_is_redacted_and_its_near_misses_kept(kind: dict[str, Any]) -> None:
    verdict = judge(kind)
    assert verdict.missed == []
    assert verdict.altered == []


def test_precision_and_recall_are_one() -> None:
    assert precision_recall([judge(kind) for kind in CORPUS]) == (1.0, 1.0)


# Secrets, near-misses and the separators they sit between, so generated text holds
# secrets next to, inside and around each other (where a second pass could find more).
_PIECES = [s["text"] for kind in CORPUS for s in kind["samples"]] + [
    text for kind in CORPUS for text in kind["near_misses"]
]
_GLUE = st.sampled_from(["", " ", "\n", "=", ":", "&", "?", "@", "/", '"', "'", ", ", "://"])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), _GLUE, st.text(max_size=12)), max_size=8))
def test_scrubbing_twice_changes_nothing(parts: list[str]) -> None:
    text = "".join(parts)
    for emails, ips in ((True, True), (False, False)):
        once = scrub_text(text, emails=emails, ips=ips)
        assert scrub_text(once, emails=emails, ips=ips) == once
