"""What each `newsbot` subcommand does: open the store, call news/ or jobs/, print the result."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError
from tqdm import tqdm

from bot.cli import output as out
from bot.roles import run_roles
from jobs.poll import poll_and_summarize
from jobs.summarize import Summarizer
from news.errors import NewsbotError, QueryError
from news.extract import extract as extract_text
from news.fetch import HTML_ACCEPT, Fetcher, check_url
from news.opml import read_opml, write_opml
from news.refresh import RefreshResult
from news.search import search as search_articles
from news.settings import Settings
from news.sources import add_feed
from news.storage import feeds as feed_store
from news.storage import sources as source_store
from news.storage.copy import copy_database
from news.storage.db import Store, open_store
from news.summarize import detect_language
from news.summarize import summarize as summarize_text

# Show a progress bar when a poll covers at least this many feeds.
PROGRESS_MIN_FEEDS = 10


def now() -> datetime:
    """Return the current time in UTC."""
    return datetime.now(UTC)


@asynccontextmanager
async def opened(settings: Settings) -> AsyncIterator[Store]:
    """Yield the store with migrations applied, closed afterwards."""
    store = await open_store(settings.database_url, pool_size=settings.database_pool_size)
    try:
        yield store
    finally:
        await store.close()


def feed_url(value: str) -> str:
    """Return a feed URL for a command-line argument: URLs as given, local paths as file: URLs."""
    if "://" in value or value.startswith("file:"):
        return check_url(value, allow_file=True)
    path = Path(value).expanduser()
    if not path.exists():
        raise NewsbotError(f"no such file: {value}")
    return path.resolve().as_uri()


async def feeds_add(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds add URL|PATH."""
    async with opened(settings) as store, Fetcher(settings) as fetcher:
        try:
            added = await add_feed(
                store,
                fetcher,
                feed_url(args.url),
                settings,
                now=now(),
                read=not args.no_check,
                allow_file=True,
            )
        except NewsbotError as exc:
            return out.fail(f"cannot add {args.url}: {exc}")
    feed = added.feed
    verb = "added" if added.created else "already there:"
    out.say(f"{verb} feed {feed.id} {feed.title or ''} <{feed.url}>".replace("  ", " "))
    return 0


