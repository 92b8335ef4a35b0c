"""Whether a user is in a group, and runs it: getChatMember through the PTB Bot, cached.

A group's archive is for its members only. Every page of a group asks; the answer is kept
CACHE_SECONDS, so a page costs no Bot API call most of the time, and someone who left the
group loses the app within that time.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from telegram import Bot, ChatMember
from telegram.error import TelegramError

log = logging.getLogger(__name__)

CACHE_SECONDS = 300.0
CACHE_SIZE = 10_000
MEMBER = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER})
RUNS = frozenset({ChatMember.OWNER, ChatMember.ADMINISTRATOR})


@dataclass(frozen=True, slots=True)
class Standing:
    """A user's place in a chat: a member at all, and an owner or admin."""

    member: bool
    admin: bool


class Members:
    """getChatMember answers, cached per (chat, user)."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self._cache: dict[tuple[int, int], tuple[float, Standing]] = {}
        self._ready = asyncio.Lock()
        self._initialized = False

    async def standing(self, chat_id: int, user_id: int) -> Standing:
        """Return the user's standing in the chat; in their own private chat they run it."""
        if chat_id == user_id:
            return Standing(member=True, admin=True)
        key, now = (chat_id, user_id), time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        found = await self._ask(chat_id, user_id)
        if len(self._cache) >= CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = (now, found)
        return found

    async def _ask(self, chat_id: int, user_id: int) -> Standing:
        async with self._ready:
            if not self._initialized:
                await self.bot.initialize()
                self._initialized = True
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except TelegramError as exc:
            # Not a chat the bot is in, or no such user there: nothing to show.
            log.info("web getChatMember refused chat_id=%s error=%s", chat_id, exc)
            return Standing(member=False, admin=False)
        status = member.status
        restricted_member = status == ChatMember.RESTRICTED and getattr(member, "is_member", False)
        return Standing(member=status in MEMBER or restricted_member, admin=status in RUNS)

    async def aclose(self) -> None:
        """Close the Bot's connections."""
        if self._initialized:
            await self.bot.shutdown()
