"""`newsbot run` as an operator starts it: a child process against the fake Bot API."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from harness.wait import wait_until
from news import words
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.subscriptions import subscribe
from tests.bot.conftest import ADMIN, USER, add_articles
from tests.e2e.conftest import child_env, start_newsbot
from tests.e2e.test_webhook import free_port

SUBSCRIBER = 502


def command_names(params: dict[str, object]) -> list[str]:
    """Return the command names of a setMyCommands call."""
    commands = params.get("commands")
    assert isinstance(commands, list)
    return [str(command["command"]) for command in commands]


async def subscribed_and_due(store: Store, feed_server: FeedServer) -> None:
    """A subscriber whose digest time passed an hour ago, with news fetched since."""
    now = datetime.now(UTC)
    due = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    feed_url = feed_server.url("/feeds/rdf.xml")  # the worker polls it again: all local
    await add_articles(store, now - timedelta(minutes=30), ["Lighthouse relit"], feed_url=feed_url)
    await subscribe(
        store,
        SUBSCRIBER,
        chat_type="private",
        title=None,
        digest_times=[due],
        timezone="UTC",
        max_articles=10,
        now=now - timedelta(days=1),
    )


async def test_newsbot_run_registers_its_commands_answers_and_stops_on_sigterm(
    bot_api: FakeBotAPI, tmp_path: Path, store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    await subscribed_and_due(store, feed_server)
    database = settings.database_url.partition(":///")[2]
    env = child_env(
        bot_api,
        Path(database),
        NEWSBOT_ADMIN_IDS=str(ADMIN),
        NEWSBOT_ALLOW_PRIVATE_NETWORKS="true",
    )
    with start_newsbot("run", env, tmp_path) as newsbot:
        # The worker plans the digest that is due, and the sender delivers it.
        [digest] = await bot_api.wait_sent(SUBSCRIBER, timeout=15)
        assert "Lighthouse relit" in digest.text

        async def registered() -> bool:
            return len(bot_api.calls("setMyCommands")) >= 3

        await wait_until(registered, within=30, what="setMyCommands")
        bot_api.send(USER, "/start")
        [welcome] = await bot_api.wait_sent(USER, timeout=10)
        assert welcome.text.startswith("👋 Hi! I'm your news digest.")
        assert welcome.labels() == [words.BUTTON_SUBSCRIBE, words.BUTTON_LATEST]
        assert newsbot.alive()

        # Stopping in the middle of a poll is the other test's business: let it finish (the
        # poll job polls, then summarizes what arrived).
        async def polled() -> bool:
            return "summarized articles=" in newsbot.text()

        await wait_until(polled, within=15, what="the worker's first poll and its summaries")
        status = newsbot.stop()  # what `systemctl stop` and `docker stop` send
    log = newsbot.text()

    # Private chats, groups and the admin each get their menu.
    menus = {
        json.dumps(call.params.get("scope"), sort_keys=True): command_names(call.params)
        for call in bot_api.calls("setMyCommands")
        if call.status == 200
    }
    private = menus.pop('{"type": "all_private_chats"}')
    groups = menus.pop('{"type": "all_group_chats"}')
    admin = menus.pop(json.dumps({"chat_id": ADMIN, "type": "chat"}))
    assert menus == {}
    assert {"start", "subscribe", "settings", "digest", "search", "feeds", "help"} <= set(private)
    assert set(groups) <= set(private) < set(admin)
    assert {"addfeed", "stats"} <= set(admin) - set(private)
    # It stops cleanly: status 0 for SIGTERM (a service manager's stop), no traceback, no token.
    assert status == 0, log
    assert "Traceback" not in log
    assert bot_api.token not in log
    assert bot_api.token.split(":", 1)[1] not in log
    assert "Application.stop() complete" in log


async def test_a_stop_during_a_poll_logs_no_error(
    tmp_path: Path, store: Store, settings: Settings, feed_server: FeedServer
) -> None:
    # A feed that never finishes answering (a byte every 0.1 s) keeps the poll busy.
    slow = feed_server.trickle("/slow.xml")
    await add_feed(store, slow, now=datetime.now(UTC))
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")}
    env |= {"NEWSBOT_DATABASE_URL": settings.database_url, "NEWSBOT_ALLOW_PRIVATE_NETWORKS": "1"}
    with start_newsbot("worker", env, tmp_path) as worker:

        async def fetching() -> bool:
            return feed_server.count("/slow.xml") > 0

        # The request is under way once the server saw it.
        await wait_until(fetching, within=15, what="the worker to start polling")
        status = worker.stop()
    log = worker.text()

    assert status == 0, log
    assert "worker stopped" in log
    assert " ERROR " not in log, log
    assert "Traceback" not in log, log


async def healthz(port: int) -> tuple[int, dict[str, object]]:
    """Return the status and JSON body of GET /healthz on 127.0.0.1:port."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/healthz")
    return response.status_code, response.json()


