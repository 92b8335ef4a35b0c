"""Search: the query language, nasty input on both backends, ranking, snippets, paging, filters."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from news import query as search_query
from news.errors import QueryError
from news.models import ParsedEntry, ParsedQuery, Term
from news.query import MAX_TERMS, parse_query
from news.search import MARK_END, MARK_START, search, search_page
from news.storage import articles as article_store
from news.storage import feeds as feed_store
from news.storage import search_pg
from news.storage.db import Store
from news.storage.search import WINDOW
from news.words import EMPTY_QUERY, ONLY_EXCLUDED

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)

STORIES = [
    ("Climate summit opens in Lisbon", "Leaders gathered on Monday for talks on emissions."),
    ("Football results", "The climate in the stadium was tense as the final began."),
    ("Markets rally", "Stocks rose sharply after the central bank held rates steady."),
    ("Café culture in Paris", "Cafés along the Seine reopened their terraces for spring."),
    ("Election in Israel", "الانتخابات في إسرائيل: הבחירות בישראל נערכו ביום שלישי."),
    ("COVID-19 update", "Hospitals report fewer COVID-19 admissions this week."),
    ("Summit of the mountains", "Climbers reached the summit despite the storm."),
    ("Running shoes reviewed", "We ran 100 km in each pair of running shoes."),
]


async def fill(store: Store, stories: list[tuple[str, str]] = STORIES, feed: str = "a") -> int:
    feed_row, _ = await feed_store.add_feed(
        store, f"https://example.com/{feed}.xml", now=NOW, title=f"Feed {feed.upper()}"
    )
    entries = [
        ParsedEntry(
            entry_hash=f"{feed}-{n}",
            title=title,
            text=text,
            url=f"https://example.com/{feed}/{n}",
            published_at=NOW - timedelta(hours=n),
        )
        for n, (title, text) in enumerate(stories)
    ]
    await article_store.upsert_articles(store, feed_row.id, entries, now=NOW)
    return feed_row.id


def titles(hits: list) -> list[str]:
    return [hit.article.title for hit in hits]


# --- the query language (pure) ---


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("climate summit", ParsedQuery(((Term("climate"),), (Term("summit"),)))),
        ('"climate summit"', ParsedQuery(((Term("climate summit"),),))),
        ('"unclosed phrase', ParsedQuery(((Term("unclosed phrase"),),))),
        ("clim*", ParsedQuery(((Term("clim", prefix=True),),))),
        ("cl*", ParsedQuery(((Term("cl"),),))),
        ("rain -snow", ParsedQuery(((Term("rain"),),), (Term("snow"),))),
        ('rain -"heavy snow"', ParsedQuery(((Term("rain"),),), (Term("heavy snow"),))),
        ("rain NOT snow", ParsedQuery(((Term("rain"),),), (Term("snow"),))),
        ("rain OR snow wind", ParsedQuery(((Term("rain"), Term("snow")), (Term("wind"),)))),
        ("(rain AND snow)", ParsedQuery(((Term("rain"),), (Term("snow"),)))),
        ("the rain in spain", ParsedQuery(((Term("rain"),), (Term("spain"),)))),
        ("title:rain", ParsedQuery(((Term("title:rain"),),))),
        ("“curly quotes”", ParsedQuery(((Term("curly quotes"),),))),
        ("rain!!! ... ", ParsedQuery(((Term("rain"),),))),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_parse_query(query: str, expected: ParsedQuery) -> None:
    assert parse_query(query) == expected


def test_parse_query_caps_terms() -> None:
    parsed = parse_query(" ".join(f"word{i}" for i in range(100)))
    assert len(parsed.terms) == MAX_TERMS
    assert parsed.truncated


def outcome(parse: Callable[[str], ParsedQuery], query: str) -> ParsedQuery | str:
    try:
        return parse(query)
    except QueryError as exc:
        return str(exc)


def test_the_plain_words_shortcut_parses_as_the_full_parser() -> None:
    plain = ["rain", "Rain", "RAIN", "the", "The", "of", "or", "not", "2026", "g7", "storm"]
    pool = [*plain, "OR", "AND", "NOT", "café", "rain-fall", "-snow", "clim*", '"', "(", "x_y"]
    pool += ["İstanbul", "a.b", "\x00"]
    spaces = [" ", "  ", "\t", "\u00a0", "\n", "\x1f", "\u3000"]
    rng = random.Random(5)
    shortcut = 0
    for _ in range(3000):
        words = rng.choices(plain if rng.random() < 0.6 else pool, k=rng.randint(0, 40))
        query = "".join(w + rng.choice(spaces) for w in words)
        expected = outcome(search_query._parse, query)
        assert outcome(parse_query, query) == expected, query
        fast = search_query._plain_words(query)
        assert fast is None or fast == expected, query
        shortcut += fast is not None
    assert shortcut > 1000  # the shortcut was taken often enough to be tested


@pytest.mark.parametrize(
    "query", ["", "   ", "the", "the of and", "🎉🎉", "***", '""', '"', "()", "NOT", "OR AND", "-"]
)
def test_nothing_to_search_for(query: str) -> None:
    with pytest.raises(QueryError, match="Type a few words"):
        parse_query(query)
    assert str(QueryError(EMPTY_QUERY)) == "Type a few words to search for, like: climate summit"


def test_only_excluded_words() -> None:
    with pytest.raises(QueryError, match="not only words to leave out"):
        parse_query("-sports -weather")


# --- on both databases ---

NASTY = [
    '"climate',
    'climate"',
    '"climate" "summit',
    '""climate""',
    "(climate",
    "climate)",
    "((climate) OR (summit))",
    "climate AND",
    "OR climate",
    "climate OR",
    "NOT climate summit",
    "climate NOT",
    "climate AND OR NOT summit",
    "AND OR NOT",
    "climate*",
    "*climate",
    "c*",
    "climate**",
    "-climate summit",
    "--climate",
    "climate -",
    "title:climate",
    "title : climate",
    "{title}: climate",
    "climate^2",
    "NEAR(climate summit)",
    "climate + summit",
    "climate'summit",
    "O'Brien's",
    "\\climate\\",
    "climate; DROP TABLE articles;--",
    "'; SELECT 1; --",
    "climate\x00summit",
    "climate\ud800",
    "🌍 climate 🔥",
    "👍🏽",
    "الانتخابات",
    "הבחירות בישראל",
    "\u202eclimate\u202c",
    "café",
    "CAFE",
    "covid-19",
    "100 km",
    "3.5%",
    "a" * 5000,
    "climate " * 1000,
    " ".join(f'"w{i}" -x{i} y{i}*' for i in range(400)),
    "&|!<->:*",
    "climate <-> summit",
    "climate & summit | !storm",
]


async def outcomes_of(store: Store) -> dict[str, object]:
    await fill(store)
    outcomes: dict[str, object] = {}
    for query in NASTY:
        try:
            hits = await search(store, query, now=NOW)
        except QueryError as exc:
            outcomes[query] = str(exc)
        else:
            outcomes[query] = sorted(titles(hits))
    return outcomes


async def test_any_input_gives_the_same_results_or_message_on_both(
    store: Store, pg_store: Store
) -> None:
    on_sqlite = await outcomes_of(store)
    on_postgres = await outcomes_of(pg_store)
    assert on_sqlite == on_postgres
    assert {v for v in on_sqlite.values() if isinstance(v, str)} == {EMPTY_QUERY, ONLY_EXCLUDED}
    assert on_sqlite["--climate"] == ONLY_EXCLUDED
    assert on_sqlite["👍🏽"] == EMPTY_QUERY
    assert len(on_sqlite["((climate) OR (summit))"]) == 3  # type: ignore[arg-type]
    assert on_sqlite["climate; DROP TABLE articles;--"] == []
    assert len(on_sqlite["🌍 climate 🔥"]) == 2  # type: ignore[arg-type]
    assert on_sqlite["a" * 5000] == []


AGREED = [
    ("climate", ["Climate summit opens in Lisbon", "Football results"]),
    ('"climate summit"', ["Climate summit opens in Lisbon"]),
    ("summit -climate", ["Summit of the mountains"]),
    ('climate -"summit opens"', ["Football results"]),
    ("lisbon OR stadium", ["Climate summit opens in Lisbon", "Football results"]),
    ("clim* tense", ["Football results"]),
    ("cafe", ["Café culture in Paris"]),
    ("CAFÉS", ["Café culture in Paris"]),
    ("run", ["Running shoes reviewed"]),
    ("covid-19", ["COVID-19 update"]),
    ("הבחירות", ["Election in Israel"]),
    ("الانتخابات", ["Election in Israel"]),
    ("Climate; DROP TABLE articles", []),
    ("nothinglikethis", []),
]


async def test_operators_phrases_prefixes_and_scripts(any_store: Store) -> None:
    await fill(any_store)
    found = {query: sorted(titles(await search(any_store, query))) for query, _ in AGREED}
    assert found == {query: sorted(expected) for query, expected in AGREED}


async def test_title_match_ranks_above_body_match(any_store: Store) -> None:
    await fill(any_store)
    hits = await search(any_store, "climate")
    assert titles(hits) == ["Climate summit opens in Lisbon", "Football results"]
    assert hits[0].rank < hits[1].rank


async def test_hit_carries_snippet_date_and_source(any_store: Store) -> None:
    await fill(any_store)
    (hit,) = await search(any_store, "stadium")
    assert hit.article.feed_title == "Feed A"
    assert hit.article.published_at == NOW - timedelta(hours=1)
    assert hit.article.url == "https://example.com/a/1"
    assert f"{MARK_START}stadium{MARK_END}" in hit.snippet
    assert hit.snippet.startswith("The climate")

    (stemmed,) = await search(any_store, "gathering")
    assert f"{MARK_START}gathered{MARK_END}" in stemmed.snippet


async def test_snippet_is_cut_around_the_match(any_store: Store) -> None:
    long_text = " ".join(["filler"] * 300 + ["the", "volcano", "erupted"] + ["filler"] * 300)
    await fill(any_store, [("Nature news", long_text)])
    (hit,) = await search(any_store, "volcano")
    assert f"{MARK_START}volcano{MARK_END}" in hit.snippet
    assert hit.snippet.startswith("…")
    assert hit.snippet.endswith("…")
    assert len(hit.snippet.split()) < 40


async def test_snippet_marks_accented_capital_and_inflected_forms(any_store: Store) -> None:
    await fill(
        any_store,
        [
            ("Careers", "Résumé tips: RÉSUMÉS get read, résumés get lost, resumed talks."),
            ("Istanbul desk", "İstanbul office: send your RÉSUMÉ today."),  # İ lowercases to 2
            ("Tips", "“Resume” writing: two resumes that worked."),  # no accented letters
        ],
    )
    hits = {hit.article.title: hit.snippet for hit in await search(any_store, "resume")}
    marked = [f"{MARK_START}{w}{MARK_END}" for w in ("Résumé", "RÉSUMÉS", "résumés", "resumed")]
    assert all(mark in hits["Careers"] for mark in marked)
    assert f"{MARK_START}RÉSUMÉ{MARK_END}" in hits["Istanbul desk"]
    start, end = MARK_START, MARK_END
    assert hits["Tips"] == f"“{start}Resume{end}” writing: two {start}resumes{end} that worked."


async def test_snippet_marks_every_match_it_shows(any_store: Store) -> None:
    # Sixty lone "storm"s, then both words close together: the excerpt is taken there, past
    # the first 64 matches, and every match inside it is marked.
    lone = " ".join(["storm"] + ["calm"] * 30) + " "
    dense = "storm surge storm surge storm surge storm surge storm surge"
    await fill(any_store, [("Coast", lone * 60 + dense + " then quiet seas")])
    (hit,) = await search(any_store, "storm surge")
    assert hit.snippet.startswith("…")
    assert hit.snippet.endswith("then quiet seas")
    shown = hit.snippet.replace(MARK_START, "").replace(MARK_END, "")
    assert shown.count("surge") == 5
    assert hit.snippet.count(MARK_START) == shown.count("storm") + shown.count("surge")


async def test_match_deep_in_a_long_text_shows_the_opening(any_store: Store) -> None:
    await fill(any_store, [("Long read", "Filler words. " * 2000 + "The volcano erupted.")])
    (hit,) = await search(any_store, "volcano")
    assert hit.snippet.startswith("Filler words. Filler words.")
    assert MARK_START not in hit.snippet


async def test_title_only_match_gets_the_start_of_the_text(any_store: Store) -> None:
    await fill(any_store)
    (hit,) = await search(any_store, "markets")
    assert hit.snippet.startswith("Stocks rose sharply")


async def test_title_only_match_shows_the_first_24_words_of_a_long_text(any_store: Store) -> None:
    words = [f"word{n}" for n in range(40)]
    await fill(any_store, [("Volcano news", " ".join(words))])
    (hit,) = await search(any_store, "volcano")
    assert hit.snippet == " ".join(words[:24]) + "…"  # longer than a made-up title may be


async def test_summary_is_searched_and_preferred_for_the_snippet(any_store: Store) -> None:
    await fill(any_store)
    (article,) = [h.article for h in await search(any_store, "stadium")]
    await article_store.set_summary(
        any_store,
        article.id,
        summary="Fans sang anthems.\nThe match ended 2-1.",
        language="en",
        now=NOW,
    )
    (hit,) = await search(any_store, "anthems")
    assert hit.article.id == article.id
    assert f"{MARK_START}anthems{MARK_END}" in hit.snippet


async def test_snippet_comes_from_where_the_words_match(any_store: Store) -> None:
    await fill(any_store, [("Choir news", "The choir will sing at noon in the square.")])
    (article,) = [h.article for h in await search(any_store, "choir")]
    summary = "A singular evening of music, say the organisers."
    await article_store.set_summary(any_store, article.id, summary=summary, language="en", now=NOW)
    # "singular" starts like "sing" but is another word: the text has the match.
    (hit,) = await search(any_store, "sing")
    assert hit.snippet == f"The choir will {MARK_START}sing{MARK_END} at noon in the square."
    (hit,) = await search(any_store, "news")  # the title only: the summary opens
    assert hit.snippet == summary
    (hit,) = await search(any_store, "evening")
    assert hit.snippet == f"A singular {MARK_START}evening{MARK_END} of music, say the organisers."


async def test_paging_with_offset(any_store: Store) -> None:
    stories = [(f"Storm report {n}", f"Storm number {n} hit the coast.") for n in range(25)]
    await fill(any_store, stories)
    pages = [await search(any_store, "storm", limit=10, offset=o) for o in (0, 10, 20, 30)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    ids = [h.article.id for p in pages for h in p]
    assert len(set(ids)) == 25
    assert await search(any_store, "storm", offset=WINDOW) == []
    assert await search(any_store, "storm", limit=0) == []


async def test_feed_filter(any_store: Store) -> None:
    a = await fill(any_store, [("Storm in the north", "Wind.")], feed="a")
    b = await fill(any_store, [("Storm in the south", "Rain.")], feed="b")
    assert titles(await search(any_store, "storm", feed_ids=[b])) == ["Storm in the south"]
    assert len(await search(any_store, "storm", feed_ids=[a, b])) == 2
    assert await search(any_store, "storm", feed_ids=[]) == []


async def test_feed_filter_and_now_together(any_store: Store) -> None:
    a = await fill(any_store, [("Storm in the north", "Wind.")], feed="a")
    b = await fill(any_store, [("Storm in the south", "Rain.")], feed="b")
    later = ParsedEntry(entry_hash="late", title="Storm at sea", text="Waves.")
    await article_store.upsert_articles(any_store, b, [later], now=NOW + timedelta(minutes=5))
    assert titles(await search(any_store, "storm", feed_ids=[b], now=NOW)) == [
        "Storm in the south"
    ]
    found = await search(any_store, "storm", feed_ids=[a, b], now=NOW + timedelta(minutes=5))
    assert len(found) == 3


async def test_now_hides_articles_fetched_later(any_store: Store) -> None:
    feed_id = await fill(any_store, [("Storm one", "Wind.")])
    later = ParsedEntry(entry_hash="late", title="Storm two", text="Rain.")
    await article_store.upsert_articles(
        any_store, feed_id, [later], now=NOW + timedelta(minutes=5)
    )
    assert titles(await search(any_store, "storm", now=NOW)) == ["Storm one"]
    assert len(await search(any_store, "storm", now=NOW + timedelta(minutes=5))) == 2
    assert await search(any_store, "storm", now=NOW - timedelta(days=1)) == []


async def test_updated_text_is_searchable(any_store: Store) -> None:
    feed_id = await fill(any_store, [("Storm", "Wind.")])
    changed = ParsedEntry(entry_hash="a-0", title="Storm", text="Hail the size of eggs.")
    await article_store.upsert_articles(any_store, feed_id, [changed], now=NOW)
    assert titles(await search(any_store, "hail")) == ["Storm"]
    assert await search(any_store, "wind") == []


async def test_removed_feed_articles_leave_the_index(any_store: Store) -> None:
    feed_id = await fill(any_store, [("Storm", "Wind.")])
    await feed_store.remove_feed(any_store, feed_id)
    assert await search(any_store, "storm") == []


async def test_postgres_window_widens_until_it_is_full(pg_store: Store) -> None:
    # Matches are the oldest articles and every fifth of the rest: the first, narrow step
    # finds too few, so the window widens (by the density seen, then to all articles) until
    # it holds the newest `window` matches, or reads all older articles at once when the
    # density seen promises few.
    feed_id = await fill(pg_store, [("Storm" if n < 4 else "Calm", f"Day {n}.") for n in range(8)])
    later = [
        ParsedEntry(entry_hash=f"late-{n}", title="Storm" if n % 5 == 0 else "Calm", text="Rain.")
        for n in range(32)
    ]
    await article_store.upsert_articles(pg_store, feed_id, later, now=NOW + timedelta(hours=1))
    parsed = parse_query("storm")

    async def ids(window: int, now: datetime | None = None, all_matches: int = 0) -> list[int]:
        async with pg_store.read_only() as conn:
            rows = await search_pg.page(
                conn,
                parsed,
                window=window,
                limit=100,
                offset=0,
                columns="a.id, a.fetched_at",
                now=now,
                first_span=5,
                all_matches=all_matches,
            )
        return sorted(row[0] for row in rows)

    everything = await ids(100)
    assert len(everything) == 4 + 7
    assert await ids(100, all_matches=10_000) == everything
    assert await ids(6) == everything[-6:]
    assert await ids(2) == everything[-2:]  # the middle step is enough
    assert await ids(6, all_matches=10_000) == everything[-6:]
    assert await ids(6, now=NOW) == everything[:4]
    assert await ids(6, now=NOW - timedelta(days=1)) == []
    # Once ANALYZE has counted "storm", the first span is sized to hold the window.
    async with pg_store.begin() as conn:
        await conn.exec_driver_sql("ANALYZE articles")
    assert await ids(6) == everything[-6:]
    assert await ids(100) == everything


async def test_postgres_walks_back_for_a_very_common_word(pg_store: Store) -> None:
    # "storm" is in the 30 oldest articles, "calm" in the 10 newest. Once ANALYZE has counted
    # them, "storm" is common enough to be walked newest first, but the newest span holds none:
    # the search falls back to the GIN steps and still finds the newest storms.
    stories = [("Storm" if n < 30 else "Calm", f"Day {n}.") for n in range(40)]
    await fill(pg_store, stories)  # stored in order: ids grow with n
    async with pg_store.begin() as conn:
        await conn.exec_driver_sql("ANALYZE articles")
        ids = [
            row[0]
            for row in await conn.execute(text("SELECT id, title FROM articles ORDER BY id"))
        ]
        titles = dict((await conn.execute(text("SELECT id, title FROM articles"))).all())

    async def found(word: str, window: int) -> list[int]:
        async with pg_store.read_only() as conn:
            rows = await search_pg.page(
                conn,
                parse_query(word),
                window=window,
                limit=100,
                offset=0,
                columns="a.id, a.fetched_at",
                first_span=5,
            )
        return sorted(row[0] for row in rows)

    newest = {
        word: [i for i in ids if titles[i] == word.capitalize()] for word in ("storm", "calm")
    }
    assert await found("calm", 2) == newest["calm"][-2:]
    assert await found("storm", 2) == newest["storm"][-2:]
    assert await found("storm", 100) == newest["storm"]


async def test_phrase_deep_in_a_very_long_article_is_found(any_store: Store) -> None:
    # On PostgreSQL such a tsvector is too big for the row even with STORAGE MAIN: it goes out
    # of line, and the phrase check still reads it.
    filler = " ".join(f"word{n} alpha{n % 97}." for n in range(4_000))
    await fill(
        any_store,
        [("Long read", f"{filler} The harbour bridge reopened."), ("Short", "Bridge harbour.")],
    )
    found = await search(any_store, '"harbour bridge"')
    assert [hit.article.title for hit in found] == ["Long read"]


async def test_postgres_keeps_the_tsvector_in_the_row_and_no_pending_list(pg_store: Store) -> None:
    # Migration 0006: a phrase check reads the article's own page, not TOAST; new articles go
    # straight into the GIN index, so no search scans a pending list.
    async with pg_store.connect() as conn:
        storage = (
            await conn.execute(
                text(
                    "SELECT attstorage::text FROM pg_attribute"
                    " WHERE attrelid = 'articles'::regclass AND attname = 'tsv'"
                )
            )
        ).scalar()
        options = (
            await conn.execute(
                text("SELECT reloptions FROM pg_class WHERE relname = 'ix_articles_tsv'")
            )
        ).scalar()
    assert (storage, options) == ("m", ["fastupdate=off"])


async def test_search_sees_what_was_stored_after_earlier_searches(any_store: Store) -> None:
    # Search keeps its connections between requests: none may hold on to an old snapshot.
    feed_id = await fill(any_store, [("Storm", "Wind.")])
    assert await search(any_store, "hail") == []
    for n in range(3):
        entry = ParsedEntry(entry_hash=f"hail-{n}", title=f"Hail {n}", text="Hail fell.")
        await article_store.upsert_articles(any_store, feed_id, [entry], now=NOW)
        assert len(await search(any_store, "hail")) == n + 1


async def test_searches_at_once_each_get_their_answer(any_store: Store) -> None:
    await fill(any_store)
    queries = ["climate", "summit", "markets", "café", "running"] * 4
    alone = [titles(await search(any_store, q)) for q in queries]
    together = await asyncio.gather(*(search(any_store, q) for q in queries))
    assert [titles(hits) for hits in together] == alone


async def test_search_carries_on_after_the_server_drops_its_connections(
    pg_store: Store,
) -> None:
    await fill(pg_store)
    assert titles(await search(pg_store, "markets")) == ["Markets rally"]
    async with pg_store.begin() as conn:  # as a restart or an idle timeout would
        await conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    assert titles(await search(pg_store, "markets")) == ["Markets rally"]


async def test_search_connections_cannot_write(any_store: Store) -> None:
    await fill(any_store)
    with pytest.raises(DBAPIError, match=r"readonly|read-only transaction"):
        async with any_store.read_only() as conn:
            await conn.execute(text("DELETE FROM articles"))
    assert titles(await search(any_store, "markets")) == ["Markets rally"]
    await fill(any_store, [("Markets fall", "Stocks fell.")], feed="b")  # writers still write
    assert len(await search(any_store, "markets")) == 2


async def test_pages_of_results_say_whether_another_follows(any_store: Store) -> None:
    await fill(any_store, [(f"Storm {n}", "Storm warning for the coast.") for n in range(12)])
    everything = titles(await search(any_store, "storm", limit=50))
    pages = [await search_page(any_store, "storm", page=n, per_page=5) for n in (1, 2, 3, 4)]
    assert [len(p.hits) for p in pages] == [5, 5, 2, 0]
    assert [p.has_more for p in pages] == [True, True, False, False]
    assert [t for p in pages for t in titles(p.hits)] == everything
    exactly = await search_page(any_store, "storm", page=2, per_page=6)
    assert (len(exactly.hits), exactly.has_more) == (6, False)
