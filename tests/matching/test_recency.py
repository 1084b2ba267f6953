import datetime as dt

import pytest

from matching.recency import recency

AS_OF = dt.date(2026, 11, 21)


def years_ago(years: float) -> dt.date:
    return AS_OF - dt.timedelta(days=round(years * 365.25))


@pytest.mark.parametrize(
    ("last_used", "expected"),
    [
        (None, 1.0),
        (AS_OF, 1.0),
        (years_ago(2), 1.0),
        (years_ago(3), 0.9),
        (years_ago(4.5), 0.75),
        (years_ago(7), 0.5),
        (years_ago(30), 0.5),
    ],
)
def test_recency_follows_design_rule_1(last_used, expected):
    assert recency(last_used, AS_OF) == pytest.approx(expected, abs=1e-3)


def test_recency_is_monotone_in_age():
    values = [recency(years_ago(y / 4), AS_OF) for y in range(0, 40)]
    assert values == sorted(values, reverse=True)
