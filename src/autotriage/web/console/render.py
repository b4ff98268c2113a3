"""The Jinja2 environment and the small helpers the templates use.

Autoescaping is on for every template: event titles, culprits and payloads are
attacker-controlled, and are only ever written into the page as escaped text.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from autotriage.store.groups import users_text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short relative time: ``5m ago``, ``3h ago``, ``2d ago``."""
    if moment is None:
        return "—"
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now" if seconds >= -60 else "in the future"
    for size, unit in ((86400 * 365, "y"), (86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def stamp(moment: datetime | None) -> str:
    """An ISO-8601 UTC timestamp to the second (``2026-01-02 03:04:05Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ") if moment else "—"


def sparkline(points: list[int], width: int = 120, height: int = 24) -> Markup:
    """An inline SVG polyline of `points` (numbers only, so safe to mark up)."""
    top = max(points) if points and max(points) > 0 else 1
    pad = 2  # the stroke stays inside the box at the ends and at the peak
    step = (width - 2 * pad) / max(1, len(points) - 1)
    coords = " ".join(
        f"{pad + i * step:.1f},{height - pad - (p / top) * (height - 2 * pad):.1f}"
        for i, p in enumerate(points)
    )
    total = sum(points)
    # Only numbers are interpolated: safe to mark up.
    return Markup(  # noqa: S704
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{total} occurrences">'
        f'<polygon points="{pad},{height} {coords} {width - pad},{height}"/>'
        f'<polyline points="{coords}"/></svg>'
    )


def bars(
    points: list[int],
    markers: list[dict[str, Any]],
    label: str,
    width: int = 480,
    height: int = 120,
) -> Markup:
    """An inline SVG bar chart of `points` with a line at each release marker; `label`
    (a plain phrase such as ``over 14 days``) completes its accessible name."""
    top = max(points) if points and max(points) > 0 else 1
    step = width / max(1, len(points))
    parts = []
    for i, p in enumerate(points):
        if p:
            h = max(1.0, (p / top) * (height - 16))
            parts.append(
                f'<rect x="{i * step:.2f}" y="{height - h:.2f}" '
                f'width="{max(step * 0.8, 0.5):.2f}" height="{h:.2f}"><title>{p}</title></rect>'
            )
    for marker in markers:
        x = marker["index"] * step + step * 0.4
        label = Markup.escape(marker["release"])
        # Labels near the right edge are drawn leftwards so they stay inside the chart.
        anchor, dx = ("end", -3) if x > width * 0.85 else ("start", 3)
        parts.append(
            f'<line class="release" x1="{x:.2f}" x2="{x:.2f}" y1="0" y2="{height}"/>'
            f'<text class="release" x="{x + dx:.2f}" y="10" text-anchor="{anchor}">{label}</text>'
        )
    # Numbers, and release names escaped above.
    return Markup(  # noqa: S704
        f'<svg class="graph" viewBox="0 0 {width} {height}" preserveAspectRatio="none" '
        f'role="img" aria-label="{sum(points)} occurrences {Markup.escape(label)}">'
        f"{''.join(parts)}</svg>"
    )


def environment() -> Environment:
    """A Jinja2 environment over the console's templates, autoescaping everything."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(ago=ago, stamp=stamp, sparkline=sparkline, users=users_text)
    env.globals.update(bars=bars)
    return env
