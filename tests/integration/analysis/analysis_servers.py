"""Loopback servers the analysis tests talk to instead of GitHub.

* `GitHttpServer`: smart HTTP git (``git http-backend`` as CGI) that insists on a Basic
  ``x-access-token`` header, and records every Authorization header it saw;
* `CommitsApiServer`: ``GET /repos/{owner}/{repo}/commits/{sha}`` answering ``author.login``.
"""

from __future__ import annotations

import base64
import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any


class _Server:
    def __init__(self, handler: type[BaseHTTPRequestHandler]) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.requests: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _GitHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        owner: GitHttpServer = self.server.owner  # type: ignore[attr-defined]
        auth = self.headers.get("Authorization")
        owner.requests.append({"path": self.path, "authorization": auth})
        if auth != owner.expected_auth:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        env = {
            "GIT_PROJECT_ROOT": str(owner.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": self.command,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(length),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_ADDR": "127.0.0.1",
            "PATH": "/usr/bin:/bin",
        }
        done = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True)
        head, _, payload = done.stdout.partition(b"\r\n\r\n")
        status = 200
        headers = []
        for line in head.decode().split("\r\n"):
            key, _, value = line.partition(":")
            if key.lower() == "status":
                status = int(value.strip().split()[0])
            elif key:
                headers.append((key, value.strip()))
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve


class GitHttpServer(_Server):
    """Serves the bare repositories under `root` at ``/<name>.git``, token required."""

    def __init__(self, root: Path, token: str) -> None:
        super().__init__(_GitHandler)
        self.root = root
        basic = base64.b64encode(f"x-access-token:{token}".encode()).decode()
        self.expected_auth = f"Basic {basic}"


class _ApiHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        owner: CommitsApiServer = self.server.owner  # type: ignore[attr-defined]
        auth = self.headers.get("Authorization")
        owner.requests.append({"path": self.path, "authorization": auth})
        sha = self.path.rsplit("/", 1)[-1]
        if sha not in owner.logins:
            self.send_response(404)
            self.end_headers()
            return
        login = owner.logins[sha]
        body = json.dumps({"sha": sha, "author": {"login": login} if login else None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class CommitsApiServer(_Server):
    """A GitHub commits API knowing `logins` (sha -> login, None for unlinked authors)."""

    def __init__(self, logins: dict[str, str | None]) -> None:
        super().__init__(_ApiHandler)
        self.logins = logins
