"""GET /healthz and /metrics over a real socket, as a load balancer and Prometheus ask."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx

from news import observe
from news.storage import feeds as feed_store
from news.storage import outbox
from news.storage.db import Store, make_store


async def get(server: asyncio.Server, path: str) -> httpx.Response:
    port = server.sockets[0].getsockname()[1]
    async with httpx.AsyncClient() as client:
        return await client.get(f"http://127.0.0.1:{port}{path}")


async def test_healthz_reports_polls_and_outbox_lag(store: Store) -> None:
    now = datetime.now(UTC)
    feed, _ = await feed_store.add_feed(store, "https://example.com/feed.xml", now=now)
    await feed_store.record_success(
        store, feed.id, now=now, next_check_at=now, etag=None, last_modified=None
    )
    async with store.begin() as conn:
        await outbox.enqueue(conn, chat_id=1, slot="s", parts=["hi"], link_previews=False, now=now)
    server = await observe.serve(store, role="worker", host="127.0.0.1", port=0)
    try:
        response = await get(server, "/healthz")
        body = json.loads(response.text)
        assert response.status_code == 200
        assert body["status"] == "ok"
        assert body["role"] == "worker"
        assert datetime.fromisoformat(body["last_successful_poll"]) == now
        assert body["outbox_pending"] == 1
        assert body["outbox_lag_seconds"] >= 0

        metrics = await get(server, "/metrics")
        assert metrics.status_code == 200
        assert "newsbot_outbox_depth 1.0" in metrics.text
        assert "newsbot_feeds_polled_total" in metrics.text
        assert "# TYPE newsbot_stage_seconds histogram" in metrics.text

        assert (await get(server, "/nope")).status_code == 404
    finally:
        server.close()
        await server.wait_closed()


async def test_healthz_says_503_when_the_database_is_unreachable(tmp_path) -> None:
    broken = make_store("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    server = await observe.serve(broken, role="bot", host="127.0.0.1", port=0)
    try:
        response = await get(server, "/healthz")
        assert response.status_code == 503
        assert json.loads(response.text)["database"] == "unreachable"
    finally:
        server.close()
        await server.wait_closed()
        await broken.close()
