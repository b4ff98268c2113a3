"""The scrubber on the secret corpus: precision and recall, per kind and overall.

.venv/bin/python -m bench.scrub_corpus
"""

from __future__ import annotations

from tests.secret_corpus import judge, load_corpus, precision_recall


def main() -> None:
    """Print one line per kind, then the totals."""
    verdicts = [judge(kind) for kind in load_corpus()]
    print(f"{'kind':<28}{'caught':>8}{'missed':>8}{'kept':>6}{'altered':>9}")
    for v in verdicts:
        print(f"{v.kind:<28}{v.caught:>8}{len(v.missed):>8}{v.kept:>6}{len(v.altered):>9}")
    precision, recall = precision_recall(verdicts)
    samples = sum(v.caught + len(v.missed) for v in verdicts)
    near = sum(v.kept + len(v.altered) for v in verdicts)
    print(
        f"{len(verdicts)} kinds, {samples} secrets, {near} near-misses: "
        f"precision {precision:.3f}, recall {recall:.3f}"
    )


if __name__ == "__main__":
    main()
