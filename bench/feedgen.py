"""Synthetic news sites for the ingest benchmark: feeds, article pages, and a server for them.

Text: words drawn with Zipf's law (exponent 1.07, as in English news) over a vocabulary that
starts with the commonest English words, so stop words are as frequent as in real text and the
language detector says "en"; sentence lengths follow a log-normal around 21 words. Items are
300-1500 words of HTML (paragraphs, links, an image, sometimes a subhead or a quote); a share of
them are ~30-word teasers whose link leads to an article page wrapped in the boilerplate of a
real news site (navigation, related links, ads, cookie banner, inline CSS and scripts).

The server is the harness's asyncio HTTP/1.1 server (harness.http: keep-alive, ETag and
Last-Modified -> 304; gzip here) run in its own process, so its CPU does not share the GIL with
the pipeline being measured. It listens on several loopback addresses (127.0.0.1 ..
127.0.0.K), one per "site", because the fetcher allows only two requests at once per host.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html import escape
from multiprocessing.connection import Connection

import numpy as np

from bench.report import FUNCTION_WORDS
from harness.http import Answer, Responder, host_of, http_date, not_modified, serve_hosts

_SYLLABLES = (
    "ka ri to mo na le vi sa do pe lu ba ne chi ro fa gu te mi zo ha ku se ya po ti ma "
    "re no da bi fu ze lo ga hi su de wa ni ko ra pu bo me li so an er in st ou ar"
)
SYLLABLES = tuple(_SYLLABLES.split())
VOCABULARY_SIZE = 40_000
ZIPF_EXPONENT = 1.07
FULL_WORDS = (300, 1500)
TEASER_WORDS = (25, 35)


class Writer:
    """Writes sentences, titles and paragraphs with Zipf-distributed words."""

    def __init__(self, seed: int = 7) -> None:
        pick = random.Random(seed)
        words = list(FUNCTION_WORDS)
        seen = set(words)
        while len(words) < VOCABULARY_SIZE:
            word = "".join(pick.choices(SYLLABLES, k=pick.randint(2, 5)))
            if word not in seen:
                seen.add(word)
                words.append(word)
        self.words = np.array(words, dtype=object)
        weights = 1.0 / np.arange(1, len(words) + 1) ** ZIPF_EXPONENT
        self.cdf = np.cumsum(weights / weights.sum())

    def draw(self, rng: np.random.Generator, count: int) -> list[str]:
        """Return `count` words drawn by frequency."""
        ranks = np.searchsorted(self.cdf, rng.random(count))
        return list(self.words[np.minimum(ranks, len(self.words) - 1)])

    def sentences(self, rng: np.random.Generator, total: int) -> list[list[str]]:
        """Return sentences (as word lists) of about `total` words in all."""
        words = self.draw(rng, total)
        rolls = rng.random(total)
        for i in np.flatnonzero(rolls < 0.16).tolist():
            if rolls[i] < 0.08:
                words[i] += ","
            elif rolls[i] < 0.14:
                words[i] = words[i].capitalize()  # names and places
            else:
                words[i] = str(int(rolls[i] * 1e6) % 2030)
        sizes = np.clip(rng.lognormal(3.0, 0.4, size=total // 5 + 1), 5, 60).astype(int)
        ends = np.cumsum(sizes)
        out: list[list[str]] = []
        start = 0
        for end in [*ends[ends < total].tolist(), total]:
            part = words[start:end]
            start = end
            if part:
                part[0] = part[0].capitalize()
                part[-1] = part[-1].rstrip(",") + ("?" if rng.random() < 0.03 else ".")
                out.append(part)
        return out

    def title(self, rng: np.random.Generator) -> str:
        """Return a headline of 6-12 words."""
        words = self.draw(rng, int(rng.integers(6, 13)))
        return " ".join(w.capitalize() if rng.random() < 0.4 else w for w in words).capitalize()


def paragraphs_html(writer: Writer, rng: np.random.Generator, words: int, link: str) -> list[str]:
    """Return the body of an article as HTML blocks: <p> with links, sometimes <h2>/quote."""
    sentences = writer.sentences(rng, words)
    blocks: list[str] = []
    while sentences:
        take = int(rng.integers(2, 6))
        group, sentences = sentences[:take], sentences[take:]
        text = [" ".join(s) for s in group]
        if rng.random() < 0.3:  # a link on a few words
            ws = text[0].split(" ")
            at = int(rng.integers(0, max(1, len(ws) - 3)))
            href = f"{link}?ref={int(rng.integers(1_000_000))}"
            ws[at] = f'<a href="{href}">{ws[at]}'
            ws[min(at + 2, len(ws) - 1)] += "</a>"
            text[0] = " ".join(ws)
        roll = rng.random()
        if roll < 0.06:
            blocks.append(f"<blockquote><p>“{text[0]}”</p></blockquote>")
        elif roll < 0.12:
            blocks.append(f"<h2>{escape(writer.title(rng))}</h2>")
        blocks.append("<p>" + " ".join(text) + "</p>")
    return blocks


@dataclass(slots=True)
class Item:
    """One generated story."""

    guid: str
    title: str
    link: str
    published: datetime
    author: str
    html: str  # what the feed carries: the whole story, or a teaser
    page: bytes | None = None  # the article page, for teasers


@dataclass(slots=True)
class Resource:
    """A served document with its validators; `gz` is the gzip-encoded body."""

    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    gz: bytes = b""


@dataclass(slots=True)
class Site:
    """Every document of the generated sites by host + path, the feed URLs, what was served."""

    resources: dict[str, Resource] = field(default_factory=dict)
    feeds: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bytes_out: int = 0
    stats: dict[str, float] = field(default_factory=dict)


STYLE = "".join(
    f".c{i}{{margin:{i}px;padding:{i % 7}px;font:{12 + i % 6}px/1.4 Georgia,serif;color:#{i:03x}}}"
    for i in range(120)
)
SCRIPT = "".join(
    f"window.dl=window.dl||[];dl.push({{event:'v{i}',slot:'ad-{i}',ts:Date.now()}});"
    for i in range(150)
)


def page_html(writer: Writer, rng: np.random.Generator, item: Item, blocks: list[str]) -> bytes:
    """Return an article page: the story inside a news site's usual boilerplate."""
    site = item.link.split("/")[2]
    nav = "".join(
        f'<li><a href="/section/{i}">{escape(writer.title(rng)[:14])}</a></li>' for i in range(18)
    )
    related = "".join(
        f'<li><a href="/news/r{i}.html">{escape(writer.title(rng))}</a></li>' for i in range(10)
    )
    footer = "".join(f'<a href="/about/{i}">{w}</a> ' for i, w in enumerate(writer.draw(rng, 30)))
    middle = len(blocks) // 2
    body = [*blocks[:middle], '<div class="ad c3">Advertisement</div>', *blocks[middle:]]
    body.insert(1, f'<p class="c4">Read more: <a href="/news/x.html">{writer.title(rng)}</a></p>')
    title = escape(item.title)
    ld = json.dumps({"@type": "NewsArticle", "headline": item.title, "author": item.author})
    html = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title} | {site}</title><meta property="og:title" content="{title}">
