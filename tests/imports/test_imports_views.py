"""The /imports/ pages: upload form, result page, progress page and fragment, templates.

Uploads are queued for the worker; here the immediate task backend runs each job inside
the upload request (except where a test says otherwise), so a page shows its outcome.
"""

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.imports import service
from skills_app.people.models import ImportJob, ImportStatus, Person
from tests.imports.test_imports import (  # noqa: F401  (skills, staff: fixtures)
    PEOPLE_HEADER,
    csv_text,
    person_row,
    skills,
    staff,
)

pytestmark = pytest.mark.django_db
User = get_user_model()

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
GOOD = csv_text(PEOPLE_HEADER, person_row("W1"), person_row("W2", "W1"))
BAD = csv_text(PEOPLE_HEADER, person_row("W1", grade="Boss"), person_row("W2", "NOPE"))


@pytest.fixture(autouse=True)
def _run_jobs_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def hr(client_for):
    return client_for(Role.HR)


def submit(client, text, kind="people", dry_run=False, name="people.csv"):
    content = text if isinstance(text, bytes) else text.encode()
    data = {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")}
    if dry_run:
        data["dry_run"] = "on"
    return client.post("/imports/", data)


def test_the_upload_page_offers_each_kind_with_its_columns_and_a_template(hr):
    page = hr.get("/imports/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    for kind in ("people", "person-skills", "role-history", "role-profiles"):
        assert f'value="{kind}"' in page
        assert f'href="/imports/templates/{kind}.csv"' in page
    assert "staff_number, full_name, email, grade, org_unit" in page
    assert 'type="file"' in page and 'class="govuk-file-upload' in page
    assert "Check the file only (dry run)" in page
    assert "You have not imported any files yet." in page


def test_a_template_is_the_header_row_as_csv(hr):
    response = hr.get("/imports/templates/person-skills.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig") == "staff_number,skill,level,last_used,evidence\r\n"
    assert hr.get("/imports/templates/payroll.csv").status_code == 404


def test_a_good_file_shows_the_success_panel_with_counts(hr):
    response = submit(hr, GOOD)
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    page = hr.get(response["Location"]).content.decode()
    assert "govuk-panel--confirmation" in page and "Import complete" in page
    assert re.search(r"Added</dt>\s*<dd[^>]*>2</dd>", page)
    assert Person.objects.count() == 2


def test_a_dry_run_says_what_would_happen(hr):
    page = hr.get(submit(hr, GOOD, dry_run=True)["Location"]).content.decode()
    assert "File checked: no errors" in page and "What importing the file would do" in page
    assert Person.objects.count() == 0


def test_row_errors_show_an_error_summary_and_a_table_of_rows(hr):
    page = hr.get(submit(hr, BAD)["Location"]).content.decode()
    assert "<title>Error: Nothing was imported" in page
    assert "govuk-error-summary" in page
    assert 'href="#row-errors"' in page and 'id="row-errors"' in page
    assert "The file has 2 errors; nothing was imported." in page
    rows = re.findall(r'<td class="govuk-table__cell govuk-table__cell--numeric">(\d+)</td>', page)
    assert rows == ["2", "3"]
    assert "<code>grade</code>" in page and "<code>line_manager_staff_number</code>" in page
    # The cell contents are not echoed back in the messages.
    assert "Boss" in page  # quoted in the grade message, which is for the uploader
    assert Person.objects.count() == 0


@pytest.mark.usefixtures("staff", "skills")
def test_unknown_skills_show_their_suggestions(hr):
    text = csv_text("staff_number,skill,level", "S1,Stakeholder managemnt,3")
    page = hr.get(submit(hr, text, kind="person-skills")["Location"]).content.decode()
    assert "Did you mean" in page
    assert "<li>Stakeholder management</li>" in page


@pytest.mark.usefixtures("staff", "skills")
@pytest.mark.parametrize("dry_run", [True, False])
def test_the_result_lists_skills_matched_from_a_close_spelling(hr, dry_run):
    text = csv_text("staff_number,skill,level", "S1,Pyhton,3", "S2,Python,2", "M1,Pyhton,1")
    page = hr.get(submit(hr, text, kind="person-skills", dry_run=dry_run)["Location"])
    page = page.content.decode()
    assert "Skills matched from a close spelling" in page
    cells = re.findall(r'<td class="govuk-table__cell[^"]*">([^<]*)</td>', page)
    assert cells == ["Pyhton", "Python", "2, 4"]  # row 3's exact name is not listed


def test_a_missing_kind_and_file_are_form_errors(hr):
    response = hr.post("/imports/", {})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Error: Import HR data" in page
    assert '<a href="#id_kind">Select what the file holds</a>' in page
    assert '<a href="#id_file">Select a CSV or XLSX file</a>' in page
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"%PDF-1.5", "The file is a PDF document"),
        (b"staff_number,name\nA,B\n", "missing full_name, email"),
        ("staff_number,full_name\nA,Zoë\n".encode("cp1252"), "must be UTF-8"),
    ],
)
def test_a_file_problem_is_shown_on_the_job_page(hr, content, message):
    response = submit(hr, content)
    job = ImportJob.objects.get()
    assert response["Location"] == f"/imports/jobs/{job.pk}/"
    assert job.status == ImportStatus.REJECTED and bytes(job.content) == b""
    page = hr.get(response["Location"]).content.decode()
    assert "govuk-error-summary" in page and 'href="#problem"' in page
    assert message in page and "Nothing was imported" in page
    assert Person.objects.count() == 0


