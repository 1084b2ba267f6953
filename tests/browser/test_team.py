"""A line manager's team in a real browser under the real CSP: sign in, open the
team page, open a team member, verify a claimed skill and query another, mark
them protected; axe on every page on the way."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.people.models import EvidenceKind, Person, PersonSkill
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def team(make_user):
    manager_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="team-manager")
    unit = OrgUnitFactory(name="Benefit Processing")
    manager = PersonFactory(full_name="Morag Manager", org_unit=unit, user=manager_user)
    lead = PersonFactory(full_name="Lee Lead", org_unit=unit, line_manager=manager)
    member = PersonFactory(full_name="Priya Shah", org_unit=unit, line_manager=lead)
    PersonFactory(full_name="Omar Other")  # not in the team
    casework = PersonSkillFactory(
        person=member, skill=SkillFactory(name="Benefit casework"), level=3
    )
    debt = PersonSkillFactory(person=member, skill=SkillFactory(name="Debt advice"), level=2)
    PersonSkillFactory(
        person=lead, skill=SkillFactory(name="Coaching"), evidence=EvidenceKind.CERTIFIED
    )
    return {"member": member, "lead": lead, "casework": casework, "debt": debt}


def test_manager_verifies_a_team_members_skill(page, live_server, team, console_errors):
    login(page, live_server, "team-manager", PASSWORD)
    page.goto(f"{live_server.url}/people/team/")
    expect(page.locator("h1")).to_have_text("Your team")
    table = page.locator("table.govuk-table")
    expect(table.locator("caption")).to_contain_text("2 people in your team")
    expect(table).to_contain_text("Reports to Lee Lead")
    expect(page.get_by_text("Omar Other")).to_have_count(0)
    assert_accessible(page)

    # Only people with something to verify.
    page.get_by_label("Show").select_option("to_verify")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(table.locator("caption")).to_contain_text("People with skills to verify: 1")
    expect(page.get_by_role("link", name="Lee Lead")).to_have_count(0)

    with page.expect_navigation():
        page.get_by_role("link", name="Priya Shah").click()
    assert page.url == f"{live_server.url}/people/{team['member'].public_id}/"
    expect(page.locator("h1")).to_have_text("Priya Shah")
    assert_accessible(page)

    row = page.locator(f"#skill-{team['casework'].pk}")
    expect(row).to_contain_text("Self-assessed")
    # Verifying asks how the manager knows: without a reason, the error summary.
    with page.expect_navigation():
        row.get_by_role("link", name="Verify Benefit casework").click()
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Verify skill").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "Enter how you know they have this skill"
    )
    page.get_by_label("How do you know they have this skill at this level?").fill(
        "Ran the casework clinic with me"
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Verify skill").click()
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("You verified Priya Shah’s skill “Benefit casework”")
    row = page.locator(f"#skill-{team['casework'].pk}")
    expect(row).to_contain_text("Verified by manager")
    expect(row).to_contain_text("by team-manager")
    expect(row).to_contain_text("“Ran the casework clinic with me”")
    expect(row.get_by_role("link", name="Verify Benefit casework")).to_have_count(0)
    expect(row.get_by_role("link", name="Undo verification of Benefit casework")).to_have_count(1)
    assert_accessible(page)
    casework = PersonSkill.objects.get(pk=team["casework"].pk)
    assert casework.evidence == EvidenceKind.MANAGER_VERIFIED
    assert casework.verified_by == get_user_model().objects.get(username="team-manager")

    # Query the other claim: the error summary first, then the question.
    with page.expect_navigation():
        page.get_by_role("link", name="Query Debt advice").click()
    expect(page.locator("h1")).to_have_text("Query “Debt advice”")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Send query").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("Enter your question about this skill")
    expect(summary).to_be_focused()
    assert_accessible(page)
    summary.get_by_role("link", name="Enter your question about this skill").click()
    field = page.get_by_label("What do you want to ask about this skill?")
    expect(field).to_be_focused()
    field.fill("Which benefits have you advised on?")
    with page.expect_navigation():
        page.get_by_role("button", name="Send query").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You queried Priya Shah’s skill “Debt advice”"
    )
    expect(page.locator(f"#skill-{team['debt'].pk}")).to_contain_text(
        "Which benefits have you advised on?"
    )

    # Protect them, saying why; then the mark can be removed the same way.
    with page.expect_navigation():
        page.get_by_role("link", name="Mark as protected (critical role)").click()
    assert_accessible(page)
    page.get_by_label("Why is their role critical?").fill("Only person who runs the payroll")
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as protected (critical role)").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Priya Shah is now protected"
    )
    expect(page.locator("main")).to_contain_text("Reason: “Only person who runs the payroll”")
    expect(page.get_by_role("link", name="Remove protection")).to_be_visible()
    assert Person.objects.get(pk=team["member"].pk).protected
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_a_stale_verify_shows_the_conflict(page, live_server, team, console_errors):
    login(page, live_server, "team-manager", PASSWORD)
    page.goto(f"{live_server.url}/people/{team['member'].public_id}/")
    # The owner raises their level after the manager opened the verify page.
    with page.expect_navigation():
        page.get_by_role("link", name="Verify Benefit casework").click()
    PersonSkill.objects.filter(pk=team["casework"].pk).update(level=4, version=5)
    page.get_by_label("How do you know they have this skill at this level?").fill("Saw it")
    with page.expect_navigation():
        page.get_by_role("button", name="Verify skill").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("changed by someone else since you opened it")
    expect(page.locator("main")).to_contain_text("4 Expert")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Verify skill").click()
    expect(page.locator(".govuk-notification-banner--success")).to_be_visible()
    assert PersonSkill.objects.get(pk=team["casework"].pk).version == 6
    assert_no_csp_violations(page, console_errors)
