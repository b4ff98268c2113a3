"""Drive a live server with the hostile corpus and judge every answer by the same rules.

Per case: no 5xx; a refusal is a 4xx with a reason and stores nothing; an acceptance
stores at most what the case allows; the request's peak resident memory stays under
`MEMORY_BOUND`; no traceback reaches the log; /health answers 200 afterwards.
After the run (`after_run`): a fresh event is grouped and acted on, no planted secret is
in the database, the log or the API, and memory is back near where it started.
"""

from __future__ import annotations

import json
import re
import socket
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import bindparam, create_engine, inspect, text

from tests.hostile import payloads
from tests.hostile.corpus import Case
from tests.hostile.payloads import API_TOKEN, PLANTED, SERVER_SECRETS
from tests.hostile.server import HostileServer

MEMORY_BOUND = 200 * 1024 * 1024
ANSWER = re.compile(rb"(?m)^HTTP/1\.[01] \d{3} ")
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|unhandled \w+ on ")
BEARER = {"authorization": f"Bearer {API_TOKEN}"}
FINISHED = {"ok", "done", "skipped"}


@dataclass
class Result:
    """What one case did."""

    case: Case
    status: int | str
    stored: int
    peak_mb: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        """Whether every rule held."""
        return not self.problems

    def line(self) -> str:
        """One printable line."""
        mark = "ok  " if self.ok else "FAIL"
        note = "; ".join(self.problems)
        return (
            f"{mark} {self.case.name:<62} {self.status!s:>4} stored={self.stored:<3}"
            f" peak=+{self.peak_mb:.0f}MB {note}"
        )


