"""Folding and stemming text so that spelling variants and word forms meet.

Folding removes case, diacritics, Cyrillic and transliteration variants: "Nazarbaev" and
"Nazarbayev", "KazMunaiGas" and "KazMunaiGAZ", "Назарбаев" all fold to the same skeleton.
Stemming (Snowball: the Russian stemmer for Cyrillic words, the English one for the rest,
applied before folding since each works on its own alphabet) makes "refineries" meet
"refinery" and "заводы" meet "завод". Stored text and queries go through the same functions;
the database then matches with its own indexes (registry.graphql.core.text_search).
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

__all__ = ["Word", "analyse", "compact", "fold", "fold_tokens", "stems_text"]

_CYRILLIC = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюяіўқғңүұһәө",
        [
            "a", "b", "v", "g", "d", "e", "e", "zh", "z", "i", "i", "k", "l", "m", "n", "o", "p",
            "r", "s", "t", "u", "f", "kh", "ts", "ch", "sh", "shch", "", "y", "", "e", "yu", "ya",
            "i", "u", "k", "g", "n", "u", "u", "h", "a", "o",
        ],
        strict=True,
    )
)

# Order matters: longer spellings first. Each pair maps a variant onto one skeleton.
_VARIANTS = [
    ("shch", "sh"), ("sch", "sh"), ("kh", "h"), ("dzh", "j"), ("zh", "j"), ("tz", "c"), ("ts", "c"),
    ("ye", "e"), ("yo", "e"), ("ya", "a"), ("yu", "u"), ("ia", "a"), ("iu", "u"), ("y", "i"),
    ("x", "ks"), ("q", "k"), ("w", "v"), ("ck", "k"), ("ph", "f"), ("z", "s"),
]
# A word is a run of Latin letters, digits and the Cyrillic letters above (after case folding
# and stripping diacritics); anything else separates words.
_WORD = re.compile("[a-z0-9" + "".join(_CYRILLIC) + "]+")
_DOUBLED = re.compile(r"([a-z])\1+")
_ENGLISH = Stemmer.Stemmer("english")
_RUSSIAN = Stemmer.Stemmer("russian")


@dataclass(frozen=True, slots=True)
class Word:
    folded: str  # the word folded: what names are matched on, letter by letter
    stem: str  # its Snowball stem, folded: what word forms meet on


def _fold_word(word: str) -> str:
    latin = "".join(_CYRILLIC.get(c, c) for c in word)
    for variant, skeleton in _VARIANTS:
        latin = latin.replace(variant, skeleton)
    return _DOUBLED.sub(r"\1", latin)


@lru_cache(maxsize=65536)  # names and queries repeat the same words over and over
def _word(raw: str) -> Word:
    stemmer = _RUSSIAN if any(c in _CYRILLIC for c in raw) else _ENGLISH
    return Word(_fold_word(raw), _fold_word(stemmer.stemWord(raw)))


def _raw_words(text: str) -> list[str]:
    # ASCII text (most names and excerpts) skips the character-by-character walk, a tenth of a
    # bulk write's CPU: NFKD leaves it as it is, it has no combining marks, and its casefold is lower.
    if text.isascii():
        return _WORD.findall(text.lower())
    return _decomposed_words(text)


def _decomposed_words(text: str) -> list[str]:
    """The words of any text: case folded, decomposed (NFKD) and stripped of combining marks."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return _WORD.findall("".join(c for c in decomposed if not unicodedata.combining(c)))


def analyse(text: str) -> list[Word]:
    """The words of `text`, in order, each folded and stemmed (words folding to nothing dropped)."""
    return [word for raw in _raw_words(text) if (word := _word(raw)).folded]


def fold_tokens(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    return [word.folded for word in analyse(text)]


def fold(text: str) -> str:
    return " ".join(fold_tokens(text))


def compact(text: str) -> str:
    """The folded words run together: "Kazmunai gas" and "KazMunaiGas" give the same."""
    return "".join(fold_tokens(text))


def stems_text(words: list[Word]) -> str:
    """The stems between single spaces, with one before and after, so that ' stem ' finds a whole word."""
    return " " + " ".join([word.stem for word in words]) + " "
