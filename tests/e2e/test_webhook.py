"""`newsbot bot` in webhook mode, as replicas behind a proxy run it: Telegram's calls carry the
secret, anything without it is refused."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx

from harness.botapi import FakeBotAPI
from harness.wait import wait_until
from news import words
from news.settings import Settings
from tests.bot.conftest import USER
from tests.e2e.conftest import child_env, start_newsbot


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_webhook_mode_answers_telegram_and_refuses_forged_updates(
    bot_api: FakeBotAPI, tmp_path: Path, settings: Settings
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/telegram/hook"
    database = Path(settings.database_url.partition(":///")[2])
    env = child_env(
        bot_api,
        database,
        NEWSBOT_WEBHOOK_URL=hook,
        NEWSBOT_WEBHOOK_LISTEN="127.0.0.1",
        NEWSBOT_WEBHOOK_PORT=str(port),
    )
    with start_newsbot("bot", env, tmp_path) as newsbot:

        async def registered() -> bool:
            return bool(bot_api.calls("setWebhook"))

        await wait_until(registered, within=30, what="setWebhook")
        [call] = bot_api.calls("setWebhook")
        assert call.params["url"] == hook
        assert len(str(call.params["secret_token"])) == 64  # derived: none was configured

        bot_api.send(USER, "/start")
        [welcome] = await bot_api.wait_sent(USER, timeout=15)
        assert welcome.text.startswith("👋 Hi! I'm your news digest.")
        assert welcome.labels() == [words.BUTTON_SUBSCRIBE, words.BUTTON_LATEST]

        forged = {
            "update_id": 999,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": USER, "type": "private"},
                "from": {"id": USER, "is_bot": False, "first_name": "Mallory"},
                "text": "/stats",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        }
        async with httpx.AsyncClient() as client:
            refused = await client.post(hook, json=forged)
        assert refused.status_code == 403
        status = newsbot.stop()
    assert status == 0, newsbot.text()
    assert len(bot_api.sent(USER)) == 1
