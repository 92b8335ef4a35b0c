"""Leases kept alive: a long step renews what it holds, so no other worker takes it meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

log = logging.getLogger(__name__)


@asynccontextmanager
async def renewed(renew: Callable[[], Awaitable[None]], *, every: float) -> AsyncIterator[None]:
    """Run the block while `renew()` is called every `every` seconds beside it."""

    async def keep() -> None:
        while True:
            await asyncio.sleep(every)
            await renew()

    task = asyncio.create_task(keep())
    try:
        yield
    finally:
        task.cancel()
        [outcome] = await asyncio.gather(task, return_exceptions=True)
        if isinstance(outcome, Exception):
            # The lease then runs out as if this worker had died: the work may be done twice.
            log.warning("lease renewal failed error=%s", type(outcome).__name__)
