"""Cell parsers the importers alone need (text, weekly hours, weights). Levels, dates,
grades, clearance, yes/no, evidence and skills are the shared input vocabulary:
``skills_app.core.vocabulary``, which every form, API handler and importer calls.
Each parser takes a cell as read and returns the value or raises ``Invalid`` with a
message for the person fixing the file; the offending value is quoted only when
short, and never logged."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

from skills_app.core.vocabulary import VocabularyError, quoted

__all__ = ["Invalid", "quoted", "text", "weekly_hours", "weight"]

# A cell that cannot be read as its column's type; the message says what to enter.
# The vocabulary's own error, so one ``except`` covers every parser.
Invalid = VocabularyError


def text(value) -> str:
    """Trimmed text with runs of whitespace collapsed."""
    if isinstance(value, date):
        return value.isoformat()
    return " ".join(str(value).split()) if value else ""


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
