"""The taxonomy pages in a real browser under the real CSP: the skill combobox
(keyboard only), the skill page, a steward's merge, the proposal queue and the
duplicates page, each checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from taxonomy.models import Skill, SkillAlias, SkillProposal, SkillStatus
from taxonomy.services import taxonomy_changed
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import PersonSkillFactory, RoleRequirementFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def skills(db):
    python = Skill.objects.create(
        name="Python (computer programming)",
        uri="urn:muster:test:python",
        description="Writing programs in Python.",
    )
    SkillAlias.objects.create(skill=python, label="Python")
    pm = Skill.objects.create(name="project management", uri="urn:muster:test:pm")
    Skill.objects.create(name="stakeholder management", uri="urn:muster:test:sm")
    Skill.objects.create(name="stakeholder managment", uri="urn:muster:test:sm2")
    taxonomy_changed()
    return {"python": python, "pm": pm}


def test_combobox_finds_python_from_a_misspelling(
    page, live_server, make_user, skills, console_errors
):
    make_user(Role.PLANNER, username="combo-planner")
    PersonSkillFactory(skill=skills["python"], level=3)
    PersonSkillFactory(skill=skills["python"], level=4)
    login(page, live_server, "combo-planner", PASSWORD)
    page.goto(f"{live_server.url}/skills/")

    combobox = page.get_by_role("combobox", name="Search for a skill")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    listbox_id = combobox.get_attribute("aria-controls")
    combobox.click()
    page.keyboard.type("pyhton")

    option = page.get_by_role("option", name=re.compile(r"^Python \(computer programming\)"))
    expect(option).to_be_visible()
    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(page.locator(f"#{listbox_id}")).to_be_visible()
    expect(page.locator("[data-autocomplete-status]")).to_have_text(
        re.compile(r"\d+ results? (is|are) available")
    )
    assert_accessible(page)  # with the listbox open

    page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(combobox).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.keyboard.press("Escape")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(combobox).not_to_have_attribute("aria-activedescendant", re.compile(".*"))
    page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url == f"{live_server.url}/skills/{skills['python'].pk}/"
    expect(page.locator("h1")).to_have_text("Python (computer programming)")
    # Planners see how many people hold it, as a table with bars.
    expect(
        page.get_by_text("2 people hold Python (computer programming), by level")
    ).to_be_visible()
    expect(page.locator(".app-bar__fill--50")).to_have_count(2)
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_search_without_choosing_lists_results(page, live_server, make_user, skills):
    make_user(Role.STAFF, username="search-staff")
    login(page, live_server, "search-staff", PASSWORD)
    page.goto(f"{live_server.url}/skills/")
    combobox = page.get_by_role("combobox", name="Search for a skill")
    combobox.fill("projct managment")
    with page.expect_navigation():
        page.get_by_role("button", name="Search").click()
    expect(page.locator("caption")).to_contain_text("matching “projct managment”")
    expect(page.get_by_role("link", name="project management")).to_be_visible()
    # Staff do not see the counts.
    page.get_by_role("link", name="project management").click()
    expect(page.locator("h1")).to_have_text("project management")
    expect(page.get_by_text("People with this skill")).to_have_count(0)
    assert_accessible(page)


def test_steward_merges_two_skills(page, live_server, make_user, skills, console_errors):
    make_user(Role.STEWARD, username="merge-steward")
    keep = Skill.objects.get(name="stakeholder management")
    drop = Skill.objects.get(name="stakeholder managment")
    PersonSkillFactory(skill=drop, level=2)
    RoleRequirementFactory(skill=drop)
    login(page, live_server, "merge-steward", PASSWORD)

    page.goto(f"{live_server.url}/skills/{drop.pk}/")
    page.get_by_role("link", name=re.compile("Merge this skill into another")).click()
    expect(page.locator("h1")).to_have_text("Merge this skill into another")
    assert_accessible(page)

    combobox = page.get_by_role("combobox", name="Which skill should it be merged into?")
    combobox.click()
    page.keyboard.type("stakeholder man")
    option = page.get_by_role("option", name=re.compile(r"^stakeholder management"))
    expect(option).to_be_visible()
    # The skill being merged is not offered as its own target.
    expect(page.get_by_role("option", name=re.compile(r"^stakeholder managment"))).to_have_count(0)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value("stakeholder management")
    expect(page.locator("input[type=hidden][name=target]")).to_have_value(str(keep.pk))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()

    expect(page.locator("h1")).to_have_text(
        "Merge “stakeholder managment” into “stakeholder management”?"
    )
    expect(page.locator("main")).to_contain_text("1 person holds “stakeholder managment”")
    expect(page.locator("main")).to_contain_text("1 role requirement names")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Merge skills").click()

    assert page.url == f"{live_server.url}/skills/{keep.pk}/"
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("“stakeholder managment” has been merged into")
    drop.refresh_from_db()
    assert drop.status == SkillStatus.MERGED and drop.merged_into_id == keep.pk
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_steward_pages_are_accessible(page, live_server, make_user, skills, console_errors):
    staff = make_user(Role.STAFF, username="proposer-staff")
    SkillProposal.objects.create(name="Pyhton scripting", proposed_by=staff)
    proposal = SkillProposal.objects.create(name="Welsh translation", proposed_by=staff)
    make_user(Role.STEWARD, username="queue-steward")
    login(page, live_server, "queue-steward", PASSWORD)

    page.goto(f"{live_server.url}/skills/proposals/")
    expect(page.locator("h1")).to_have_text("Review proposals")
    expect(page.locator("caption")).to_contain_text("2 proposals waiting for a decision")
    assert_accessible(page)

    page.goto(f"{live_server.url}/skills/proposals/{proposal.pk}/")
    expect(page.locator("h1")).to_have_text("Welsh translation")
    assert_accessible(page)
    # Rejecting without a reason: the error summary takes focus and links to the field.
    with page.expect_navigation():
        page.get_by_role("button", name="Reject proposal").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Give a reason")
    assert_accessible(page)

    page.goto(f"{live_server.url}/skills/duplicates/")
    expect(page.locator("h1")).to_have_text("Possible duplicates")
    expect(page.get_by_role("link", name=re.compile("^stakeholder managment$"))).to_be_visible()
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_propose_shows_similar_skills_while_typing(
    page, live_server, make_user, skills, console_errors
):
    make_user(Role.STAFF, username="live-staff")
    login(page, live_server, "live-staff", PASSWORD)
    page.goto(f"{live_server.url}/skills/propose/")
    page.get_by_label("Name of the skill").press_sequentially("pyhton", delay=30)
    similar = page.locator("#similar-skills")
    expect(similar).to_contain_text("Similar skills already in the taxonomy")
    expect(similar.get_by_role("link", name="Python (computer programming)")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Name of the skill").fill("Underwater basket weaving")
    with page.expect_navigation():
        page.get_by_role("button", name="Send proposal").click()
    expect(page.locator(".govuk-panel")).to_contain_text(
        "Your proposal has been sent to the taxonomy stewards"
    )
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_steward_keeps_the_qualification_table(
    page, live_server, make_user, skills, console_errors
):
    """Add a mapping with the skill combobox and a level radio, see it in the table,
    then try an empty add: the error summary takes focus. Each page passes axe."""
    from taxonomy.models import QualificationSkill

    make_user(Role.STEWARD, username="quals-steward")
    login(page, live_server, "quals-steward", PASSWORD)
    page.goto(f"{live_server.url}/skills/")
    page.get_by_role("link", name="Qualifications and the skills they show").click()
    expect(page.locator("h1")).to_have_text("Qualifications and the skills they show")
    assert_accessible(page)

    page.get_by_label("Qualification", exact=True).fill("PRINCE2 Practitioner")
    combobox = page.get_by_role("combobox", name="Skill it shows")
    combobox.click()
    page.keyboard.type("project man")
    expect(page.get_by_role("option", name=re.compile(r"^project management"))).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value("project management")
    page.get_by_label("3 Practitioner").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "“PRINCE2 Practitioner” now shows “project management” at level 3"
    )
    expect(page.locator("table")).to_contain_text("PRINCE2 Practitioner")
    row = QualificationSkill.objects.get()
    assert (row.skill_id, row.level) == (skills["pm"].pk, 3)
    assert_accessible(page)

    with page.expect_navigation():
        page.get_by_role("button", name="Add").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter the name of the qualification")
    assert_accessible(page)

    page.goto(f"{live_server.url}/skills/qualifications/{row.pk}/remove/")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
