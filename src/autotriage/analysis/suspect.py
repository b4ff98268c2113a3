"""The suspect commit: ``git blame`` of the in-app lines, the newest recent commit wins.

The culprit line comes first in `targets`; the other in-app lines of the same exception
follow. The newest commit among their blames is the suspect if it is younger than the
maximum age; it earns confidence only when it is the culprit line's own commit and no
other commit changed the stack within `RIVAL_WINDOW_DAYS` of it (see docs/confidence.md),
so a plausible commit on a caller's line never unlocks a fix.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from autotriage.analysis import confidence as weights
from autotriage.analysis.confidence import Confidence
from autotriage.analysis.repo import BlameLine, Repository
from autotriage.analysis.result import SuspectCommit

MAX_BLAMED_FRAMES = 8
BLAME_WORKERS = 4
IGNORE_REVS_FILE = ".git-blame-ignore-revs"
_HEX40 = re.compile(r"^[0-9a-f]{40}$")
RIVAL_WINDOW_DAYS = 14


def blame_suspect(
    repo: Repository,
    sha: str,
    targets: list[tuple[str, int]],
    *,
    reference: datetime,
    max_age_days: int,
    score: Confidence,
    ignore_revs: Path | None = None,
) -> SuspectCommit | None:
    """Blame each (path, line) at `sha`; the newest commit no older than `max_age_days`."""
    chosen = targets[:MAX_BLAMED_FRAMES]
    if not chosen:
        score.note("no in-app line to blame")
        return None
    # Each blame is its own git process: run them side by side (they wait on git).
    with ThreadPoolExecutor(max_workers=BLAME_WORKERS) as pool:
        found = list(
            pool.map(lambda t: repo.blame(sha, t[0], t[1], ignore_revs=ignore_revs), chosen)
        )
    blamed: list[tuple[BlameLine, str, int]] = [
        (b, path, line) for b, (path, line) in zip(found, chosen, strict=True) if b is not None
    ]
    if not blamed:
        score.note("git blame found no commit for the in-app lines")
        return None
    newest, path, line = max(blamed, key=lambda b: b[0].authored_at)
    if reference - newest.authored_at > timedelta(days=max_age_days):
        score.note(
            f"newest commit on the in-app lines ({newest.sha[:12]}, "
            f"{newest.authored_at:%Y-%m-%d}) is older than {max_age_days} days: "
            "no suspect commit"
        )
        return None
    rivals = sorted(
        {
            b.sha[:12]
            for b, _, _ in blamed
            if b.sha != newest.sha
            and newest.authored_at - b.authored_at <= timedelta(days=RIVAL_WINDOW_DAYS)
        }
    )
    if newest.boundary:
        score.note(
            f"suspect commit {newest.sha[:12]} is where the history starts: the line may predate it"
        )
    elif rivals:
        # Two commits changed this stack within days of each other: either may have
        # broken it, so blame alone cannot tell, and the suspect earns nothing.
        score.note(
            f"suspect commit {newest.sha[:12]} has rivals: {', '.join(rivals)} changed "
            f"other lines of this stack within {RIVAL_WINDOW_DAYS} days of it"
        )
    elif (path, line) == chosen[0]:
        score.add(
            weights.SUSPECT_ON_CULPRIT_LINE,
            f"recent commit {newest.sha[:12]} last changed the culprit line",
        )
    else:
        score.note(
            f"suspect commit {newest.sha[:12]} changed {path}:{line}, "
            "another frame's line, not the culprit's"
        )
    return SuspectCommit(
        sha=newest.sha,
        author_name=newest.author_name,
        author_email=newest.author_email,
        date=newest.authored_at.isoformat(),
        summary=newest.summary,
        path=path,
        line=line,
    )


def ignore_revs_file(lines: list[str], folder: Path, sha: str) -> Path | None:
    """Write the SHAs of a ``.git-blame-ignore-revs`` file to `folder`; None if none."""
    revs = [x.strip().lower() for x in lines if _HEX40.match(x.strip().lower())]
    if not revs:
        return None
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha}.ignore-revs"
    if not target.exists():
        target.write_text("\n".join(revs) + "\n")
    return target
