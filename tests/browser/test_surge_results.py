"""The reworked surge results page in a real browser under the real CSP, with axe:
the summary and the decision come first and the long lists are paged; Approve opens
a confirmation page that says what will happen; a cap that rounds to zero is warned
about in the editor and, once solved, explained and refused approval."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.surge.models import ScenarioStatus, SurgeScenario
from skills_app.surge.services import scenario_solve
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.surge.test_surge_results_page import solved, teams

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_decision_comes_first_the_lists_are_paged_and_approval_confirms(
    page, live_server, make_user, console_errors
):
    # 30 teams of 5 at a 40% cap: 60 of 60 posts from 30 units, more than a page of each.
    scenario = solved(teams([5] * 30), headcount=60, cap=0.4)
    make_user(Role.PLANNER, username="surge-planner")
    login(page, live_server, "surge-planner", PASSWORD)

    page.goto(f"{live_server.url}/surges/{scenario.pk}/")
    expect(page.locator("#results-summary")).to_contain_text("60 of 60 posts filled.")
    expect(page.locator("#unmet")).to_be_visible()
    expect(page.get_by_text("None: every post is filled.")).to_be_visible()
    approve = page.get_by_role("button", name="Approve scenario")
    close = page.get_by_role("button", name="Close scenario")
    expect(approve).to_be_visible()
    expect(close).to_be_visible()
    # The decision sits above every long list.
    decision_y = approve.bounding_box()["y"]
    assert decision_y < page.locator("#releases-table").bounding_box()["y"]
    assert decision_y < page.locator("#allocations-table").bounding_box()["y"]
    expect(page.locator("#allocations-table tbody tr")).to_have_count(50)
    expect(page.locator("#releases-table tbody tr")).to_have_count(25)
    assert_accessible(page, impacts=None)

    allocations_pages = page.get_by_role("navigation", name="Pages of allocations")
    allocations_pages.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"allocations_page=2"))
    expect(page.locator("#allocations-table")).to_contain_text("Allocations 51 to 60 of 60")
    expect(page.locator("#allocations-table tbody tr")).to_have_count(10)
    page.get_by_role("navigation", name="Pages of releases by unit").get_by_role(
        "link", name="Page 2"
    ).click()
    expect(page).to_have_url(re.compile(r"allocations_page=2&units_page=2"))
    expect(page.locator("#releases-table tbody tr")).to_have_count(5)
    assert_accessible(page, impacts=None)

    page.get_by_role("button", name="Approve scenario").click()
    expect(page.get_by_role("heading", name="Approve the scenario", level=1)).to_be_visible()
    effects = page.locator("#approval-effects")
    expect(effects).to_contain_text("60 people are released from 30 units to fill 60 of 60 posts")
    expect(effects).to_contain_text("no post is left unfilled")
    assert_accessible(page, impacts=None)
    assert SurgeScenario.objects.get().status == ScenarioStatus.SOLVED
    page.get_by_role("button", name="Approve scenario").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Scenario approved: 60 people are now allocated"
    )
    assert SurgeScenario.objects.get().status == ScenarioStatus.APPROVED
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_a_cap_that_rounds_to_zero_is_warned_explained_and_not_approvable(
    page, live_server, make_user, console_errors
):
    teams([12, 11, 13])  # a 5% cap rounds down to 0 people in every team
    make_user(Role.PLANNER, username="surge-planner")
    login(page, live_server, "surge-planner", PASSWORD)

    page.goto(f"{live_server.url}/surges/new/")
    page.get_by_label("Scenario name").fill("Winter surge")
    page.get_by_label("Release cap").fill("5")
    page.get_by_label("Organisation level the cap applies to").select_option(value="1")
    page.get_by_label("Role profile").select_option(label="Analyst")
    page.get_by_label("Posts to fill").fill("3")
    page.get_by_role("button", name="Save scenario").click()
    warning = page.locator("#cap-warning")
    expect(warning).to_contain_text(
        "A 5% release cap rounds down to 0 people in all 3 units at the team level"
    )
    expect(page.get_by_text("Nothing has been saved yet.")).to_be_visible()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)
    assert not SurgeScenario.objects.exists()
    assert_accessible(page, impacts=None)

    page.get_by_role("button", name="Save scenario with this cap").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Scenario “Winter surge” created"
    )
    scenario = scenario_solve(scenario_id=SurgeScenario.objects.get().pk)
    page.reload()
    expect(page.locator("#results-summary")).to_contain_text("0 of 3 posts filled.")
    expect(page.locator("#unmet")).to_be_visible()
    expect(page.get_by_text("Caps allow no release", exact=False).first).to_be_visible()
    expect(page.locator("#zero-cap")).to_contain_text("rounds down to 0 people in all 3 units")
    expect(page.locator("#approve-refusal")).to_contain_text("You cannot approve this scenario.")
    expect(page.get_by_role("button", name="Approve scenario")).to_have_count(0)
    expect(page.get_by_text("There is no training plan: no one was allocated.")).to_be_visible()
    assert_accessible(page, impacts=None)

    page.goto(f"{live_server.url}/surges/{scenario.pk}/approve/")
    expect(
        page.get_by_role("heading", name="You cannot approve this scenario", level=1)
    ).to_be_visible()
    expect(page.locator("#refusal")).to_contain_text("Nothing was filled")
    expect(page.get_by_role("button", name="Approve scenario")).to_have_count(0)
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
