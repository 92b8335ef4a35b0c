"""The HTTP side of the fake: a threaded server on 127.0.0.1 that python-telegram-bot reaches.

Routes: `/bot<token>/<method>` (GET or POST; form, multipart or JSON bodies, as Telegram takes
them) and `/_fake/<action>` for a test or benchmark in another process (see RemoteBotAPI).
A thread per connection keeps long polls from blocking sends, and lets the bot under test run
in this process or in a child process alike.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.parser
import email.policy
import json
import re
import socket
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, unquote, urlsplit

from harness.botapi.dispatch import handle
from harness.botapi.state import JSON, State

if TYPE_CHECKING:
    from harness.botapi import FakeBotAPI

_ROUTE = re.compile(r"/bot([^/]+)/([A-Za-z]+)")
_FILE_ROUTE = re.compile(r"/file/bot([^/]+)/documents/([A-Za-z0-9_-]+)")
# What a process outside this one may ask of the fake (see FakeBotAPI for each).
CONTROL = frozenset(
    {
        "private_chat", "group", "channel", "send", "press", "block", "unblock", "kick",
        "deactivate", "add_to_channel", "migrate", "set_admins", "fail_next", "set_limits",
        "calls", "sent", "texts", "summary", "bot_log", "clear_calls",
    }
)  # fmt: skip


def parse_body(content_type: str, body: bytes, query: str) -> dict[str, object]:
    """Return the request's parameters from its query string and body."""
    params: dict[str, object] = dict(parse_qsl(query, keep_blank_values=True))
    kind = content_type.split(";", 1)[0].strip().lower()
    if not body:
        return params
    if kind == "application/json":
        decoded = json.loads(body)
        params.update(decoded if isinstance(decoded, dict) else {})
    elif kind == "multipart/form-data":
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_filename()
            if name and filename is not None:  # an uploaded file: its bytes, as sent
                params[str(name)] = part.get_payload(decode=True) or b""
                params[f"{name}.filename"] = filename
                params[f"{name}.mime_type"] = part.get_content_type()
            elif name:
                params[str(name)] = part.get_content()
    else:
        params.update(parse_qsl(body.decode(), keep_blank_values=True))
    return params


def plain(value: object) -> object:
    """Return `value` with dataclasses turned into dicts, ready for json.dumps."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    return value


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: httpx reuses its connections
    server: Server

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle's algorithm and delayed
        # ACKs add 40 ms to every answer.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        download = _FILE_ROUTE.fullmatch(url.path)
        if download is not None:
            # PTB quotes the path, so the token's ":" arrives as %3A.
            self._download(unquote(download.group(1)), download.group(2))
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            params = parse_body(self.headers.get("Content-Type", ""), body, url.query)
        except ValueError:
            self._reply(400, {"ok": False, "error_code": 400, "description": "Bad Request"})
            return
        if url.path.startswith("/_fake/"):
            self._control(url.path.removeprefix("/_fake/"), params)
            return
        route = _ROUTE.fullmatch(url.path)
        if route is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        answer = handle(self.server.state, route.group(1), route.group(2), params)
        if answer.drop:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._reply(answer.status, answer.body)

    do_GET = do_POST

    def _download(self, token: str, file_id: str) -> None:
        """A file download, as from api.telegram.org/file/bot<token>/<file_path>."""
        state = self.server.state
        with state.cond:
            found = state.files.get(file_id) if token == state.token else None
        if found is None:
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        data = found[2]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _control(self, action: str, params: dict[str, object]) -> None:
        if action not in CONTROL:
            self._reply(404, {"ok": False, "description": f"unknown control {action}"})
            return
        try:
            result = getattr(self.server.api, action)(**params)
        except (LookupError, TypeError, ValueError) as exc:
            self._reply(400, {"ok": False, "description": f"{type(exc).__name__}: {exc}"})
            return
        self._reply(200, {"ok": True, "result": plain(result)})

    def _reply(self, status: int, body: JSON) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Stay quiet: tests read the recorded calls instead."""


class Server(ThreadingHTTPServer):
    """The listening server; remembers open connections so stop() can cut long polls."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # a sender opens many connections at once

    def __init__(self, api: FakeBotAPI, port: int = 0) -> None:
        self.api = api
        self.state: State = api.state
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: object, client_address: object) -> None:
        """Stay quiet when a client went away (a bot that stopped polling); report the rest."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]

    def cut_connections(self) -> None:
        """Close every open client connection (ends long polls and keep-alive reads)."""
        with self.sockets_lock:
            sockets = list(self.open_sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def push_webhook_updates(state: State) -> None:
    """POST queued updates to the webhook URL, one at a time, until the state closes."""
    while True:
        with state.cond:
            while not state.closed and not (state.webhook.get("url") and state.updates):
                state.cond.wait(0.5)
            if state.closed:
                return
            update, hook = state.updates[0], dict(state.webhook)
        request = urllib.request.Request(
            str(hook["url"]), data=json.dumps(update).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        if hook.get("secret_token"):
            request.add_header("X-Telegram-Bot-Api-Secret-Token", str(hook["secret_token"]))
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                delivered = 200 <= response.status < 300
        except OSError:
            delivered = False
        with state.cond:
            if delivered and state.updates and state.updates[0] is update:
                state.updates.pop(0)
            elif not delivered:
                state.cond.wait(1.0)  # Telegram retries a failing webhook later


class RemoteBotAPI:
    """Drive a fake Bot API that runs in another process (`python -m harness.botapi`)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def control(self, action: str, **params: object) -> object:
        """Run one control action and return its JSON result."""
        request = urllib.request.Request(
            f"{self.url}/_fake/{action}", data=json.dumps(params).encode(), method="POST"
        )
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=60) as response:
            body = json.loads(response.read())
        return body["result"]
