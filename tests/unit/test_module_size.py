"""Every product module stays under issue 12's bound of about 400 lines.

A module that grows past it is a sign that two jobs share a file: split it along what
the parts do (docs/architecture.md lists each module's one job).
"""

from __future__ import annotations

from pathlib import Path

import autotriage

PACKAGE = Path(autotriage.__file__).parent
LIMIT = 400


def test_every_module_is_under_the_limit() -> None:
    sizes = {
        path.relative_to(PACKAGE).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in PACKAGE.rglob("*.py")
    }
    assert len(sizes) > 100  # the walk found the package, not an empty folder
    over = {name: lines for name, lines in sorted(sizes.items()) if lines > LIMIT}
    assert over == {}, f"modules over {LIMIT} lines: {over}"
