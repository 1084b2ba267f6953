"""Formula escaping for every CSV and XLSX cell (skills_app/exports.safe_cell)."""

import pytest

from skills_app.exports import safe_cell


@pytest.mark.parametrize(
    "text",
    [
        "=1+1",
        "+44 20 7946 0000",
        "-2",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
        " =1+1",  # spreadsheets trim leading spaces, then evaluate
        "   @SUM(A1)",
        "\u00a0=1",  # a no-break space
        "\uff1d1+1",  # full-width equals sign, read as "=" by some spreadsheets
        "\uff0b44",  # full-width plus
        "\uff0d2",  # full-width hyphen-minus
        "\uff20SUM(A1)",  # full-width commercial at
        "\u3000\uff1d1",  # an ideographic space, then a full-width equals sign
    ],
)
def test_text_a_spreadsheet_would_evaluate_is_kept_as_text(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Ada Lovelace", "a=b", "1+1", "", "  plain", 42, 1.5, None])
def test_everything_else_is_left_alone(value):
    assert safe_cell(value) == value
