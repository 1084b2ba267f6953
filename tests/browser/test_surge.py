"""Surge scenarios in a real browser under the real CSP, checked with axe: a planner
creates a scenario (an error first, lines added with the no-JavaScript buttons),
solves it and watches htmx poll the progress until the results arrive, then approves
it; the list, the editor and the results page with its chart have no violations."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.surge.models import ScenarioStatus, SurgeScenario
from skills_app.surge.tasks import solve_scenario
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.surge.test_surge_views import build_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_planner_creates_solves_and_approves_a_scenario(
    page, live_server, make_user, console_errors
):
    build_world()
    make_user(Role.PLANNER, username="surge-planner")
    login(page, live_server, "surge-planner", PASSWORD)

    page.get_by_role("link", name="Surge scenarios").first.click()
    expect(page.get_by_role("heading", name="Surge scenarios", level=1)).to_be_visible()
    expect(page.get_by_text("There are no scenarios yet.")).to_be_visible()
    assert_accessible(page, impacts=None)

    page.get_by_role("button", name="Create a scenario").click()
    expect(page.get_by_role("heading", name="Create a scenario", level=1)).to_be_visible()
    assert_accessible(page, impacts=None)

    page.get_by_label("Release cap").fill("50")
    page.get_by_label("Organisation level the cap applies to").select_option(
        label="Team (for example Other and Team)"
    )
    page.get_by_label("Role profile").select_option(label="Analyst")
    page.get_by_label("Posts to fill").fill("1")
    # "Add another line" is a submit button: the page comes back with line 2.
    page.get_by_role("button", name="Add another line").click()
    expect(page).to_have_url(re.compile(r"/surges/new/#line-2$"))
    line2 = page.locator("#line-2")
    line2.get_by_label("Role profile").select_option(label="Database administrator")
    line2.get_by_label("Posts to fill").fill("1")
    expect(page.locator("#id_line-0-role")).to_have_value(
        page.locator("#id_line-0-role option", has_text="Analyst").get_attribute("value")
    )

    # No name: the error summary takes focus and links to the field.
    page.get_by_role("button", name="Save scenario").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a name for the scenario")
    expect(page).to_have_title(re.compile(r"^Error: Create a scenario"))
    expect(page.locator("#id_line-1-headcount")).to_have_value("1")  # nothing lost
    assert_accessible(page, impacts=None)
    summary.get_by_role("link", name="Enter a name for the scenario").click()
    expect(page.locator("#id_name")).to_be_focused()

    # Enter in a text field saves (the first submit button is the hidden "Save").
    page.locator("#id_name").fill("Winter floods")
    with page.expect_navigation():
        page.locator("#id_name").press("Enter")
    scenario = SurgeScenario.objects.get()
    expect(page.get_by_role("heading", name="Winter floods", level=1)).to_be_visible()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Scenario “Winter floods” created"
    )
    assert scenario.lines.count() == 2

    # Solve: the task waits for a worker, so the progress page shows and polls.
    page.get_by_role("button", name="Solve scenario").click()
    expect(page.get_by_role("heading", name="Solving the scenario", level=1)).to_be_visible()
    bar = page.get_by_role("progressbar", name="Waiting for the solver to start")
    expect(bar).to_have_attribute("value", "0")
    assert_accessible(page, impacts=None)
    SurgeScenario.objects.filter(pk=scenario.pk).update(
        solve_state="running", solve_progress=40, solve_message="Scored line 1 of 2"
    )
    expect(page.get_by_role("progressbar", name="Scored line 1 of 2")).to_have_attribute(
        "value", "40"
    )
    expect(page.locator("#solve-announcement")).to_have_text("Scored line 1 of 2")
    expect(page.get_by_text("40% complete")).to_be_visible()

    solve_scenario.call(scenario.pk)  # what the worker does
    expect(page).to_have_url(re.compile(rf"/surges/{scenario.pk}/#results$"))
    expect(page.locator("#results-summary")).to_contain_text(
        "2 of 2 posts filled. The optimum fills 1 more post than taking the top names role by role."
    )
    chart = page.get_by_role("img", name=re.compile("posts filled and mean match score"))
    expect(chart).to_be_visible()
    expect(page.locator("#lines-table")).to_contain_text("Database administrator")
    expect(page.locator("#allocations-table")).to_contain_text("Alice Allrounder")
    assert_accessible(page, impacts=None)

    # Approve opens its confirmation page, which approves on its own button.
    page.get_by_role("button", name="Approve scenario").click()
    expect(page.get_by_role("heading", name="Approve the scenario", level=1)).to_be_visible()
    page.get_by_role("button", name="Approve scenario").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Scenario approved: 2 people are now allocated"
    )
    expect(page.get_by_role("button", name=re.compile("Solve"))).to_have_count(0)
    assert SurgeScenario.objects.get().status == ScenarioStatus.APPROVED
    assert_accessible(page, impacts=None)

    page.get_by_role("link", name="Surge scenarios").first.click()
    row = page.get_by_role("row", name=re.compile("Winter floods"))
    expect(row).to_contain_text("Approved")
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
