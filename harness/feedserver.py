"""A real local HTTP server for tests: feeds, article pages and every edge case a fetch meets.

    with FeedServer(directory=SEEDS) as server:
        server.add("/feed.xml", body, content_type="application/rss+xml", etag='"v1"')
        server.redirect("/old", "/feed.xml")
        url = server.url("/feed.xml")
        ...
        assert server.count("/feed.xml") == 1

Routes are matched on the path without its query. Unmatched paths are served from `directory`
(with ETag/Last-Modified from the file's size and mtime), then 404. The server runs in a daemon
thread on 127.0.0.1 and a free port; stop() wakes sleeping handlers, closes open connections
and joins every thread, so nothing outlives the test. Tests use it through the `feed_server`
fixture (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import gzip
import mimetypes
import socket
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import unquote, urlsplit

from harness.http import http_date, not_modified


@dataclass(frozen=True)
class Recorded:
    """One request the server received. Header names are lower-case."""

    method: str
    path: str
    query: str
    headers: dict[str, str]


@dataclass
class Reply:
    """What a route answers. `body` may be an iterable of chunks, produced while sending."""

    status: int = 200
    body: bytes | Iterable[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    delay: float = 0.0  # seconds before the status line
    interval: float = 0.0  # seconds between body chunks (a trickling server)
    gzip: bool = False  # compress when the client accepts gzip
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length


Handler = Callable[[Recorded], Reply]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = True  # server_close() joins the handler threads
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        # A client that gave up (timeout, body cap) is what many tests are about; not an error.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class _Server6(_Server):
    address_family = socket.AF_INET6


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.owner._opened(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._closed(self.connection)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet; the request log is `FeedServer.requests`."""

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, *, head: bool) -> None:
        owner = self.server.owner
        parts = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Recorded(self.command, unquote(parts.path), parts.query, headers)
        owner._begin(request)
        try:
            self._send(owner._reply(request), request, head=head)
        finally:
            owner._end(request)

    def _send(self, reply: Reply, request: Recorded, *, head: bool) -> None:
        stopping = self.server.owner._stopping
        if reply.delay and stopping.wait(reply.delay):
            self.close_connection = True
            return
        status, body = reply.status, reply.body
        headers = dict(reply.headers)
        for name, value in (("ETag", reply.etag), ("Last-Modified", reply.last_modified)):
            if value:
                headers[name] = value
        if status == 200 and not_modified(request.headers, reply.etag, reply.last_modified):
            status, body = 304, b""
        elif reply.gzip and "gzip" in request.headers.get("accept-encoding", ""):
            body = gzip.compress(body if isinstance(body, bytes) else b"".join(body))
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status == 304 or head:
            length = len(body) if head and isinstance(body, bytes) else 0
            self.send_header("Content-Length", str(length))
            self.end_headers()
            return
        self._send_body(reply, body, headers, stopping)

    def _send_body(
        self,
        reply: Reply,
        body: bytes | Iterable[bytes],
        headers: dict[str, str],
        stopping: threading.Event,
    ) -> None:
        if isinstance(body, bytes) and not reply.chunked:
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if reply.chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif "Content-Length" not in headers:
            # No length and no chunking: the body ends when the connection closes.
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        for chunk in [body] if isinstance(body, bytes) else body:
            if reply.interval and stopping.wait(reply.interval):
                break
            self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if reply.chunked else chunk)
            self.wfile.flush()
        if reply.chunked:
            self.wfile.write(b"0\r\n\r\n")


