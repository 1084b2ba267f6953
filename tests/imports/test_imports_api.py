"""POST /api/v1/imports/{kind} and GET /api/v1/imports/jobs/{id}: status codes and shapes.

Every accepted upload is a 202 with a job to poll; here the immediate task backend runs
the job inside the request, so the job's result is there at once."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.audit.models import AccessEvent, Action
from skills_app.imports import reading
from skills_app.people.models import ImportJob, ImportStatus, Person
from taxonomy.models import Skill
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


def upload(text, name="people.csv"):
    content = text if isinstance(text, bytes) else text.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture(autouse=True)
def _run_jobs_at_once(settings):
    settings.TASKS = IMMEDIATE


@pytest.fixture
def hr(client_for):
    return client_for(Role.HR)


def post(client, kind, text, *, dry_run=None, **extra):
    url = f"/api/v1/imports/{kind}" + ("" if dry_run is None else f"?dry_run={dry_run}")
    return client.post(url, {"file": upload(text)}, **extra)


def result_of(client, response):
    """The finished job's result, from the 202's status_url."""
    assert response.status_code == 202, response.content
    job = client.get(response.json()["status_url"])
    assert job.status_code == 200
    return job.json()["result"]


GOOD = csv_text(PEOPLE_HEADER, person_row("API1"), person_row("API2", "API1"))
BAD = csv_text(PEOPLE_HEADER, person_row("API1", grade="X"), person_row("API2", "NOPE"))


def test_a_good_file_is_accepted_with_202_and_its_job_holds_the_result(hr):
    response = post(hr, "people", GOOD)
    assert response.status_code == 202, response.content
    accepted = response.json()
    assert set(accepted) == {"detail", "job", "status", "status_url"}
    assert accepted["status_url"] == f"/api/v1/imports/jobs/{accepted['job']}"
    body = result_of(hr, response)
    assert body["ok"] is True and body["errors"] == []
    assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (2, 2, 0, 0)
    assert body["detail"].startswith("Imported 2 rows")
    assert Person.objects.count() == 2
    assert ImportJob.objects.get(pk=accepted["job"]).status == ImportStatus.SUCCEEDED


@pytest.mark.usefixtures("staff", "skills")
def test_matched_skills_are_in_the_result_and_the_schema(hr):
    text = csv_text("staff_number,skill,level", "S1,Pyhton,3", "S2,Python,2")
    body = result_of(hr, post(hr, "person-skills", text, dry_run="true"))
    assert body["ok"], body
    assert body["matched_skills"] == [
        {
            "row": 2,
            "rows": [2],
            "row_count": 1,
            "given": "Pyhton",
            "skill": {"id": Skill.objects.get(name="Python").pk, "name": "Python"},
        }
    ]
    assert result_of(hr, post(hr, "people", GOOD))["matched_skills"] == []
    schema = hr.get("/api/v1/openapi.json").json()["components"]["schemas"]
    field = schema["ImportResultOut"]["properties"]["matched_skills"]
    assert field["items"]["$ref"].endswith("/MatchedSkillOut") and field["description"]
    assert set(schema["MatchedSkillOut"]["properties"]) == {
        "row",
        "rows",
        "row_count",
        "given",
        "skill",
    }


def test_dry_run_true_writes_nothing(hr):
    response = post(hr, "people", GOOD, dry_run="true")
    body = result_of(hr, response)
    assert body["ok"] and body["dry_run"] and body["created"] == 2
    assert Person.objects.count() == 0
    # Only the import page keeps a checked file (for "Import this file").
    job = ImportJob.objects.get(pk=response.json()["job"])
    assert (bytes(job.content), job.kept_until, job.content_sha256) == (b"", None, "")


def test_row_errors_are_in_the_rejected_jobs_result(hr):
    body = result_of(hr, post(hr, "people", BAD))
    assert body["detail"] == "The file has 2 errors; nothing was imported."
    assert body["ok"] is False and body["error_count"] == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "grade"),
        (3, "line_manager_staff_number"),
    ]
    assert all(set(e) == {"row", "column", "message", "suggestions"} for e in body["errors"])
    assert Person.objects.count() == 0


def test_a_file_problem_is_the_one_error_of_the_rejected_job(hr):
    response = post(hr, "people", b"%PDF-1.4 not a spreadsheet")
    body = result_of(hr, response)
    assert body["errors"] == [
        {"row": None, "column": None, "message": body["detail"], "suggestions": []}
    ]
    assert "PDF" in body["detail"]
    job = ImportJob.objects.get(pk=response.json()["job"])
    assert job.status == ImportStatus.REJECTED and bytes(job.content) == b""


def test_a_wrong_header_is_the_rejected_jobs_error(hr):
    body = result_of(hr, post(hr, "person-skills", "staff,skill_name,level\nS1,Python,3\n"))
    assert "missing staff_number, skill" in body["detail"]


def test_a_missing_file_is_a_422(hr):
    response = hr.post("/api/v1/imports/people", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "file"


def test_a_file_that_is_too_large_is_a_413(hr, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 50)
    response = post(hr, "people", GOOD)
    assert response.status_code == 413
    assert "smaller than" in response.json()["detail"]
    assert not ImportJob.objects.exists()
    # Refused before it became a job, and audited.
    event = AccessEvent.objects.get(action=Action.IMPORT)
    assert event.parameters["status"] == "refused" and event.parameters["kind"] == "people"


def test_an_unknown_kind_is_a_json_404(hr):
    response = post(hr, "payroll", GOOD)
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}
    assert "people, person-skills" in response.json()["detail"]


def test_a_bad_dry_run_value_is_a_422_not_a_500(hr):
    assert post(hr, "people", GOOD, dry_run="perhaps").status_code == 422


@pytest.mark.parametrize("role", [Role.PLANNER, Role.STAFF, Role.STEWARD, Role.LINE_MANAGER])
def test_people_without_the_import_capability_get_403(client_for, role):
    response = post(client_for(role), "people", GOOD)
    assert response.status_code == 403
    assert Person.objects.count() == 0


def test_anonymous_callers_get_401(client):
    response = post(client, "people", GOOD)
    assert response.status_code == 401
    assert client.get(f"/api/v1/imports/jobs/{uuid.uuid4()}").status_code == 401


def test_a_bearer_token_works(client, make_user):
    _, raw = api_token_create(user=make_user(Role.HR))
    response = post(client, "people", GOOD, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 202
    assert Person.objects.count() == 2


def test_the_upload_request_only_queues_the_job(hr, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    response = post(hr, "people", GOOD)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued"
    data = hr.get(body["status_url"]).json()
    assert (data["status"], data["phase_label"], data["percent"]) == (
        "queued",
        "Waiting to start",
        0,
    )
    assert data["result"] is None and Person.objects.count() == 0


def test_a_queued_job_reports_its_progress(hr):
    job = ImportJob.objects.create(
        created_by=User.objects.get(username="hr"),
        kind="people",
        filename="big.csv",
        content=b"x",
        status=ImportStatus.RUNNING,
        phase="validating",
        total_rows=200_000,
        processed_rows=50_000,
    )
    data = hr.get(f"/api/v1/imports/jobs/{job.pk}").json()
    assert (data["status"], data["phase_label"], data["percent"]) == (
        "running",
        "Checking rows",
        25,
    )
    assert data["result"] is None


def test_an_unknown_or_malformed_job_id_is_a_404(hr):
    assert hr.get(f"/api/v1/imports/jobs/{uuid.uuid4()}").status_code == 404
    assert hr.get("/api/v1/imports/jobs/not-a-uuid").status_code == 404


def test_a_job_is_visible_only_to_its_owner_and_administrators(hr, client, make_user):
    url = post(hr, "people", GOOD).json()["status_url"]
    assert hr.get(url).status_code == 200
    client.force_login(make_user(Role.HR, username="other-hr"))
    response = client.get(url)
    assert response.status_code == 404 and set(response.json()) == {"detail", "errors"}
    assert client.get("/api/v1/imports/jobs").json() == []
    client.force_login(make_user(Role.ADMIN, username="an-admin"))
    assert client.get(url).json()["result"]["created"] == 2


def test_the_job_list_shows_the_callers_recent_imports(hr):
    post(hr, "people", GOOD)
    post(hr, "people", BAD)
    jobs = hr.get("/api/v1/imports/jobs").json()
    assert [j["status"] for j in jobs] == ["rejected", "succeeded"]
    assert all(j["result"] is None for j in jobs)
