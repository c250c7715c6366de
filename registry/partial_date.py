"""Dates at the precision a document gives them.

Values are written in a small subset of EDTF (ISO 8601-2): `1996-01-16`, `2002-09`,
`2002`, a trailing `~` for approximate (`2004~`), and intervals `1996/1997`,
`2009/..` (open end). Each value is stored as its text plus derived lower and
upper bounds, so SQL can filter by overlap and sort while the API still returns
"September 2002", never an invented 2002-09-01.
"""

import calendar
import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = ["DatePrecision", "PartialDate", "PartialDateError"]

_POINT = re.compile(r"^(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2}))?)?(?P<approx>~)?$")
_OPEN = ".."
_QUOTED_LENGTH = 40


class PartialDateError(ValueError):
    """The text is not a partial date this registry understands."""


def _quoted(text: str) -> str:
    """The text as an error message quotes it: cut short, as a client may send a huge one."""
    return repr(text) if len(text) <= _QUOTED_LENGTH else repr(text[:_QUOTED_LENGTH]) + "…"


class DatePrecision(StrEnum):
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    RANGE = "range"


@dataclass(frozen=True, slots=True)
class _Point:
    lower: date
    upper: date
    precision: DatePrecision
    approximate: bool


def _parse_point(text: str) -> _Point:
    match = _POINT.match(text)
    if not match:
        raise PartialDateError(
            f"{_quoted(text)} is not a date: use YYYY, YYYY-MM or YYYY-MM-DD, optionally followed by ~"
        )
    year, month, day = match["y"], match["m"], match["d"]
    approximate = bool(match["approx"])
    try:
        if day:
            exact = date(int(year), int(month), int(day))
            return _Point(exact, exact, DatePrecision.DAY, approximate)
        if month:
            y, m = int(year), int(month)
            last = calendar.monthrange(y, m)[1]
            return _Point(date(y, m, 1), date(y, m, last), DatePrecision.MONTH, approximate)
        y = int(year)
        return _Point(date(y, 1, 1), date(y, 12, 31), DatePrecision.YEAR, approximate)
    except ValueError as exc:  # also the year 0000, which has no calendar
        raise PartialDateError(f"{_quoted(text)} is not a calendar date: {exc}") from None


@dataclass(frozen=True, slots=True)
class PartialDate:
    """A parsed partial date. `lower`/`upper` are None for an open interval end."""

    value: str
    precision: DatePrecision
    approximate: bool
    lower: date | None
    upper: date | None

    @classmethod
    def parse(cls, text: str) -> "PartialDate":
        text = text.strip()
        if "/" not in text:
            point = _parse_point(text)
            return cls(text, point.precision, point.approximate, point.lower, point.upper)
        start_text, _, end_text = text.partition("/")
        if start_text == _OPEN and end_text == _OPEN:
            raise PartialDateError(f"{_quoted(text)}: an interval needs at least one known end")
        start = None if start_text == _OPEN else _parse_point(start_text)
        end = None if end_text == _OPEN else _parse_point(end_text)
        if start and end and start.lower > end.upper:
            raise PartialDateError(f"{_quoted(text)}: the interval ends before it starts")
        return cls(
            value=text,
            precision=DatePrecision.RANGE,
            approximate=bool((start and start.approximate) or (end and end.approximate)),
            lower=start.lower if start else None,
            upper=end.upper if end else None,
        )

    @classmethod
    def parse_optional(cls, text: str | None) -> "PartialDate | None":
        return None if text is None or not str(text).strip() else cls.parse(str(text))

    def overlaps(self, start: date | None, end: date | None) -> bool:
        """True when this date's bounds meet the window [start, end] (None = unbounded)."""
        return (end is None or self.lower is None or self.lower <= end) and (
            start is None or self.upper is None or self.upper >= start
        )
