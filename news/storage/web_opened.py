"""The initData hashes that opened a Mini App session: each opens one, in every process."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete

from news.storage.db import Store, insert_ignore
from news.storage.tables import web_opened


async def first_use(store: Store, proof: str, *, now: datetime, expires_at: datetime) -> bool:
    """Return True the first time `proof` is offered, False ever after (until it expires).

    Expired hashes are deleted on the way: initData that old is refused for its age anyway.
    """
    async with store.begin() as conn:
        await conn.execute(delete(web_opened).where(web_opened.c.expires_at < now))
        stmt = insert_ignore(store.dialect, web_opened, ["proof"]).values(
            proof=proof, expires_at=expires_at
        )
        return (await conn.execute(stmt)).rowcount == 1
