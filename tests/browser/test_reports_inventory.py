"""The skills inventory page in a real browser under the real CSP: HR reaches it
from the reports index, sees what the file will hold, downloads the CSV and the
XLSX (a real browser download, read back), passes axe; a line manager's page and
file hold their team only."""

import csv
import io
from pathlib import Path

import openpyxl
import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff(make_user):
    make_user(Role.HR, username="inventory-hr")
    manager_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="inventory-manager")
    unit = OrgUnitFactory(name="Benefits")
    manager = PersonFactory(full_name="Morag Manager", org_unit=unit, user=manager_user)
    member = PersonFactory(full_name="Priya Shah", org_unit=unit, line_manager=manager)
    PersonSkillFactory(person=member, skill=SkillFactory(name="Casework"), level=3)
    PersonSkillFactory(person=member, skill=SkillFactory(name="=Formula skill"), level=2)
    outsider = PersonFactory(full_name="Omar Other", org_unit=OrgUnitFactory(name="Estates"))
    PersonSkillFactory(person=outsider, skill=SkillFactory(name="Surveying"), level=4)
    return {"member": member, "outsider": outsider}


def download(page, link_name):
    with page.expect_download() as info:
        page.get_by_role("button", name=link_name).click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_hr_downloads_the_whole_inventory(page, live_server, staff, console_errors):
    login(page, live_server, "inventory-hr", PASSWORD)
    page.goto(f"{live_server.url}/reports/")
    with page.expect_navigation():
        page.get_by_role("link", name="Skills inventory").click()
    expect(page.locator("h1")).to_have_text("Skills inventory")
    expect(page.locator("#inventory-people")).to_have_text("3")
    expect(page.locator("#inventory-skills")).to_have_text("3")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)

    name, data = download(page, "Download the skills inventory as CSV")
    assert name.startswith("skills-inventory-") and name.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["full_name"] for r in rows} == {"Morag Manager", "Priya Shah", "Omar Other"}
    assert [r["full_name"] for r in rows if not r["skill"]] == ["Morag Manager"]
    assert sorted(r["skill"] for r in rows if r["skill"]) == [
        "'=Formula skill",
        "Casework",
        "Surveying",
    ]

    name, data = download(page, "Download the skills inventory as an Excel workbook (XLSX)")
    assert name.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Skills inventory"]
    skills = sorted(r[5] for r in sheet.iter_rows(min_row=2, values_only=True) if r[5])
    assert skills == ["'=Formula skill", "Casework", "Surveying"]


def test_a_line_manager_sees_and_downloads_their_team_only(
    page, live_server, staff, console_errors
):
    login(page, live_server, "inventory-manager", PASSWORD)
    page.goto(f"{live_server.url}/reports/inventory/")
    expect(page.locator("#inventory-people")).to_have_text("1")
    expect(page.locator("#inventory-skills")).to_have_text("2")
    expect(page.locator("main")).to_contain_text("the people in your team")
    assert_accessible(page)
    _, data = download(page, "Download the skills inventory as CSV")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert {r["full_name"] for r in rows} == {"Priya Shah"}
    assert_no_csp_violations(page, console_errors)
