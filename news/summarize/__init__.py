"""Extractive summaries of news articles: clean, detect the language, split, rate, fit.

``summarize`` is synchronous and CPU-bound (the pipeline runs it in ``asyncio.to_thread``);
it keeps no state between calls except per-language caches, so it is thread-safe.
"""

from __future__ import annotations

import re

from news.summarize.boilerplate import clean_text
from news.summarize.fit import fit
from news.summarize.language import SUMY_LANGUAGES, detect_language, language_kit
from news.summarize.rank import WEIGHTS, Weights, rated
from news.summarize.sentences import split_sentences
from news.summarize.tokenizer import words

__all__ = ["WEIGHTS", "Weights", "clean_text", "detect_language", "split_sentences", "summarize"]

# Articles are read from the top: a summary never needs more than the first ~100 kB or the
# first 300 sentences, and the caps keep a 1 MB page from costing seconds.
MAX_INPUT_CHARS = 100_000
MAX_SENTENCES = 300
_NOT_WORD = re.compile(r"[\W_]+")
_CODES_BY_NAME = {name: code for code, name in SUMY_LANGUAGES.items()}


def summarize(
    text: str,
    *,
    language: str | None = None,
    sentences: int = 3,
    max_chars: int = 600,
    title: str | None = None,
    weights: Weights = WEIGHTS,
) -> list[str]:
    """Return up to ``sentences`` sentences of ``text`` that summarize it, in article order."""
    if sentences <= 0 or max_chars <= 0:
        return []
    body = clean_text(_head(text))
    if not body:
        return []
    code = _language_code(language) if language else detect_language(body)
    parts = [s for s in split_sentences(body, code) if not _is_title(s, title)]
    parts = parts[:MAX_SENTENCES]
    if not parts:
        return []
    tokens = [words(s) for s in parts]
    terms = language_kit(code).terms(tokens)
    return fit(parts, rated(parts, [len(t) for t in tokens], terms, weights), sentences, max_chars)


def _head(text: str) -> str:
    if len(text) <= MAX_INPUT_CHARS:
        return text
    cut = text.rfind("\n", 0, MAX_INPUT_CHARS)
    return text[: cut if cut > 0 else MAX_INPUT_CHARS]


def _language_code(language: str) -> str:
    # "pt-BR", "de_AT", "EN" name a language by their first part; sumy's names ("german") too.
    code = re.split(r"[-_]", language.strip().lower(), maxsplit=1)[0] or "en"
    return _CODES_BY_NAME.get(code, code)


def _is_title(sentence: str, title: str | None) -> bool:
    # The digest shows the title already; a body that repeats it should not show it twice.
    if not title:
        return False
    return _NOT_WORD.sub("", sentence).casefold() == _NOT_WORD.sub("", title).casefold()
