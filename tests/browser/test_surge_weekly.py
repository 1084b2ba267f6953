"""A week-by-week surge result (DESIGN 11) in a real browser under the real CSP, with
axe: the decision in words, the weekly chart and its table, the line selector without
JavaScript, the weeks demand is not met, and the training cohorts report."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.surge.test_weekly_results_pages import (  # noqa: F401
    TRAINING_TEXT,
    long_forecast,
    short,
    two_lines,
    world,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reading_a_weekly_result_and_its_training_cohorts(
    page,
    live_server,
    make_user,
    console_errors,
    two_lines,  # noqa: F811
):
    scenario = two_lines
    make_user(Role.PLANNER, username="surge-planner")
    login(page, live_server, "surge-planner", PASSWORD)

    page.goto(f"{live_server.url}/surges/{scenario.pk}/")
    expect(page.locator("#results-summary")).to_have_text(
        "Covers 8 of 12 post-weeks of work (greedy: 8); 4 people start over 3 weeks (weeks 1 to 3)."
    )
    expect(page.locator("#solver-status")).to_contain_text("Solved to optimality")
    chart = page.get_by_role("img", name="Chart: posts needed and filled per week, All lines")
    expect(chart).to_be_visible()
    table = page.locator("#weekly-table")
    expect(table.locator("caption")).to_contain_text("All lines")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(table.locator("tbody tr").nth(0)).to_contain_text(f"2 short: Line 1: {TRAINING_TEXT}")
    unmet = page.locator("#unmet-table")
    expect(unmet.locator("tbody tr")).to_have_count(3)
    expect(unmet).to_contain_text("Not enough eligible people")
    # The decision sits above the long lists.
    approve = page.get_by_role("button", name="Approve scenario")
    assert approve.bounding_box()["y"] < page.locator("#allocations-table").bounding_box()["y"]
    expect(page.locator("#allocations-table")).to_contain_text("12 January 2026")
    assert_accessible(page, impacts=None)

    # One line at a time: a GET form, no JavaScript needed.
    page.get_by_label("Show").select_option(label="Line 2: Data clerk")
    page.get_by_role("button", name="Show weeks").click()
    expect(page).to_have_url(re.compile(r"line=2"))
    expect(table.locator("caption")).to_contain_text("Line 2: Data clerk")
    expect(
        page.get_by_role("img", name="Chart: posts needed and filled per week, Line 2: Data clerk")
    ).to_be_visible()
    expect(table.locator("tbody tr").nth(1)).to_contain_text("1 short: Not enough eligible people")
    assert_accessible(page, impacts=None)

    page.get_by_role("link", name="Training cohorts: who needs which course by when").click()
    expect(page.get_by_role("heading", name="Training cohorts", level=1)).to_be_visible()
    expect(page.locator("#cohorts-summary")).to_have_text("1 cohort: 1 person needs training.")
    expect(page.locator("#cohorts-table tbody tr")).to_have_count(1)
    expect(page.locator("#cohorts-table tbody tr")).to_contain_text("12 January 2026")
    expect(page.get_by_role("button", name="Download the training cohorts (CSV)")).to_be_visible()
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_a_long_forecast_s_weeks_are_paged(
    page,
    live_server,
    make_user,
    console_errors,
    short,  # noqa: F811
):
    scenario = long_forecast(short, 130)
    make_user(Role.PLANNER, username="surge-planner")
    login(page, live_server, "surge-planner", PASSWORD)

    page.goto(f"{live_server.url}/surges/{scenario.pk}/")
    table = page.locator("#weekly-table")
    expect(page.locator("#weekly-shown")).to_have_text("Showing weeks 1 to 52 of 130.")
    expect(table.locator("tbody tr")).to_have_count(52)
    pages = page.get_by_role("navigation", name="Pages of weeks", exact=True)
    pages.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"week_page=2"))
    expect(page.locator("#weekly-shown")).to_have_text("Showing weeks 53 to 104 of 130.")
    expect(table.locator("tbody tr").first.locator("th")).to_have_text("53")
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
