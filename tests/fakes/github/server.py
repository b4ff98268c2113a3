"""A stateful fake of GitHub's REST API on loopback, checked against GitHub's OpenAPI description.

There is no local GitHub, so tests and the storm benchmark run autotriage against this.
Every request it receives and every answer it gives is validated with `Contract`; a
request the real API would not accept is answered 400 and recorded in `violations`, so
a test fails if the client or the fake drifts from the published description.

It keeps what GitHub keeps for autotriage's purposes: issues (numbers shared with pulls),
comments, labels, issue events, a search index that lags creation by `search_lag`
seconds, primary rate limits (``x-ratelimit-*`` headers, 403 when exhausted, 304s free),
secondary limits (too many content-creating requests a minute), installation tokens for
a GitHub App (JWT checked with the app's public key), and ETags. Repository content
(git refs/commits/trees/blobs, contents) lives in `tests.fakes.github.repo`, pull
requests in `tests.fakes.github.pulls` (their branches in the REST content, or in a real
bare git repository given with `use_git`, which is what the fix stage pushes to).

Faults are injected with `FakeGitHub.inject(Fault(...))`: ``secondary`` (403 with
retry-after), ``secondary-429``, ``primary`` (403, remaining 0, reset), ``502``,
``timeout`` (no answer before the client gives up) and ``timeout-after-effect`` (the
change is made, but the answer never arrives: the case that makes careless bots file
duplicates). A body past 65,536 characters gets GitHub's own 422.

Counters (`stats`) say what the client did: requests, mutations, creates, requests sent
while a rate-limit pause was in force, and mutations spaced less than a second apart.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx

from tests.fakes.github import objects
from tests.fakes.github.contract import Contract, ContractViolation, Operation
from tests.fakes.github.issues import IssueRoutes
from tests.fakes.github.pulls import PullRoutes
from tests.fakes.github.repo import RepoContent

MUTATING = {"POST", "PATCH", "PUT", "DELETE"}
IN_FLIGHT_GRACE = 1.0  # seconds after a refusal in which arrivals count as already in flight
DOCS = "https://docs.github.com/rest"


@dataclass
class Fault:
    """One injected failure for requests matching `method` and the `path` regex."""

    kind: str
    method: str | None = None
    path: str | None = None
    times: int = 1
    retry_after: int = 1
    delay: float = 3.0

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to `method` `path`."""
        if self.method and self.method != method:
            return False
        return not (self.path and not re.search(self.path, path))


@dataclass
class Stats:
    """What the client did, as the fake saw it."""

    requests: int = 0
    mutating: int = 0
    creates: int = 0
    not_modified: int = 0
    during_pause: int = 0
    in_flight_at_pause: int = 0
    spacing_violations: int = 0
    by_route: Counter[str] = field(default_factory=Counter)


class ApiError(Exception):
    """An error answer a route gives: status, message and optional extra fields."""

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = code
        self.body: dict[str, Any] = {"message": message, "documentation_url": DOCS, **extra}


