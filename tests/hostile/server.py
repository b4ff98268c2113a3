"""A live ``autotriage serve`` process to attack, and a listener that records any fetch.

The server runs as its own process so its resident memory can be read from /proc
(``VmRSS`` now, ``VmHWM`` the peak since the last reset through ``clear_refs``), and so a
crash or a hang shows as what it is.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tests.support import LiveServer


class Listener:
    """A loopback HTTP server that records every request it gets (and answers 200)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        recorded = self.requests

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                recorded.append(f"{self.command} {self.path}")
                self.send_response(200)
                self.send_header("content-length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = do_PUT = do_HEAD = _record

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class HostileServer(LiveServer):
    """`LiveServer` that also reads the server's resident memory from /proc."""

    def __init__(self, env: Mapping[str, str], cwd: Path) -> None:
        super().__init__(env, cwd)
        self.log_path = cwd / f"hostile-server-{self.port}.log"

    def start(self, timeout: float = 180.0) -> HostileServer:
        """Start the process and wait until /health answers."""
        super().start(timeout)
        return self

    @property
    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.process is not None and self.process.poll() is None

    def _status(self, field: str) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
        raise RuntimeError(f"{field} missing from /proc status")

    def rss(self) -> int:
        """Resident memory now, in bytes."""
        return self._status("VmRSS")

    def reset_peak(self) -> None:
        """Start a new peak-RSS window (Linux ``clear_refs`` 5)."""
        assert self.process is not None
        # Without it the peak is the process's lifetime peak: stricter, not looser.
        with contextlib.suppress(OSError):
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")

    def peak(self) -> int:
        """Peak resident memory since the last `reset_peak`, in bytes."""
        return self._status("VmHWM")
