"""``Sentry-Hook-Timestamp``: a signed delivery is taken only within the skew window.

The signature covers the body alone, so without this check a captured ``issue.resolved``
could be replayed at any later time.
"""

from __future__ import annotations

import pytest

from autotriage.errors import SignatureInvalid
from autotriage.sources.sentry import webhooks as sentry

NOW = 1_795_917_600.0
SKEW = 300


@pytest.mark.parametrize(
    "sent",
    [NOW, NOW - SKEW, NOW + SKEW, NOW - 1.5, f"{NOW:.3f}", f" {int(NOW)} "],
)
def test_a_timestamp_inside_the_window_is_taken(sent: float | str) -> None:
    sentry.check_fresh({"sentry-hook-timestamp": str(sent)}, NOW, SKEW)


@pytest.mark.parametrize(
    "sent",
    [NOW - SKEW - 1, NOW + SKEW + 1, NOW - 86_400, 0, NOW * 1000, "nan", "inf", "-inf"],
)
def test_a_timestamp_outside_the_window_is_refused(sent: float | str) -> None:
    with pytest.raises(SignatureInvalid, match="outside the allowed window"):
        sentry.check_fresh({"sentry-hook-timestamp": str(sent)}, NOW, SKEW)


@pytest.mark.parametrize(
    "headers", [{}, {"sentry-hook-timestamp": ""}, {"sentry-hook-timestamp": "yesterday"}]
)
def test_a_missing_or_unreadable_timestamp_is_refused(headers: dict[str, str]) -> None:
    with pytest.raises(SignatureInvalid, match="missing or not a number"):
        sentry.check_fresh(headers, NOW, SKEW)
