"""The /healthz and /metrics server every role runs on NEWSBOT_HTTP_PORT.

Tornado serves it: python-telegram-bot's webhook mode already runs on it, in the same event
loop. What the two paths answer is news.observe's business; this module only speaks HTTP.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from http import HTTPStatus
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.web import Application, RequestHandler

from news import observe
from news.storage.db import Store

log = logging.getLogger(__name__)

# Load balancers and Prometheus send a few short headers; anything longer is not for us.
MAX_HEADER_BYTES = 8192
IDLE_SECONDS = 10.0


class _Plain(RequestHandler):
    """Errors as one short plain-text line, not tornado's HTML page."""

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish(f"{HTTPStatus(status_code).phrase.lower()}\n")


class _NotFound(_Plain):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "text/plain")
        self.finish("not found: try /healthz or /metrics\n")


class _Healthz(_Plain):
    def initialize(self, store: Store, role: str, readiness: observe.Readiness) -> None:
        self.store, self.role, self.readiness = store, role, readiness

    async def get(self) -> None:
        status, body = await observe.healthz(self.store, self.role, self.readiness)
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)  # tornado sends no body to a HEAD

    head = get


class _Metrics(_Plain):
    def initialize(self, store: Store) -> None:
        self.store = store

    async def get(self) -> None:
        body = await observe.metrics(self.store)
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.finish(body)

    head = get


def _quiet(handler: RequestHandler) -> None:
    """Tornado's access log would log every probe, and each 503 as an error: debug only."""
    log.debug("http %s %s %s", handler.request.method, handler.request.path, handler.get_status())


@contextlib.asynccontextmanager
async def serving(
    store: Store,
    *,
    role: str,
    host: str,
    port: int,
    readiness: observe.Readiness | None = None,
) -> AsyncIterator[int]:
    """Serve /healthz and /metrics on host:port (0: any free port) and yield the port."""
    ready = readiness or observe.Readiness()
    app = Application(
        [
            ("/healthz", _Healthz, {"store": store, "role": role, "readiness": ready}),
            ("/metrics", _Metrics, {"store": store}),
        ],
        default_handler_class=_NotFound,
        log_function=_quiet,
    )
    server = HTTPServer(
        app, max_header_size=MAX_HEADER_BYTES, idle_connection_timeout=IDLE_SECONDS
    )
    sockets = bind_sockets(port, host)
    server.add_sockets(sockets)
    bound = sockets[0].getsockname()[1]
    log.info("observability server listening role=%s port=%s", role, bound)
    try:
        yield bound
    finally:
        server.stop()
        await server.close_all_connections()
