"""Folding: the shortcut for ASCII text splits words exactly as the general path does."""

import pytest

from registry.search_text import _decomposed_words, _raw_words, fold

ASCII_SAMPLES = [
    "".join(map(chr, range(128))),  # every ASCII character, the controls included
    "KazMunaiGas JSC, Astana (2004-05); SAMRUK-KAZYNA_fund",
    "Nazarbayev Nazarbaev NAZARBAEV",
    "a benchmark statement",
    "",
    "   \t\n ",
]


@pytest.mark.parametrize("text", ASCII_SAMPLES)
def test_ascii_text_splits_as_the_general_path_does(text):
    assert text.isascii()
    assert _raw_words(text) == _decomposed_words(text)


@pytest.mark.parametrize(("text", "words"), [
    ("Назарбаев ҚазМұнайГаз", ["назарбаев", "қазмұнаигаз"]),
    ("Nazarbáyev e\u0301cole", ["nazarbayev", "ecole"]),  # composed and combining accents
    ("Ⅻ ﬁnance Straße", ["xii", "finance", "strasse"]),  # compatibility forms, full case folding
])
def test_other_text_is_case_folded_decomposed_and_stripped_of_marks(text, words):
    assert _raw_words(text) == words


def test_spellings_fold_together_from_either_path():
    assert fold("Nazarbayev") == fold("NAZARBAEV") == fold("Назарбаев") == fold("Nazarbáyev")
    assert fold("École") == fold("ecole")
