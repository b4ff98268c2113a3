"""Lines a container runtime split: kubelet's CRI ``P`` pieces, Docker's unfinished records.

kubelet writes a line longer than 16 KiB as ``P`` (partial) pieces ended by an ``F`` one,
each with its own ``<time> <stream> P `` prefix; Docker's json-file driver writes such a
line as records whose ``log`` does not end with a newline, and fluent-bit's CRI parser keeps
kubelet's tag as ``logtag``. `autotriage.understanding.logtext` joins the pieces back into
the line the program printed before it reads the lines.
"""

from __future__ import annotations

import re
from typing import Any

_CRI_LINE = re.compile(r"^(?P<head>\S+ (?:stdout|stderr) )(?P<tag>[FP]) (?P<text>.*)$")


def join_cri_pieces(lines: list[str]) -> list[str]:
    """CRI log lines with each run of ``P`` (partial) pieces joined to the ``F`` line that
    ends it, as kubelet split one long line (over 16 KiB) into them."""
    out: list[str] = []
    pieces: list[str] = []
    for line in lines:
        match = _CRI_LINE.match(line) if (" P " in line or pieces) else None
        if match is None:
            if pieces:  # a partial line with no end: keep what came
                out.append("".join(pieces))
                pieces = []
            out.append(line)
        elif match["tag"] == "P":
            if not pieces:
                pieces.append(f"{match['head']}F ")
            pieces.append(match["text"])
        elif pieces:
            out.append("".join([*pieces, match["text"]]))
            pieces = []
        else:
            out.append(line)
    if pieces:
        out.append("".join(pieces))
    return out


def is_partial_record(record: dict[str, Any], piece: str) -> bool:
    """Whether a log record holds the start of a longer line: Docker's json-file driver ends
    a whole line's ``log`` with a newline, fluent-bit's CRI parser marks a piece ``P``."""
    tag = record.get("logtag")
    if tag is not None:
        return bool(tag == "P")
    return "stream" in record and not piece.endswith("\n") and "time" in record
