"""Observability: Prometheus metrics, and a tiny HTTP server for GET /healthz and GET /metrics.

Every role (bot, worker, sender, run) serves both on NEWSBOT_HTTP_PORT when it is set. The
server is a few lines of asyncio rather than another web framework: it answers two GETs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from news.storage import health
from news.storage.db import Store

log = logging.getLogger(__name__)

FEEDS_POLLED = Counter("newsbot_feeds_polled", "Feeds polled, by outcome", ["status"])
ARTICLES_STORED = Counter("newsbot_articles_stored", "New articles stored")
SUMMARIES_MADE = Counter("newsbot_summaries_made", "Articles summarized")
MESSAGES = Counter(
    "newsbot_messages",
    "Outbox messages by result (sent, failed, retried, rate_limited, dropped)",
    ["result"],
)
STAGE_SECONDS = Histogram(
    "newsbot_stage_seconds",
    "Time spent per pipeline stage",
    ["stage"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
OUTBOX_DEPTH = Gauge("newsbot_outbox_depth", "Messages waiting in the outbox")
OUTBOX_OLDEST = Gauge("newsbot_outbox_oldest_seconds", "Age of the oldest waiting message")
FEEDS_DUE = Gauge("newsbot_feeds_due", "Feeds due for a poll")
FEEDS_FAILING = Gauge("newsbot_feeds_failing", "Feeds whose last poll failed")
UNSUMMARIZED = Gauge("newsbot_articles_unsummarized", "Articles waiting for a summary")

MAX_REQUEST = 8192


async def healthz(store: Store, role: str) -> tuple[int, bytes]:
    """Return (status, JSON body): 200 when the database answers, 503 when it does not."""
    now = datetime.now(UTC)
    try:
        snap = await health.snapshot(store, now=now)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("health check failed role=%s error=%s", role, type(exc).__name__)
        body: dict[str, object] = {"status": "error", "role": role, "database": "unreachable"}
        return 503, json.dumps(body).encode()
    _set_gauges(snap, now)
    body = {
        "status": "ok",
        "role": role,
        "database": "ok",
        "last_successful_poll": snap.last_success_at.isoformat() if snap.last_success_at else None,
        "outbox_pending": snap.outbox_pending,
        "outbox_lag_seconds": _age(snap.outbox_oldest_at, now),
    }
    return 200, json.dumps(body).encode()


def _age(moment: datetime | None, now: datetime) -> float:
    return round((now - moment).total_seconds(), 1) if moment else 0.0


def _set_gauges(snap: health.Snapshot, now: datetime) -> None:
    OUTBOX_DEPTH.set(snap.outbox_pending)
    OUTBOX_OLDEST.set(_age(snap.outbox_oldest_at, now))
    FEEDS_DUE.set(snap.feeds_due)
    FEEDS_FAILING.set(snap.feeds_failing)
    UNSUMMARIZED.set(snap.unsummarized)


async def metrics(store: Store) -> bytes:
    """Return the Prometheus exposition, with the database gauges refreshed."""
    now = datetime.now(UTC)
    try:
        _set_gauges(await health.snapshot(store, now=now), now)
    except (SQLAlchemyError, OSError) as exc:
        log.warning("metrics: database unreachable error=%s", type(exc).__name__)
    return generate_latest()


async def serve(store: Store, *, role: str, host: str, port: int) -> asyncio.Server:
    """Start the /healthz and /metrics server and return it (the caller closes it)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=10)
            method, path, *_ = request[:MAX_REQUEST].decode("latin-1").split(" ", 2)
            status, ctype, body = await _route(store, role, method, path.split("?")[0])
            head = (
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode() + (body if method != "HEAD" else b""))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
            pass  # a client that sent no proper request gets no answer
        except ConnectionError:
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, host, port, limit=MAX_REQUEST)
    log.info("observability server listening role=%s port=%s", role, port)
    return server


async def _route(store: Store, role: str, method: str, path: str) -> tuple[int, str, bytes]:
    if method not in ("GET", "HEAD"):
        return 405, "text/plain", b"method not allowed\n"
    if path == "/healthz":
        status, body = await healthz(store, role)
        return status, "application/json", body
    if path == "/metrics":
        return 200, CONTENT_TYPE_LATEST, await metrics(store)
    return 404, "text/plain", b"not found: try /healthz or /metrics\n"
