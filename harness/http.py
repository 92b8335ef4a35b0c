"""The HTTP the harness's feed servers share: dates, validators, and a many-host asyncio server.

    ports = await serve_hosts(4, respond)   # 127.0.0.1 .. 127.0.0.4, a free port each

`respond(target, headers)` returns an Answer (or None: say nothing and hang up, a timeout as
a client sees it). Connections are HTTP/1.1 with keep-alive; request bodies are not read (the
clients here only GET). Many hosts stand for many sites: the fetcher allows only two requests
at once per host, as it should for real sites.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

REASONS = {200: "OK", 304: "Not Modified", 404: "Not Found", 500: "Internal Server Error"}


def http_date(when: datetime) -> str:
    """Return `when` as an HTTP-date ("Tue, 15 Nov 1994 08:12:31 GMT")."""
    return email.utils.format_datetime(when.astimezone(UTC), usegmt=True)


def not_modified(headers: dict[str, str], etag: str | None, last_modified: str | None) -> bool:
    """Return whether the request's validators (lower-case header names) match (RFC 9110 13.1)."""
    if_none_match = headers.get("if-none-match")
    if etag and if_none_match:
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or etag.removeprefix("W/") in tags
    since = headers.get("if-modified-since")
    if last_modified and since:
        try:
            return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
                last_modified
            )
        except (TypeError, ValueError):
            return False
    return False


@dataclass(slots=True)
class Answer:
    """A response: status, Content-Type, body and any further header lines."""

    status: int
    content_type: str
    body: bytes
    headers: list[str] = field(default_factory=list)

    def encode(self) -> bytes:
        """Return the status line, headers (with Content-Length) and body."""
        reason = REASONS.get(self.status, "Error")
        lines = [f"HTTP/1.1 {self.status} {reason}", f"Content-Type: {self.content_type}"]
        lines += [*self.headers, f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


Responder = Callable[[str, dict[str, str]], Awaitable[Answer | None]]


def host_of(index: int, hosts: int) -> str:
    """Return the loopback address of site `index` out of `hosts`."""
    return f"127.0.0.{1 + index % hosts}"


async def serve_hosts(hosts: int, respond: Responder) -> dict[str, int]:
    """Listen on 127.0.0.1 .. 127.0.0.HOSTS; return each host's port."""
    ports: dict[str, int] = {}
    for k in range(hosts):
        server = await asyncio.start_server(
            _connection(respond), host_of(k, hosts), 0, backlog=1024
        )
        ports[host_of(k, hosts)] = server.sockets[0].getsockname()[1]
    return ports


def _connection(
    respond: Responder,
) -> Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                target, headers = _parse(await reader.readuntil(b"\r\n\r\n"))
                answer = await respond(target, headers)
                if answer is None:
                    break
                writer.write(answer.encode())
                await writer.drain()
        writer.close()

    return serve


def _parse(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return lines[0].split(" ")[1], headers
