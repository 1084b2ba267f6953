"""Capability reports in a real browser under the real CSP, checked with axe: HR
reads data quality worst first, the capability heatmap (chart, table, form and
downloads) and a cell's list of people, and supply and demand with and without a
surge scenario; a line manager sees only their team; a planner only supply and
demand; a staff member is refused every report page.

The organisation is small enough to count by hand (level 3 is the default):

    Operations           Morag Manager (reviewed, no skills, user reports-manager)
                         Olu Okafor    Welsh 3
    Operations/Claims    Cara Clarke   SQL 3 verified, Python 4 certified (reviewed;
                                       reports to Morag)
                         Dev Patel     Python 2 (reports to Morag)
    Operations/Payments  Ian Irving    SQL 3 (reports to Cara)
                         Pat Payne     SQL 4 assessed (reviewed)
    Policy               Polly Price   no skills, one expired qualification
                         Quinn Quayle  Welsh 1 (reviewed 400 days ago)

Skill groups: Digital (Python; its child group Data holds SQL) and Languages
(Welsh). Morag's team is Cara, Dev and Ian.
"""

import csv
import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import EvidenceKind, Qualification
from skills_app.reports.services import QUALITY_COLUMNS, SUPPLY_COLUMNS
from skills_app.surge.models import DemandLine, SurgeScenario
from taxonomy.models import SkillGroup
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REFUSED = "You do not have permission to view this page"
DATE = r"\d{4}-\d{2}-\d{2}"

# Every cell's visible text, row by row, leaving out visually hidden text (link
# suffixes, colour bands) so the figures can be compared with what was set up.
SECTION_TEXTS = """section => [...section.rows].map(row => [...row.cells].map(cell => {
    const copy = cell.cloneNode(true);
    copy.querySelectorAll('.govuk-visually-hidden').forEach(n => n.remove());
    return copy.textContent.replace(/\\s+/g, ' ').trim();
}))"""


def rows_of(section) -> list[list[str]]:
    return section.evaluate(SECTION_TEXTS)


def people_listed(page) -> list[str]:
    return page.locator("table.govuk-table tbody th").all_inner_texts()


def one(rest: str) -> re.Pattern:
    """A cell link holding 1 ("1 person in ..."). A "/" is escaped too:
    Playwright puts the pattern into a selector as /.../."""
    return re.compile(rf"^1 person {re.escape(rest).replace('/', r'\/')}$")


def nav_link(page, name):
    return page.locator(".govuk-service-navigation").get_by_role("link", name=name, exact=True)


def show(page):
    with page.expect_navigation():
        page.get_by_role("button", name="Show", exact=True).click()


