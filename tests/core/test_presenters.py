"""One way to show each number (core/presenters): the forms a page, a download and
the API use for a fraction."""

import pytest

from skills_app.core.presenters import level_label, percent_label, percent_number, percent_value


@pytest.mark.parametrize(
    ("fraction", "label", "number", "value"),
    [
        (0.8, "80.0%", "80", 80.0),
        (0.725, "72.5%", "72.5", 72.5),
        (0.8767, "87.7%", "87.7", 87.7),
        (0, "0.0%", "0", 0.0),
        (1, "100.0%", "100", 100.0),
    ],
)
def test_percentages(fraction, label, number, value):
    assert percent_label(fraction) == label
    assert percent_number(fraction) == number
    assert percent_value(fraction) == value


def test_nothing_to_show_is_empty_not_zero():
    assert percent_label(None) == ""
    assert percent_value(None) == ""


def test_levels_are_shown_with_their_names():
    assert level_label(3) == "3 Practitioner"
    assert level_label(0) == "Not held"
