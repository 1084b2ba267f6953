"""Recency weighting of a held skill (DESIGN.md section 4, rule 1)."""

import datetime as dt

DAYS_PER_YEAR = 365.25
FULL_CREDIT_YEARS = 2.0
DECAY_PER_YEAR = 0.1
FLOOR = 0.5


def recency(last_used: dt.date | None, as_of: dt.date) -> float:
    """1.0 when the skill is current or was used within two years of ``as_of``;
    otherwise 0.1 less per further year, never below 0.5."""
    if last_used is None:
        return 1.0
    years_since = (as_of - last_used).days / DAYS_PER_YEAR
    if years_since <= FULL_CREDIT_YEARS:
        return 1.0
    return max(FLOOR, 1.0 - DECAY_PER_YEAR * (years_since - FULL_CREDIT_YEARS))