async def feeds_list(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds list."""
    async with opened(settings) as store:
        feeds = await feed_store.list_feeds(store)
    out.say(
        out.feed_table(feeds) if feeds else "no feeds yet: add one with `newsbot feeds add URL`"
    )
    return 0


async def sources_list(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot sources list --chat ID."""
    async with opened(settings) as store:
        listed = await source_store.list_sources(
            store, args.chat, week_since=now() - timedelta(days=7)
        )
    if not listed:
        out.say(f"chat {args.chat} has no sources")
        return 0
    out.say(out.source_table(listed, now()))
    return 0


async def feeds_remove(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds remove ID."""
    async with opened(settings) as store:
        removed = await feed_store.remove_feed(store, args.feed_id)
    if not removed:
        return out.fail(f"no feed with id {args.feed_id} (see `newsbot feeds list`)")
    out.say(f"removed feed {args.feed_id} and its articles")
    return 0


async def feeds_import(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds import FILE.opml."""
    try:
        data = args.file.read_bytes()
        listed = read_opml(data, base=args.file.resolve().parent)
    except OSError as exc:
        return out.fail(f"cannot read {args.file}: {exc.strerror}")
    except NewsbotError as exc:
        return out.fail(str(exc))
    added = skipped = 0
    async with opened(settings) as store, Fetcher(settings) as fetcher:
        for item in listed:
            try:
                # Not read now: a long list is read by the next polls, many feeds at once.
                new = await add_feed(
                    store,
                    fetcher,
                    item.url,
                    settings,
                    now=now(),
                    title=item.title,
                    read=False,
                    allow_file=True,
                )
            except NewsbotError as exc:
                out.warn(f"skipped {item.url}: {exc}")
                skipped += 1
                continue
            added += new.created
    present = len(listed) - added - skipped
    out.say(
        f"imported {added} feeds from {args.file} ({present} already there, {skipped} skipped)"
    )
    return 0


async def feeds_export(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot feeds export."""
    async with opened(settings) as store:
        feeds = await feed_store.list_feeds(store)
    sys.stdout.write(write_opml(feeds))
    return 0


async def poll(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot poll [--all]: one cycle, summarizing what arrives meanwhile (as the worker does)."""
    async with opened(settings) as store, Fetcher(settings) as fetcher:
        counts = await feed_store.feed_counts(store, now=now())
        total = counts["enabled"] if args.all else counts["due"]
        bar = tqdm(
            total=total,
            unit="feed",
            file=sys.stderr,
            leave=False,
            disable=None if total >= PROGRESS_MIN_FEEDS else True,
        )

        def progress(result: RefreshResult) -> None:
            bar.update(1)
            if result.status == "error":
                bar.write(f"error: feed {result.feed_id} {result.url}: {result.error}", sys.stderr)

        # Started first: the processes load their models while the first feeds are fetched.
        processes = settings.summarize_processes
        summarizer = Summarizer(processes) if processes > 0 and total else None
        try:
            with bar:
                report, summarized = await poll_and_summarize(
                    store,
                    fetcher,
                    settings,
                    summarizer=summarizer,
                    all_feeds=args.all,
                    on_result=progress,
                )
        finally:
            if summarizer is not None:
                await summarizer.close()
    out.say(
        f"polled {report.polled} feeds: {report.new_articles} new articles, "
        f"{summarized} summarized, {len(report.failed)} errors"
    )
    return 1 if report.failed and len(report.failed) == report.polled else 0


ROLES = {
    "run": ("bot", "worker", "sender"),
    "bot": ("bot",),
    "worker": ("worker",),
    "sender": ("sender",),
    "web": ("web",),
}


async def role(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot run|bot|worker|sender|web: run until stopped (SIGINT or SIGTERM)."""
    async with opened(settings) as store:
        return await run_roles(store, settings, ROLES[args.command])


async def digest(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot digest [--since 24h] [--limit N]."""
    try:
        since = out.parse_since(args.since, now())
    except ValueError as exc:
        return out.fail(str(exc))
    limit = args.limit or settings.digest_articles
    async with opened(settings) as store:
        text = await out.digest_text(store, since=since, until=now(), limit=limit)
    out.say(text)
    return 0


async def search(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot search WORDS... [--limit N]."""
    query = " ".join(args.words)
    async with opened(settings) as store:
        try:
            hits = await search_articles(store, query, limit=max(1, args.limit))
        except QueryError as exc:
            return out.fail(str(exc))
    out.say(out.search_text(hits, query))
    return 0


async def extract(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot extract URL|FILE [--url URL]."""
    try:
        if "://" in args.source and not args.source.startswith("file:"):
            async with Fetcher(settings) as fetcher:
                page = await fetcher.fetch(args.source, accept=HTML_ACCEPT)
            body, url = page.body, args.url or page.url
        else:
            body, url = out.read_source(args.source), args.url
        text = await asyncio.to_thread(extract_text, body, url=url)
    except NewsbotError as exc:
        return out.fail(str(exc))
    out.say(text)
    return 0


async def summarize(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot summarize FILE|- [--sentences N] [--jsonl]."""
    sentences = args.sentences or settings.summary_sentences
    try:
        raw = out.read_text(args.file)
    except NewsbotError as exc:
        return out.fail(str(exc))
    if not args.jsonl:
        for sentence in _summary(raw, sentences, settings):
            out.say(sentence)
        return 0
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = str(item["text"])
        except (ValueError, KeyError, TypeError):
            return out.fail(f'line {number}: expected a JSON object with "id" and "text"')
        summary = " ".join(_summary(text, sentences, settings))
        out.say(json.dumps({"id": item.get("id"), "summary": summary}, ensure_ascii=False))
    return 0


def _summary(text: str, sentences: int, settings: Settings) -> list[str]:
    return summarize_text(
        text,
        language=detect_language(text),
        sentences=sentences,
        max_chars=max(settings.summary_max_chars, 200 * sentences),
    )


async def db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot db upgrade."""
    async with opened(settings):
        pass
    out.say("database is up to date")
    return 0


async def db_copy(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot db copy SOURCE_URL TARGET_URL."""
    try:
        source = await open_store(args.source)
        target = await open_store(args.target)
    except (SQLAlchemyError, OSError, ValueError) as exc:
        return out.fail(f"cannot open the databases: {type(exc).__name__}: {exc}".split("\n")[0])
    try:
        counts = await copy_database(source, target)
    except NewsbotError as exc:
        return out.fail(str(exc))
    finally:
        await source.close()
        await target.close()
    out.say("copied " + ", ".join(f"{n} {table}" for table, n in counts.items()))
    return 0


async def demo(args: argparse.Namespace, settings: Settings) -> int:
    """newsbot demo: serve seeds/ on 127.0.0.1, poll them into a fresh SQLite file, print."""
    from bot.cli.demo import run_demo  # only the demo needs the seed server

    return await run_demo(settings)
