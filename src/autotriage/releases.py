"""Release names in order: SemVer 2.0, else PEP 440; a commit SHA has no order.

SemVer puts pre-releases before the release and ignores build metadata (``1.4.0-rc.1`` <
``1.4.0`` = ``1.4.0+build.5``); PEP 440 takes what SemVer does not (``1.4``, ``1.4.0rc1``,
``2!1.0``). The group lifecycle asks whether an occurrence's release is newer than the
one a fix is in.
"""

from __future__ import annotations

import re

import semver
from packaging.version import InvalidVersion, Version

_SHA = re.compile(r"^[0-9a-f]{7,40}$")


def release_key(text: str) -> semver.Version | Version | None:
    """An orderable form of a release name, or None when it has no order (a commit SHA)."""
    text = text.strip()
    if _SHA.match(text.lower()) and not text.isdigit():
        return None
    bare = text[1:] if text[:1] in ("v", "V") else text
    try:
        return semver.Version.parse(bare)
    except ValueError:
        pass
    try:
        return Version(text)
    except InvalidVersion:
        return None


def is_newer(release: str, fixed_in: str) -> bool | None:
    """Whether `release` is newer than `fixed_in`; None when the two cannot be ordered."""
    new, old = release_key(release), release_key(fixed_in)
    if isinstance(new, semver.Version) and isinstance(old, semver.Version):
        return new.compare(old) > 0
    if new is None or old is None:
        return None
    # one is SemVer, the other PEP 440 only (``1.4`` against ``1.4.1``): compare as PEP 440
    try:
        return Version(str(new)) > Version(str(old))
    except InvalidVersion:
        return None
