"""HR imports in a real browser under the real CSP, checked with axe: a file with bad
rows (error summary and the table of rows), a good file (success panel), and the
progress page of a large import as htmx polls it to the end."""

import re

import pytest
from playwright.sync_api import expect

from skills_app.accounts.permissions import Role
from skills_app.people.models import ImportJob, ImportStatus, Person
from tests.browser.conftest import assert_accessible, assert_no_csp_violations, login
from tests.conftest import PASSWORD
from tests.imports.test_imports import PEOPLE_HEADER, csv_text, person_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def upload(page, live_server, path, *, kind="People"):
    page.goto(f"{live_server.url}/imports/")
    page.get_by_role("radio", name=kind, exact=True).check()
    page.locator("input[type=file]").set_input_files(str(path))
    with page.expect_navigation():
        page.get_by_role("button", name="Upload file").click()


def test_hr_sees_every_bad_row_then_imports_a_good_file(
    page, live_server, make_user, console_errors, tmp_path, settings
):
    # Each upload is queued for the worker; here it runs at once, in the upload request.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    make_user(Role.HR, username="import-hr")
    login(page, live_server, "import-hr", PASSWORD)

    page.goto(f"{live_server.url}/imports/")
    expect(page.get_by_role("heading", name="Import HR data", level=1)).to_be_visible()
    assert_accessible(page)

    bad = tmp_path / "people-with-errors.csv"
    bad.write_text(
        csv_text(
            PEOPLE_HEADER,
            person_row("BR1"),
            person_row("BR2", "NOBODY"),  # unknown line manager
            person_row("BR3", grade="Chief"),  # unknown grade
        ),
        encoding="utf-8",
    )
    upload(page, live_server, bad)

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("The file has 2 errors; nothing was imported.")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(page.get_by_role("heading", name="Nothing was imported", level=1)).to_be_visible()
    table = page.get_by_role("table", name=re.compile(r"2 problems in 3 rows"))
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("line_manager_staff_number")
    expect(rows.nth(0).locator("td").first).to_have_text("3")
    expect(rows.nth(1)).to_contain_text("Unknown grade")
    assert_accessible(page)
    assert Person.objects.count() == 0

    good = tmp_path / "people.csv"
    good.write_text(
        csv_text(PEOPLE_HEADER, person_row("BR2", "BR1"), person_row("BR1")), encoding="utf-8"
    )
    upload(page, live_server, good)
    panel = page.locator(".govuk-panel--confirmation")
    expect(panel).to_contain_text("Import complete")
    expect(panel).to_contain_text("2 rows of people imported")
    assert_accessible(page)
    assert Person.objects.get(staff_number="BR2").line_manager.staff_number == "BR1"

    page.goto(f"{live_server.url}/imports/")
    expect(page.get_by_role("link", name="people.csv", exact=True)).to_be_visible()
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []


def test_the_progress_page_polls_until_the_import_finishes(
    page, live_server, make_user, console_errors
):
    user = make_user(Role.HR, username="import-hr2")
    job = ImportJob.objects.create(
        kind="person-skills",
        filename="skills.csv",
        content=b"",
        created_by=user,
        status=ImportStatus.RUNNING,
        phase="validating",
        total_rows=1_500_000,
        processed_rows=300_000,
    )
    login(page, live_server, "import-hr2", PASSWORD)
    page.goto(f"{live_server.url}/imports/jobs/{job.pk}/")

    bar = page.get_by_role("progressbar", name=re.compile(r"Checking rows: 300,000 of 1,500,000"))
    expect(bar).to_have_attribute("value", "20")
    expect(page.get_by_text("20% complete")).to_be_visible()
    expect(page.get_by_role("link", name="Refresh this page")).to_be_visible()
    assert_accessible(page)

    ImportJob.objects.filter(pk=job.pk).update(phase="writing", processed_rows=750_000)
    expect(page.locator("#import-announcement")).to_have_text("Writing rows")
    expect(page.get_by_text("50% complete")).to_be_visible()

    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.SUCCEEDED,
        phase="done",
        processed_rows=1_500_000,
        result={
            "ok": True,
            "kind": "person-skills",
            "dry_run": False,
            "detail": "Imported 1,500,000 rows.",
            "rows": 1_500_000,
            "created": 1_500_000,
            "updated": 0,
            "unchanged": 0,
            "error_count": 0,
            "errors": [],
        },
    )
    expect(page.locator(".govuk-panel--confirmation")).to_contain_text("Import complete")
    assert_accessible(page)
    assert_no_csp_violations(page, console_errors)
    assert console_errors == []