class FakeGitHub:
    """The fake's state and request handling; `start()` serves it on a loopback port."""

    def __init__(
        self,
        owner: str = "acme",
        repo: str = "shop",
        token: str = "ghp_faketoken000000000000000000000000",  # noqa: S107 - a fake's fake token
        *,
        search_lag: float = 0.0,
        min_spacing: float = 1.0,
        secondary_per_minute: int | None = 80,
        rate_limit: int = 5000,
        collaborators: tuple[str, ...] = ("alice", "bob", "carol"),
        app_id: int | None = None,
        app_public_key: str | None = None,
        installation_id: int | None = None,
        token_ttl: float = 3600.0,
        contract: Contract | None = None,
    ) -> None:
        self.owner, self.repo, self.token = owner, repo, token
        self.search_lag = search_lag
        self.min_spacing = min_spacing
        self.secondary_per_minute = secondary_per_minute
        self.rate_limit = rate_limit
        self.collaborators = set(collaborators)
        self.app_id, self.app_public_key = app_id, app_public_key
        self.installation_id, self.token_ttl = installation_id, token_ttl
        self.contract = contract or Contract.load()
        self.lock = threading.RLock()
        self.stats = Stats()
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.installation_tokens: dict[str, float] = {}
        self.tokens_issued = 0
        self.used: dict[str, int] = {}
        self.reset_at = int(time.time()) + 3600
        self.paused_until: dict[str, float] = {}
        self.paused_at: dict[str, float] = {}
        self.last_mutation: dict[str, float] = {}
        self.recent_mutations: dict[str, deque[float]] = {}
        self.hook_url: str | None = None
        self.hook_secret: str | None = None
        self.hooks_sent: list[dict[str, Any]] = []
        self.base_url = "http://127.0.0.1:0"
        self.issues = IssueRoutes(self)
        self.content = RepoContent(self)
        self.pulls = PullRoutes(self)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ----- lifecycle
    @property
    def url(self) -> str:
        """The API root to set as ``GITHUB_API_URL``."""
        return self.base_url

    @property
    def web_url(self) -> str:
        """Where ``html_url`` links point."""
        return f"{self.base_url}/web"

    @property
    def repo_url(self) -> str:
        """The repository's API URL."""
        return f"{self.base_url}/repos/{self.owner}/{self.repo}"

    def start(self, port: int = 0) -> FakeGitHub:
        """Serve on 127.0.0.1 (`port` 0 picks a free one) in a background thread."""
        self._server = ThreadingHTTPServer(("127.0.0.1", port), _make_handler(self))
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def inject(self, *faults: Fault) -> None:
        """Queue faults; each applies to its next `times` matching requests."""
        with self.lock:
            self.faults.extend(faults)

    # ----- request handling
    def handle(
        self,
        method: str,
        target: str,
        headers: dict[str, str],
        raw: bytes,
        arrived: float | None = None,
    ) -> tuple[int, dict[str, str], bytes, float]:
        """Answer one request: status, headers, body, and seconds to stall before answering.

        `arrived` is when the request reached the server (spacing is judged by it, not by
        when a busy fake got round to it).
        """
        split = urlsplit(target)
        # An encoded slash stays inside its segment (a label named "area/api"), as on GitHub.
        path = unquote(re.sub("%2[fF]", "%252F", split.path))
        query = parse_qs(split.query, keep_blank_values=True)
        try:
            body = json.loads(raw) if raw.strip() else None
        except json.JSONDecodeError:
            return self._plain(400, {"message": "Problems parsing JSON", "documentation_url": DOCS})
        if re.search(r"\.git(/|$)", path):
            # git's smart-HTTP protocol is not part of the REST API this fake models: a
            # clone fails as against a private repository without credentials
            self.stats.by_route["git smart-HTTP (not served)"] += 1
            return self._plain(404, {"message": "Not Found", "documentation_url": DOCS})
        try:
            op = self.contract.check_request(method, path, query, body)
        except ContractViolation as exc:
            with self.lock:
                self.violations.append(f"request: {exc}")
            return self._plain(400, {"message": f"contract: {exc}", "documentation_url": DOCS})
        with self.lock:
            status, out_headers, payload, stall = self._dispatch(
                op, method, path, query, headers, body, arrived
            )
        if payload is not None:
            try:
                self.contract.check_response(op, status, payload)
            except ContractViolation as exc:
                with self.lock:
                    self.violations.append(f"response: {exc}")
        data = b"" if payload is None else json.dumps(payload).encode()
        if payload is not None:
            out_headers.setdefault("content-type", "application/json; charset=utf-8")
        return status, out_headers, data, stall

    def _plain(self, status: int, body: dict[str, Any]) -> tuple[int, dict[str, str], bytes, float]:
        return (
            status,
            {"content-type": "application/json; charset=utf-8"},
            json.dumps(body).encode(),
            0.0,
        )

    def _dispatch(
        self,
        op: Operation,
        method: str,
        path: str,
        query: dict[str, list[str]],
        headers: dict[str, str],
        body: Any,
        arrived: float | None = None,
    ) -> tuple[int, dict[str, str], Any, float]:
        now = time.time()
        arrival = arrived if arrived is not None else now
        self.stats.requests += 1
        self.stats.by_route[f"{method} {op.template}"] += 1
        mutating = method in MUTATING
        if mutating:
            self.stats.mutating += 1
        if op.template == "/app/installations/{installation_id}/access_tokens":
            return self._installation_token(path, headers)
        who = self._authenticate(headers)
        if who is None:
            return 401, {}, {"message": "Bad credentials", "documentation_url": DOCS}, 0.0
        limits = self._limit_headers(who)
        if self.paused_until.get(who, 0.0) > now:
            # a request arriving right after a refusal may have been sent before the
            # client (or another replica) could know; later ones ignored the pause
            if now - self.paused_at.get(who, 0.0) > IN_FLIGHT_GRACE:
                self.stats.during_pause += 1
            else:
                self.stats.in_flight_at_pause += 1
            wait = max(1, int(self.paused_until[who] - now + 0.999))
            return 403, {**limits, "retry-after": str(wait)}, _secondary_body(), 0.0
        if mutating:
            last = self.last_mutation.get(who)
            if last is not None and arrival - last < self.min_spacing - 0.02:
                self.stats.spacing_violations += 1
            self.last_mutation[who] = arrival
        fault = self._take_fault(method, path)
        if fault is not None and fault.kind != "timeout-after-effect":
            return self._fault_answer(fault, who, limits, now)
        if self.used.get(who, 0) >= self.rate_limit:
            self.paused_until[who] = float(self.reset_at)
            self.paused_at[who] = now
            return (
                403,
                {**limits},
                {"message": "API rate limit exceeded", "documentation_url": DOCS},
                0.0,
            )
        if mutating and self._secondary_exceeded(who, now):
            self.paused_until[who] = now + 60
            self.paused_at[who] = now
            return 403, {**limits, "retry-after": "60"}, _secondary_body(), 0.0
        params = _params(op.template, path)
        try:
            status, extra, payload = self.issues.route(
                op.template, method, params, query, body, who
            )
        except ApiError as exc:
            status, extra, payload = exc.status, {}, exc.body
        if method == "GET" and payload is not None and status == 200:
            etag = (
                '"'
                + hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
                + '"'
            )
            extra["etag"] = etag
            if headers.get("if-none-match") == etag:
                # conditional requests answered 304 do not count against the primary limit
                self.stats.not_modified += 1
                return 304, {**self._limit_headers(who), "etag": etag}, None, 0.0
        self.used[who] = self.used.get(who, 0) + 1
        stall = fault.delay if fault is not None else 0.0
        return status, {**self._limit_headers(who), **extra}, payload, stall

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times > 0 and fault.matches(method, path):
                fault.times -= 1
                if fault.times == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _fault_answer(
        self, fault: Fault, who: str, limits: dict[str, str], now: float
    ) -> tuple[int, dict[str, str], Any, float]:
        if fault.kind in ("secondary", "secondary-429"):
            self.paused_until[who] = now + fault.retry_after
            self.paused_at[who] = now
            status = 429 if fault.kind == "secondary-429" else 403
            return status, {**limits, "retry-after": str(fault.retry_after)}, _secondary_body(), 0.0
        if fault.kind == "primary":
            reset = int(now) + fault.retry_after + 1  # whole seconds, never shorter
            self.paused_until[who] = float(reset)
            self.paused_at[who] = now
            headers = {**limits, "x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
            return (
                403,
                headers,
                {"message": "API rate limit exceeded", "documentation_url": DOCS},
                0.0,
            )
        if fault.kind == "502":
            return 502, {}, None, 0.0
        if fault.kind == "timeout":
            return 504, {}, None, fault.delay
        raise ValueError(f"unknown fault {fault.kind!r}")

    def _secondary_exceeded(self, who: str, now: float) -> bool:
        if self.secondary_per_minute is None:
            return False
        window = self.recent_mutations.setdefault(who, deque())
        while window and window[0] < now - 60:
            window.popleft()
        if len(window) >= self.secondary_per_minute:
            return True
        window.append(now)
        return False

    def _limit_headers(self, who: str) -> dict[str, str]:
        used = self.used.get(who, 0)
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(0, self.rate_limit - used)),
            "x-ratelimit-used": str(used),
            "x-ratelimit-reset": str(self.reset_at),
            "x-ratelimit-resource": "core",
        }

    # ----- authentication
    def _authenticate(self, headers: dict[str, str]) -> str | None:
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("token", "bearer"):
            return None
        if hmac.compare_digest(given.encode(), self.token.encode()):
            return "token"
        expires = self.installation_tokens.get(given)
        if expires is not None and expires > time.time():
            return "installation"
        return None

    def _installation_token(
        self, path: str, headers: dict[str, str]
    ) -> tuple[int, dict[str, str], Any, float]:
        import jwt  # PyJWT comes with githubkit[auth-app]

        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not self.app_public_key or self.app_id is None:
            return (
                401,
                {},
                {"message": "A JSON web token could not be decoded", "documentation_url": DOCS},
                0.0,
            )
        try:
            claims = jwt.decode(
                given, self.app_public_key, algorithms=["RS256"], options={"verify_aud": False}
            )
        except jwt.PyJWTError as exc:
            return 401, {}, {"message": f"JWT invalid: {exc}", "documentation_url": DOCS}, 0.0
        if str(claims.get("iss")) != str(self.app_id):
            return (
                401,
                {},
                {"message": "JWT issuer is not this app", "documentation_url": DOCS},
                0.0,
            )
        if path.rstrip("/").split("/")[-2] != str(self.installation_id):
            return 404, {}, {"message": "Not Found", "documentation_url": DOCS}, 0.0
        self.tokens_issued += 1
        token = (
            f"ghs_{hashlib.sha256(f'{time.time()}:{self.tokens_issued}'.encode()).hexdigest()[:36]}"
        )
        expires = time.time() + self.token_ttl
        self.installation_tokens[token] = expires
        body = {
            "token": token,
            "expires_at": objects.iso(datetime.fromtimestamp(expires, UTC)),
            "permissions": {
                "issues": "write",
                "contents": "write",
                "pull_requests": "write",
                "metadata": "read",
            },
            "repository_selection": "selected",
        }
        return 201, {}, body, 0.0

    # ----- what people do in GitHub's web interface
    def person_sets_state(
        self,
        number: int,
        state: str,
        reason: str | None = None,
        *,
        commit: str | None = None,
        login: str = "alice",
    ) -> int | None:
        """A person closes or reopens issue `number`; GitHub then sends the ``issues`` hook."""
        with self.lock:
            issue = self.issues.items[number]
            self.issues.edit(
                issue,
                {"state": state, "state_reason": reason, "commit_id": commit},
                login,
                time.time(),
            )
            payload = {
                "action": "closed" if state == "closed" else "reopened",
                "issue": self.issues.render(issue),
                "repository": {
                    "id": 1,
                    "name": self.repo,
                    "full_name": f"{self.owner}/{self.repo}",
                    "private": True,
                },
                "sender": self.issues.user(login),
            }
        return self.send_hook("issues", payload)

    # ----- webhooks, as GitHub would send them
    def send_hook(self, event: str, payload: dict[str, Any]) -> int | None:
        """POST a signed webhook to `hook_url`, as GitHub does; return the status, if sent."""
        if not self.hook_url or not self.hook_secret:
            return None
        raw = json.dumps(payload).encode()
        signature = hmac.new(self.hook_secret.encode(), raw, hashlib.sha256).hexdigest()
        delivery = hashlib.sha1(raw + str(time.time()).encode()).hexdigest()  # noqa: S324 - an id
        headers = {
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": delivery,
            "x-hub-signature-256": f"sha256={signature}",
            "user-agent": "GitHub-Hookshot/fake",
        }
        response = httpx.post(self.hook_url, content=raw, headers=headers, timeout=10)
        self.hooks_sent.append(
            {"event": event, "delivery": delivery, "status": response.status_code}
        )
        return response.status_code