def download(page, link_name):
    """Clicks a download button; (suggested file name, path of the saved file)."""
    with page.expect_download() as info:
        page.get_by_role("button", name=link_name).click()
    return info.value.suggested_filename, Path(info.value.path())


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def read_xlsx(path: Path) -> list[list]:
    """The first sheet's rows (openpyxl wants a file name ending .xlsx, or bytes)."""
    sheet = openpyxl.load_workbook(io.BytesIO(path.read_bytes()), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def assert_clean(page, console_errors, *, refusals=0):
    """No CSP violation and no console error, except Chromium's one line for each
    page the test opened expecting a 403 or 404 (``refusals`` of them)."""
    assert_no_csp_violations(page, console_errors)
    refused = [e for e in console_errors if re.search(r"status of 40[34] ", e)]
    assert len(refused) == refusals, refused
    assert [e for e in console_errors if e not in refused] == []


@pytest.fixture
def org(make_user):
    now = timezone.now()
    today = timezone.localdate(now)
    recent = now - dt.timedelta(days=10)
    ops = OrgUnitFactory(name="Operations")
    claims = OrgUnitFactory(name="Claims", parent=ops)
    payments = OrgUnitFactory(name="Payments", parent=ops)
    policy = OrgUnitFactory(name="Policy")

    digital = SkillGroup.objects.create(name="Digital", uri="urn:test:group:digital")
    data = SkillGroup.objects.create(name="Data", uri="urn:test:group:data", parent=digital)
    languages = SkillGroup.objects.create(name="Languages", uri="urn:test:group:languages")
    sql = SkillFactory(name="SQL", group=data)
    python = SkillFactory(name="Python", group=digital)
    welsh = SkillFactory(name="Welsh", group=languages)

    hr_user = make_user(Role.HR, username="reports-hr")
    manager_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="reports-manager")
    morag = PersonFactory(
        full_name="Morag Manager", org_unit=ops, user=manager_user, profile_reviewed_at=recent
    )
    olu = PersonFactory(full_name="Olu Okafor", org_unit=ops)
    PersonSkillFactory(person=olu, skill=welsh, level=3)
    cara = PersonFactory(
        full_name="Cara Clarke", org_unit=claims, line_manager=morag, profile_reviewed_at=recent
    )
    PersonSkillFactory(person=cara, skill=sql, level=3, evidence=EvidenceKind.MANAGER_VERIFIED)
    PersonSkillFactory(person=cara, skill=python, level=4, evidence=EvidenceKind.CERTIFIED)
    dev = PersonFactory(full_name="Dev Patel", org_unit=claims, line_manager=morag)
    PersonSkillFactory(person=dev, skill=python, level=2)
    ian = PersonFactory(full_name="Ian Irving", org_unit=payments, line_manager=cara)
    PersonSkillFactory(person=ian, skill=sql, level=3)
    pat = PersonFactory(full_name="Pat Payne", org_unit=payments, profile_reviewed_at=recent)
    PersonSkillFactory(person=pat, skill=sql, level=4, evidence=EvidenceKind.ASSESSED)
    polly = PersonFactory(full_name="Polly Price", org_unit=policy)
    Qualification.objects.create(
        person=polly, name="First aid", expires=today - dt.timedelta(days=1)
    )
    # Neither counts as expired: one runs out today, one next year.
    Qualification.objects.create(person=polly, name="Fire warden", expires=today)
    Qualification.objects.create(
        person=polly, name="Mental health first aid", expires=today + dt.timedelta(days=365)
    )
    quinn = PersonFactory(
        full_name="Quinn Quayle", org_unit=policy, profile_reviewed_at=now - dt.timedelta(days=400)
    )
    PersonSkillFactory(person=quinn, skill=welsh, level=1)

    analyst = RoleProfileFactory(code="data-analyst", title="Data analyst")
    RoleRequirementFactory(role=analyst, skill=sql, level=3)
    developer = RoleProfileFactory(code="developer", title="Developer")
    RoleRequirementFactory(role=developer, skill=python, level=3)
    speaker = RoleProfileFactory(code="welsh-speaker", title="Welsh speaker")
    RoleRequirementFactory(role=speaker, skill=welsh, level=2)
    RoleProfileFactory(code="empty-role", title="Empty role")  # no skills: not reported

    return {
        "hr_user": hr_user,
        "manager_user": manager_user,
        "units": {"ops": ops, "claims": claims, "payments": payments, "policy": policy},
        "groups": {"digital": digital, "languages": languages},
        "roles": {"analyst": analyst, "developer": developer},
    }


# --- data quality ------------------------------------------------------------------


