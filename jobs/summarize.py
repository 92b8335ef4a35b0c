"""The summarizing job: articles without a summary -> news.summarize -> stored.

The summarizer is pure CPU. In a thread it shares the worker's one GIL with the poll (HTTP,
parsing, SQL); in a process of its own (`summarizer_pool`, NEWSBOT_SUMMARIZE_PROCESSES) it runs
on another core beside the poll. The child only computes: leases, SQL and metrics stay here.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from news import observe
from news.alerts import Alerts
from news.models import Article
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store
from news.summarize import detect_language, summarize

log = logging.getLogger(__name__)

# Batches handed to each summarizer process ahead of time: about a second of its work.
BATCHES_AHEAD = 4

_WARM_UP_TEXT = (
    "The city council approved the new budget on Monday after a long debate. "
    "Spending on schools rises by 3.5% while road repairs are delayed until next year. "
    "Dr. Smith, who chairs the finance committee, said the plan was fair."
)


@dataclass(slots=True)
class BatchResult:
    """Summaries made for one batch, with the seconds each article took where it was made."""

    summaries: list[tuple[int, str, str]] = field(default_factory=list)  # id, summary, language
    seconds: list[float] = field(default_factory=list)


def summarize_article(article: Article, settings: Settings) -> tuple[str, str]:
    """Return (summary as sentences joined by newlines, language) for an article."""
    language = detect_language(article.text or article.title)
    sentences = summarize(
        article.text,
        language=language,
        sentences=settings.summary_sentences,
        max_chars=settings.summary_max_chars,
        title=article.title,
    )
    return "\n".join(sentences), language


def summarize_batch(articles: list[Article], settings: Settings) -> BatchResult:
    """Return the batch's summaries and per-article seconds; runs in a thread or a child."""
    result = BatchResult()
    for article in articles:
        started = time.perf_counter()
        summary, language = summarize_article(article, settings)
        result.seconds.append(time.perf_counter() - started)
        result.summaries.append((article.id, summary, language))
    return result


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()  # returns when the parent has exited, however it ended
    os._exit(0)


def warm_up() -> None:
    """Load the language model and the English stemmer and stop words, once per process."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        # A child ignores Ctrl-C (sent to the whole process group): the parent decides when
        # to stop. And it does not outlive the parent: a worker killed with SIGKILL (or by
        # the OOM killer) would otherwise leave its summarizers idle, holding their memory.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    summarize(_WARM_UP_TEXT, language=detect_language(_WARM_UP_TEXT), sentences=1, max_chars=200)


def summarizer_pool(processes: int) -> ProcessPoolExecutor:
    """Return a started pool of `processes` summarizer processes, each warmed up."""
    # "spawn": never fork a process that runs threads and an event loop (locks held mid-fork).
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(processes, mp_context=context, initializer=warm_up)
    # A spawn pool starts all its processes at the first submit; start them now, not at the
    # first batch, so they load their models while the poll is still fetching.
    pool.submit(int)
    return pool


def _parser_warm_up() -> None:
    """Import the parser and the extractor, and die with the parent (as a summarizer does)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    for module in ("news.parse", "news.extract"):  # loaded now, not at the first feed
        importlib.import_module(module)


def parser_pool() -> ProcessPoolExecutor:
    """Return a started process that parses feeds and extracts article pages for the poll."""
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(1, mp_context=context, initializer=_parser_warm_up)
    pool.submit(int)
    return pool