def _secondary_body() -> dict[str, Any]:
    return {
        "message": "You have exceeded a secondary rate limit. "
        "Please wait a few minutes before you try again.",
        "documentation_url": DOCS,
    }


_PARAM_PATTERNS: dict[str, re.Pattern[str]] = {}


def _params(template: str, path: str) -> dict[str, str]:
    pattern = _PARAM_PATTERNS.get(template)
    if pattern is None:
        greedy = template.endswith(("/contents/{path}", "/git/ref/{ref}", "/git/refs/{ref}"))
        parts = []
        segments = template.strip("/").split("/")
        for i, seg in enumerate(segments):
            if seg.startswith("{"):
                span = ".+" if greedy and i == len(segments) - 1 else "[^/]+"
                parts.append(f"(?P<{seg[1:-1].replace('-', '_')}>{span})")
            else:
                parts.append(re.escape(seg))
        pattern = re.compile("^" + "/".join(parts) + "$")
        _PARAM_PATTERNS[template] = pattern
    found = pattern.match(path.strip("/"))
    return {k: v.replace("%2F", "/") for k, v in found.groupdict().items()} if found else {}


def _make_handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            arrived = time.time()
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out, data, stall = fake.handle(self.command, self.path, headers, raw, arrived)
            if stall:
                time.sleep(stall)
            try:
                self.send_response(status)
                for name, value in out.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.send_header("x-github-request-id", hashlib.sha1(raw).hexdigest()[:16])  # noqa: S324
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (an injected timeout)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    return Handler
