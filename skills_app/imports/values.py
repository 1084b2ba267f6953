"""Cell parsers. Each takes a cell as read (text, or a date from an XLSX date cell)
and returns the value or raises ``Invalid`` with a message for the person fixing the
file. Messages describe the expected form; the offending value is quoted only when
short, and never logged."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from skills_app.people.models import Clearance, EvidenceKind, Grade
from taxonomy.models import LEVEL_CHOICES


class Invalid(ValueError):
    """A cell that cannot be read as its column's type; the message says what to enter."""


def quoted(value, limit: int = 40) -> str:
    text = str(value)
    return f"“{text}”" if len(text) <= limit else f"“{text[: limit - 1]}…”"


def text(value) -> str:
    """Trimmed text with runs of whitespace collapsed."""
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split()) if value else ""


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def yes_no(value) -> bool:
    folded = str(value).strip().casefold()
    if folded in _YES:
        return True
    if folded in _NO:
        return False
    raise Invalid("Enter yes or no")


_LEVELS = {str(level): level for level, _ in LEVEL_CHOICES}
_LEVELS.update({name.casefold(): level for level, name in LEVEL_CHOICES})


def level(value) -> int:
    folded = str(value).strip().casefold()
    try:
        return _LEVELS[folded]
    except KeyError:
        raise Invalid(
            "Enter a level from 1 to 4, or Awareness, Working, Practitioner or Expert"
        ) from None


_GRADES = {g.value.casefold(): g.value for g in Grade}
_GRADES.update({g.label.casefold(): g.value for g in Grade})


def grade(value) -> str:
    folded = " ".join(str(value).split()).casefold()
    try:
        return _GRADES[folded]
    except KeyError:
        raise Invalid(
            f"Unknown grade {quoted(value)}: enter one of " + ", ".join(g.value for g in Grade)
        ) from None


_CLEARANCES = {c.label.casefold(): c.value for c in Clearance}


def clearance(value) -> int:
    folded = str(value).strip().casefold()
    try:
        return _CLEARANCES[folded]
    except KeyError:
        raise Invalid(
            f"Unknown clearance {quoted(value)}: enter None, BPSS, CTC, SC or DV"
        ) from None


_EVIDENCE = {e.value: e.value for e in EvidenceKind}
_EVIDENCE.update({e.label.casefold(): e.value for e in EvidenceKind})
_EVIDENCE.update({"manager verified": "manager_verified", "verified": "manager_verified"})


def evidence(value) -> str:
    folded = " ".join(str(value).replace("-", " ").split()).casefold()
    found = _EVIDENCE.get(folded) or _EVIDENCE.get(folded.replace(" ", "_"))
    if found is None:
        raise Invalid("Enter self, manager_verified, assessed or certified")
    return found


def weekly_hours(value) -> Decimal:
    try:
        hours = Decimal(str(value).strip())
    except InvalidOperation:
        raise Invalid("Enter weekly hours as a number, for example 37 or 22.5") from None
    if not hours.is_finite() or not Decimal(0) < hours <= Decimal(60):
        raise Invalid("Weekly hours must be more than 0 and at most 60")
    if hours != hours.quantize(Decimal("0.1")):
        raise Invalid("Weekly hours can have at most one decimal place, for example 22.5")
    return hours.quantize(Decimal("0.1"))


def weight(value) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise Invalid("Enter the weight as a number more than 0, for example 1 or 2.5") from None
    if not (0 < number <= 1000):
        raise Invalid("The weight must be more than 0 and at most 1000")
    return number


_ISO_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_UK_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
_YEAR = re.compile(r"\d{4}")
MIN_YEAR = 1900
DATE_HINT = "YYYY-MM-DD or DD/MM/YYYY, for example 2025-03-31"
LAST_USED_HINT = "YYYY, YYYY-MM or YYYY-MM-DD, for example 2023 or 2023-06"


def _make(y: int, m: int, d: int, hint: str) -> date:
    try:
        made = date(y, m, d)
    except ValueError:
        raise Invalid(f"That is not a real date: enter it as {hint}") from None
    if made.year < MIN_YEAR:
        raise Invalid(f"The year must be {MIN_YEAR} or later")
    return made


@lru_cache(maxsize=65536)
def _day(raw: str) -> date:
    if match := _ISO_DAY.fullmatch(raw):
        y, m, d = map(int, match.groups())
        return _make(y, m, d, DATE_HINT)
    if match := _UK_DAY.fullmatch(raw):
        d, m, y = map(int, match.groups())
        return _make(y, m, d, DATE_HINT)
    raise Invalid(f"Enter the date as {DATE_HINT}")


def day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return _day(str(value).strip())


@lru_cache(maxsize=65536)
def _last_used(raw: str, today: date) -> date:
    if match := _ISO_DAY.fullmatch(raw):
        y, m, d = map(int, match.groups())
        made = _make(y, m, d, LAST_USED_HINT)
    elif match := _UK_DAY.fullmatch(raw):
        d, m, y = map(int, match.groups())
        made = _make(y, m, d, LAST_USED_HINT)
    elif match := _ISO_MONTH.fullmatch(raw):
        y, m = map(int, match.groups())
        made = _make(y, m, 1, LAST_USED_HINT)
    elif _YEAR.fullmatch(raw):
        made = _make(int(raw), 1, 1, LAST_USED_HINT)
    else:
        raise Invalid(
            f"Enter when the skill was last used as {LAST_USED_HINT}, or current if it is "
            "in use now"
        )
    if made > today:
        raise Invalid("The date the skill was last used cannot be in the future")
    return made


CURRENT = "current"  # last_used / end_date: in use or held now (clears a stored date)


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_current(value) -> bool:
    return isinstance(value, str) and value.strip().casefold() == CURRENT


def last_used(value, today: date) -> date:
    """YYYY -> 1 January, YYYY-MM -> the 1st of the month: the same cell always gives the
    same date, so re-importing a file changes nothing."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        if value > today:
            raise Invalid("The date the skill was last used cannot be in the future")
        return value
    return _last_used(str(value).strip(), today)
