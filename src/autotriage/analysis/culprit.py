"""The culprit: which frame of the trace is to blame, and what the repository says of it.

`choose_culprit` picks the root cause's crashing in-app frame (else its nearest mapped
caller), `read_culprit` reads that line's code and compares it with the event's, and
`trace_only` says what the trace alone tells when there is no repository to read.
"""

from __future__ import annotations

from dataclasses import dataclass

from autotriage.analysis import confidence as weights
from autotriage.analysis.confidence import Confidence
from autotriage.analysis.mapping import FrameMapping
from autotriage.analysis.repo import Repository
from autotriage.analysis.result import Analysis, Culprit
from autotriage.models import ErrorEvent, ExceptionInfo, Frame

CONTEXT_LINES = 5
FRAME_CONTEXT_LINES = 2
FRAME_CODE_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Located:
    """A frame of the event, with its exception and where it maps in the repository."""

    exception: ExceptionInfo
    frame: Frame
    mapping: FrameMapping


def frame_key(frame: Frame) -> tuple[str | None, str | None, str | None]:
    """Frames with the same paths map to the same file: the mapping cache's key."""
    return (frame.abs_path, frame.filename, frame.module)


def trace_only(event: ErrorEvent, reasons: list[str], fingerprint: str) -> Analysis:
    """What the trace says without a repository: the crashing frame, low confidence."""
    exc = event.exceptions[0] if event.exceptions else None
    for candidate in event.exceptions:
        if any(f.in_app for f in candidate.frames):
            exc = candidate
            break
    frame = exc.crashing_frame if exc else None
    frames = [frame_dict(f, None) for e in event.exceptions for f in e.frames]
    if frame is None or frame.path is None:
        return Analysis(
            frames=frames,
            reasons=["no stack frames: nothing to map", *reasons],
            fingerprint=fingerprint,
        )
    # Sentry's schema allows a context line without a line number.
    number = f"{frame.lineno:>5}" if frame.lineno is not None else "    ?"
    code = [f">{number} | {frame.context_line}"] if frame.context_line else []
    return Analysis(
        culprit=Culprit(path=frame.path, line=frame.lineno, function=frame.function, code=code),
        frames=frames,
        confidence=weights.TRACE_ONLY_IN_APP if frame.in_app else weights.TRACE_ONLY_LIBRARY,
        reasons=["culprit taken from the trace alone", *reasons],
        fingerprint=fingerprint,
    )


def frame_dict(frame: Frame, mapping: FrameMapping | None) -> dict[str, object]:
    """One frame as the analysis reports it, with its mapping."""
    return {
        "filename": frame.filename or frame.abs_path,
        "lineno": frame.lineno,
        "function": frame.function,
        "in_app": frame.in_app,
        "repo_path": mapping.repo_path if mapping else None,
        "mapping": mapping.status if mapping else "unmapped",
        "detail": mapping.detail if mapping else "no repository",
    }


def permalink(repo: Repository, sha: str, path: str, line: int | None) -> str | None:
    """The repository's web page for `path` at `sha` (and `line`), when it has one."""
    if not repo.web_url:
        return None
    return f"{repo.web_url}/blob/{sha}/{path}" + (f"#L{line}" if line else "")


def add_frame_code(
    repo: Repository, sha: str, located: list[Located], frames: list[dict[str, object]]
) -> None:
    """Give each mapped in-app frame (the first `FRAME_CODE_LIMIT`) its code and permalink."""
    done = 0
    for at, out in zip(located, frames, strict=True):
        path, line = at.mapping.repo_path, at.frame.lineno
        if done >= FRAME_CODE_LIMIT or not at.frame.in_app or at.mapping.status != "mapped":
            continue
        if not path:
            continue
        done += 1
        out["permalink"] = permalink(repo, sha, path, line)
        lines = repo.read_lines(sha, path)
        if lines and line and 0 < line <= len(lines):
            out["code"] = _code_window(lines, line, FRAME_CONTEXT_LINES)


