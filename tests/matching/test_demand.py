"""The demand model (matching.demand) against hand-worked examples, its
validation, the volume parser and the training lead time."""

import datetime as dt

import numpy as np
import pytest

from matching.demand import DemandError, DemandModel, earliest_start_weeks, parse_volumes


def test_shrinkage_and_rounding_up():
    """60,000 claims x 12 min = 720,000 min = 12,000 hours;
    12,000 / 30 productive hours = 400 staff;
    400 / (1 - 0.35) = 615.38... -> rounded UP to 616 posts (not 615)."""
    model = DemandModel(
        volumes=(60_000,),
        handling_minutes=12,
        productive_hours=30,
        shrinkage=0.35,
        item_name="claims",
    )
    (week,) = model.weeks()
    assert week.hours == pytest.approx(12_000)
    assert week.staff == pytest.approx(400)
    assert week.fte == pytest.approx(615.3846, abs=1e-4)
    assert week.posts == 616
    assert week.explanation == (
        "Week 1: 60,000 claims × 12 min = 12,000 hours; ÷ 30 productive hours = 400 staff; "
        "÷ (1 − 35%) = 615.4 → 616 posts"
    )


def test_a_backlog_is_spread_over_the_clearance_weeks():
    """Backlog 2,000 cleared in 2 weeks: 1,000 extra items in weeks 1 and 2.
    Week 1: (1,000 + 1,000) x 6 min = 12,000 min = 200 h; / 25 h = 8 staff;
    / (1 - 0.2) = 10 posts exactly: an exact 10 stays 10 (no spurious round-up).
    Week 3: 1,000 x 6 = 6,000 min = 100 h; / 25 = 4 staff; / 0.8 = 5 posts."""
    model = DemandModel(
        volumes=(1_000, 1_000, 1_000),
        handling_minutes=6,
        productive_hours=25,
        shrinkage=0.2,
        backlog=2_000,
        clearance_weeks=2,
    )
    assert model.throughput().tolist() == [2_000, 2_000, 1_000]
    assert model.posts_needed().tolist() == [10, 10, 5]
    assert model.weeks()[0].explanation.startswith(
        "Week 1: 1,000 items arriving + 1,000 of the backlog = 2,000 items × 6 min = 200 hours"
    )


def test_no_shrinkage_and_an_empty_week():
    """7 items x 10 min = 70 min = 1.17 h; / 37 h = 0.03 staff -> 1 post; 0 items -> 0 posts."""
    model = DemandModel(volumes=(7, 0), handling_minutes=10, productive_hours=37, shrinkage=0)
    assert model.posts_needed().tolist() == [1, 0]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"volumes": (100, -1)}, "volumes"),
        ({"volumes": ()}, "volumes"),
        ({"volumes": (float("nan"),)}, "volumes"),
        ({"shrinkage": 1.0}, "shrinkage"),
        ({"shrinkage": -0.1}, "shrinkage"),
        ({"productive_hours": 0}, "productive_hours"),
        ({"handling_minutes": 0}, "handling_minutes"),
        ({"backlog": -5}, "backlog"),
        ({"clearance_weeks": 0}, "clearance_weeks"),
        ({"clearance_weeks": 3}, "clearance_weeks"),
        ({"ramp": (0.5, 0)}, "ramp"),
        ({"ramp": (1.2,)}, "ramp"),
    ],
)
def test_invalid_inputs_name_their_field(changes, field):
    inputs = {"volumes": (100, 100), "handling_minutes": 5, "productive_hours": 30} | changes
    with pytest.raises(DemandError) as caught:
        DemandModel(**inputs)
    assert set(caught.value.errors) == {field}


def test_paste_from_a_spreadsheet_with_a_header_and_thousands():
    parsed = parse_volumes("Week\tClaims\n1\t60,000\n2\t55 000\n3\t1234.5\n")
    assert parsed.errors == ()
    assert parsed.volumes == (60_000, 55_000, 1234.5)


def test_csv_with_iso_dates_in_any_order_and_an_unquoted_thousands_separator():
    parsed = parse_volumes('2026-01-12,"5,000"\n2026-01-05,4,000\n')
    assert parsed.errors == ()
    assert parsed.volumes == (4_000, 5_000)
    assert parsed.first_date == dt.date(2026, 1, 5)


def test_row_level_errors():
    parsed = parse_volumes("1,100\n2,lots\n1,300\nx\n5,-4\n")
    assert parsed.volumes == ()
    messages = {(e.line, e.message.split(" ")[0]) for e in parsed.errors}
    assert (2, "“lots”") in messages
    assert (3, "week") in messages  # week 1 again
    assert (4, "give") in messages  # no volume
    assert (5, "“-4”") in messages
    gap = parse_volumes("1,10\n3,30\n")
    assert [(e.line, e.message) for e in gap.errors] == [(0, "weeks missing: 2")]


def test_dates_must_be_weeks_apart():
    parsed = parse_volumes("2026-01-05;10\n2026-01-09;20\n")
    assert [e.line for e in parsed.errors] == [2]


def test_training_lead_time():
    """2 days per level; gaps summed over skills: 0 -> no training; 3 levels ->
    6 working days -> 2 weeks (ceil 6/5); 5 levels -> 10 days -> exactly 2 weeks.
    The later of training and availability wins."""
    gaps = np.array([[0, 2, 3], [0, 1, 2]])  # (requirements x people), rule 11's Evaluation.gaps
    available = np.array([1, 0, 0])
    assert earliest_start_weeks(available, gaps, days_per_level=2).tolist() == [1, 2, 2]
    assert earliest_start_weeks(np.array([3]), np.array([1]), days_per_level=2).tolist() == [3]
    with pytest.raises(DemandError):
        earliest_start_weeks(available, gaps, days_per_level=-1)
