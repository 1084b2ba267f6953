"""Your profile in a real browser under the real CSP: adding a skill with the
autocomplete (keyboard only) while htmx swaps in the skill's own level
descriptors, and the conflict message when two tabs edit the same skill.
Each page is checked with axe."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.people.models import PersonSkill
from taxonomy.models import Skill, SkillAlias, SkillLevelDescriptor
from taxonomy.services import taxonomy_changed
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PYTHON_3 = "Builds and maintains Python applications independently, and reviews code."


@pytest.fixture
def python(db):
    skill = SkillFactory(name="Python (computer programming)", uri="urn:muster:test:python")
    SkillAlias.objects.create(skill=skill, label="Python")
    for level, text in [
        (1, "Knows what Python is and what it is used for."),
        (2, "Writes simple Python scripts with guidance."),
        (3, PYTHON_3),
        (4, "Sets Python standards and coaches others across teams."),
    ]:
        SkillLevelDescriptor.objects.create(skill=skill, level=level, description=text)
    Skill.objects.create(name="project management", uri="urn:muster:test:pm")
    taxonomy_changed()
    return skill


@pytest.fixture
def staff(make_user):
    user = make_user(Role.STAFF, username="browser-staff")
    return PersonFactory(user=user, full_name="Bea Browser")


def test_add_a_skill_with_the_autocomplete(page, live_server, staff, python, console_errors):
    login(page, live_server, "browser-staff", PASSWORD)
    page.goto(f"{live_server.url}/profile/me/")
    expect(page.locator("h1")).to_have_text("Your profile")
    assert_accessible(page)

    page.get_by_role("button", name="Add a skill").click()
    expect(page.locator("h1")).to_have_text("Add a skill")
    assert_accessible(page)

    combobox = page.get_by_role("combobox", name="Which skill do you want to add?")
    combobox.click()
    page.keyboard.type("pyhton")
    option = page.get_by_role("option", name=re.compile(r"^Python \(computer programming\)"))
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(option).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value("Python (computer programming)")
    expect(page.locator("input[type=hidden][name=skill]")).to_have_value(str(python.pk))

    # htmx swaps in Python's own level descriptors.
    levels = page.get_by_role("group", name="What is your level in Python (computer programming)?")
    expect(levels).to_be_visible()
    expect(levels).to_contain_text(PYTHON_3)
    assert_accessible(page)

    page.get_by_label("3 Practitioner").check()
    page.get_by_label("Yes, I use it now").check()
    page.get_by_label("Evidence (optional)").fill("Wrote the claims dashboard")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()

    # One step: the descriptors were already the skill's own.
    assert page.url.startswith(f"{live_server.url}/profile/me/")
    banner = page.locator(".govuk-notification-banner--success")
    expect(banner).to_contain_text("You added Python (computer programming) at level 3")
    skills = page.locator("#skills + dl")
    expect(skills).to_contain_text("Python (computer programming)")
    expect(skills).to_contain_text("3 Practitioner")
    expect(skills).to_contain_text("Self-assessed")
    ps = PersonSkill.objects.get(person=staff)
    assert (ps.skill_id, ps.level, ps.note) == (python.pk, 3, "Wrote the claims dashboard")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_two_tabs_editing_one_skill_get_the_conflict_message(
    page, live_server, staff, python, console_errors
):
    ps = PersonSkillFactory(person=staff, skill=python, level=2, note="Original note")
    login(page, live_server, "browser-staff", PASSWORD)
    change_url = f"{live_server.url}/profile/me/skills/{ps.pk}/change/"
    tab_a = page
    tab_b = page.context.new_page()
    tab_a.goto(change_url)
    tab_b.goto(change_url)
    expect(tab_b.locator("h1")).to_have_text("Change Python (computer programming)")

    tab_a.get_by_label("4 Expert").check()
    tab_a.get_by_label("Evidence").fill("Saved in tab A")
    with tab_a.expect_navigation():
        tab_a.get_by_role("button", name="Save").click()
    expect(tab_a.locator(".govuk-notification-banner--success")).to_contain_text(
        "You changed Python (computer programming): level 4 Expert"
    )

    tab_b.get_by_label("1 Awareness").check()
    tab_b.get_by_label("Evidence").fill("Saved in tab B")
    with tab_b.expect_navigation():
        tab_b.get_by_role("button", name="Save").click()

    summary = tab_b.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        "Someone else changed this skill since you opened it. Your changes have not been saved."
    )
    table = tab_b.locator("#conflict table")
    level_row = table.locator("tr", has=tab_b.locator("th", has_text="Level"))
    expect(level_row).to_contain_text("1 Awareness")
    expect(level_row).to_contain_text("4 Expert")
    expect(table).to_contain_text("Saved in tab A")
    expect(tab_b.get_by_label("Evidence")).to_have_value("Saved in tab B")
    ps.refresh_from_db()
    assert (ps.level, ps.note, ps.version) == (4, "Saved in tab A", 2)
    assert_accessible(tab_b)

    # Saving again from the conflict page is a deliberate overwrite.
    with tab_b.expect_navigation():
        tab_b.get_by_role("button", name="Save my changes").click()
    expect(tab_b.locator(".govuk-notification-banner--success")).to_contain_text(
        "level 1 Awareness"
    )
    ps.refresh_from_db()
    assert (ps.level, ps.note, ps.version) == (1, "Saved in tab B", 3)
    assert_no_csp_violations(tab_b, console_errors)
