"""Observability: the Prometheus metrics, and what GET /healthz and GET /metrics answer.

Every role (bot, worker, sender, run) serves both on NEWSBOT_HTTP_PORT when it is set; the
HTTP server itself is the face's (bot/http.py). A role that still waits for something it needs
(the Bot API) says so in its Readiness, and /healthz answers 503 with the reason until then.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import Counter, Gauge, Histogram, generate_latest
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


@dataclass(slots=True)
class Readiness:
    """What a process still waits for before it can do its work: name -> reason."""

    waiting: dict[str, str] = field(default_factory=dict)

    def wait(self, name: str, reason: str) -> None:
        """Record that `name` is not ready yet, and why."""
        self.waiting[name] = reason

    def ready(self, name: str) -> None:
        """Record that `name` is ready."""
        self.waiting.pop(name, None)

    def reason(self) -> str | None:
        """Return why the process is not ready, or None when it is."""
        return "; ".join(f"{name}: {why}" for name, why in self.waiting.items()) or None


async def healthz(
    store: Store, role: str, readiness: Readiness | None = None
) -> tuple[int, bytes]:
    """Return (status, JSON body): 200 when the database answers and nothing is awaited.

    503 when the database does not answer, or while the readiness names what is awaited.
    """
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
    waiting = readiness.reason() if readiness else None
    if waiting:
        body |= {"status": "not ready", "reason": waiting}
        return 503, json.dumps(body).encode()
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
