"""The Bot API answering 5xx, dropping connections and sending 429 bursts: each message once."""

from __future__ import annotations

from datetime import timedelta

from harness.botapi import Call, FakeBotAPI
from harness.procs import role_env
from harness.wait import wait_until
from jobs.deliver import max_in_flight
from news.settings import Settings
from news.storage.db import Store
from tests.faults.conftest import Spawn
from tests.faults.helpers import all_sent, queue_messages, received

RATE = 20


async def test_5xx_and_429_bursts_deliver_every_message_exactly_once(
    pg_store: Store, pg_url: str, spawn: Spawn, bot_api: FakeBotAPI
) -> None:
    texts = await queue_messages(pg_store, range(7001, 7081), parts=2)
    bot_api.fail_next(3, status=500)
    bot_api.fail_next(2, status=502)
    bot_api.fail_next(2, status=0)  # connection dropped before Telegram took the message
    bot_api.fail_next(3, status=429, retry_after=2)
    env = role_env(
        pg_url,
        telegram_token=bot_api.token,
        telegram_base_url=bot_api.base_url,
        send_rate=RATE,
    )
    sender = spawn("sender", ["sender"], env)
    await bot_api.wait_for(lambda: len(received(bot_api)) >= 60, timeout=60)
    bot_api.fail_next(2, status=503)
    bot_api.fail_next(4, status=429, retry_after=1)
    # Telegram's own flood control for a moment: a tenth of the sender's rate.
    bot_api.set_limits(global_rate=RATE / 10)
    await bot_api.wait_for(lambda: _count(bot_api, 429) >= 10, timeout=60)
    bot_api.set_limits(global_rate=30.0)

    await wait_until(lambda: all_sent(pg_store), within=90, what="every row sent")
    assert sender.alive()
    got = received(bot_api)
    assert set(got) == texts
    assert max(got.values()) == 1  # nothing in flight was lost or repeated
    assert _count(bot_api, 500) + _count(bot_api, 502) + _count(bot_api, 503) == 7
    _assert_429s_honoured(bot_api.calls("sendMessage"), Settings(_env_file=None, send_rate=RATE))


def _count(api: FakeBotAPI, status: int) -> int:
    return sum(1 for call in api.calls("sendMessage") if call.status == status)


def _assert_429s_honoured(calls: list[Call], settings: Settings) -> None:
    """After a 429 with retry_after r, no new send starts for r seconds.

    Sends that were already under way when the 429 came back may still arrive: at most
    max_in_flight - 1 of them.
    """
    for index, call in enumerate(calls):
        if call.status != 429:
            continue
        wait = _retry_after(call)
        early = [c for c in calls[index + 1 :] if c.at < call.at + wait]
        assert len(early) <= max_in_flight(settings) - 1, (call, wait, early)


def _retry_after(call: Call) -> float:
    # "Too Many Requests: retry after N", as Telegram words it.
    assert call.description is not None
    seconds = float(call.description.rsplit(" ", 1)[1])
    return timedelta(seconds=seconds).total_seconds()