def _code_window(lines: list[str], line: int, context: int = CONTEXT_LINES) -> list[str]:
    start = max(1, line - context)
    end = min(len(lines), line + context)
    return [f"{'>' if n == line else ' '}{n:>5} | {lines[n - 1]}" for n in range(start, end + 1)]


def _same_code(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


def choose_culprit(event: ErrorEvent, located: list[Located], score: Confidence) -> Located | None:
    """The root cause's crashing in-app frame, else the nearest mapped in-app caller."""
    problems = [
        f"{(x.frame.path or '?')}: {x.mapping.detail}"
        for x in located
        if x.frame.in_app
        and x.mapping.status != "mapped"
        and not x.mapping.detail.endswith("cannot be a repository file")
    ]
    unique_problems = list(dict.fromkeys(problems))
    if unique_problems:
        shown = "; ".join(unique_problems[:3])
        more = f" (+{len(unique_problems) - 3} more)" if len(unique_problems) > 3 else ""
        score.note(f"in-app frames not mapped: {shown}{more}")
    for position, exc in enumerate(event.exceptions):
        ours = [x for x in located if x.exception is exc]
        in_app = [x for x in ours if x.frame.in_app]
        mapped = [x for x in in_app if x.mapping.status == "mapped"]
        if not mapped:
            continue
        chosen = mapped[-1]
        if position < len(event.exceptions) - 1:
            score.note(f"culprit taken from the root cause {exc.type} of a chained exception")
        _score_mapping(chosen, score)
        if chosen is in_app[-1]:
            score.add(weights.CRASHING_IN_APP, "culprit is the crashing in-app frame")
        else:
            score.note(
                "the crashing in-app frame is not in the repository; "
                "culprit is its nearest mapped caller"
            )
        return chosen
    mapped_any = [x for x in located if x.mapping.status == "mapped"]
    if mapped_any:
        chosen = mapped_any[-1]
        score.note(
            "no in-app frame maps to the repository; culprit is a frame marked "
            "as library code that does"
        )
        _score_mapping(chosen, score)
        return chosen
    score.note("no frame maps to a file of the repository")
    return None


def _score_mapping(chosen: Located, score: Confidence) -> None:
    m = chosen.mapping
    if m.unique and m.how != "twin":
        how = {"explicit": "by an explicit code mapping", "module": "with the module's help"}
        way = how.get(m.how, "by path suffix")
        score.add(weights.MAPPED_UNIQUELY, f"frame mapped uniquely to {m.repo_path} {way}")
    else:
        score.add(weights.MAPPED_WEAKLY, f"frame mapped to {m.repo_path}, but {m.detail}")


def read_culprit(repo: Repository, sha: str, at: Located, score: Confidence) -> Culprit:
    """The culprit at `at`: its code window, permalink, and whether the code still matches."""
    path = at.mapping.repo_path or ""
    frame = at.frame
    lines = repo.read_lines(sha, path)
    code: list[str] = []
    line = frame.lineno
    if lines is None:
        score.note(f"{path} could not be read at {sha[:12]}")
    elif line is None or line < 1:
        score.note("the frame has no line number")
    elif line > len(lines):
        score.add(
            weights.CONTEXT_DIFFERS,
            f"line {line} is past the end of {path} ({len(lines)} lines): "
            "the deployed code differs",
        )
    else:
        code = _code_window(lines, line)
        if frame.context_line is None:
            score.note("the event carries no source line to compare")
        elif _same_code(frame.context_line, lines[line - 1]):
            score.add(weights.CONTEXT_MATCHES, "the event's source line matches the repository")
        else:
            score.add(
                weights.CONTEXT_DIFFERS,
                "the event's source line differs from the repository: the deployed code differs",
            )
    link = permalink(repo, sha, path, line)
    return Culprit(
        path=path,
        line=line,
        function=frame.function,
        permalink=link,
        code=code,
        mapped=True,
    )
