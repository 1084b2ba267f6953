"""Draft skills in a real browser under the real CSP (DESIGN 9): from the home
page's nudge to "Check your draft skills", confirming one, rejecting one and
confirming one at another level; and finding skills in a pasted CV. Each page
is checked with axe."""

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from matching.drafting import Source
from skills_app.accounts.permissions import Role
from skills_app.people.drafts import draft_person
from skills_app.people.models import DraftRejection, EvidenceKind, PersonSkill
from taxonomy.models import SkillAlias, SkillLevelDescriptor
from taxonomy.services import taxonomy_changed
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PYTHON_4 = "Sets Python standards and coaches others across teams."
ANALYST = Source(
    kind="role_level",
    label="Senior data analyst",
    level=3,
    start=dt.date(2021, 4, 1),
    end=dt.date(2024, 3, 31),
)


@pytest.fixture
def skills(db):
    python = SkillFactory(name="Python (computer programming)")
    SkillAlias.objects.create(skill=python, label="Python")
    for level, text in [
        (1, "Knows what Python is for."),
        (2, "Writes simple Python scripts with guidance."),
        (3, "Builds and maintains Python applications independently."),
        (4, PYTHON_4),
    ]:
        SkillLevelDescriptor.objects.create(skill=python, level=level, description=text)
    sql = SkillFactory(name="SQL")
    pm = SkillFactory(name="project management")
    taxonomy_changed()
    return {"python": python, "sql": sql, "pm": pm}


@pytest.fixture
def staff(make_user):
    user = make_user(Role.STAFF, username="browser-drafts")
    return PersonFactory(user=user, full_name="Dana Draft")


def test_check_draft_skills_confirm_reject_and_change_a_level(
    page, live_server, staff, skills, console_errors
):
    draft_person(
        actor=None,
        person=staff,
        offers=[(s.pk, ANALYST) for s in skills.values()],
        kinds={"role_level"},
    )
    login(page, live_server, "browser-drafts", PASSWORD)
    page.goto(f"{live_server.url}/")
    banner = page.locator("#drafts-banner")
    expect(banner).to_contain_text("Muster has drafted 3 skills for you from your role history")
    assert_accessible(page)
    with page.expect_navigation():
        banner.get_by_role("link", name="Check your draft skills").click()

    expect(page.locator("h1")).to_have_text("Check your draft skills")
    sql = page.locator(f"#draft-{PersonSkill.objects.get(skill=skills['sql']).pk}")
    expect(sql).to_contain_text("You were a Senior data analyst from 2021 to 2024")
    expect(sql).to_contain_text("3 Practitioner")
    assert_accessible(page)

    # Confirm SQL at its suggested level.
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm SQL at 3 Practitioner").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You confirmed SQL at level 3 Practitioner"
    )

    # Reject project management.
    with page.expect_navigation():
        page.get_by_role("button", name="I do not have this skill (project management)").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You said you do not have project management"
    )
    assert_accessible(page)

    # Confirm Python at level 4, against what level 4 means for Python.
    with page.expect_navigation():
        page.get_by_role("link", name="Change the level of Python (computer programming)").click()
    expect(page.locator("h1")).to_have_text("Your level in Python (computer programming)")
    levels = page.get_by_role("group", name="What is your level in Python (computer programming)?")
    expect(levels).to_contain_text(PYTHON_4)
    expect(page.get_by_label("3 Practitioner")).to_be_checked()
    assert_accessible(page)
    page.get_by_label("4 Expert").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Confirm at this level").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You confirmed Python (computer programming) at level 4 Expert"
    )
    expect(page.locator("h1")).to_have_text("Check your draft skills")
    expect(page.locator("main")).to_contain_text("You have no draft skills to check")
    assert_accessible(page)

    rows = {ps.skill_id: ps for ps in PersonSkill.objects.filter(person=staff)}
    assert (rows[skills["sql"].pk].evidence, rows[skills["sql"].pk].level) == ("self", 3)
    assert (rows[skills["python"].pk].evidence, rows[skills["python"].pk].level) == ("self", 4)
    assert skills["pm"].pk not in rows
    assert DraftRejection.objects.filter(person=staff, skill=skills["pm"]).exists()

    # The nudge has gone; the profile says where the confirmed skills came from.
    page.goto(f"{live_server.url}/")
    expect(page.locator("#drafts-banner")).to_have_count(0)
    page.goto(f"{live_server.url}/profile/me/")
    expect(page.locator("#skills + .govuk-summary-list, #skills ~ dl").first).to_contain_text(
        "From: Senior data analyst 2021–2024"
    )
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


CV = (
    "Senior analyst, 2021 to 2024.\n"
    "I led a team of 12 analysts and ran project management for the claims service.\n"
    "Built the dashboards in Python."
)


def test_paste_a_cv_and_add_the_skills_found(page, live_server, staff, skills, console_errors):
    login(page, live_server, "browser-drafts", PASSWORD)
    page.goto(f"{live_server.url}/profile/me/")
    with page.expect_navigation():
        page.get_by_role("link", name="Find skills in your CV").click()
    expect(page.locator("h1")).to_have_text("Find skills in your CV")
    assert_accessible(page)
    box = page.get_by_label("Paste your CV, or write a few sentences about what you do")
    box.fill(CV)
    # GOV.UK's character count counts down as you type.
    expect(page.locator(".govuk-character-count__status")).to_contain_text(
        re.compile(r"You have [\d,]+ characters remaining")
    )
    with page.expect_navigation():
        page.get_by_role("button", name="Find skills").click()

    expect(page.locator("h1")).to_have_text("Skills found in your text")
    pm = page.get_by_role("checkbox", name="project management")
    python = page.get_by_role("checkbox", name="Python (computer programming)")
    expect(pm).not_to_be_checked()
    expect(python).not_to_be_checked()
    expect(page.locator("main")).to_contain_text(
        "I led a team of 12 analysts and ran project management for the claims service."
    )
    expect(page.locator("main q strong").first).to_have_text("project management")
    assert_accessible(page)
    pm.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Add as draft skills to check").click()

    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Muster added 1 draft skill"
    )
    expect(page.locator("h1")).to_have_text("Check your draft skills")
    card = page.locator(".govuk-summary-card", has_text="project management")
    expect(card).to_contain_text("You wrote:")
    expect(card).to_contain_text("2 Working")
    assert_accessible(page)

    row = PersonSkill.objects.get(person=staff, skill=skills["pm"])
    assert (row.evidence, row.level, row.source) == (EvidenceKind.INFERRED, 2, "text")
    assert row.sources[0]["passage"] == (
        "I led a team of 12 analysts and ran project management for the claims service."
    )
    assert not PersonSkill.objects.filter(person=staff, skill=skills["python"]).exists()
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
