"""`newsbot demo`: the sample feeds in seeds/, served on 127.0.0.1, polled into a fresh SQLite
file, summarized and printed as a digest. No token and no network needed."""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.cli import output as out
from jobs.poll import poll_due_feeds
from jobs.summarize import summarize_pending
from news.fetch import Fetcher
from news.opml import read_opml
from news.pages import complete_pages
from news.settings import Settings
from news.storage import feeds as feed_store
from news.storage.db import open_store

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Keep the demo's output to the digest."""


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` over HTTP on 127.0.0.1 and yield its base URL."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _prepare(settings: Settings, seeds: Path) -> tuple[Settings, list[tuple[str, str | None]]]:
    """Return demo settings on a fresh data/demo.db, and the OPML's feeds as paths in seeds/."""
    database = settings.data_dir / "demo.db"
    for suffix in ("", "-wal", "-shm"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    # The seed server listens on 127.0.0.1, which the fetcher refuses by default.
    settings = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{database}", "allow_private_networks": True}
    )
    listed = read_opml((seeds / "feeds" / "sample.opml").read_bytes(), base=seeds / "feeds")
    root = seeds.resolve()
    paths = [
        (Path(urlsplit(item.url).path).relative_to(root).as_posix(), item.title) for item in listed
    ]
    return settings, paths


async def run_demo(settings: Settings, *, seeds: Path = SEEDS) -> int:
    """Poll the seed feeds into data/demo.db and print the digest; return the exit status."""
    settings, paths = _prepare(settings, seeds)
    started = datetime.now(UTC)
    store = await open_store(settings.database_url)
    try:
        with serve(seeds) as base:
            for path, title in paths:
                await feed_store.add_feed(store, base + path, now=datetime.now(UTC), title=title)
            async with Fetcher(settings) as fetcher:
                report = await poll_due_feeds(store, fetcher, settings)
                # Each round completes a few article pages per feed: run them all out.
                while await complete_pages(store, fetcher, settings):
                    pass
        summarized = await asyncio.wait_for(summarize_pending(store, settings), timeout=300)
        out.say(
            f"newsbot demo: polled {report.polled} sample feeds from seeds/: "
            f"{report.new_articles} articles, {summarized} summarized, "
            f"{len(report.failed)} feeds with errors"
        )
        for failed in report.failed:
            out.say(f"  ! {Path(urlsplit(failed.url).path).name}: {failed.error}")
        out.say("")
        out.say(await out.digest_text(store, since=started, until=datetime.now(UTC), limit=20))
    finally:
        await store.close()
    return 0
