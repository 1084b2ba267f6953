"""Issue 14 items 2-4 in a real browser under the real CSP, checked with axe (no
violation of any impact): the capability heatmap's default view counts DDaT skills
by role family and the department's own skills; a skill picked with the autocomplete
becomes a column; data quality is paged and sorted by its column headings.

    Dept (department)
      Dept/Digital (directorate)   Dept/Digital/Build (team): 8 people, each with
                                   one DDaT skill of two families and Casework
      Dept/Ops (directorate)       Dept/Ops/Solo (team): 1 person, Casework
                                   Dept/Ops/Six (team): 6 people, Casework
"""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.people.models import OrgUnitKind
from skills_app.reports import tables
from taxonomy.importers.ddat import import_ddat
from taxonomy.models import Skill, Source
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.browser.test_reports import rows_of, show
from tests.conftest import PASSWORD
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def org(make_user):
    import_ddat()
    dept = OrgUnitFactory(name="Dept", kind=OrgUnitKind.DEPARTMENT)
    digital = OrgUnitFactory(name="Digital", parent=dept, kind=OrgUnitKind.DIRECTORATE)
    ops = OrgUnitFactory(name="Ops", parent=dept, kind=OrgUnitKind.DIRECTORATE)
    build = OrgUnitFactory(name="Build", parent=digital, kind=OrgUnitKind.TEAM)
    solo = OrgUnitFactory(name="Solo", parent=ops, kind=OrgUnitKind.TEAM)
    six = OrgUnitFactory(name="Six", parent=ops, kind=OrgUnitKind.TEAM)
    casework = SkillFactory(name="Casework", source=Source.LOCAL)
    dev = Skill.objects.filter(group__name="Software development").order_by("name").first()
    data = Skill.objects.filter(group__name="Data").order_by("name").first()
    for n in range(8):
        person = PersonFactory(org_unit=build)
        PersonSkillFactory(person=person, skill=dev if n < 5 else data, level=3)
        PersonSkillFactory(person=person, skill=casework, level=3)
    for unit, size in ((solo, 1), (six, 6)):
        for _ in range(size):
            PersonSkillFactory(person=PersonFactory(org_unit=unit), skill=casework, level=3)
    make_user(Role.HR, username="tables-hr")
    return {"casework": casework}


def test_heatmap_counts_ddat_families_and_a_picked_skill(page, live_server, org, console_errors):
    login(page, live_server, "tables-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/capability/")
    expect(page.locator("h1")).to_have_text("Capability heatmap")
    table = page.locator("#heatmap-table")
    head = rows_of(table.locator("thead"))[0]
    assert head[:3] == ["Unit", "People", "Department skills"]
    assert {"Data", "Software development", "Architecture"} <= set(head)
    assert "Skills in no group" not in head
    cells = dict(zip(head, rows_of(table.locator("tbody"))[0], strict=True))
    assert cells["Unit"] == "Dept" and cells["People"] == "15"
    assert cells["Department skills"] == "15"
    assert cells["Software development"] == "5" and cells["Data"] == "3"
    # The chart names every column in full, on one slanted line.
    chart = page.get_by_role("img", name=re.compile(r"^Chart: people at level 3"))
    labels = chart.locator("text[text-anchor='start']").all_text_contents()
    assert "Quality assurance testing (QAT)" in labels and "Software development" in labels
    assert_accessible(page, impacts=None)

    # Pick Casework with the autocomplete: it becomes the one column.
    combobox = page.get_by_role("combobox", name="Add a skill as a column")
    combobox.click()
    page.keyboard.type("casew")
    option = page.get_by_role("option", name=re.compile(r"^Casework"))
    expect(option).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#add-skill-id")).to_have_value(str(org["casework"].pk))
    page.get_by_label("Show a row for each", exact=True).select_option(label="Team")
    show(page)
    expect(page).to_have_url(re.compile(rf"skill={org['casework'].pk}"))
    assert rows_of(table.locator("thead")) == [["Unit", "People", "Casework"]]
    # The one-person team is left out by default.
    assert rows_of(table.locator("tbody")) == [
        ["Dept/Digital/Build", "8", "8"],
        ["Dept/Ops/Six", "6", "6"],
    ]
    expect(page.locator("#units-left-out")).to_have_text(
        "1 unit with fewer than 5 people is left out."
    )
    expect(page.locator("#chosen-skills")).to_contain_text("Casework")
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)


def test_data_quality_is_paged_and_sorted(page, live_server, org, console_errors, monkeypatch):
    monkeypatch.setattr(tables, "PER_PAGE", 2)
    login(page, live_server, "tables-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/data-quality/")
    page.get_by_label("Units with at least this many people").fill("0")
    show(page)
    table = page.locator("#data-quality-table")
    expect(table.locator("caption")).to_contain_text("3 units, worst first (1 to 2 shown)")
    people = table.locator("thead th", has_text="People with no skills")
    expect(people).to_have_attribute("aria-sort", "none")

    heading = table.locator("thead th").nth(1)  # People
    expect(heading).to_have_attribute("aria-sort", "none")
    with page.expect_navigation():
        heading.get_by_role("link").click()
    expect(heading).to_have_attribute("aria-sort", "descending")
    assert [r[:2] for r in rows_of(table.locator("tbody"))] == [
        ["Dept/Digital/Build", "8"],
        ["Dept/Ops/Six", "6"],
    ]
    assert_accessible(page, impacts=None)
    with page.expect_navigation():
        page.get_by_role("link", name="Next page").click()
    assert [r[:2] for r in rows_of(table.locator("tbody"))] == [["Dept/Ops/Solo", "1"]]
    expect(heading).to_have_attribute("aria-sort", "descending")
    with page.expect_navigation():
        heading.get_by_role("link").click()
    expect(heading).to_have_attribute("aria-sort", "ascending")
    assert [r[:2] for r in rows_of(table.locator("tbody"))] == [
        ["Dept/Ops/Solo", "1"],
        ["Dept/Ops/Six", "6"],
    ]
    assert_accessible(page, impacts=None)
    assert_no_csp_violations(page, console_errors)
