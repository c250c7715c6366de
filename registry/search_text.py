"""Folding names so that spelling variants meet: case, diacritics, Cyrillic, transliteration.

"Nazarbaev" and "Nazarbayev", "KazMunaiGas" and "KazMunaiGAZ", "Astanaeximbank" and
"AstanaEximbank", "Назарбаев" all fold to the same skeleton. Both the stored names and
the query are folded the same way; the database then matches folded substrings with its
own index (pg_trgm on PostgreSQL, FTS5 trigram on SQLite).
"""

import re
import unicodedata

__all__ = ["fold", "fold_tokens"]

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
_NON_WORD = re.compile(r"[^a-z0-9]+")
_DOUBLED = re.compile(r"([a-z])\1+")


def _fold_word(word: str) -> str:
    for variant, skeleton in _VARIANTS:
        word = word.replace(variant, skeleton)
    return _DOUBLED.sub(r"\1", word)


def fold_tokens(text: str) -> list[str]:
    """The folded words of `text`, in order."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    latin = "".join(_CYRILLIC.get(c, c) for c in stripped)
    return [_fold_word(word) for word in _NON_WORD.split(latin) if word]


def fold(text: str) -> str:
    return " ".join(fold_tokens(text))
