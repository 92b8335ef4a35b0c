"""Language detection (py3langid, model inside the wheel), stemmers and stop words."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from py3langid.langid import MODEL_FILE, LanguageIdentifier
from sumy.nlp.stemmers import Stemmer as SumyStemmer
from sumy.nlp.stemmers import null_stemmer
from sumy.utils import get_stop_words

# ISO 639-1 code -> sumy's language name, for every language with a stemmer (Snowball's in C
# from PyStemmer, or sumy's own for Slovak and Ukrainian) where the text is split at periods
# the way our splitter expects (Latin, Cyrillic and Greek scripts).
SUMY_LANGUAGES: dict[str, str] = {
    "en": "english",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "ru": "russian",
    "pt": "portuguese",
    "it": "italian",
    "nl": "dutch",
    "sv": "swedish",
    "da": "danish",
    "no": "norwegian",
    "fi": "finnish",
    "hu": "hungarian",
    "ro": "romanian",
    "cs": "czech",
    "sk": "slovak",
    "pl": "polish",
    "uk": "ukrainian",
    "el": "greek",
}

# sumy ships no Russian stop words (and NLTK's list is a data download): the common ones.
_RUSSIAN_STOP_WORDS = frozenset(
    str.split(
        """и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее её мне было вот от меня еще ещё нет о из ему теперь когда даже ну вдруг ли если уже или
    ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут
    где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет
    ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы
    нее неё сейчас были куда зачем всех никогда можно при наконец два об другой хоть после
    над больше тот через эти нас про всего них какая много разве три эту моя впрочем хорошо
    свою этой перед иногда лучше чуть том нельзя такой им более всегда конечно всю между
    это также который которая которые которого котором которых также года году лет"""
    )
)
_EXTRA_STOP_WORDS: dict[str, frozenset[str]] = {"russian": _RUSSIAN_STOP_WORDS}
_SNOWBALL = frozenset(Stemmer.algorithms())
_THREAD = threading.local()

# Below this probability the detector is guessing; news text that short is summarized as
# English-ish (no stemming) rather than with a wrong stemmer.
_MIN_CONFIDENCE = 0.5
# py3langid walks the sample byte by byte in Python, so its cost is the sample's length; 150
# to 1,000 characters gave the same language on every dev-set text, newspaper4k's test pages
# in 14 languages and our tests; 200 keeps a margin.
_SAMPLE_CHARS = 200
_LETTERS = re.compile(r"[^\W\d_]")


@dataclass(frozen=True, slots=True)
class LanguageKit:
    """What rating needs for one language: a stemmer and stop words (both may be no-ops)."""

    code: str
    stem: Callable[[str], str]
    stop_words: frozenset[str]

    def terms(self, words: Sequence[Sequence[str]]) -> list[list[str]]:
        """Return each sentence's words lower-cased and stemmed, stop words left out."""
        stop_words, stem = self.stop_words, self.stem
        return [[stem(w) for w in map(str.lower, ws) if w not in stop_words] for ws in words]


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of the text's language; "en" when unsure."""
    sample = text[:_SAMPLE_CHARS]
    if len(_LETTERS.findall(sample)) < 3:
        return "en"
    code, confidence = _identifier().classify(sample)
    if confidence < _MIN_CONFIDENCE:
        return "en"
    return str(code)


@lru_cache(maxsize=64)
def language_kit(code: str) -> LanguageKit:
    """Return the stemmer and stop words for an ISO 639-1 code (no-op ones when unknown)."""
    name = SUMY_LANGUAGES.get(code)
    if name is None:
        return LanguageKit(code, null_stemmer, frozenset())
    try:
        stop_words = get_stop_words(name)
    except LookupError:
        stop_words = _EXTRA_STOP_WORDS.get(name, frozenset())
    return LanguageKit(code, _cached(_stemmer(name)), frozenset(w.lower() for w in stop_words))


def _stemmer(name: str) -> Callable[[str], str]:
    """Return Snowball's stemmer in C (PyStemmer) or, for the languages it lacks, sumy's."""
    if name in _SNOWBALL:
        # PyStemmer's stemmers are not thread-safe: one per thread.
        def snowball(word: str) -> str:
            stemmers: dict[str, Stemmer.Stemmer] = _THREAD.__dict__.setdefault("stemmers", {})
            if name not in stemmers:
                stemmers[name] = Stemmer.Stemmer(name, 0)  # no cache: _cached() is the cache
            return str(stemmers[name].stemWord(word))

        return snowball
    stemmer: Callable[[str], str] = SumyStemmer(name)
    return stemmer


def _cached(stemmer: Callable[[str], str]) -> Callable[[str], str]:
    # News vocabulary repeats: memoized, a word costs a dictionary lookup after its first time.
    @lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        return str(stemmer(word))

    return stem
