"""Command-line interface of newsbot: each subcommand is one call into news/ or jobs/."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from pydantic import ValidationError

from bot.cli import commands
from news.settings import Settings

log = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace, Settings], Awaitable[int]]


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description="Feeds in, summarized and searchable news digests out.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    feeds = sub.add_parser("feeds", help="add, list, remove, import and export feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    add = feeds_sub.add_parser("add", help="add a feed by URL or local path")
    add.add_argument("url", metavar="URL|PATH")
    add.add_argument("--no-check", action="store_true", help="add without fetching it first")
    add.set_defaults(handler=commands.feeds_add)
    feeds_sub.add_parser("list", help="list the feeds").set_defaults(handler=commands.feeds_list)
    remove = feeds_sub.add_parser("remove", help="remove a feed and its articles")
    remove.add_argument("feed_id", type=int, metavar="ID")
    remove.set_defaults(handler=commands.feeds_remove)
    imp = feeds_sub.add_parser("import", help="add every feed listed in an OPML file")
    imp.add_argument("file", type=Path, metavar="FILE.opml")
    imp.set_defaults(handler=commands.feeds_import)
    feeds_sub.add_parser("export", help="print the feeds as OPML").set_defaults(
        handler=commands.feeds_export
    )

    sources = sub.add_parser("sources", help="a chat's own sources (what /sources shows it)")
    sources_sub = sources.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    listing = sources_sub.add_parser("list", help="list a chat's sources")
    listing.add_argument("--chat", type=int, required=True, metavar="ID", help="the chat id")
    listing.set_defaults(handler=commands.sources_list)

    poll = sub.add_parser("poll", help="run one polling cycle over the due feeds")
    poll.add_argument("--all", action="store_true", help="poll every feed, due or not")
    poll.set_defaults(handler=commands.poll)

    for role, text in (
        ("run", "the bot, the worker and the sender in one process"),
        ("bot", "answer Telegram updates (long polling, or a webhook)"),
        ("worker", "poll, extract, summarize and plan digests until stopped"),
        ("sender", "deliver the outbox (one active per bot token; others wait)"),
        ("web", "serve the Mini App on NEWSBOT_WEB_PORT (behind the reverse proxy)"),
    ):
        sub.add_parser(role, help=text).set_defaults(handler=commands.role)

    digest = sub.add_parser("digest", help="print the digest of a time window")
    digest.add_argument("--since", default="24h", help="window: 30m, 24h, 7d or a date")
    digest.add_argument("--limit", type=int, default=None, help="at most N stories")
    digest.set_defaults(handler=commands.digest)

    search = sub.add_parser("search", help="search stored articles")
    search.add_argument("words", nargs="+", metavar="WORDS")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(handler=commands.search)

    extract = sub.add_parser("extract", help="print the main text of an article page")
    extract.add_argument("source", metavar="URL|FILE")
    extract.add_argument("--url", default=None, help="the page's URL, when reading a file")
    extract.set_defaults(handler=commands.extract)

    summarize = sub.add_parser("summarize", help="summarize a plain-text article")
    summarize.add_argument("file", metavar="FILE|-")
    summarize.add_argument("--sentences", type=int, default=None)
    summarize.add_argument("--jsonl", action="store_true", help='lines {"id","text"} in')
    summarize.set_defaults(handler=commands.summarize)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(handler=commands.db_upgrade)
    copy = db_sub.add_parser("copy", help="copy every row into another (empty) database")
    copy.add_argument("source", metavar="SOURCE_URL")
    copy.add_argument("target", metavar="TARGET_URL")
    copy.set_defaults(handler=commands.db_copy)

    sub.add_parser("demo", help="poll the sample feeds and print a digest").set_defaults(
        handler=commands.demo
    )
    return parser


def configure_logging(
    settings: Settings, *, verbose: bool, level: int | None = None, role: str = "cli"
) -> None:
    """Set up logging once: event key=value lines on stderr, tagged with the process's role."""
    if level is None:
        level = (
            logging.DEBUG
            if verbose
            else logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
        )
    logging.basicConfig(
        level=level,
        format=f"%(asctime)s %(levelname)s role={role} %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # httpx logs request URLs at INFO, and Bot API URLs contain the token.
    # python-telegram-bot logs the Bot API URL (with the token) and every update at DEBUG.
    for name in (
        "httpx",
        "httpcore",
        "apscheduler",
        "trafilatura",
        "htmldate",
        "alembic",
        "tornado",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(max(logging.INFO, level))


def main(argv: list[str] | None = None) -> int:
    """Run the command line and return the exit status."""
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for error in exc.errors():
            name = "NEWSBOT_" + "_".join(str(p) for p in error["loc"]).upper()
            print(f"newsbot: {name}: {error['msg']}", file=sys.stderr)
        return 2
    # The demo's output is the digest: only warnings and errors go to the log there.
    quiet = args.command == "demo" and not args.verbose
    role = args.command if args.command in ("run", "bot", "worker", "sender", "web") else "cli"
    configure_logging(
        settings, verbose=args.verbose, level=logging.WARNING if quiet else None, role=role
    )
    handler: Handler = args.handler
    try:
        return asyncio.run(_run(handler, args, settings))
    except KeyboardInterrupt:
        return 130


async def _run(handler: Handler, args: argparse.Namespace, settings: Settings) -> int:
    """Run the handler; SIGTERM (a service manager's stop) ends it with 0, SIGINT with 130."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    received: list[signal.Signals] = []

    def stop(sig: signal.Signals) -> None:
        received.append(sig)
        if task is not None:
            task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await handler(args, settings)
    except asyncio.CancelledError:
        return 0 if received and received[0] == signal.SIGTERM else 130
