"""news.summarize.summarize: what a digest reader gets for an article."""

import math
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nltk
import numpy as np
import pytest

from news.summarize import summarize
from news.summarize.fit import ELLIPSIS, fit
from news.summarize.language import language_kit
from news.summarize.rank import similarities

SEED = Path(__file__).resolve().parent.parent / "data" / "summarize" / "000_3db6b54fe26f4393.txt"

ARTICLE = [
    "The city council approved a new budget for public schools on Monday.",
    "The U.S. Department of Education had warned that 3.5% of schools needed urgent repairs.",
    'Dr. Jane Smith, who chairs the council, said: "We listened. Parents were right."',
    "The budget adds $12 million for school repairs and hires 40 new teachers.",
    "Mr. Jones, a parent of two, said the repairs were long overdue at his children's school.",
    "Critics on the council said the budget for schools relies on a tax rise.",
    "The tax rise will cost the average household about $80 a year.",
    "The council will vote on the tax rise in March.",
    "Schools will start the repairs in the summer holidays.",
]
TEXT = " ".join(ARTICLE[:4]) + "\n\n" + " ".join(ARTICLE[4:])


def test_seed_article_summary_holds_only_story_sentences() -> None:
    raw = SEED.read_text(encoding="utf-8")
    lines = raw.splitlines()
    # The story: from the first prose line after the byline to the last line before the
    # syndication disclaimer.
    start = lines.index("- From: India News Bull") + 1
    end = next(i for i, line in enumerate(lines) if "syndicated feed" in line)
    story = "\n".join(lines[start:end])
    summary = summarize(raw, title=lines[0])
    assert 2 <= len(summary) <= 3
    for sentence in summary:
        assert sentence in story
        for junk in ("Views", "Date & Time", "India News Bull", "NDTV", "Source:", "|"):
            assert junk not in sentence
    assert len(" ".join(summary)) <= 600


def test_summary_is_whole_sentences_in_article_order() -> None:
    summary = summarize(TEXT, sentences=3)
    assert len(summary) == 3
    positions = [ARTICLE.index(s) for s in summary]
    assert positions == sorted(positions)


def test_summary_starts_from_the_lead_on_a_news_story() -> None:
    assert summarize(TEXT, sentences=1) == [ARTICLE[0]]


@pytest.mark.parametrize("max_chars", [80, 150, 250, 600])
def test_summary_fits_the_length_cap_with_whole_sentences(max_chars: int) -> None:
    summary = summarize(TEXT, sentences=5, max_chars=max_chars)
    assert summary
    assert len(" ".join(summary)) <= max_chars
    assert all(s in ARTICLE for s in summary)


def test_a_first_sentence_longer_than_the_cap_is_shortened_with_an_ellipsis() -> None:
    long_sentence = "The council " + " ".join(["approved the new school budget"] * 30) + "."
    summary = summarize(long_sentence, max_chars=100)
    assert len(summary) == 1
    assert len(summary[0]) <= 100
    assert summary[0].endswith(ELLIPSIS)
    assert long_sentence.startswith(summary[0][: -len(ELLIPSIS)])
    assert not summary[0][: -len(ELLIPSIS)].endswith(" ")


def test_no_sentence_repeats_another_in_other_words() -> None:
    text = (
        "The city council approved a new budget for public schools on Monday. "
        "On Monday the council approved the new budget for the city's public schools. "
        "The budget for public schools adds money for repairs and new teachers. "
        "Council members said the public schools budget was the largest in a decade. "
        "The schools budget passed by seven votes to two."
    )
    summary = summarize(text, sentences=3)
    assert len(summary) == 3
    both = {
        "The city council approved a new budget for public schools on Monday.",
        "On Monday the council approved the new budget for the city's public schools.",
    }
    assert not both <= set(summary)


def test_a_paragraph_repeated_by_the_page_appears_once() -> None:
    summary = summarize(TEXT + "\n\n" + ARTICLE[0] + "\n\n" + TEXT, sentences=5, max_chars=2000)
    assert len(summary) == len(set(summary))