def test_a_file_over_the_size_limit_is_a_form_error_and_audited(hr, monkeypatch):
    from skills_app.audit.models import AccessEvent, Action
    from skills_app.imports import reading

    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 10)
    page = submit(hr, GOOD, name="big.csv").content.decode()
    assert "govuk-file-upload--error" in page and "it must be smaller than" in page
    assert not ImportJob.objects.exists() and Person.objects.count() == 0
    event = AccessEvent.objects.get(action=Action.IMPORT)
    assert event.parameters["status"] == "refused" and event.parameters["filename"] == "big.csv"


def test_an_empty_upload_is_a_form_error(hr):
    page = submit(hr, b"").content.decode()
    assert "The selected file is empty" in page


def test_an_upload_goes_to_the_progress_page_while_it_waits(hr, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = submit(hr, GOOD)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED  # waiting for the worker
    page = hr.get(response["Location"]).content.decode()
    assert '<progress id="import-progress-bar"' in page
    assert '<label class="govuk-label govuk-label--s" for="import-progress-bar">' in page
    assert "Waiting to start" in page and "0% complete" in page
    assert f'hx-get="/imports/jobs/{job.pk}/progress/?phase="' in page
    assert 'hx-trigger="every 1s"' in page
    assert 'aria-live="polite"' in page
    assert f'href="/imports/jobs/{job.pk}/">Refresh this page</a>' in page
    assert "http-equiv" not in page


def _running_job(**fields):
    defaults = {
        "created_by": User.objects.get(username="hr"),
        "kind": "people",
        "filename": "big.csv",
        "content": b"",
        "status": ImportStatus.RUNNING,
        "phase": "validating",
        "total_rows": 40_000,
        "processed_rows": 10_000,
    }
    return ImportJob.objects.create(**{**defaults, **fields})


def test_the_progress_fragment_announces_only_phase_changes(hr):
    job = _running_job()
    url = f"/imports/jobs/{job.pk}/progress/"
    changed = hr.get(url + "?phase=reading", HTTP_HX_REQUEST="true").content.decode()
    assert "Checking rows: 10,000 of 40,000 rows" in changed
    assert 'value="25"' in changed and "25% complete" in changed
    assert 'hx-swap-oob="innerHTML">Checking rows</div>' in changed
    same = hr.get(url + "?phase=validating", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-swap-oob" not in same and 'hx-trigger="every 1s"' in same


def test_the_progress_fragment_reloads_the_page_when_the_job_has_finished(hr):
    job = _running_job(status=ImportStatus.SUCCEEDED, phase="done", result={"ok": True})
    response = hr.get(f"/imports/jobs/{job.pk}/progress/", HTTP_HX_REQUEST="true")
    assert response["HX-Refresh"] == "true"


def test_recent_imports_lists_only_your_own(hr, make_user):
    submit(hr, GOOD, name="mine.csv")
    other = make_user(Role.HR, username="other-hr")
    ImportJob.objects.create(kind="people", filename="theirs.csv", content=b"", created_by=other)
    page = hr.get("/imports/").content.decode()
    assert "mine.csv" in page and "theirs.csv" not in page
    assert "govuk-tag--green" in page


def test_an_unknown_job_is_a_404(hr):
    assert hr.get("/imports/jobs/00000000-0000-0000-0000-000000000000/").status_code == 404


@pytest.mark.parametrize("role", [Role.PLANNER, Role.STAFF, Role.LINE_MANAGER])
def test_only_hr_stewards_and_admins_may_import(client_for, role):
    client = client_for(role)
    assert client.get("/imports/").status_code == 403
    assert submit(client, GOOD).status_code == 403
    assert Person.objects.count() == 0


def test_a_steward_may_import_only_the_qualification_table(client_for):
    """Stewards reach the import page for their own kind; an HR kind is not offered, and
    posting one anyway is refused with the form's error, writing nothing."""
    client = client_for(Role.STEWARD)
    page = client.get("/imports/").content.decode()
    assert 'value="qualification-skills"' in page and 'value="people"' not in page
    response = submit(client, GOOD)
    assert response.status_code == 200 and "Select what the file holds" in response.content.decode()
    assert Person.objects.count() == 0 and ImportJob.objects.count() == 0


def test_admins_may_import(client_for):
    assert client_for(Role.ADMIN).get("/imports/").status_code == 200


# -- importing a checked file without choosing it again ----------------------------------------


def _checked(hr):
    """A clean dry run from the page: (dry-run job, its result page)."""
    response = submit(hr, GOOD, dry_run=True)
    job = ImportJob.objects.get()
    return job, hr.get(response["Location"]).content.decode()


def _import_checked(client, job, digest=None):
    digest = job.content_sha256 if digest is None else digest
    return client.post(f"/imports/jobs/{job.pk}/import/", {"digest": digest})


def test_a_clean_dry_run_can_be_imported_without_choosing_the_file_again(hr):
    job, page = _checked(hr)
    assert Person.objects.count() == 0
    assert f'action="/imports/jobs/{job.pk}/import/"' in page and "Import this file" in page
    assert f'name="digest" value="{job.content_sha256}"' in page
    assert job.content_sha256 == hashlib.sha256(GOOD.encode()).hexdigest()

    response = _import_checked(hr, job)
    assert response.status_code == 302
    imported = ImportJob.objects.exclude(pk=job.pk).get()
    assert response["Location"] == f"/imports/jobs/{imported.pk}/"
    assert (imported.dry_run, imported.status, imported.filename) == (
        False,
        ImportStatus.SUCCEEDED,
        "people.csv",
    )
    assert set(Person.objects.values_list("staff_number", flat=True)) == {"W1", "W2"}
    assert "Import complete" in hr.get(response["Location"]).content.decode()
    # The checked file is let go, and the check's page says where it went.
    job.refresh_from_db()
    assert (bytes(job.content), job.kept_until) == (b"", None)
    page = hr.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Import this file" not in page
    assert f'href="/imports/jobs/{imported.pk}/">see what changed</a>' in page
    # Only once.
    again = _import_checked(hr, job, digest=hashlib.sha256(GOOD.encode()).hexdigest())
    assert again.status_code == 409
    assert "This file has already been imported." in again.content.decode()
    assert ImportJob.objects.count() == 2


def test_another_hr_user_may_not_see_or_import_someone_elses_checked_file(hr, make_user):
    job, _ = _checked(hr)
    hr.force_login(make_user(Role.HR, username="other-hr"))
    assert hr.get(f"/imports/jobs/{job.pk}/").status_code == 404
    assert _import_checked(hr, job).status_code == 404
    # An administrator sees the check but may not import another person's file.
    hr.force_login(make_user(Role.ADMIN, username="an-admin"))
    page = hr.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "File checked: no errors" in page and "Import this file" not in page
    assert _import_checked(hr, job).status_code == 403
    assert Person.objects.count() == 0
    assert ImportJob.objects.count() == 1
    job.refresh_from_db()
    assert job.kept_until is not None  # still there for its uploader


def test_a_job_is_visible_only_to_its_owner_and_administrators(hr, make_user, client):
    submit(hr, BAD, name="mine-to-see.csv")
    job = ImportJob.objects.get()
    pages = [
        f"/imports/jobs/{job.pk}/",
        f"/imports/jobs/{job.pk}/progress/",
        f"/imports/jobs/{job.pk}/import/",
    ]
    assert [hr.get(url).status_code for url in pages] == [200, 200, 200]
    other = make_user(Role.HR, username="other-hr")
    client.force_login(other)
    assert [client.get(url).status_code for url in pages] == [404, 404, 404]
    assert "mine-to-see.csv" not in client.get("/imports/").content.decode()
    client.force_login(make_user(Role.ADMIN, username="an-admin"))
    assert [client.get(url).status_code for url in pages] == [200, 200, 200]


def test_an_expired_checked_file_is_refused_with_a_clear_message(hr):
    job, _ = _checked(hr)
    ImportJob.objects.filter(pk=job.pk).update(kept_until=timezone.now() - dt.timedelta(seconds=1))
    response = _import_checked(hr, job)
    page = response.content.decode()
    assert response.status_code == 409
    assert "The checked file is no longer kept: Muster keeps a checked file for 1 hour." in page
    assert "govuk-error-summary" in page and 'href="/imports/">upload the file again</a>' in page
    assert Person.objects.count() == 0
    job.refresh_from_db()
    assert bytes(job.content) == b""  # let go


def test_a_checked_file_is_imported_only_if_it_is_the_same_bytes(hr):
    job, _ = _checked(hr)
    assert _import_checked(hr, job, digest="0" * 64).status_code == 409
    # The stored file changed behind the check's back.
    other = csv_text(PEOPLE_HEADER, person_row("X1"))
    ImportJob.objects.filter(pk=job.pk).update(content=service.pack(other.encode()))
    response = _import_checked(hr, job)
    assert response.status_code == 409
    assert "not the one that was checked" in response.content.decode()
    assert Person.objects.count() == 0


def test_only_a_clean_dry_run_from_the_page_keeps_its_file(hr):
    submit(hr, GOOD)  # a real import
    submit(hr, BAD, dry_run=True)  # a dry run with errors
    for job in ImportJob.objects.all():
        assert (bytes(job.content), job.kept_until, job.content_sha256) == (b"", None, "")
    real = ImportJob.objects.get(dry_run=False)
    assert _import_checked(hr, real, digest="x").status_code == 409


def test_of_two_simultaneous_imports_of_a_checked_file_only_one_runs(hr, monkeypatch):
    job, _ = _checked(hr)
    real_load = service.load_file

    def load_then_lose_the_race(job_id):
        content = real_load(job_id)
        # Another request claims the file between this one's checks and its claim.
        ImportJob.objects.filter(pk=job_id).update(kept_until=None, content=b"")
        return content

    monkeypatch.setattr(service, "load_file", load_then_lose_the_race)
    response = _import_checked(hr, job)
    assert response.status_code == 409
    assert "This file has already been imported." in response.content.decode()
    assert Person.objects.count() == 0 and ImportJob.objects.count() == 1
