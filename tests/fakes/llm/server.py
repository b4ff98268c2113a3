"""A fake OpenAI-compatible ``POST /v1/chat/completions`` that replies from a script.

The reply follows the vendor's response shape (``choices[0].message.content``). With
``obey_injection`` it behaves like a model that follows instructions planted in the error
text: when the prompt carries `INJECTION_MARKER`, it returns the diff the attacker asked for.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INJECTION_MARKER = "SYSTEM OVERRIDE:"


class FakeLlm:
    """What the fake answers and what it was asked."""

    def __init__(self, reply: str, injected_reply: str | None = None) -> None:
        self.reply = reply
        self.injected_reply = injected_reply
        self.requests: list[dict[str, Any]] = []

    def answer(self, body: dict[str, Any]) -> str:
        self.requests.append(body)
        prompt = "\n".join(m.get("content", "") for m in body.get("messages", []))
        if self.injected_reply is not None and INJECTION_MARKER in prompt:
            return self.injected_reply
        return self.reply


@contextmanager
def serve(fake: FakeLlm) -> Iterator[str]:
    """Run `fake` on a loopback port; yields the base URL (``http://127.0.0.1:N/v1``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if self.path != "/v1/chat/completions" or not self.headers.get(
                "Authorization", ""
            ).startswith("Bearer "):
                self.send_response(401 if self.path == "/v1/chat/completions" else 404)
                self.end_headers()
                return
            content = fake.answer(body)
            payload = json.dumps(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body.get("model", "fake"),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": content},
                        }
                    ],
                    "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                }
            ).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
