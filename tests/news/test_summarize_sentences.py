"""Sentence splitting and boilerplate removal: the cases that make summaries read badly."""

from pathlib import Path

import pytest

from news.summarize import clean_text, split_sentences

SEED = Path(__file__).resolve().parent.parent / "data" / "summarize" / "000_3db6b54fe26f4393.txt"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "The U.S. economy grew 3.5% last year. Dr. Smith said so. Mr. Jones agreed.",
            ["The U.S. economy grew 3.5% last year.", "Dr. Smith said so.", "Mr. Jones agreed."],
            id="abbreviations-and-decimals",
        ),
        pytest.param(
            "A judge ordered V. Stiviano to pay $2.6 million. John F. Kennedy was president.",
            ["A judge ordered V. Stiviano to pay $2.6 million.", "John F. Kennedy was president."],
            id="initials",
        ),
        pytest.param(
            'He said: "Quoted. Sentences." Then he left. She asked "Why?" and walked out.',
            ['He said: "Quoted. Sentences."', "Then he left.", 'She asked "Why?" and walked out.'],
            id="quotes",
        ),
        pytest.param(
            "It was set to the theme from '90s sitcom 'The Fresh Prince of Bel-Air. ' The clip "
            "went viral. ' I can't help it, ' she said.",
            [
                "It was set to the theme from '90s sitcom 'The Fresh Prince of Bel-Air.'",
                "The clip went viral.",
                "' I can't help it, ' she said.",
            ],
            id="spaced-quotes-stay-with-their-sentence",
        ),
        pytest.param(
            "Gen. Igor Konashenkov said the jet flew past. Gov. Brown was told at 5 p.m. Friday.",
            [
                "Gen. Igor Konashenkov said the jet flew past.",
                "Gov. Brown was told at 5 p.m. Friday.",
            ],
            id="titles-and-times",
        ),
        pytest.param(
            "(CNN) Donald Sterling's remarks cost him a team. But now his companion has lost big.",
            [
                "(CNN) Donald Sterling's remarks cost him a team.",
                "But now his companion has lost big.",
            ],
            id="dateline-stays-with-its-sentence",
        ),
        pytest.param(
            "The plan has three parts:\n- Cut taxes for small firms.\n- Build 500 new homes.\n"
            "2. Hire more nurses.\n• Open two clinics",
            [
                "The plan has three parts:",
                "Cut taxes for small firms.",
                "Build 500 new homes.",
                "Hire more nurses.",
                "Open two clinics",
            ],
            id="list-items",
        ),
        pytest.param(
            "This paragraph was hard-wrapped by the feed at a fixed width, so that\n"
            "one sentence runs over two lines. The next one does not.\n\nNew paragraph here.",
            [
                "This paragraph was hard-wrapped by the feed at a fixed width, so that one "
                "sentence runs over two lines.",
                "The next one does not.",
                "New paragraph here.",
            ],
            id="wrapped-lines-and-paragraphs",
        ),
        pytest.param(
            "He said no. Then he left. It was No. 1 in the charts on Jan. 5 this year.",
            ["He said no.", "Then he left.", "It was No. 1 in the charts on Jan. 5 this year."],
            id="abbreviations-before-numbers",
        ),
        pytest.param(
            "BREAKING. The talks have ended. Similar?: Tokyo proposed a laser system.",
            ["BREAKING. The talks have ended.", "Similar?: Tokyo proposed a laser system."],
            id="fragments-join-the-next-sentence",
        ),
        pytest.param(
            "He left. It was late. Nobody saw him go.",
            ["He left.", "It was late.", "Nobody saw him go."],
            id="short-sentences-are-kept",
        ),
    ],
)
def test_hard_english_cases_split_into_whole_sentences(text: str, expected: list[str]) -> None:
    assert split_sentences(text, "en") == expected


def test_german_ordinals_and_abbreviations_do_not_end_sentences() -> None:
    text = "Die Sitzung ist am 3. Oktober. Dr. Müller sagte z. B. nichts dazu. Das ist neu."
    assert split_sentences(text, "de") == [
        "Die Sitzung ist am 3. Oktober.",
        "Dr. Müller sagte z. B. nichts dazu.",
        "Das ist neu.",
    ]


def test_empty_and_blank_text_have_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\t \n") == []


def test_seed_article_loses_its_boilerplate_and_keeps_its_story() -> None:
    raw = SEED.read_text(encoding="utf-8")
    cleaned = clean_text(raw)
    for junk in ("Date & Time", "Views: 20", "From: India News Bull", "NDTV", "Source: http"):
        assert junk not in cleaned
    assert "\n|" not in cleaned
    assert cleaned.startswith("Trump's Second Putin Summit Plan")
    story = [line for line in raw.splitlines() if len(line.split()) > 12 and "NDTV" not in line]
    assert all(line in cleaned.splitlines() for line in story)


@pytest.mark.parametrize(
    "line",
    [
        "By Jane Doe and John Roe in London",
        "By . Daily Mail Reporter .",
        "From: India News Bull",
        "- Views: 20",
        "Date & Time: 17 Oct 2025, 09:12",
        "|",
        "Source: https://example.com/story/1",
        "(This story has not been edited by NDTV staff and is auto-generated from a syndicated "
        "feed.)",
        "Share this article",
        "Subscribe to our newsletter",
        "Follow us on Twitter",
        "Read more: Why markets fell",
        "Advertisement",
        "Photo: Reuters/John Smith",
        "Image copyright Getty Images",
        "© 2025 Example News. All rights reserved.",
    ],
)
def test_boilerplate_lines_are_removed(line: str) -> None:
    text = f"The council met on Monday.\n{line}\nIt approved the budget."
    assert clean_text(text) == "The council met on Monday.\nIt approved the budget."


@pytest.mark.parametrize(
    "line",
    [
        "By the time the police arrived, the crowd had gone.",
        "Shares fell 5% on Monday.",
        "Related charges were filed against him.",
        "Join us at the fair, organisers said.",
        "From the start, the plan was unpopular.",
    ],
)
def test_story_sentences_that_look_like_boilerplate_stay(line: str) -> None:
    text = f"The council met on Monday.\n{line}"
    assert clean_text(text) == text


def test_datelines_are_removed_from_the_first_sentence() -> None:
    assert clean_text("(CNN)Donald Sterling lost a team.") == "Donald Sterling lost a team."
    assert clean_text("LONDON (Reuters) - The pound fell.") == "The pound fell."
