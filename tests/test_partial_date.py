from datetime import date

import pytest

from registry.partial_date import DatePrecision, PartialDate, PartialDateError


@pytest.mark.parametrize(
    ("text", "precision", "lower", "upper", "approximate"),
    [
        ("1996-01-16", DatePrecision.DAY, date(1996, 1, 16), date(1996, 1, 16), False),
        ("2002-09", DatePrecision.MONTH, date(2002, 9, 1), date(2002, 9, 30), False),
        ("2000-02", DatePrecision.MONTH, date(2000, 2, 1), date(2000, 2, 29), False),
        ("2002", DatePrecision.YEAR, date(2002, 1, 1), date(2002, 12, 31), False),
        ("2004~", DatePrecision.YEAR, date(2004, 1, 1), date(2004, 12, 31), True),
        ("1996/1997", DatePrecision.RANGE, date(1996, 1, 1), date(1997, 12, 31), False),
        ("1992-09-14/1992-09-16", DatePrecision.RANGE, date(1992, 9, 14), date(1992, 9, 16), False),
        ("2009/..", DatePrecision.RANGE, date(2009, 1, 1), None, False),
        ("../2016", DatePrecision.RANGE, None, date(2016, 12, 31), False),
    ],
)
def test_parse_keeps_precision_and_derives_bounds(text, precision, lower, upper, approximate):
    parsed = PartialDate.parse(text)
    assert (parsed.value, parsed.precision, parsed.lower, parsed.upper, parsed.approximate) == (
        text, precision, lower, upper, approximate,
    )


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("September 2002", "is not a date"),
        ("2002-13", "not a calendar date"),
        ("2002-02-30", "not a calendar date"),
        ("0000", "not a calendar date"),
        ("0000-05~", "not a calendar date"),
        ("0000/1990", "not a calendar date"),
        ("1999/1990", "ends before it starts"),
        ("../..", "at least one known end"),
    ],
)
def test_bad_dates_say_why(text, reason):
    with pytest.raises(PartialDateError, match=reason):
        PartialDate.parse(text)


def test_bad_dates_are_quoted_short():
    # a client may send a huge date: its error message (and log line) stays short
    with pytest.raises(PartialDateError) as raised:
        PartialDate.parse("1" * 100_000)
    assert len(str(raised.value)) < 200 and "…" in str(raised.value)


def test_overlap_respects_bounds():
    september = PartialDate.parse("2002-09")
    assert september.overlaps(date(2002, 9, 30), None)
    assert september.overlaps(None, date(2002, 9, 1))
    assert not september.overlaps(date(2002, 10, 1), None)
    assert PartialDate.parse("2009/..").overlaps(date(2030, 1, 1), date(2031, 1, 1))
