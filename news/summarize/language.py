"""Language detection (py3langid, model inside the wheel), stemmers and stop words."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier
from sumy.nlp.stemmers import Stemmer, null_stemmer
from sumy.utils import get_stop_words

# ISO 639-1 code -> sumy's language name, for every language where sumy has a stemmer
# (NLTK's Snowball, which needs no data download, or sumy's own) and the text is split at
# periods the way our splitter expects (Latin, Cyrillic and Greek scripts).
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

# Below this probability the detector is guessing; news text that short is summarized as
# English-ish (no stemming) rather than with a wrong stemmer.
_MIN_CONFIDENCE = 0.5
# py3langid walks the sample byte by byte in Python: its cost is the sample's length. 300 to
# 1,000 characters give the same language on every dev-set and test text (bench/results/speed.md).
_SAMPLE_CHARS = 400
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
    stemmer: Callable[[str], str] = Stemmer(name)
    try:
        stemmer("probe")
    except ValueError:
        # sumy's Polish and Greek stemmers need optional packages; stop words still help.
        stemmer = null_stemmer
    try:
        stop_words = get_stop_words(name)
    except LookupError:
        stop_words = _EXTRA_STOP_WORDS.get(name, frozenset())
    return LanguageKit(code, _cached(stemmer), frozenset(w.lower() for w in stop_words))


def _cached(stemmer: Callable[[str], str]) -> Callable[[str], str]:
    # Snowball stemming costs ~10 µs a word; news vocabulary repeats, so memoize per language.
    @lru_cache(maxsize=65536)
    def stem(word: str) -> str:
        return str(stemmer(word))

    return stem
