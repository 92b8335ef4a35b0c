"""Percolation: the matcher agrees with the database search, and the index with trying all."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from news.errors import QueryError
from news.models import ParsedEntry
from news.percolate import PORTER, SNOWBALL, Percolator, compile_query, document, stemmer_for
from news.query import parse_query
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage.db import Store
from news.storage.search import MAX_LIMIT, find

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

# Inflected forms (where stemmers earn their keep), accents, digits and stop words.
VOCABULARY = """climate climates climatic election elections elected elect running runs run
runner summit summits market markets marketing rally rallied rallies bank banks banking
storm storms stormy energy energies café cafe résumé naïve 2025 100 covid vote voters voting
policy policies minister ministers fly flies flying generous general generally connect
connected connection connections happy happiness organize organization university universal
the a of in on and to is was for with not""".split()  # noqa: SIM905
PUNCTUATION = ["", "", "", ",", ".", ":", "!", " -", "'s"]


def sentence(rng: random.Random, words: int) -> str:
    return " ".join(
        rng.choice(VOCABULARY) + rng.choice(PUNCTUATION) for _ in range(words)
    ).capitalize()


def stories(rng: random.Random, count: int) -> list[tuple[str, str | None, str]]:
    return [
        (
            sentence(rng, rng.randint(3, 8)),
            sentence(rng, rng.randint(5, 15)) if rng.random() < 0.5 else None,
            sentence(rng, rng.randint(10, 40)),
        )
        for _ in range(count)
    ]


def a_term(rng: random.Random, texts: list[str]) -> str:
    kind = rng.random()
    if kind < 0.3:  # a phrase cut out of a story, so phrases do match
        words = rng.choice(texts).split()
        start = rng.randrange(len(words))
        return '"' + " ".join(words[start : start + rng.randint(2, 3)]) + '"'
    word = rng.choice(VOCABULARY)
    if kind < 0.45:
        return word[: rng.randint(3, max(3, len(word)))] + "*"
    return word


def a_query(rng: random.Random, texts: list[str]) -> str:
    parts = [a_term(rng, texts) for _ in range(rng.randint(1, 3))]
    if len(parts) > 1 and rng.random() < 0.3:
        parts.insert(1, "OR")
    if rng.random() < 0.4:
        parts.append("-" + a_term(rng, texts))
    return " ".join(parts)


async def store_stories(store: Store, generated: list[tuple[str, str | None, str]]) -> None:
    feed, _ = await feed_store.add_feed(store, "https://example.com/a.xml", now=NOW, title="A")
    entries = [
        ParsedEntry(
            entry_hash=str(n),
            title=title,
            text=body,
            url=f"https://example.com/{n}",
            published_at=NOW - timedelta(minutes=n),
        )
        for n, (title, _, body) in enumerate(generated)
    ]
    await article_store.upsert_articles(store, feed.id, entries, now=NOW)
    async with store.begin() as conn:
        rows = (await conn.execute(text("SELECT id, url FROM articles"))).all()
    for article_id, url in rows:
        summary = generated[int(url.rsplit("/", 1)[1])][1]
        if summary:
            await article_store.set_summary(
                store, article_id, summary=summary, language="en", now=NOW
            )


async def found_by_search(store: Store, query: str) -> set[str]:
    parsed = parse_query(query)
    urls: set[str] = set()
    for offset in range(0, 500, MAX_LIMIT):
        page = await find(store, parsed, limit=MAX_LIMIT, offset=offset)
        urls.update(article.url for article, _ in page)
        if len(page) < MAX_LIMIT:
            return urls
    raise AssertionError("more results than the test can page through")


async def test_matcher_agrees_with_the_database_search(any_store: Store) -> None:
    rng = random.Random(15)
    generated = stories(rng, 120)
    await store_stories(any_store, generated)
    stemmer = stemmer_for(any_store.is_sqlite)
    docs = {
        f"https://example.com/{n}": document(stemmer, title, summary, body)
        for n, (title, summary, body) in enumerate(generated)
    }
    texts = [t for story in generated for t in story if t]
    checked = matched = 0
    for _ in range(300):
        query = a_query(rng, texts)
        try:
            compiled = compile_query(parse_query(query), stemmer)
        except QueryError:
            continue
        expected = await found_by_search(any_store, query)
        got = {url for url, doc in docs.items() if compiled.matches(doc)}
        assert got == expected, query
        checked += 1
        matched += bool(expected)
    assert checked > 250
    assert matched > 100  # the queries are not all trivially empty


@pytest.mark.parametrize("stemmer", [PORTER, SNOWBALL], ids=["porter", "snowball"])
def test_percolator_finds_what_trying_every_query_finds(stemmer: int) -> None:
    rng = random.Random(7)
    generated = stories(rng, 200)
    texts = [t for story in generated for t in story if t]
    percolator: Percolator[int] = Percolator(stemmer)
    for key in range(2_000):
        try:
            percolator.add(key, parse_query(a_query(rng, texts)))
        except QueryError:
            continue
    hits = 0
    for title, summary, body in generated:
        doc = document(stemmer, title, summary, body)
        assert sorted(percolator.match(doc)) == sorted(percolator.brute_force(doc))
        hits += len(percolator.match(doc))
    assert hits > 1_000


def test_removed_and_replaced_queries_stop_matching() -> None:
    percolator: Percolator[str] = Percolator(PORTER)
    percolator.add("storm", parse_query("storms"))
    percolator.add("rally", parse_query('"markets rally" -bank'))
    doc = document(PORTER, "Markets rally as the storm passes", None, "")
    assert sorted(percolator.match(doc)) == ["rally", "storm"]
    percolator.remove("storm")
    percolator.add("rally", parse_query("elections"))
    assert percolator.match(doc) == []
    assert len(percolator) == 1


def test_equal_queries_are_kept_once_and_each_key_matches() -> None:
    percolator: Percolator[str] = Percolator(PORTER)
    percolator.add("mine", parse_query("markets storm"))
    percolator.add("yours", parse_query("Storms  MARKETS"))  # the same stems, AND in any order
    percolator.add("prefix", parse_query("rall*"))
    percolator.add("phrase", parse_query('"storm passes" -bank*'))
    assert (len(percolator), percolator.distinct) == (4, 3)
    doc = document(PORTER, "Markets rally as the storm passes", None, "")
    assert sorted(percolator.match(doc)) == ["mine", "phrase", "prefix", "yours"]
    percolator.remove("mine")
    assert sorted(percolator.match(doc)) == ["phrase", "prefix", "yours"]
    assert percolator.match(document(PORTER, "Storm hits the bank and markets", None, "")) == [
        "yours"
    ]
