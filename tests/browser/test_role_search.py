"""A planner builds a role and searches for people in a real browser under the real
CSP: the skill autocomplete in a requirement row, "Add another skill", Enter to
save, then the results, an explanation opened in a panel with htmx, a new
threshold swapped in with htmx (and Back), and an explanation on its own page.
axe checks the builder (with and without errors), the results and the
explanation."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import EvidenceKind
from skills_app.roles.models import RoleProfile, RoleSource
from taxonomy.services import taxonomy_changed
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(make_user):
    make_user(Role.PLANNER, username="browser-planner")
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    SkillFactory(name="Project management")
    taxonomy_changed()
    unit = OrgUnitFactory(name="Digital")
    ada = PersonFactory(staff_number="S1", full_name="Ada Lovelace", org_unit=unit, grade="SEO")
    bo = PersonFactory(staff_number="S2", full_name="Bo Smith", org_unit=unit, grade="HEO")
    PersonSkillFactory(person=ada, skill=python, level=4, evidence=EvidenceKind.CERTIFIED)
    PersonSkillFactory(
        person=ada, skill=sql, level=2, last_used=timezone.localdate() - dt.timedelta(days=1461)
    )
    PersonSkillFactory(person=bo, skill=python, level=3, evidence=EvidenceKind.CERTIFIED)
    PersonSkillFactory(person=bo, skill=sql, level=4, evidence=EvidenceKind.CERTIFIED)
    return {"python": python, "sql": sql, "ada": ada, "bo": bo}


def pick_skill(page, index: int, typed: str, name: str):
    combobox = page.locator(f"#id_req-{index}-skill_query")
    expect(combobox).to_have_attribute("role", "combobox")
    combobox.click()
    page.keyboard.type(typed)
    option = page.get_by_role("option", name=re.compile(rf"^{re.escape(name)}"))
    expect(option.first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(combobox).to_have_value(name)


def test_build_a_role_then_search_and_explain(page, live_server, world, console_errors):
    login(page, live_server, "browser-planner", PASSWORD)
    page.goto(f"{live_server.url}/roles/")
    with page.expect_navigation():
        page.get_by_role("button", name="Create a role").click()
    expect(page.locator("h1")).to_have_text("Create a role profile")
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Start with an empty role").click()
    assert_accessible(page)

    # Saving an empty role: the error summary, focused, and accessible.
    with page.expect_navigation():
        page.get_by_role("button", name="Save role", exact=True).click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a title for the role")
    expect(summary).to_contain_text("Enter the skill for requirement 1")
    assert_accessible(page)

    page.get_by_label("Title").fill("Data surge analyst")
    pick_skill(page, 0, "pyth", "Python")
    expect(page.locator("input[type=hidden][name='req-0-skill']")).to_have_value(
        str(world["python"].pk)
    )
    page.locator("#id_req-0-level").select_option("4")
    page.locator("#id_req-0-weight").fill("2")
    page.locator("#id_req-0-essential").check()

    with page.expect_navigation():
        page.get_by_role("button", name="Add another skill").click()
    # The page comes back with the new row and everything typed so far.
    expect(page.locator("#id_req-0-skill_query")).to_have_value("Python")
    expect(page.locator("#id_req-0-level")).to_have_value("4")
    expect(page.locator("#id_req-0-essential")).to_be_checked()
    expect(page.get_by_label("Title")).to_have_value("Data surge analyst")
    expect(page.locator("#requirement-2")).to_be_visible()
    pick_skill(page, 1, "sq", "SQL")
    page.locator("#id_req-1-level").select_option("4")
    assert_accessible(page)

    # Preview who matches before saving.
    with page.expect_navigation():
        page.get_by_role("button", name="Preview who matches").click()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("2 people match at 80% or more")
    expect(preview.locator("tbody tr")).to_have_count(2)
    expect(preview.locator("tbody tr").nth(0)).to_contain_text("Bo Smith")
    expect(preview.locator("tbody tr").nth(0)).to_contain_text("83.3%")
    assert not RoleProfile.objects.filter(title="Data surge analyst").exists()
    assert_accessible(page)

    # Enter in a text field saves (the form's first submit button is "Save").
    page.get_by_label("Title").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You created the role “Data surge analyst”"
    )
    role = RoleProfile.objects.get(title="Data surge analyst")
    assert role.source == RoleSource.LOCAL
    assert sorted(
        (r.skill.name, r.level, r.weight, r.essential) for r in role.requirements.all()
    ) == [("Python", 4, 2.0, True), ("SQL", 4, 1.0, False)]

    with page.expect_navigation():
        page.get_by_role("button", name="Search for people").click()
    expect(page.locator("h1")).to_have_text("Data surge analyst")
    results = page.locator("#search-results")
    expect(results.locator("h2").first).to_have_text("2 people found")
    rows = results.locator("tr[id^='result-']")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Bo Smith")
    expect(rows.nth(0)).to_contain_text("83.3%")
    expect(rows.nth(1)).to_contain_text("Ada Lovelace")
    expect(rows.nth(1)).to_contain_text("80.0%")
    assert_accessible(page)
    search_url = page.url

    # Bo's explanation opens in a panel under the row, without leaving the page.
    link = page.get_by_role("link", name=re.compile("^Bo Smith"))
    expect(link).to_have_attribute("aria-expanded", "false")
    link.click()
    panel = page.locator(f"#explain-{world['bo'].public_id}")
    expect(panel).to_be_visible()
    heading = panel.get_by_role("heading", name="How Bo Smith’s 83.3% match was worked out")
    expect(heading).to_be_focused()
    expect(panel).to_contain_text("3 Practitioner")
    expect(panel).to_contain_text("1 level")
    expect(link).to_have_attribute("aria-expanded", "true")
    assert page.url == search_url
    assert_accessible(page)
    link.click()
    expect(panel).to_be_hidden()
    expect(link).to_have_attribute("aria-expanded", "false")
    assert AccessEvent.objects.filter(action=Action.VIEW_EXPLANATION, subject=world["bo"]).exists()

    # A higher threshold: htmx swaps the results and pushes the URL.
    page.get_by_label("Minimum match").fill("81")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results.locator("h2").first).to_have_text("1 person found")
    expect(page.locator("#search-status")).to_have_text("1 person found")
    expect(page.locator("#search-results tr[id^='result-']")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"threshold=81"))
    assert_accessible(page)

    page.go_back()
    expect(page).to_have_url(search_url)
    expect(page.locator("#search-results h2").first).to_have_text("2 people found")
    expect(page.locator("#search-results tr[id^='result-']")).to_have_count(2)

    # Ada's explanation on its own page.
    page.goto(f"{live_server.url}/roles/{role.code}/search/people/{world['ada'].public_id}/")
    expect(page.locator("h1")).to_have_text("Ada Lovelace")
    expect(page.locator("main")).to_contain_text("How the 80.0% match was worked out")
    expect(page.locator("main")).to_contain_text("3 levels")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_pages_of_results_swap_in_place(page, live_server, world, monkeypatch, console_errors):
    from skills_app.roles import views_search
    from tests.factories import RoleProfileFactory

    monkeypatch.setattr(views_search, "PER_PAGE", 1)
    role = RoleProfileFactory(code="sql-only", title="SQL analyst")
    role.requirements.create(skill=world["sql"], level=2)
    login(page, live_server, "browser-planner", PASSWORD)
    page.goto(f"{live_server.url}/roles/sql-only/search/")
    results = page.locator("#search-results")
    expect(results.locator("h2").first).to_have_text("2 people found")
    expect(results.locator("tr[id^='result-']")).to_have_text(re.compile("Bo Smith"))
    nav = page.get_by_role("navigation", name="Pages of people with a match of 80% or more")
    nav.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"page=2"))
    expect(results.locator("tr[id^='result-']")).to_have_text(re.compile("Ada Lovelace"))
    expect(results.locator("h2").first).to_be_focused()
    expect(page.locator("#search-status")).to_have_text("2 people found, page 2 of 2")
    assert_accessible(page)
    page.go_back()
    expect(results.locator("tr[id^='result-']")).to_have_text(re.compile("Bo Smith"))
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_people_in_through_a_recent_role_are_listed_apart_and_explanations_print_on_one_page(
    page, live_server, world, monkeypatch, console_errors
):
    from skills_app.people.models import RoleHistory
    from skills_app.roles import views_search
    from tests.factories import RoleProfileFactory

    monkeypatch.setattr(views_search, "PER_PAGE", 1)
    role = RoleProfileFactory(code="py-sql", title="Python and SQL analyst")
    role.requirements.create(skill=world["python"], level=4, weight=5)
    role.requirements.create(skill=world["sql"], level=4, weight=5)
    # A role of twelve skills, as planners build them: its explanation still prints on one page.
    for number in range(10):
        skill = SkillFactory(name=f"Casework skill {number}")
        role.requirements.create(skill=skill, level=1, weight=0.01)
    taxonomy_changed()
    unit = world["ada"].org_unit
    for number, name in ((3, "Cy Jones"), (4, "Di Evans")):
        person = PersonFactory(staff_number=f"S{number}", full_name=name, org_unit=unit)
        RoleHistory.objects.create(
            person=person,
            title="Python and SQL analyst",
            role_profile=role,
            start=timezone.localdate() - dt.timedelta(days=700),
        )
    login(page, live_server, "browser-planner", PASSWORD)
    page.goto(f"{live_server.url}/roles/py-sql/search/")
    results = page.locator("#search-results")
    # Bo is in by score (87.5%); Ada's 70% is not enough; Cy and Di hold the role now.
    expect(results.locator("h2").first).to_have_text("3 people found")
    expect(page.locator("#by-score")).to_have_text("80% match or more")
    expect(page.locator("#by-prior-role")).to_have_text("In through a recent role")
    tables = results.locator("table")
    expect(tables).to_have_count(2)
    expect(tables.nth(0)).to_contain_text("Bo Smith")
    expect(tables.nth(1)).to_contain_text("Cy Jones")
    expect(tables.nth(1)).to_contain_text("covers 100%")
    assert_accessible(page)
    # Each list pages on its own: the second list's next page leaves the first alone.
    nav = page.get_by_role("navigation", name="Pages of people in through a recent role")
    nav.get_by_role("link", name="Next page").click()
    expect(page).to_have_url(re.compile(r"prior_page=2"))
    expect(tables.nth(1)).to_contain_text("Di Evans")
    expect(tables.nth(0)).to_contain_text("Bo Smith")
    assert_accessible(page)

    # An explanation states its basis and prints on one A4 page.
    page.goto(f"{live_server.url}/roles/py-sql/search/people/{world['bo'].public_id}/")
    main = page.locator("main")
    expect(main).to_contain_text("against role py-sql (Python and SQL analyst), version 1")
    expect(main).to_contain_text("Yes, by score")
    assert_accessible(page)
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