def test_hr_reads_data_quality_worst_first_and_downloads_it(page, live_server, org, console_errors):
    login(page, live_server, "reports-hr", PASSWORD)
    with page.expect_navigation():
        nav_link(page, "Reports").click()
    expect(page).to_have_url(f"{live_server.url}/reports/")
    expect(page.locator("h1")).to_have_text("Reports")
    expect(nav_link(page, "Reports")).to_have_attribute("aria-current", "page")
    expect(page.locator("main")).to_contain_text(
        "These reports count everyone in the organisation."
    )
    for name in ("Supply and demand", "Capability heatmap", "Data quality"):
        expect(page.locator("main").get_by_role("link", name=name, exact=True)).to_be_visible()
    assert_accessible(page)

    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Data quality", exact=True).click()
    expect(page).to_have_title(re.compile(r"^Data quality - Reports"))
    expect(page.locator("h1")).to_have_text("Data quality")
    table = page.locator("table.govuk-table")
    expect(table.locator("caption")).to_have_text("4 units, worst first")
    # Each unit on its own, lowest quality score first.
    assert rows_of(table.locator("tbody")) == [
        ["Policy", "2", "0% (0)", "0% (0 of 1)", "1", "1 (50%)", "16.7%", "0", "0"],
        ["Operations", "2", "50% (1)", "0% (0 of 1)", "0", "1 (50%)", "33.3%", "0", "0"],
        ["Operations/Payments", "2", "50% (1)", "50% (1 of 2)", "0", "0 (0%)", "66.7%", "0", "0"],
        ["Operations/Claims", "2", "50% (1)", "66.7% (2 of 3)", "0", "0 (0%)", "72.2%", "0", "0"],
    ]
    assert rows_of(table.locator("tfoot")) == [
        ["All units", "8", "37.5% (3)", "42.9% (3 of 7)", "1", "2 (25%)", "51.8%", "0", "0"]
    ]
    assert_accessible(page)

    # Rolled up to departments: Operations holds its two teams' people too.
    depth = page.get_by_label("Group units by level")
    expect(depth).to_have_value("")
    depth.select_option(label="Department")
    show(page)
    # Units of fewer than 5 people are left out by default (Policy has 2) ...
    expect(table.locator("caption")).to_have_text("1 unit, worst first")
    expect(page.locator("#units-left-out")).to_have_text(
        "1 unit with fewer than 5 people is left out."
    )
    # ... and the reader can ask for every unit.
    page.get_by_label("Units with at least this many people").fill("0")
    show(page)
    expect(page).to_have_url(re.compile(r"/reports/data-quality/\?depth=0(&|$)"))
    expect(page.get_by_label("Group units by level")).to_have_value("0")
    expect(table.locator("caption")).to_have_text("2 units, worst first")
    assert rows_of(table.locator("tbody")) == [
        ["Policy", "2", "0% (0)", "0% (0 of 1)", "1", "1 (50%)", "16.7%", "0", "0"],
        ["Operations", "6", "50% (3)", "50% (3 of 6)", "0", "1 (16.7%)", "61.1%", "0", "0"],
    ]
    assert_accessible(page)

    # The downloads hold the rolled-up figures shown.
    name, path = download(page, "Download as CSV")
    assert re.fullmatch(rf"data-quality-{DATE}\.csv", name)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert next(csv.reader(handle)) == QUALITY_COLUMNS
    rows = read_csv(path)
    assert [r["org_unit"] for r in rows] == ["Policy", "Operations"]
    assert rows[0]["expired_qualifications"] == "1"
    assert rows[0]["quality_score_percent"] == "16.7"
    assert (rows[1]["people"], rows[1]["verified_or_assessed"]) == ("6", "3")

    name, path = download(page, "Download as Excel (XLSX)")
    assert re.fullmatch(rf"data-quality-{DATE}\.xlsx", name)
    cells = read_xlsx(path)
    assert cells[0] == QUALITY_COLUMNS
    assert [row[:3] for row in cells[1:]] == [["Policy", 2, 0], ["Operations", 6, 3]]

    exports = AccessEvent.objects.filter(
        actor=org["hr_user"], action=Action.EXPORT, object_id="data-quality"
    )
    assert sorted(e.parameters["format"] for e in exports) == ["csv", "xlsx"]
    assert all(e.parameters["depth"] == 0 and e.parameters["rows"] == 2 for e in exports)
    assert_clean(page, console_errors)


# --- capability heatmap ------------------------------------------------------------


