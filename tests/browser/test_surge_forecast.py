"""Entering a line's forecast in a real browser under the real CSP, checked with axe:
a planner opens the forecast page from the editor, pastes weekly volumes (a bad row
first: the error summary takes focus and links to the box), previews the posts per
week as a chart and a table, saves, sees the line's peak on the scenario and in the
editor, and saving the editor keeps the forecast."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.surge.models import SurgeScenario
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.surge.test_surge_views import build_world, create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASTED = "Week\tClaims\n1\t60,000\n2\t60,000\n3\t60,000\n4\t60,000\n5\t60,000\n6\t60,000"
WEEK_1 = (
    "Week 1: 60,000 claims arriving + 5,000 of the backlog = 65,000 claims × 12 min = "
    "13,000 hours; ÷ 30 productive hours = 433.3 staff; ÷ (1 − 35%) = 666.7 → 667 posts"
)


def test_a_planner_enters_previews_and_saves_a_forecast(
    page, live_server, make_user, console_errors
):
    scenario = create(build_world())
    make_user(Role.PLANNER, username="forecast-planner")
    login(page, live_server, "forecast-planner", PASSWORD)

    page.goto(f"{live_server.url}/surges/{scenario.pk}/edit/")
    page.get_by_role("link", name="Add a forecast for line 1").click()
    expect(
        page.get_by_role("heading", name="Forecast for line 1: Analyst", level=1)
    ).to_be_visible()
    assert_accessible(page, impacts=None)

    # A bad row first: the summary takes focus and its link lands in the box.
    page.get_by_label("Weekly volumes").fill("1\t60,000\n2\tlots")
    page.get_by_label("What is counted").fill("claims")
    page.get_by_label("Handling time per item").fill("12")
    page.get_by_label("Productive hours per person per week").fill("30")
    page.get_by_role("button", name="Preview", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Line 2: “lots” is not a volume")
    expect(page).to_have_title(re.compile(r"^Error: Forecast for line 1"))
    expect(page.get_by_label("Handling time per item")).to_have_value("12")  # nothing lost
    assert_accessible(page, impacts=None)
    summary.get_by_role("link", name=re.compile("Line 2")).click()
    expect(page.get_by_label("Weekly volumes")).to_be_focused()

    # Pasted as copied from a spreadsheet: a header row, tabs, thousands separators.
    page.get_by_label("Weekly volumes").fill(PASTED)
    page.get_by_label("Starting backlog").fill("20,000")
    page.get_by_label("Weeks to clear the backlog").fill("4")
    page.get_by_role("button", name="Preview", exact=True).click()
    expect(page).to_have_url(re.compile(r"/forecast/#preview$"))
    chart = page.get_by_role("img", name="Chart: posts needed each week for line 1, Analyst")
    expect(chart).to_be_visible()
    table = page.locator("#forecast-table")
    expect(table.locator("tbody tr")).to_have_count(6)
    expect(table).to_contain_text(WEEK_1)
    expect(page.get_by_text("This forecast needs 667 posts in its busiest week")).to_be_visible()
    assert_accessible(page, impacts=None)
    assert SurgeScenario.objects.get().lines.get(position=0).demand is None  # a preview

    page.get_by_role("button", name="Save forecast").click()
    expect(page.get_by_role("heading", name="Flood response", level=1)).to_be_visible()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Forecast saved for line 1, Analyst: 667 posts in the busiest week"
    )
    expect(page.get_by_role("row", name=re.compile("Analyst"))).to_contain_text("667")
    assert_accessible(page, impacts=None)

    # The editor shows the line's peak, and saving it keeps the forecast.
    page.goto(f"{live_server.url}/surges/{scenario.pk}/edit/")
    expect(page.locator("#line-1")).to_contain_text("Posts from its forecast (peak 667)")
    expect(page.get_by_role("link", name="Change forecast for line 1")).to_be_visible()
    assert_accessible(page, impacts=None)
    page.get_by_label("Training days per level of gap").fill("3")
    page.get_by_role("button", name="Save scenario").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("saved")
    saved = SurgeScenario.objects.get()
    first = saved.lines.get(position=0)
    assert first.demand is not None and first.headcount == 667
    assert float(saved.training_days_per_level) == 3.0
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_a_forecast_saved_after_its_line_was_removed_keeps_the_typed_volumes(
    page, live_server, make_user, console_errors
):
    from skills_app.surge.models import DemandLine

    scenario = create(build_world())
    make_user(Role.PLANNER, username="forecast-planner")
    login(page, live_server, "forecast-planner", PASSWORD)
    line = scenario.lines.order_by("position").first()
    page.goto(f"{live_server.url}/surges/{scenario.pk}/lines/{line.pk}/forecast/")
    page.get_by_label("Weekly volumes").fill(PASTED)
    page.get_by_label("What is counted").fill("claims")
    page.get_by_label("Handling time per item").fill("12")
    page.get_by_label("Productive hours per person per week").fill("30")
    DemandLine.objects.filter(pk=line.pk).delete()  # removed in the editor meanwhile
    page.get_by_role("button", name="Save forecast").click()
    expect(page.get_by_role("heading", name="The line was removed", level=1)).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    expect(page.locator("#typed-volumes")).to_contain_text("60,000")
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
