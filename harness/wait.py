"""Waiting on a condition: the one way tests and benchmarks synchronize with background work."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_until(
    check: Callable[[], Awaitable[T | None]],
    *,
    within: float,
    every: float = 0.25,
    what: str = "condition",
) -> T:
    """Return check()'s first truthy value, asking every `every` s; fail after `within` s."""
    deadline = time.monotonic() + within
    while True:
        value = await check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached after {within:g} s")
        await asyncio.sleep(every)