def test_hr_heatmap_chart_table_and_options(page, live_server, org, console_errors):
    login(page, live_server, "reports-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Capability heatmap").click()
    expect(page.locator("h1")).to_have_text("Capability heatmap")
    expect(page.locator("#units-left-out")).to_have_text(
        "1 unit with fewer than 5 people is left out."
    )
    # Every unit, however small, in this small organisation.
    page.get_by_label("Units with at least this many people").fill("0")
    show(page)
    expect(page.get_by_label("Show a row for each", exact=True)).to_have_value("0")
    expect(page.get_by_label("At proficiency level or above")).to_have_value("3")
    expect(page.get_by_label("Columns", exact=True)).to_have_value("")

    # The chart is one image with a name and a description, every cell numbered.
    chart = page.get_by_role(
        "img", name=re.compile(r"^Chart: people at level 3 or above, by unit and skill group")
    )
    expect(chart).to_be_visible()
    expect(chart.locator("desc")).to_contain_text(
        "2 units by 2 columns; the largest cell holds 3 people."
    )
    expect(chart.locator("desc")).to_contain_text("The table below holds the same figures.")
    assert chart.locator("text[text-anchor='middle']").all_text_contents() == ["3", "1", "0", "0"]

    # ... and the same figures as a table.
    table = page.locator("table.govuk-table")
    expect(table.locator("caption")).to_have_text(
        "People at level 3 or above: 2 units by 2 skill groups"
    )
    assert rows_of(table.locator("thead")) == [["Unit", "People", "Digital", "Languages"]]
    assert rows_of(table.locator("tbody")) == [
        ["Operations", "6", "3", "1"],
        ["Policy", "2", "0", "0"],
    ]
    expect(table.get_by_role("link", name="3 people in Operations with Digital")).to_be_visible()
    expect(table.get_by_role("link", name=re.compile("in Policy"))).to_have_count(0)  # zeros
    assert_accessible(page)

    # Level 1: Dev's Python 2 and Quinn's Welsh 1 now count.
    page.get_by_label("At proficiency level or above").select_option("1")
    show(page)
    expect(page).to_have_url(re.compile(r"level=1"))
    expect(table.locator("caption")).to_have_text(
        "People at level 1 or above: 2 units by 2 skill groups"
    )
    assert rows_of(table.locator("tbody")) == [
        ["Operations", "6", "4", "1"],
        ["Policy", "2", "0", "1"],
    ]
    expect(
        page.get_by_role("img", name=re.compile(r"^Chart: people at level 1 or above"))
    ).to_be_visible()

    # Level 3 at the second level of the tree: Operations' own people keep their own row.
    page.get_by_label("Show a row for each", exact=True).select_option("1")
    page.get_by_label("At proficiency level or above").select_option("3")
    show(page)
    assert rows_of(table.locator("tbody")) == [
        ["Operations", "2", "0", "1"],
        ["Operations/Claims", "2", "1", "0"],
        ["Operations/Payments", "2", "2", "0"],
        ["Policy", "2", "0", "0"],
    ]
    assert_accessible(page)

    # The skills of one group as columns.
    page.get_by_label("Columns", exact=True).select_option(label="Skills in Digital")
    show(page)
    expect(page).to_have_url(re.compile(rf"group={org['groups']['digital'].pk}"))
    expect(page.get_by_label("Columns", exact=True)).to_have_value(str(org["groups"]["digital"].pk))
    expect(table.locator("caption")).to_have_text("People at level 3 or above: 4 units by 2 skills")
    assert rows_of(table.locator("thead")) == [["Unit", "People", "Python", "SQL"]]
    assert rows_of(table.locator("tbody")) == [
        ["Operations", "2", "0", "0"],
        ["Operations/Claims", "2", "1", "1"],
        ["Operations/Payments", "2", "0", "2"],
        ["Policy", "2", "0", "0"],
    ]
    expect(
        page.get_by_role(
            "img", name=re.compile(r"^Chart: people at level 3 or above, by unit and skill\b")
        )
    ).to_be_visible()
    assert_accessible(page)

    # Downloads carry the options shown.
    name, path = download(page, "Download as CSV")
    assert re.fullmatch(rf"capability-level-3-{DATE}\.csv", name)
    assert read_csv(path) == [
        {"org_unit": "Operations", "people": "2", "Python": "0", "SQL": "0"},
        {"org_unit": "Operations/Claims", "people": "2", "Python": "1", "SQL": "1"},
        {"org_unit": "Operations/Payments", "people": "2", "Python": "0", "SQL": "2"},
        {"org_unit": "Policy", "people": "2", "Python": "0", "SQL": "0"},
    ]
    name, path = download(page, "Download as Excel (XLSX)")
    assert re.fullmatch(rf"capability-level-3-{DATE}\.xlsx", name)
    cells = read_xlsx(path)
    assert cells[0] == ["org_unit", "people", "Python", "SQL"]
    assert cells[3] == ["Operations/Payments", 2, 0, 2]
    exports = AccessEvent.objects.filter(action=Action.EXPORT, object_id="capability")
    assert exports.count() == 2
    assert all(e.parameters["columns"] == 2 and e.parameters["depth"] == 1 for e in exports)
    assert_clean(page, console_errors)


