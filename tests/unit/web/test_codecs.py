"""Content-Encoding at the web edge: every codec round-trips, bombs stop at the limit."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest
import zstandard

from autotriage.errors import PayloadInvalid, PayloadTooLarge
from autotriage.web.ingest import inflate
from tests.support import fixture_bytes

LIMIT = 64 * 1024


def _compressors() -> dict[str, object]:
    return {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "br": brotli.compress,
        "zstd": zstandard.ZstdCompressor().compress,
    }


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_inflate_round_trips(encoding: str) -> None:
    data = fixture_bytes("sentry", "d2_envelope_spec_example.txt") * 50
    squeezed = _compressors()[encoding](data)  # type: ignore[operator]
    assert inflate(squeezed, encoding, LIMIT) == data


def test_raw_deflate_is_accepted_too() -> None:
    squeezer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    raw = squeezer.compress(b"hello raw deflate") + squeezer.flush()
    assert inflate(raw, "deflate", LIMIT) == b"hello raw deflate"


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_bombs_stop_at_the_limit(encoding: str) -> None:
    bomb = _compressors()[encoding](b"\0" * (50 * 1024 * 1024))  # type: ignore[operator]
    assert len(bomb) < 200 * 1024
    with pytest.raises(PayloadTooLarge, match="inflates past the limit"):
        inflate(bomb, encoding, LIMIT)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br", "zstd"])
def test_garbage_is_a_400_not_a_crash(encoding: str) -> None:
    with pytest.raises(PayloadInvalid, match=f"not valid {encoding}"):
        inflate(b"definitely not compressed", encoding, LIMIT)


def test_truncated_gzip_is_refused() -> None:
    with pytest.raises(PayloadInvalid, match="truncated"):
        inflate(gzip.compress(b"x" * 1000)[:-12], "gzip", LIMIT)


def test_unknown_encoding_is_refused() -> None:
    with pytest.raises(PayloadInvalid, match="'lzma' is not supported"):
        inflate(b"x", "lzma", LIMIT)
