"""Raw error text: a traceback or log line as it would appear in a log.

Anything can be replayed through this source (``autotriage replay --source text``);
the parsers in `autotriage.understanding` do the reading.
"""

from __future__ import annotations

from collections.abc import Mapping

from autotriage.errors import PayloadInvalid
from autotriage.models import ErrorEvent
from autotriage.understanding.text import parse_text

NAME = "text"


def parse(body: bytes, headers: Mapping[str, str]) -> list[ErrorEvent]:
    """Read the body as UTF-8 error text (undecodable bytes replaced)."""
    del headers
    text = body.decode("utf-8", errors="replace")
    if not text.strip():
        raise PayloadInvalid("error text is empty")
    return parse_text(text, source=NAME)
