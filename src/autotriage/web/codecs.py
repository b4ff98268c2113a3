"""Content-Encoding at the web edge: gzip, deflate, br and zstd, inflated within a limit.

SDKs and exporters compress what they post (Sentry's envelopes, OTLP exports). Every
decoder is bounded by the limit at each step, so a decompression bomb never allocates
more than the limit before it is refused (413).
"""

from __future__ import annotations

import io
import zlib

import brotli
import zstandard

from autotriage.errors import PayloadInvalid, PayloadTooLarge


def _too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"body inflates past the limit of {limit} bytes")


def _inflate_zlib(body: bytes, wbits: int, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    out = bytearray()
    data = body
    while True:
        # max_length bounds every step, so a bomb never allocates more than the limit.
        out += decompressor.decompress(data, limit + 1 - len(out))
        if len(out) > limit:
            raise _too_large(limit)
        data = decompressor.unconsumed_tail
        if not data:
            break
    out += decompressor.flush()
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.eof:
        raise zlib.error("truncated stream")
    return bytes(out)


def _inflate_brotli(body: bytes, limit: int) -> bytes:
    decompressor = brotli.Decompressor()
    out = bytearray(decompressor.process(body, output_buffer_limit=limit + 1))
    while len(out) <= limit and not decompressor.is_finished():
        if decompressor.can_accept_more_data():
            break
        out += decompressor.process(b"", output_buffer_limit=limit + 1 - len(out))
    if len(out) > limit:
        raise _too_large(limit)
    if not decompressor.is_finished():
        raise brotli.error("truncated stream")
    return bytes(out)


def _inflate_zstd(body: bytes, limit: int) -> bytes:
    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body))
    out = reader.read(limit + 1)
    if len(out) > limit:
        raise _too_large(limit)
    return bytes(out)


def inflate(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """Undo ``Content-Encoding`` (gzip, deflate, br, zstd), refusing past `limit` bytes.

    Raises `PayloadTooLarge` for a bomb and `PayloadInvalid` for a broken stream or an
    encoding we do not speak.
    """
    encoding = (content_encoding or "identity").strip().lower()
    try:
        if encoding in ("", "identity"):
            result = body
        elif encoding in ("gzip", "x-gzip"):
            result = _inflate_zlib(body, 16 + zlib.MAX_WBITS, limit)
        elif encoding == "deflate":
            # RFC 9110 says zlib-wrapped; some clients send raw deflate, so accept both.
            try:
                result = _inflate_zlib(body, zlib.MAX_WBITS, limit)
            except zlib.error:
                result = _inflate_zlib(body, -zlib.MAX_WBITS, limit)
        elif encoding == "br":
            result = _inflate_brotli(body, limit)
        elif encoding == "zstd":
            result = _inflate_zstd(body, limit)
        else:
            raise PayloadInvalid(f"Content-Encoding {encoding!r} is not supported")
    except (zlib.error, brotli.error, zstandard.ZstdError) as exc:
        raise PayloadInvalid(f"body is not valid {encoding}: {exc}") from None
    if len(result) > limit:
        raise _too_large(limit)
    return result
