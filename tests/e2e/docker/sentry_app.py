"""An application using the official sentry-sdk, run by tests/e2e/docker as a subprocess.

    python sentry_app.py send DSN               one KeyError, sent by the SDK's own transport
    python sentry_app.py envelopes DSN N OUT    N ZeroDivisionErrors, each an envelope exactly as
                                                the SDK serialises it, one per line (base64)

The second form lets the test post the SDK's envelopes itself, so it knows which ones the
server acknowledged. It runs apart from pytest because ``sentry_sdk.init`` is global.
"""

from __future__ import annotations

import base64
import sys
from typing import Any

import sentry_sdk
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport


def checkout(cart: dict[str, str]) -> str:
    return cart["sku"]


def total(a: int, b: int) -> float:
    return a / b


class Keep(Transport):
    """Keeps each envelope's serialised bytes instead of sending them."""

    kept: list[bytes] = []

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)

    def capture_envelope(self, envelope: Envelope) -> None:
        self.kept.append(envelope.serialize())


def main() -> None:
    mode, dsn = sys.argv[1], sys.argv[2]
    if mode == "send":
        sentry_sdk.init(dsn=dsn, release="shop@1.2.3", environment="container-e2e")
        try:
            checkout({})
        except KeyError:
            sentry_sdk.capture_exception()
        sentry_sdk.flush(30)
        return
    count, out = int(sys.argv[3]), sys.argv[4]
    sentry_sdk.init(dsn=dsn, release="shop@1.2.3", transport=Keep)
    for _ in range(count):
        try:
            total(1, 0)
        except ZeroDivisionError:
            sentry_sdk.capture_exception()
    sentry_sdk.flush(30)
    with open(out, "w") as lines:
        lines.writelines(base64.b64encode(body).decode() + "\n" for body in Keep.kept)


if __name__ == "__main__":
    main()
