"""The active sender SIGKILLed mid-drain: the standby takes the lock over and nothing is lost."""

from __future__ import annotations

from harness.botapi import FakeBotAPI
from harness.procs import role_env
from harness.wait import wait_until
from jobs.deliver import max_in_flight
from news.settings import Settings
from news.storage.db import Store
from tests.faults.conftest import Spawn
from tests.faults.helpers import all_sent, queue_messages, received

RATE = 20


async def test_the_standby_sender_takes_over_and_only_in_flight_messages_repeat(
    pg_store: Store, pg_url: str, spawn: Spawn, bot_api: FakeBotAPI
) -> None:
    env = role_env(
        pg_url,
        telegram_token=bot_api.token,
        telegram_base_url=bot_api.base_url,
        send_rate=RATE,
        lease_seconds=10,
        outbox_lease_seconds=10,  # NEWSBOT_OUTBOX_LEASE_SECONDS
        log_level="DEBUG",
    )

    # Both senders are up before there is work: how long a process takes to start (seconds,
    # on a loaded machine) must not decide whether the drain is still under way at the kill.
    active = spawn("sender-1", ["sender"], env)
    await wait_until(
        lambda: _logged(active.log.read_text(), "leader lock acquired"),
        within=60,
        what="sender 1 leads",
    )
    standby = spawn("sender-2", ["sender"], env)
    await wait_until(
        lambda: _logged(standby.log.read_text(), "standby"), within=60, what="sender 2 waits"
    )
    texts = await queue_messages(pg_store, range(5001, 5201))
    await bot_api.wait_for(lambda: len(received(bot_api)) >= 10, timeout=60)
    assert len(received(bot_api)) < len(texts), "the drain ended before the kill"
    active.kill()

    await wait_until(lambda: all_sent(pg_store), within=150, what="every row sent")
    assert "leader lock acquired" in standby.log.read_text()
    assert standby.alive()
    got = received(bot_api)
    assert set(got) == texts  # none lost
    # Only messages under way at the kill (Telegram took them, the row was not marked yet)
    # may arrive twice; the sender has at most max_in_flight sends under way.
    twice = sum(count - 1 for count in got.values())
    settings = Settings(_env_file=None, send_rate=RATE)
    assert twice <= max_in_flight(settings)
    assert max(got.values()) <= 2


async def _logged(text: str, word: str) -> bool:
    return word in text
