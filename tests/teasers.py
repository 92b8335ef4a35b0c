"""A feed of one-word teasers and their article pages, on a FeedServer (tests.servers)."""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta

from tests.servers import FeedServer, Reply

NEWEST = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)
_PARAGRAPH = (
    "The council met on Monday to discuss the new rail line, which has been delayed for years "
    "by rising costs and disputes over the route through the valley. Officials said the first "
    "trains could run next spring if the last bridge is finished on time, while residents "
    "asked for more buses in the meantime and for quieter work at night near their homes."
)


def page_path(item: int) -> str:
    """Return the path of item `item`'s article page."""
    return f"/teasers/p/{item}.html"


def teaser_feed(count: int) -> bytes:
    """Return an RSS feed of `count` one-word teasers; item 0 is the newest (a minute apart)."""
    items = "".join(
        f"<item><guid>teaser-{i}</guid><title>Story {i}</title>"
        f"<link>{{base}}{page_path(i)}</link><description>Teaser</description>"
        f"<pubDate>{(NEWEST - timedelta(minutes=i)).strftime('%a, %d %b %Y %H:%M:%S +0000')}"
        "</pubDate></item>"
        for i in range(count)
    )
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>Teasers</title>"
        f"<link>https://example.com/</link>{items}</channel></rss>"
    ).encode()


def page(item: int) -> bytes:
    """Return the article page of item `item`: its headline and a few paragraphs."""
    body = "".join(f"<p>Story {item}, part {n}. {_PARAGRAPH}</p>" for n in range(3))
    return (
        f"<html><head><title>Story {item}</title></head><body><article><h1>Story {item}</h1>"
        f"{body}</article></body></html>"
    ).encode()


def serve_teasers(
    server: FeedServer, count: int, *, delay: float = 0.0, slow: dict[int, float] | None = None
) -> str:
    """Serve the teaser feed and its pages (item: seconds of delay in `slow`); return its URL."""
    feed = teaser_feed(count).replace(b"{base}", server.base_url.encode())
    url = server.add("/teasers/feed.xml", feed, content_type="application/rss+xml")
    for item in range(count):
        wait = (slow or {}).get(item, delay)
        reply = Reply(body=page(item), headers={"Content-Type": "text/html"}, delay=wait)
        server.handle(page_path(item), lambda _request, reply=reply: reply)
    return url


def main() -> None:
    """Serve a teaser feed of N items until killed: `python -m tests.teasers N` prints its URL."""
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    with FeedServer() as server:
        print(serve_teasers(server, count), flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
