"""GET /healthz and /metrics over a real socket, as a load balancer and Prometheus ask."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from bot.http_server import serving
from news.observe import Readiness
from news.storage import feeds as feed_store
from news.storage import outbox
from news.storage.db import Store, make_store


async def get(port: int, path: str) -> httpx.Response:
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
    async with serving(store, role="worker", host="127.0.0.1", port=0) as server:
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


async def test_healthz_says_503_when_the_database_is_unreachable(tmp_path) -> None:
    broken = make_store("postgresql+asyncpg://postgres@127.0.0.1:1/none")
    try:
        async with serving(broken, role="bot", host="127.0.0.1", port=0) as server:
            response = await get(server, "/healthz")
            assert response.status_code == 503
            assert json.loads(response.text)["database"] == "unreachable"
    finally:
        await broken.close()


async def test_healthz_says_503_with_the_reason_while_a_role_waits(store: Store) -> None:
    readiness = Readiness()
    readiness.wait("bot", "Bot API unreachable")
    async with serving(store, role="bot", host="127.0.0.1", port=0, readiness=readiness) as port:
        waiting = await get(port, "/healthz")
        assert waiting.status_code == 503
        assert json.loads(waiting.text) | {"outbox_lag_seconds": 0} == {
            "status": "not ready",
            "reason": "bot: Bot API unreachable",
            "role": "bot",
            "database": "ok",
            "last_successful_poll": None,
            "outbox_pending": 0,
            "outbox_lag_seconds": 0,
        }
        readiness.ready("bot")
        assert (await get(port, "/healthz")).status_code == 200


async def test_only_get_and_head_are_answered(store: Store) -> None:
    async with (
        serving(store, role="worker", host="127.0.0.1", port=0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client,
    ):
        head = await client.head("/healthz")
        post = await client.post("/healthz")
        missing = await client.get("/")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["content-type"] == "application/json"
    assert (post.status_code, post.text) == (405, "method not allowed\n")
    assert (missing.status_code, missing.text) == (404, "not found: try /healthz or /metrics\n")
