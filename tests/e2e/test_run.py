"""`newsbot run` as an operator starts it: a child process against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from harness.botapi import FakeBotAPI
from harness.feedserver import FeedServer
from news import words
from news.settings import Settings
from news.storage.db import Store
from news.storage.feeds import add_feed
from news.storage.subscriptions import subscribe
from tests.bot.conftest import ADMIN, USER, add_articles
from tests.e2e.conftest import Newsbot, child_env, until

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
    with Newsbot("run", env, tmp_path, "run") as newsbot:
        # The worker plans the digest that is due, and the sender delivers it.
        [digest] = await bot_api.wait_sent(SUBSCRIBER, timeout=15)
        assert "Lighthouse relit" in digest.text

        async def registered() -> bool:
            return len(bot_api.calls("setMyCommands")) >= 3

        await until(registered, 30, "setMyCommands")
        bot_api.send(USER, "/start")
        [welcome] = await bot_api.wait_sent(USER, timeout=10)
        assert welcome.text.startswith("👋 Hi! I'm your news digest.")
        assert welcome.labels() == [words.BUTTON_SUBSCRIBE, words.BUTTON_LATEST]
        assert newsbot.running()

        # Stopping in the middle of a poll is the other test's business: let it finish (the
        # poll job polls, then summarizes what arrived).
        async def polled() -> bool:
            return "summarized articles=" in newsbot.log()

        await until(polled, 15, "the worker's first poll and its summaries")
        status = newsbot.terminate()  # what `systemctl stop` and `docker stop` send
    log = newsbot.log()

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
    with Newsbot("worker", env, tmp_path, "worker") as worker:

        async def fetching() -> bool:
            return feed_server.count("/slow.xml") > 0

        await until(fetching, 15, "the worker to start polling")
        await asyncio.sleep(0.2)  # the request is under way
        status = worker.terminate()
    log = worker.log()

    assert status == 0, log
    assert "worker stopped" in log
    assert " ERROR " not in log, log
    assert "Traceback" not in log, log
