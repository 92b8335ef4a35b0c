"""The summarizing job: articles without a summary -> news.summarize (in a thread) -> stored."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

from news import observe
from news.models import Article
from news.settings import Settings
from news.storage import articles as article_store
from news.storage.db import Store
from news.summarize import detect_language, summarize

log = logging.getLogger(__name__)


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


def summarize_batch(articles: list[Article], settings: Settings) -> list[tuple[int, str, str]]:
    """Return (id, summary, language) for each article; one thread hop for the whole batch."""
    done = []
    for article in articles:
        started = time.perf_counter()
        summary, language = summarize_article(article, settings)
        observe.STAGE_SECONDS.labels("summarize").observe(time.perf_counter() - started)
        done.append((article.id, summary, language))
    return done


async def summarize_pending(
    store: Store,
    settings: Settings,
    *,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    max_batches: int | None = None,
) -> int:
    """Summarize articles that have none yet, batch by batch; return how many were summarized."""
    done = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        batch = await article_store.claim_unsummarized(
            store, now=now(), limit=settings.summarize_batch, lease_seconds=settings.lease_seconds
        )
        if not batch:
            break
        batches += 1
        summaries = await asyncio.to_thread(summarize_batch, batch, settings)
        await article_store.set_summaries(store, summaries, now=now())
        observe.SUMMARIES_MADE.inc(len(summaries))
        done += len(summaries)
    if done:
        log.info("summarized articles=%d", done)
    return done
