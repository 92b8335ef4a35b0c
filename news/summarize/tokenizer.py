"""Words, and the tokenizer object sumy calls (``to_sentences``, ``to_words``) on our splitter.

sumy's own ``Tokenizer`` needs NLTK's punkt data, which is a download; sumy only ever calls
these two methods, so this object stands in for it wherever sumy runs (the benchmarks).
"""

from __future__ import annotations

import re

from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence

from news.summarize.sentences import split_sentences

# Words as sumy counts them: letters, with inner apostrophes and hyphens ("don't", "ex-wife").
_WORDS = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def words(sentence: str) -> list[str]:
    """Return the words of a sentence (no digits or punctuation)."""
    return _WORDS.findall(sentence)


class SentenceTokenizer:
    """sumy tokenizer for one language: our sentence splitter and a letters-only word regex."""

    def __init__(self, language: str = "en") -> None:
        self.language = language

    def to_sentences(self, paragraph: str) -> tuple[str, ...]:
        """Return the sentences of a paragraph."""
        return tuple(split_sentences(paragraph, self.language))

    def to_words(self, sentence: str) -> tuple[str, ...]:
        """Return the words of a sentence (no digits or punctuation)."""
        return tuple(words(sentence))


def to_document(sentences: list[str], tokenizer: SentenceTokenizer) -> ObjectDocumentModel:
    """Return a sumy document of one paragraph holding exactly these sentences."""
    return ObjectDocumentModel([Paragraph([Sentence(s, tokenizer) for s in sentences])])