<meta name="viewport" content="width=device-width"><style>{STYLE}</style>
<script type="application/ld+json">{ld}</script><script>{SCRIPT}</script></head>
<body><div id="cookie" class="c1">We use cookies to improve your experience.
<button>Accept all</button><button>Settings</button></div>
<header class="c2"><a href="/" class="logo">{site}</a><nav><ul>{nav}</ul></nav>
<form action="/search"><input name="q" placeholder="Search"></form></header>
<main><nav class="crumbs"><a href="/">Home</a> › <a href="/world">World</a></nav>
<article><h1>{title}</h1><p class="byline">By {escape(item.author)}</p>
<time datetime="{item.published.isoformat()}">{item.published:%d %B %Y}</time>
<figure><img src="/img/{item.guid[-8:]}.jpg" alt="" width="1200" height="675">
<figcaption>{escape(writer.title(rng))}</figcaption></figure>
<div class="article-body">{"".join(body)}</div>
<div class="share">Share this story: <a href="#">Facebook</a> <a href="#">X</a>
<a href="#">Email</a></div></article>
<aside class="c5"><h3>Most read</h3><ol>{related}</ol>
<div class="newsletter">Sign up for our morning briefing
<form><input type="email"><button>Subscribe</button></form></div></aside></main>
<footer class="c6">{footer}<p>© 2024 {site}. All rights reserved.</p></footer>
<script>{SCRIPT[:3000]}</script></body></html>"""
    return html.encode()


def make_items(
    writer: Writer, feed: int, count: int, teasers: int, base: str, now: datetime
) -> list[Item]:
    """Return the items of one feed; `teasers` of them (at random places) are short."""
    rng = np.random.default_rng(1_000_003 + feed)
    teaser_at = set(rng.choice(count, size=min(teasers, count), replace=False).tolist())
    items = []
    for j in range(count):
        link = f"{base}/news/{feed}/{j}.html"
        title = writer.title(rng)
        published = now - timedelta(minutes=int(rng.integers(5, 3 * 24 * 60)))
        author = " ".join(w.capitalize() for w in writer.draw(rng, 2))
        item = Item(f"{base}/story/{feed}-{j}", title, link, published, author, "")
        img = f'<p><img src="{base}/img/{feed}-{j}.jpg" alt="" width="800" height="450"></p>'
        if j in teaser_at:
            blocks = paragraphs_html(writer, rng, int(rng.integers(*FULL_WORDS)), link)
            item.page = page_html(writer, rng, item, blocks)
            words = writer.sentences(rng, int(rng.integers(*TEASER_WORDS)))
            teaser = " ".join(" ".join(s) for s in words)
            item.html = f'{img}<p>{teaser} <a href="{link}">Read more</a></p>'
        else:
            blocks = paragraphs_html(writer, rng, int(rng.integers(*FULL_WORDS)), link)
            item.html = img + "".join(blocks)
        items.append(item)
    return items


def rss(title: str, base: str, items: list[Item]) -> bytes:
    """Return an RSS 2.0 document; the story in content:encoded, its start in description."""
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>{escape(title)}</title><link>{base}/</link>"
        "<description>The latest news</description><language>en-us</language><ttl>15</ttl>"
    ]
    for it in items:
        parts.append(
            f"<item><title>{escape(it.title)}</title><link>{it.link}</link>"
            f'<guid isPermaLink="false">{it.guid}</guid>'
            f"<pubDate>{http_date(it.published)}</pubDate>"
            f"<dc:creator>{escape(it.author)}</dc:creator>"
            f"<description>{escape(it.html[:400])}</description>"
            f"<content:encoded><![CDATA[{it.html}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def atom(title: str, base: str, items: list[Item]) -> bytes:
    """Return an Atom 1.0 document with the story as escaped HTML content."""
    updated = max(it.published for it in items).isoformat() if items else "2024-01-01T00:00:00Z"
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">'
        f'<title>{escape(title)}</title><link href="{base}/"/>'
        f"<id>{base}/</id><updated>{updated}</updated>"
    ]
    for it in items:
        parts.append(
            f'<entry><title>{escape(it.title)}</title><link href="{it.link}"/>'
            f"<id>{it.guid}</id><updated>{it.published.isoformat()}</updated>"
            f"<published>{it.published.isoformat()}</published>"
            f"<author><name>{escape(it.author)}</name></author>"
            f'<content type="html">{escape(it.html)}</content></entry>'
        )
    parts.append("</feed>")
    return "".join(parts).encode()


def resource(body: bytes, content_type: str, when: datetime, validators: int) -> Resource:
    """Return a served document; `validators`: 0 ETag only, 1 Last-Modified only, 2 both."""
    etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"' if validators != 1 else None
    modified = http_date(when) if validators != 0 else None
    return Resource(body, content_type, etag, modified, gzip.compress(body, 1, mtime=0))


def build_site(
    feeds: int, items: int, teaser_share: float, hosts: int, ports: dict[str, int]
) -> Site:
    """Return every feed and teaser page; feed i lives on host 127.0.0.(1 + i % hosts)."""
    writer = Writer()
    now = datetime.now(UTC).replace(microsecond=0)
    site = Site()
    teasers = round(items * teaser_share)
    for i in range(feeds):
        host = host_of(i, hosts)
        base = f"http://{host}:{ports[host]}"
        made = make_items(writer, i, items, teasers, base, now)
        when = max((it.published for it in made), default=now)
        atom_feed = i % 5 in (1, 3)  # 40% Atom, 60% RSS
        path = f"/feeds/{i}.atom" if atom_feed else f"/feeds/{i}.xml"
        body = (atom if atom_feed else rss)(f"Site {i} news", base, made)
        kind = "application/atom+xml" if atom_feed else "application/rss+xml"
        site.resources[f"{host}{path}"] = resource(body, kind, when, i % 3)
        site.feeds.append(base + path)
        for it in made:
            if it.page is not None:
                key = host + it.link.removeprefix(base)
                site.resources[key] = resource(it.page, "text/html; charset=utf-8", when, 2)
    return site


def respond(site: Site) -> Responder:
    """Return the server's answer function: the site's documents, gzip, 304s and /_stats."""

    async def answer(target: str, headers: dict[str, str]) -> Answer:
        path = target.split("?")[0]
        host = headers.get("host", "").split(":")[0]
        extra: list[str] = []
        if path == "/_stats":
            reply = Answer(200, "application/json", stats_body(site))
        elif (res := site.resources.get(host + path)) is None:
            reply = Answer(404, "text/plain", b"not found")
        else:
            extra = [f"ETag: {res.etag}"] if res.etag else []
            extra += [f"Last-Modified: {res.last_modified}"] if res.last_modified else []
            reply = Answer(200, res.content_type, res.body, extra)
            if not_modified(headers, res.etag, res.last_modified):
                reply.status, reply.body = 304, b""
            elif "gzip" in headers.get("accept-encoding", ""):
                reply.body = res.gz
                extra.append("Content-Encoding: gzip")
        site.statuses[reply.status] = site.statuses.get(reply.status, 0) + 1
        site.bytes_out += len(reply.body)
        return reply

    return answer


def stats_body(site: Site) -> bytes:
    """Return the server's counters and CPU seconds as JSON."""
    cpu = {"cpu_seconds": time.process_time(), "bytes_out": site.bytes_out}
    return json.dumps({**site.stats, **cpu, "statuses": site.statuses}).encode()