class Runner:
    """Sends cases to `server` and checks them against its database."""

    def __init__(self, server: HostileServer, database_url: str) -> None:
        self.server = server
        self.engine = create_engine(database_url)
        self.http = httpx.Client(base_url=server.url, timeout=60)
        self.start_rss = server.rss()

    def close(self) -> None:
        """Release the client and the engine."""
        self.http.close()
        self.engine.dispose()

    def stored(self) -> int:
        """Events in the inbox."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events")).scalar_one())

    def _send(self, case: Case) -> tuple[int | str, httpx.Response | None, bytes]:
        if case.raw is not None:
            return self._send_raw(case.raw, case.half_close)
        response = self.http.request(
            case.method, case.path, headers=case.headers, content=case.body, params=case.params
        )
        return response.status_code, response, response.content

    def _send_raw(self, raw: bytes, half_close: bool = True) -> tuple[int | str, None, bytes]:
        # Kept open, the connection lives until the server's keep-alive timeout ends it.
        timeout = 10 if half_close else 3
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=timeout) as sock:
            sock.sendall(raw)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except (TimeoutError, ConnectionResetError):
                pass
        match = re.match(rb"HTTP/1\.[01] (\d{3})", answer)
        if match:
            return int(match.group(1)), None, answer
        return ("closed" if not answer else "http09"), None, answer

    def newest_id(self) -> int:
        """The newest event's id (0 when the inbox is empty)."""
        with self.engine.connect() as conn:
            return int(conn.execute(text("SELECT coalesce(max(id), 0) FROM events")).scalar_one())

    def settled(self, after_id: int, timeout: float = 30.0) -> list[str]:
        """Problems with the events stored after `after_id`: each must be processed (not
        failed), its group readable through the API and the console, and every action of
        the group finished (an action failing once per lease never does)."""
        deadline = time.monotonic() + timeout
        state = "never processed"
        while time.monotonic() < deadline:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT status, group_id, error FROM events WHERE id > :i"),
                    {"i": after_id},
                ).all()
                failed = [f"event failed: {str(r[2])[:120]}" for r in rows if r[0] == "failed"]
                if failed:
                    return failed
                groups = {int(r[1]) for r in rows if r[1] is not None}
                if rows and all(r[0] == "done" for r in rows) and groups:
                    actions = conn.execute(
                        text(
                            "SELECT kind, status, attempts FROM actions WHERE group_id IN :g"
                        ).bindparams(bindparam("g", expanding=True)),
                        {"g": sorted(groups)},
                    ).all()
                    state = f"actions {sorted((a[0], a[1], a[2]) for a in actions)}"
                    if actions and all(a[1] in FINISHED for a in actions):
                        return self._readable(groups)
                else:
                    state = f"events {sorted(str(r[0]) for r in rows)}"
            time.sleep(0.2)
        return [f"did not settle in {timeout:.0f}s: {state}"]

    def _readable(self, groups: set[int]) -> list[str]:
        problems = []
        for group in sorted(groups):
            for path in (f"/api/groups/{group}", f"/groups/{group}"):
                answer = self.http.get(path, headers=BEARER)
                if answer.status_code != 200:
                    problems.append(f"GET {path} answered {answer.status_code}")
        return problems

    def run(self, case: Case) -> Result:
        """Send one case and judge it."""
        before = self.stored()
        newest = self.newest_id() if case.settle else 0
        rss = self.server.rss()
        self.server.reset_peak()
        problems: list[str] = []
        try:
            status, response, content = self._send(case)
        except httpx.HTTPError as exc:
            status, response, content = f"{type(exc).__name__}", None, b""
            problems.append(f"no answer ({type(exc).__name__})")
        peak = max(self.server.peak() - rss, 0)
        stored = self.stored() - before
        problems += self._judge(case, status, response, content, stored)
        if case.settle and stored and not problems:
            problems += self.settled(newest)
        if peak > MEMORY_BOUND:
            problems.append(f"peak memory +{peak >> 20} MB")
        problems += self._health()
        return Result(case, status, stored, peak / 2**20, problems)

    def _judge(
        self,
        case: Case,
        status: int | str,
        response: httpx.Response | None,
        content: bytes,
        stored: int,
    ) -> list[str]:
        problems: list[str] = []
        if status == "http09":
            return ["answered without an HTTP status line (HTTP/0.9)"]
        if status == "closed" and case.expect == "refuse" and not case.half_close:
            return ["closed the connection without an answer"]
        if case.raw is not None and (count := len(ANSWER.findall(content))) > case.answers:
            problems.append(f"{count} answers on one connection (at most {case.answers})")
        if isinstance(status, int):
            if status >= 500:
                problems.append(f"5xx: {content[:160]!r}")
            elif 400 <= status < 500:
                if not content.strip():
                    problems.append("4xx without a reason")
                if stored:
                    problems.append(f"refused but stored {stored}")
            elif case.expect == "refuse" and not _to_login(status, response):
                problems.append("accepted input that must be refused")
            elif stored > case.max_store:
                problems.append(f"stored {stored} (at most {case.max_store})")
            if case.expect == "valid" and not 200 <= status < 300:
                problems.append(f"valid input refused: {content[:160]!r}")
        if case.check is not None and response is not None and (found := case.check(response)):
            problems.append(found)
        return problems

    def _health(self) -> list[str]:
        # Tracebacks are counted over the whole run (`after_run`), not per case: the worker
        # logs its own asynchronously, after the request that caused them has been judged.
        problems: list[str] = []
        if not self.server.alive:
            return [*problems, "server died"]
        try:
            health = self.http.get("/health", timeout=10)
        except httpx.HTTPError as exc:
            return [*problems, f"/health unreachable ({type(exc).__name__})"]
        if health.status_code != 200:
            problems.append(f"/health {health.status_code}")
        return problems


def run_cases(runner: Runner, cases: Iterable[Case], out: list[str]) -> list[Result]:
    """Run `cases` in order; append one line per case to `out`."""
    results = []
    for case in cases:
        result = runner.run(case)
        out.append(result.line())
        results.append(result)
    return results


def run_pairs(runner: Runner, pairs: Iterable[tuple[Case, Case]], out: list[str]) -> list[Result]:
    """Run request/replay pairs: each second request must store nothing new."""
    results = []
    for first, second in pairs:
        results += run_cases(runner, [first, second], out)
    return results


