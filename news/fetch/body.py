"""Reading a response or a local file within the byte cap, and the headers that steer polling."""

from __future__ import annotations

import asyncio
import email.utils
import mimetypes
import os
import zlib
from datetime import UTC, datetime
from pathlib import Path

import httpx

from news.errors import FetchError, TooLargeError
from news.models import FetchResult

ACCEPT_ENCODING = "gzip, deflate"  # only what _Decoder undoes with bounded memory


def size_text(size: int) -> str:
    """Return `size` in bytes as people write it: "10 MiB", "64 KiB", "1000 bytes"."""
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def too_large(cap: int) -> TooLargeError:
    """Return the error for a body over `cap` bytes."""
    return TooLargeError(f"fetch: body larger than {size_text(cap)}")


class _Decoder:
    """Undoes a gzip or deflate Content-Encoding without ever producing more than asked for.

    httpx's own decoders inflate a whole network chunk at once, so 64 KiB of a gzip bomb
    becomes ~64 MiB in memory before any cap can look at it; zlib's max_length avoids that.
    """

    def __init__(self, encoding: str | None) -> None:
        codings = [c.strip().lower() for c in (encoding or "").split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(f"fetch: unsupported Content-Encoding {encoding!r}")
        self._coding = codings[0] if codings else None
        # wbits 47 = 32 (detect gzip or zlib header) + 15 (largest window)
        self._inflate = zlib.decompressobj(47) if self._coding else None
        self._started = False

    def decode(self, data: bytes, room: int) -> bytes:
        """Return the decoded bytes of `data`; more than `room` bytes means over the cap."""
        if self._inflate is None:
            return data
        try:
            out = self._inflate.decompress(data, room + 1)
        except zlib.error as exc:
            if self._coding != "deflate" or self._started:
                raise FetchError(f"fetch: cannot decode {self._coding} body ({exc})") from exc
            # Some servers send "deflate" as a raw stream without its zlib header.
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            self._started = True
            return self.decode(data, room)
        self._started = True
        return out

    def flush(self) -> bytes:
        """Return what the decoder still holds (nothing for a complete stream)."""
        return self._inflate.flush() if self._inflate is not None else b""


async def read_body(response: httpx.Response, cap: int) -> bytes:
    """Return the decoded body of a streamed `response`; stop as soon as it passes `cap` bytes."""
    announced = response.headers.get("content-length", "")
    if announced.isdigit() and int(announced) > cap:
        raise too_large(cap)
    decoder = _Decoder(response.headers.get("content-encoding"))
    chunks: list[bytes] = []
    raw = size = 0
    async for chunk in response.aiter_raw():
        raw += len(chunk)
        out = decoder.decode(chunk, cap - size)
        size += len(out)
        if raw > cap or size > cap:
            raise too_large(cap)
        chunks.append(out)
    tail = decoder.flush()
    if size + len(tail) > cap:
        raise too_large(cap)
    chunks.append(tail)
    return b"".join(chunks)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Return the seconds a Retry-After header (delay-seconds or HTTP-date) asks us to wait."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" means UTC without saying so (RFC 5322 3.3)
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _read_capped(path: Path, cap: int) -> tuple[bytes, float]:
    with path.open("rb") as handle:
        mtime = os.fstat(handle.fileno()).st_mtime
        body = handle.read(cap + 1)
    if len(body) > cap:
        raise too_large(cap)
    return body, mtime


async def read_file(uri: str, path: Path, cap: int, last_modified: str | None) -> FetchResult:
    """Return a local file as a 200 (or a 304 when its mtime still equals `last_modified`)."""
    try:
        body, mtime = await asyncio.to_thread(_read_capped, path, cap)
    except OSError as exc:
        raise FetchError(f"fetch: cannot read {path} ({exc.strerror or exc})") from exc
    stamp = email.utils.format_datetime(datetime.fromtimestamp(mtime, UTC), usegmt=True)
    if last_modified == stamp:
        return FetchResult(url=uri, status=304, last_modified=stamp)
    content_type = mimetypes.guess_type(path.name)[0]
    return FetchResult(
        url=uri, status=200, body=body, content_type=content_type, last_modified=stamp
    )