async def _serve(
    conn: Connection, feeds: int, items: int, teaser_share: float, hosts: int
) -> None:
    loop = asyncio.get_running_loop()
    site = Site()
    ports = await serve_hosts(hosts, respond(site))
    started = time.perf_counter()
    built = build_site(feeds, items, teaser_share, hosts, ports)
    site.resources, site.feeds = built.resources, built.feeds
    docs = site.resources.items()
    site.stats = {
        "generate_seconds": time.perf_counter() - started,
        "feed_bytes": sum(len(r.body) for k, r in docs if "/feeds/" in k),
        "page_bytes": sum(len(r.body) for k, r in docs if "/news/" in k),
        "gzip_bytes": sum(len(r.gz) for _, r in docs),
    }
    conn.send({"feeds": site.feeds, "stats_url": f"http://127.0.0.1:{ports['127.0.0.1']}/_stats"})
    stop = asyncio.Event()
    loop.add_reader(conn.fileno(), stop.set)  # the parent sends "stop" or goes away
    await stop.wait()


def serve(conn: Connection, feeds: int, items: int, teaser_share: float, hosts: int) -> None:
    """Generate the sites and serve them until `conn` says stop (run in its own process)."""
    asyncio.run(_serve(conn, feeds, items, teaser_share, hosts))