def test_a_body_line_repeating_the_title_is_left_out() -> None:
    title = "Council approves school budget"
    summary = summarize(f"{title}.\n{TEXT}", title=title, sentences=2)
    assert all(s in ARTICLE for s in summary)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("", id="empty"),
        pytest.param("   \n\t\n  ", id="whitespace"),
        pytest.param("!!! ... ???", id="punctuation"),
        pytest.param("\x00\x01\ufffd" * 50, id="control-characters"),
        pytest.param("Share this article\nAdvertisement\nRead more", id="only-boilerplate"),
    ],
)
def test_texts_without_sentences_give_an_empty_summary(text: str) -> None:
    assert summarize(text) == []


def test_a_single_sentence_is_its_own_summary() -> None:
    assert summarize("The council approved the budget.") == ["The council approved the budget."]


def test_a_headline_without_a_period_is_still_summarized() -> None:
    assert summarize("Council approves new school budget") == [
        "Council approves new school budget"
    ]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(TEXT * 1200, id="1MB-article"),
        pytest.param("word " * 220_000, id="1MB-without-periods"),
        pytest.param("x" * 1_000_000, id="1MB-single-token"),
        pytest.param("Line one.\n" * 100_000, id="1MB-of-lines"),
    ],
)
def test_huge_inputs_give_a_capped_summary(text: str) -> None:
    summary = summarize(text, max_chars=600)
    assert 1 <= len(summary) <= 3
    assert len(" ".join(summary)) <= 600


def test_zero_sentences_or_zero_characters_give_nothing() -> None:
    assert summarize(TEXT, sentences=0) == []
    assert summarize(TEXT, max_chars=0) == []


def test_summaries_are_deterministic_and_thread_safe() -> None:
    texts = [TEXT, SEED.read_text(encoding="utf-8"), " ".join(reversed(ARTICLE))] * 4
    expected = [summarize(t) for t in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(summarize, texts)) == expected
    assert [summarize(t) for t in texts] == expected


def test_no_nltk_data_is_needed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # NLTK looks for punkt and friends on nltk.data.path: point it at an empty folder and build
    # a language's resources from scratch.
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    language_kit.cache_clear()
    dutch = (
        "De regering heeft dinsdag een nieuw plan voor de woningbouw gepresenteerd. "
        "Volgens de minister worden er tot 2030 zeker 900.000 woningen gebouwd. "
        "Gemeenten moeten daarvoor meer bouwgrond beschikbaar stellen. "
        "De oppositie noemt het plan voor de woningbouw te weinig ambitieus."
    )
    assert len(summarize(dutch, language="nl", sentences=2)) == 2
    assert len(summarize(TEXT, language="en")) == 3


def test_the_cap_keeps_the_fitting_set_with_the_most_worth() -> None:
    long = "The council approved " + "a long list of school repairs, " * 12 + "on Monday."
    short = ["The budget adds $12 million.", "Forty teachers will be hired."]
    sentences = [long, *short]
    cap = len(long) + 5
    # One long sentence rated best, two short ones rated a bit lower each: together they are
    # worth more, and greedy-then-skip would have kept the long one alone.
    assert fit(sentences, [(0, 3.0), (1, 2.0), (2, 2.0)], 3, cap) == short
    assert fit(sentences, [(0, 5.0), (1, 2.0), (2, 2.0)], 3, cap) == [long]
    assert fit(sentences, [(0, 5.0), (1, 2.0), (2, 2.0)], 3, 10_000) == sentences


def test_similarity_is_textranks_shared_words_over_log_lengths() -> None:
    # Sentence 0 has the words {a, b, c} (b twice), 1 has {a, b, d, e}, 2 has {f}.
    rows = np.array([0, 0, 0, 0, 1, 1, 1, 1, 2])
    columns = np.array([0, 1, 1, 2, 0, 1, 3, 4, 5])
    similarity, overlap = similarities(3, rows, columns)
    # Words count once per sentence: 2 shared, over log 3 + log 4.
    assert similarity[0, 1] == similarity[1, 0] == pytest.approx(2 / (math.log(3) + math.log(4)))
    assert overlap[0, 1] == pytest.approx(2 / 3)
    assert similarity[0, 2] == similarity[2, 2] == overlap[1, 2] == 0.0
