"""How numbers are shown, the same on every page, export and API answer.

Scores, shares and thresholds are fractions inside Muster (0.8 = 80%); people see
percentages with one decimal. Each way of showing one lives here once.
"""

from __future__ import annotations

from taxonomy.models import LEVEL_NAMES


def percent_label(fraction) -> str:
    """0.8123 -> "81.2%"; None -> "" (nothing to show, such as a mean of no one)."""
    return "" if fraction is None else f"{float(fraction) * 100:.1f}%"


def percent_number(fraction) -> str:
    """0.8 -> "80", 0.725 -> "72.5": a percentage as typed into a form or a link,
    one decimal, none when it is 0."""
    return f"{float(fraction) * 100:.1f}".removesuffix(".0")


def percent_value(fraction) -> float | str:
    """0.8767 -> 87.7 as a number for a spreadsheet cell or JSON; None -> "" (an
    empty cell, not 0)."""
    return "" if fraction is None else round(float(fraction) * 100, 1)


def level_label(level: int) -> str:
    """3 -> "3 Practitioner"; 0 -> "Not held"."""
    return f"{level} {LEVEL_NAMES[level]}" if level else "Not held"


def count_label(number) -> str:
    """12345 -> "12,345": every count on a page, with thousands separators."""
    return f"{int(number):,}"