class Summarizer:
    """Where batches are summarized: a process pool replaced when a child dies, or a thread.

    With processes, one more process parses the poll's feeds and extracts its article pages
    (`parser`): the poll's own process is left the HTTP and SQL, and the cores share the rest.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.pool = summarizer_pool(processes) if processes > 0 else None
        self._parser = parser_pool() if processes > 0 else None
        self.closed = False

    def parser(self) -> Executor | None:
        """Return the parse process for the next poll cycle (replaced if it died), or None."""
        if self._parser is None or self.closed:
            return None
        try:
            self._parser.submit(int)  # a broken pool refuses at once
        except BrokenProcessPool:
            log.warning("parse process died; starting a new one")
            self._parser.shutdown(wait=False, cancel_futures=True)
            self._parser = parser_pool()
        return self._parser

    @property
    def executor(self) -> Executor | None:
        """Return the current pool, or None for the default thread pool."""
        return self.pool

    def replace_broken(self, broken: Executor | None) -> None:
        """Throw away `broken` and start a fresh pool, unless that was done already."""
        if self.pool is not None and self.pool is broken and not self.closed:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = summarizer_pool(self.processes)

    async def close(self) -> None:
        """Stop the pool: queued batches are dropped; waits (in a thread) for running ones."""
        self.closed = True
        if self._parser is not None:
            parser, self._parser = self._parser, None
            await asyncio.to_thread(parser.shutdown, wait=True, cancel_futures=True)
        if self.pool is not None:
            pool, self.pool = self.pool, None
            # Waiting blocks until the child's current batch (well under a second) is done;
            # off the event loop, so the rest of the shutdown goes on meanwhile.
            await asyncio.to_thread(pool.shutdown, wait=True, cancel_futures=True)


async def summarize_pending(
    store: Store,
    settings: Settings,
    *,
    summarizer: Summarizer | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_batches: int | None = None,
    alerts: Alerts | None = None,
) -> int:
    """Summarize articles that have none yet, batch by batch; return how many were summarized.

    Each summarized article is percolated against the chats' alerts (`alerts`, kept between
    runs by the caller, else loaded for this run), queued in the summaries' transaction.

    With a `summarizer` whose pool is set, the batches run in its processes; otherwise in a
    thread. If a child process dies, the pool is replaced and the leases of the batches it had
    are left to expire: those articles are summarized by a later run.
    """
    executor = summarizer.executor if summarizer is not None else None
    batches = _Batches(store, settings, now, executor, max_batches)
    if alerts is None:
        alerts = Alerts(store, per_hour=settings.alerts_per_hour)
    await alerts.release_folds(now=now())
    # In processes, several batches wait in the pool's queue, so the processes go on while this
    # loop waits for its turn to write (SQLite: one writer, and the poll writes a lot).
    depth = BATCHES_AHEAD * summarizer.processes if summarizer and executor else 1
    done = 0
    try:
        while await batches.refill(depth, summarizer):
            made = [await batches.in_flight.popleft()]
            # Whatever else is finished meanwhile is stored in the same transaction.
            while batches.in_flight and batches.in_flight[0].done():
                made.append(batches.in_flight.popleft().result())
            summaries = [s for m in made for s in m.summaries]
            # The alerts the summaries trigger are queued in the same transaction.
            write = await alerts.prepare(batches.summarized(summaries), now=now())
            await article_store.set_summaries(store, summaries, now=now(), also=write)
            _count(made)
            done += len(summaries)
    except BrokenProcessPool:
        log.warning("summarizer process died; restarting it, its articles wait for their lease")
        if summarizer is not None:
            summarizer.replace_broken(executor)
    finally:
        for future in batches.in_flight:
            # A batch that failed with the pool is read here, or asyncio logs it as unread.
            if future.done() and not future.cancelled():
                future.exception()
            future.cancel()
    if done:
        log.info("summarized articles=%d", done)
    return done


class _Batches:
    """The batches claimed and handed to the executor, oldest first."""

    def __init__(
        self,
        store: Store,
        settings: Settings,
        now: Callable[[], datetime],
        executor: Executor | None,
        max_batches: int | None,
    ) -> None:
        self.store, self.settings, self.now = store, settings, now
        self.executor, self.left = executor, max_batches
        self.in_flight: deque[asyncio.Future[BatchResult]] = deque()
        self.exhausted = False
        self.claimed: dict[int, Article] = {}  # in flight, by id (for the alerts)

    def summarized(self, summaries: list[tuple[int, str, str]]) -> list[Article]:
        """Return the claimed articles with their new summaries (they leave `claimed`)."""
        return [
            replace(self.claimed.pop(i), summary=summary, language=language)
            for i, summary, language in summaries
        ]

    async def refill(self, depth: int, summarizer: Summarizer | None) -> bool:
        """Claim batches until `depth` are in flight (one claim); return whether any are."""
        wanted = depth - len(self.in_flight)
        if self.left is not None:
            wanted = min(wanted, self.left)
        stopping = summarizer is not None and summarizer.closed
        if wanted <= 0 or self.exhausted or stopping:
            # When stopping, what is left waits for the next start.
            return bool(self.in_flight) and not stopping
        size = self.settings.summarize_batch
        claimed = await article_store.claim_unsummarized(
            self.store,
            now=self.now(),
            limit=wanted * size,
            lease_seconds=self.settings.lease_seconds,
        )
        self.exhausted = len(claimed) < wanted * size
        if summarizer is not None and summarizer.closed:
            return False  # stopped while claiming: these leases expire
        self.claimed.update((article.id, article) for article in claimed)
        loop = asyncio.get_running_loop()
        for start in range(0, len(claimed), size):
            batch = claimed[start : start + size]
            future = loop.run_in_executor(self.executor, summarize_batch, batch, self.settings)
            self.in_flight.append(future)
            if self.left is not None:
                self.left -= 1
        return bool(self.in_flight)


def _count(made: list[BatchResult]) -> None:
    # Recorded here, in the worker: a child's metrics would never reach /metrics.
    for batch in made:
        for seconds in batch.seconds:
            observe.STAGE_SECONDS.labels("summarize").observe(seconds)
        observe.SUMMARIES_MADE.inc(len(batch.summaries))
