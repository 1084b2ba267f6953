"""Moves in a real browser under the real CSP, with axe (DESIGN 10): the line
manager releases one person and refuses another with a reason (after the error
summary for a missing one), the person acknowledges their move from the home
page's banner, and the planner's tracking page shows the counts as a chart and a
table and chases the outstanding requests."""

import pytest
from playwright.sync_api import expect

from skills_app.moves import services
from skills_app.moves.models import Move, MoveStatus
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.moves import test_move_services as service_tests
from tests.moves.test_move_services import approved, move_of

# The services tests' department: a manager of A, B and C, a planner and another manager.
world = service_tests.world
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_manager_releases_one_and_refuses_one(page, live_server, world, console_errors):
    approved(world)
    a, b = world["A"].full_name, world["B"].full_name
    login(page, live_server, "manager", PASSWORD)
    page.goto(f"{live_server.url}/moves/requests/")
    expect(page.locator("#requests-table tbody tr")).to_have_count(2)
    assert_accessible(page, impacts=None)

    page.get_by_role("button", name=f"Release {a}", exact=True).click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(f"{a} released")
    expect(page.locator("#requests-table tbody tr")).to_have_count(1)
    assert move_of(world["A"]).status == MoveStatus.RELEASED

    page.get_by_role("link", name=f"Refuse {b}").click()
    expect(page.get_by_role("heading", name="Refuse release", level=1)).to_be_visible()
    page.get_by_role("button", name="Refuse release").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter why you cannot release this person")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    assert_accessible(page, impacts=None)
    page.get_by_label("Why can you not release them?").fill("Needed for the year-end close")
    page.get_by_role("button", name="Refuse release").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        f"Release of {b} refused"
    )
    expect(page.get_by_text("Nobody in your team is waiting for a decision.")).to_be_visible()
    refused = Move.objects.get(person=world["B"])
    assert (refused.status, refused.refused_reason) == (
        MoveStatus.REFUSED,
        "Needed for the year-end close",
    )
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_the_person_acknowledges_their_move(page, live_server, world, console_errors):
    approved(world)
    services.move_release(
        actor=world["manager"], move_id=move_of(world["A"]).pk, expected_version=1
    )
    login(page, live_server, "staffA", PASSWORD)
    banner = page.locator("#move-banner")
    expect(banner).to_contain_text("You have been released for a move")
    assert_accessible(page, impacts=None)
    banner.get_by_role("link", name="Acknowledge your move").click()
    expect(page.get_by_role("heading", name="Your move", level=1)).to_be_visible()
    expect(page.locator("#next")).to_contain_text("Acknowledge the move")
    assert_accessible(page, impacts=None)
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("Move acknowledged")
    expect(page.locator("#move")).to_contain_text("Acknowledged")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    assert move_of(world["A"]).status == MoveStatus.ACKNOWLEDGED
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_the_planners_tracking_page(page, live_server, world, console_errors):
    scenario = approved(world)
    services.move_refuse(
        actor=world["manager"],
        move_id=move_of(world["A"]).pk,
        expected_version=1,
        reason="Needed here",
    )
    login(page, live_server, "planner", PASSWORD)
    page.goto(f"{live_server.url}/surges/{scenario.pk}/")
    page.locator("#track-moves").click()
    expect(page.get_by_role("heading", name="Moves", level=1)).to_be_visible()
    expect(page.get_by_role("img", name="Chart: moves per status")).to_be_visible()
    table = page.locator("#status-table")
    expect(table.get_by_role("row", name="Waiting for the line manager 1")).to_be_visible()
    expect(table.get_by_role("row", name="Refused 1")).to_be_visible()
    expect(page.locator("#lines-table")).to_contain_text("Open")
    assert_accessible(page, impacts=None)

    page.get_by_role("button", name="Chase outstanding requests").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text("1 reminder sent")
    page.get_by_role("button", name="Fill open posts").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "1 of 1 open post filled"
    )
    expect(table.get_by_role("row", name="Waiting for the line manager 2")).to_be_visible()
    page.get_by_label("Status", exact=True).select_option("refused")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#moves-table tbody tr")).to_have_count(1)
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