class FeedServer:
    """A threaded HTTP/1.1 server on 127.0.0.1 with routes registered by the test."""

    def __init__(self, directory: Path | None = None, host: str = "127.0.0.1") -> None:
        self.directory = directory
        self.host = host
        self.port = 0
        self.requests: list[Recorded] = []
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._in_flight: Counter[str] = Counter()
        self._max_in_flight: Counter[str] = Counter()
        self._sockets: set[socket.socket] = set()
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Self:
        """Bind a free port and serve in a background thread; return self."""
        server_class = _Server6 if ":" in self.host else _Server
        self._server = server_class((self.host, 0), _RequestHandler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close every connection and join every thread."""
        if self._server is None:
            return
        with self._lock:
            self._stopping.set()
        self._server.shutdown()
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:  # wakes handlers blocked reading a kept-alive connection
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses and the request log ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return "http://127.0.0.1:PORT" (IPv6 hosts in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def url(self, path: str = "/") -> str:
        """Return the absolute URL of `path` on this server."""
        return self.base_url + "/" + path.lstrip("/")

    def count(self, path: str) -> int:
        """Return how many requests reached `path`."""
        with self._lock:
            return sum(1 for request in self.requests if request.path == path)

    def last(self, path: str) -> Recorded:
        """Return the latest request to `path` (KeyError if none)."""
        with self._lock:
            for request in reversed(self.requests):
                if request.path == path:
                    return request
        raise KeyError(path)

    def max_in_flight(self, path: str | None = None) -> int:
        """Return the most requests (to `path`, or to any path) handled at the same moment."""
        with self._lock:
            return self._max_in_flight[path or "*"]

    # -- routes ----------------------------------------------------------------------------

    def handle(self, path: str, handler: Handler) -> str:
        """Route `path` to `handler(request) -> Reply`; return the route's URL."""
        with self._lock:
            self._routes[path] = handler
        return self.url(path)

    def add(self, path: str, body: bytes = b"", **reply: object) -> str:
        """Serve `body` at `path` with Reply's options (status, headers, etag, gzip, ...)."""
        content_type = reply.pop("content_type", None)
        fixed = Reply(body=body, **reply)  # type: ignore[arg-type]
        if content_type:
            fixed.headers.setdefault("Content-Type", str(content_type))
        return self.handle(path, lambda _request: fixed)

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        """Redirect `path` to `to` (a path on this server or an absolute URL)."""
        return self.add(path, status=status, headers={"Location": to})

    def trickle(self, path: str, chunk: bytes = b"<", interval: float = 0.1) -> str:
        """Send `chunk` every `interval` seconds forever, no length: never idle, never done."""

        def forever(_request: Recorded) -> Reply:
            return Reply(body=_repeat(chunk), interval=interval)

        return self.handle(path, forever)

    def huge(self, path: str, size: int, *, announce: bool = True) -> str:
        """Stream `size` bytes; announced in Content-Length, or chunked without a length."""

        def stream(_request: Recorded) -> Reply:
            headers = {"Content-Length": str(size)} if announce else {}
            return Reply(body=_blocks(size), headers=headers, chunked=not announce)

        return self.handle(path, stream)

    # -- internals, called from handler threads ------------------------------------------------

    def _reply(self, request: Recorded) -> Reply:
        with self._lock:
            handler = self._routes.get(request.path)
        if handler is not None:
            return handler(request)
        return self._file_reply(request.path)

    def _file_reply(self, path: str) -> Reply:
        if self.directory is None:
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        root = self.directory.resolve()
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            return Reply(404, b"not found", {"Content-Type": "text/plain"})
        stat = target.stat()
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return Reply(
            body=target.read_bytes(),
            headers={"Content-Type": kind},
            etag=f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"',
            last_modified=http_date(datetime.fromtimestamp(stat.st_mtime, UTC)),
        )

    def _begin(self, request: Recorded) -> None:
        with self._lock:
            self.requests.append(request)
            for key in (request.path, "*"):
                self._in_flight[key] += 1
                self._max_in_flight[key] = max(self._max_in_flight[key], self._in_flight[key])

    def _end(self, request: Recorded) -> None:
        with self._lock:
            for key in (request.path, "*"):
                self._in_flight[key] -= 1

    def _opened(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            if self._stopping.is_set():  # accepted while stop() ran: do not wait for it
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def _closed(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)


def _repeat(chunk: bytes) -> Iterator[bytes]:
    while True:
        yield chunk


def _blocks(size: int, block: int = 64 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < size:
        part = min(block, size - sent)
        sent += part
        yield b"a" * part