def test_hr_drills_into_heatmap_cells(page, live_server, org, console_errors):
    login(page, live_server, "reports-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/capability/")
    with page.expect_navigation():
        page.get_by_role("link", name="3 people in Operations with Digital").click()
    ops, digital = org["units"]["ops"], org["groups"]["digital"]
    expect(page).to_have_url(
        re.compile(rf"/reports/capability/{ops.pk}/g{digital.pk}/\?depth=0&level=3$")
    )
    expect(page.locator("h1")).to_have_text("Digital at level 3 (Practitioner) or above")
    expect(page.locator(".govuk-caption-l")).to_have_text("Operations")
    expect(page.locator("main")).to_contain_text("3 people.")
    # Everyone under Operations with SQL or Python at 3+; Cara (both) once; not
    # Dev (Python 2) nor Olu (Welsh only).
    assert people_listed(page) == ["Cara Clarke", "Ian Irving", "Pat Payne"]
    expect(page.get_by_text("Dev Patel")).to_have_count(0)
    expect(page.get_by_text("Olu Okafor")).to_have_count(0)
    row = page.get_by_role("row", name=re.compile("Ian Irving"))
    expect(row).to_contain_text("Operations/Payments")
    assert_accessible(page)
    searches = AccessEvent.objects.filter(actor=org["hr_user"], action=Action.SEARCH)
    assert sorted(searches.values_list("subject__full_name", flat=True)) == [
        "Cara Clarke",
        "Ian Irving",
        "Pat Payne",
    ]

    # Back to the heatmap with the same options. One level down, Operations' row
    # holds only the people directly in it: Olu, not the teams below.
    with page.expect_navigation():
        page.locator(".govuk-breadcrumbs").get_by_role("link", name="Capability heatmap").click()
    expect(page).to_have_url(re.compile(r"/reports/capability/\?depth=0&level=3$"))
    page.get_by_label("Show a row for each", exact=True).select_option("1")
    show(page)
    expect(page.get_by_role("link", name="people in Operations with Digital")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_role("link", name=one("in Operations with Languages")).click()
    expect(page).to_have_url(re.compile(r"\?depth=1&level=3$"))
    assert people_listed(page) == ["Olu Okafor"]
    with page.expect_navigation():
        page.locator(".govuk-breadcrumbs").get_by_role("link", name="Capability heatmap").click()

    # One skill of a group, at level 4.
    expect(page.get_by_label("Show a row for each", exact=True)).to_have_value("1")
    page.get_by_label("At proficiency level or above").select_option("4")
    page.get_by_label("Columns", exact=True).select_option(label="Skills in Digital")
    show(page)
    with page.expect_navigation():
        page.get_by_role("link", name=one("in Operations/Payments with SQL")).click()
    expect(page.locator("h1")).to_have_text("SQL at level 4 (Expert) or above")
    expect(page.locator(".govuk-caption-l")).to_have_text("Operations/Payments")
    expect(page.locator("main")).to_contain_text("1 person.")
    assert people_listed(page) == ["Pat Payne"]  # Ian holds SQL at 3
    with page.expect_navigation():
        page.get_by_role("link", name="Pat Payne").click()
    expect(page.locator("h1")).to_have_text("Pat Payne")
    assert_clean(page, console_errors)


# --- a line manager ----------------------------------------------------------------


def test_line_manager_sees_only_their_team(page, live_server, org, console_errors):
    login(page, live_server, "reports-manager", PASSWORD)
    with page.expect_navigation():
        nav_link(page, "Reports").click()
    expect(page.locator("main")).to_contain_text(
        "These reports count the people in your team: everyone who reports to you"
    )
    assert_accessible(page)

    # Data quality: Ian (indirect) and Cara and Dev; nobody from Policy or Operations.
    page.goto(f"{live_server.url}/reports/data-quality/")
    expect(page.locator("main")).to_contain_text("(people in your team only)")
    table = page.locator("table.govuk-table")
    assert rows_of(table.locator("tbody")) == [
        ["Operations/Payments", "1", "0% (0)", "0% (0 of 1)", "0", "0 (0%)", "33.3%", "0", "0"],
        ["Operations/Claims", "2", "50% (1)", "66.7% (2 of 3)", "0", "0 (0%)", "72.2%", "0", "0"],
    ]
    assert rows_of(table.locator("tfoot"))[0][:2] == ["All units", "3"]
    assert_accessible(page)

    # Heatmap: one department, the team's three people, two of them at 3+ in Digital.
    page.goto(f"{live_server.url}/reports/capability/")
    expect(page.locator("main")).to_contain_text("How many people in your team hold")
    assert rows_of(table.locator("tbody")) == [["Operations", "3", "2", "0"]]
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("link", name="2 people in Operations with Digital").click()
    assert people_listed(page) == ["Cara Clarke", "Ian Irving"]
    expect(page.get_by_text("Pat Payne")).to_have_count(0)  # same cell for HR, not in the team
    assert_accessible(page)

    # A cell outside the team, opened by address: nobody is shown.
    policy, languages = org["units"]["policy"], org["groups"]["languages"]
    page.goto(f"{live_server.url}/reports/capability/{policy.pk}/g{languages.pk}/?depth=0&level=1")
    expect(page.locator("main")).to_contain_text("0 people.")
    expect(page.get_by_text("Quinn Quayle")).to_have_count(0)
    expect(page.locator("table.govuk-table")).to_have_count(0)

    # Supply and demand: the team's counts.
    page.goto(f"{live_server.url}/reports/supply-demand/")
    expect(table.locator("caption")).to_have_text("3 roles, 3 people counted")
    assert rows_of(table.locator("tbody")) == [
        ["Data analyst", "2", "0", "Operations: 2"],
        ["Developer", "1", "1", "Operations: 1"],
        ["Welsh speaker", "0", "0", "–"],
    ]
    assert_accessible(page)

    # A line manager may not name a surge scenario.
    scenario = SurgeScenario.objects.create(name="Winter floods")
    response = page.goto(f"{live_server.url}/reports/supply-demand/?scenario={scenario.pk}")
    assert response.status == 404
    expect(page.get_by_text("Winter floods")).to_have_count(0)
    assert_clean(page, console_errors, refusals=1)


# --- supply and demand -------------------------------------------------------------


def test_hr_supply_and_demand_by_threshold(page, live_server, org, console_errors):
    login(page, live_server, "reports-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="Supply and demand").click()
    expect(page.locator("h1")).to_have_text("Supply and demand")
    expect(page.get_by_label("Match threshold")).to_have_value("80")
    table = page.locator("table.govuk-table")
    expect(table.locator("caption")).to_have_text("3 roles, 8 people counted")
    assert rows_of(table.locator("thead")) == [
        [
            "Role",
            "Match now",
            "One level of training away",
            "Where the people who match sit (department)",
        ]
    ]
    # At 80%: SQL 3+ (Cara, Ian, Pat); Python 3+ (Cara), Dev one level away;
    # Welsh 2+ (Olu), Quinn one level away. The role with no skills is left out.
    assert rows_of(table.locator("tbody")) == [
        ["Data analyst", "3", "0", "Operations: 3"],
        ["Developer", "1", "1", "Operations: 1"],
        ["Welsh speaker", "1", "1", "Operations: 1"],
    ]
    expect(page.get_by_role("link", name="Empty role")).to_have_count(0)
    expect(table.get_by_role("link", name="Developer")).to_have_attribute(
        "href", reverse("roles:detail", args=["developer"])
    )
    assert_accessible(page)

    # At 50%: Dev (2 of 3) and Quinn (1 of 2) now match; anyone without Welsh
    # reaches 50% with one level of it.
    page.get_by_label("Match threshold").fill("50")
    show(page)
    expect(page).to_have_url(re.compile(r"threshold=50(&|$)"))
    assert rows_of(table.locator("tbody")) == [
        ["Data analyst", "3", "0", "Operations: 3"],
        ["Developer", "2", "0", "Operations: 2"],
        ["Welsh speaker", "2", "6", "Operations: 1; Policy: 1"],
    ]
    assert_accessible(page)

    name, path = download(page, "Download as CSV")
    assert re.fullmatch(rf"supply-demand-{DATE}\.csv", name)
    rows = read_csv(path)
    assert list(rows[0]) == SUPPLY_COLUMNS
    assert [
        (r["role_code"], r["demand_headcount"], r["qualify_now"], r["one_level_of_training_away"])
        for r in rows
    ] == [
        ("data-analyst", "", "3", "0"),
        ("developer", "", "2", "0"),
        ("welsh-speaker", "", "2", "6"),
    ]
    name, path = download(page, "Download as Excel (XLSX)")
    assert re.fullmatch(rf"supply-demand-{DATE}\.xlsx", name)
    cells = read_xlsx(path)
    assert cells[0] == SUPPLY_COLUMNS
    assert cells[3][:2] == ["welsh-speaker", "Welsh speaker"]
    assert cells[3][3:5] == [2, 6]
    export = AccessEvent.objects.filter(action=Action.EXPORT, object_id="supply-demand")
    assert sorted(e.parameters["threshold"] for e in export) == [0.5, 0.5]
    assert_clean(page, console_errors)


def test_planner_supply_and_demand_for_a_surge_scenario(
    page, live_server, org, make_user, console_errors
):
    make_user(Role.PLANNER, username="reports-planner")
    scenario = SurgeScenario.objects.create(name="Winter floods")
    roles = org["roles"]
    DemandLine.objects.create(scenario=scenario, role_profile=roles["analyst"], headcount=4)
    DemandLine.objects.create(
        scenario=scenario, role_profile=roles["developer"], headcount=2, position=1
    )
    DemandLine.objects.create(
        scenario=scenario, role_profile=roles["developer"], headcount=1, position=2
    )
    login(page, live_server, "reports-planner", PASSWORD)

    # A planner's reports are supply and demand only.
    with page.expect_navigation():
        nav_link(page, "Reports").click()
    main = page.locator("main")
    expect(main).to_contain_text("as a workforce planner you can open the supply and demand")
    expect(main.get_by_role("link", name="Supply and demand")).to_be_visible()
    expect(main.get_by_role("link", name="Capability heatmap")).to_have_count(0)
    expect(main.get_by_role("link", name="Data quality")).to_have_count(0)
    assert_accessible(page)
    for path in ("/reports/data-quality/", "/reports/capability/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403
        expect(page.locator("h1")).to_have_text(REFUSED)

    page.goto(f"{live_server.url}/reports/supply-demand/?scenario={scenario.pk}")
    expect(page.locator("h1")).to_have_text("Supply and demand: Winter floods")
    expect(page.locator("main")).to_contain_text("For each role in this surge scenario")
    table = page.locator("table.govuk-table")
    # Everyone counted; only the scenario's roles, demand summed over its lines.
    expect(table.locator("caption")).to_have_text("2 roles, 8 people counted")
    assert rows_of(table.locator("thead"))[0][:3] == ["Role", "Needed", "Match now"]
    assert rows_of(table.locator("tbody")) == [
        ["Data analyst", "4", "3", "0", "Operations: 3"],
        ["Developer", "3", "1", "1", "Operations: 1"],
    ]
    expect(page.get_by_text("Welsh speaker")).to_have_count(0)
    assert_accessible(page)

    # A new threshold keeps the scenario.
    page.get_by_label("Match threshold").fill("50")
    show(page)
    expect(page).to_have_url(re.compile(rf"scenario={scenario.pk}"))
    expect(page.locator("h1")).to_have_text("Supply and demand: Winter floods")
    assert rows_of(table.locator("tbody")) == [
        ["Data analyst", "4", "3", "0", "Operations: 3"],
        ["Developer", "3", "2", "0", "Operations: 2"],
    ]
    name, path = download(page, "Download as CSV")
    assert re.fullmatch(rf"supply-demand-{DATE}\.csv", name)
    assert [(r["role_title"], r["demand_headcount"], r["qualify_now"]) for r in read_csv(path)] == [
        ("Data analyst", "4", "3"),
        ("Developer", "3", "2"),
    ]
    assert_accessible(page)
    assert_clean(page, console_errors, refusals=2)


# --- refused -----------------------------------------------------------------------


def test_staff_member_is_refused_every_report_page(
    page, live_server, org, make_user, console_errors
):
    make_user(Role.STAFF, username="reports-staff")
    login(page, live_server, "reports-staff", PASSWORD)
    expect(nav_link(page, "Reports")).to_have_count(0)
    ops, digital = org["units"]["ops"], org["groups"]["digital"]
    paths = [
        reverse("reports:index"),
        reverse("reports:data_quality"),
        reverse("reports:data_quality_export", args=["csv"]),
        reverse("reports:capability"),
        reverse("reports:capability_people", args=[ops.pk, f"g{digital.pk}"]) + "?level=1",
        reverse("reports:capability_export", args=["xlsx"]),
        reverse("reports:supply_demand"),
        reverse("reports:supply_demand_export", args=["csv"]),
    ]
    for number, path in enumerate(paths):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 403, path
        expect(page).to_have_title(re.compile(rf"^{REFUSED}"))
        expect(page.locator("h1")).to_have_text(REFUSED)
        expect(page.get_by_text("Cara Clarke")).to_have_count(0)
        if number == 0:
            assert_accessible(page)
    assert not AccessEvent.objects.filter(action__in=[Action.EXPORT, Action.SEARCH]).exists()
    assert_clean(page, console_errors, refusals=len(paths))