async def test_newsbot_run_waits_out_an_unreachable_bot_api(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    # The Bot API's port is closed at first: a fake started and stopped again gave it up.
    with FakeBotAPI() as gone:
        port = int(gone.url.rsplit(":", 1)[1])
        database = Path(settings.database_url.partition(":///")[2])
        http_port = free_port()
        env = child_env(gone, database, NEWSBOT_HTTP_PORT=str(http_port))
    with start_newsbot("run", env, tmp_path) as newsbot:

        async def retried() -> bool:
            return "bot api unreachable role=bot attempt=2 " in newsbot.text()

        await wait_until(retried, within=30, what="a second attempt to reach the Bot API")
        status, body = await healthz(http_port)
        assert status == 503
        assert body["status"] == "not ready"
        assert "bot: Bot API unreachable" in str(body["reason"])
        assert "sender: Bot API unreachable" in str(body["reason"])

        async def worker_polled() -> bool:  # the worker does not need Telegram
            return "poll cycle done" in newsbot.text()

        await wait_until(worker_polled, within=30, what="the worker's first poll")
        assert "bot started" not in newsbot.text()

        api = FakeBotAPI(port=port)
        with api:  # the Bot API comes up
            api.send(USER, "/start")
            [welcome] = await api.wait_sent(USER, timeout=30)
            assert welcome.text.startswith("👋 Hi! I'm your news digest.")

            async def ready() -> bool:
                return (await healthz(http_port))[0] == 200

            await wait_until(ready, within=30, what="/healthz to say ready")

        # Lost while running: PTB's Updater retries getUpdates, one line each time.
        async def polling_retried() -> bool:
            return "getUpdates failed" in newsbot.text()

        await wait_until(polling_retried, within=30, what="a failed getUpdates")
        status, body = await healthz(http_port)
        assert status == 503
        assert "bot: Bot API unreachable" in str(body["reason"])
        with api:  # back, with Telegram's memory of the chat and the updates
            api.send(USER, "/help")
            assert await api.wait_sent(USER, count=2, timeout=60)
            await wait_until(ready, within=30, what="/healthz to say ready again")
            exit_status = newsbot.stop()
    log = newsbot.text()

    assert exit_status == 0, log
    assert "Traceback" not in log
    assert "bot api reachable role=bot" in log
    assert "bot api reachable role=sender" in log
    assert gone.token.split(":", 1)[1] not in log


@pytest.mark.parametrize("role", ["run", "bot", "sender"])
async def test_a_refused_token_ends_the_process_with_one_clear_line(
    role: str, bot_api: FakeBotAPI, tmp_path: Path, settings: Settings
) -> None:
    wrong = "123456:not-the-token-at-all"
    database = Path(settings.database_url.partition(":///")[2])
    env = child_env(bot_api, database, NEWSBOT_TELEGRAM_TOKEN=wrong)
    with start_newsbot(role, env, tmp_path) as newsbot:

        async def ended() -> bool:
            return not newsbot.alive()

        await wait_until(ended, within=30, what="the process to give up")
        status = newsbot.popen.returncode
    log = newsbot.text()

    assert status == 2, log
    [line] = [line for line in log.splitlines() if " ERROR " in line]
    assert line.endswith(
        "cannot start: the Bot API refused NEWSBOT_TELEGRAM_TOKEN (401/404): check the token "
        "from @BotFather and NEWSBOT_TELEGRAM_BASE_URL"
    )
    assert "Traceback" not in log
    assert "not-the-token-at-all" not in log
    assert "unreachable" not in log  # a refusal is not retried