def _dump(runner: Runner) -> str:
    parts: list[str] = []
    with runner.engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 -- names from the schema
                parts.append(repr(tuple(row)))
    return "\n".join(parts)


def _api_text(runner: Runner) -> str:
    parts = []
    groups = runner.http.get("/api/groups", params={"limit": 500}, headers=BEARER)
    parts.append(groups.text)
    if groups.status_code == 200:
        for group in groups.json().get("groups", [])[:200]:
            parts.append(runner.http.get(f"/api/groups/{group['id']}", headers=BEARER).text)
            parts.append(runner.http.get(f"/groups/{group['id']}", headers=BEARER).text)
    parts.append(runner.http.get("/", headers=BEARER).text)
    parts.append(runner.http.get("/health").text)
    return "\n".join(parts)


def fresh_event_flows(runner: Runner, timeout: float = 20.0) -> str | None:
    """Post a new valid event; None once it is grouped and its actions are done."""
    target = next(t for t in payloads.TARGETS if t.name == "generic")
    marker = f"FreshAfterHostile{uuid.uuid4().hex[:8]}"
    doc = target.valid("fresh")
    doc["exception"]["type"] = marker
    body = json.dumps(doc).encode()
    response = runner.http.post(
        target.path, content=body, headers={"content-type": "application/json", **target.sign(body)}
    )
    if response.status_code != 200:
        return f"fresh event refused: {response.status_code} {response.text[:200]}"
    deadline = time.monotonic() + timeout
    state = "never stored"
    while time.monotonic() < deadline:
        with runner.engine.connect() as conn:
            row = conn.execute(
                text("SELECT status, group_id FROM events WHERE title LIKE :t"),
                {"t": f"%{marker}%"},
            ).first()
            if row is not None:
                state = f"event {row[0]}"
                if row[1] is not None:
                    actions = (
                        conn.execute(
                            text("SELECT status FROM actions WHERE group_id = :g"), {"g": row[1]}
                        )
                        .scalars()
                        .all()
                    )
                    state = f"event {row[0]}, actions {sorted(actions)}"
                    if actions and all(s in FINISHED for s in actions):
                        return None
        time.sleep(0.2)
    return f"fresh event did not flow in {timeout:.0f}s: {state}"


def after_run(runner: Runner) -> list[str]:
    """The whole-run checks; each problem is one line."""
    problems = []
    if (flow := fresh_event_flows(runner)) is not None:
        problems.append(flow)
    haystacks = {"database": _dump(runner), "log": runner.server.log(), "api": _api_text(runner)}
    for where, hay in haystacks.items():
        for kind, secret in PLANTED.items():
            if secret in hay:
                problems.append(f"planted {kind} found in the {where}")
        for secret in SERVER_SECRETS:
            if secret in hay:
                problems.append(f"a server secret ({secret[:12]}...) found in the {where}")
    growth = runner.server.rss() - runner.start_rss
    if growth > MEMORY_BOUND:
        problems.append(f"resident memory grew {growth >> 20} MB over the run")
    total = len(TRACEBACK.findall(runner.server.log()))
    if total:
        problems.append(f"{total} traceback(s) in the server log")
    return problems


def traceback_summary(log: str) -> list[str]:
    """Each distinct exception line that ends a traceback in `log`, with its count."""
    counts: dict[str, int] = {}
    lines = log.splitlines()
    for index, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = index + 1
            while end < len(lines) and (lines[end].startswith((" ", "\t")) or not lines[end]):
                end += 1
            last = lines[end] if end < len(lines) else "?"
            counts[last[:200]] = counts.get(last[:200], 0) + 1
    return [f"{n:>4} x {line}" for line, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def _to_login(status: int, response: httpx.Response | None) -> bool:
    """The console refuses a visitor without a session by sending them to its login form."""
    if status not in (302, 303) or response is None:
        return False
    return response.headers.get("location", "").split("?")[0] == "/login"
