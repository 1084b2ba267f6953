"""POST /api/v1/imports/{kind} and GET /api/v1/imports/jobs/{id}: status codes and shapes."""

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.imports import reading, service
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

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def upload(text, name="people.csv"):
    content = text if isinstance(text, bytes) else text.encode()
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture
def hr(client_for):
    return client_for(Role.HR)


def post(client, kind, text, *, dry_run=None, **extra):
    url = f"/api/v1/imports/{kind}" + ("" if dry_run is None else f"?dry_run={dry_run}")
    return client.post(url, {"file": upload(text)}, **extra)


GOOD = csv_text(PEOPLE_HEADER, person_row("API1"), person_row("API2", "API1"))
BAD = csv_text(PEOPLE_HEADER, person_row("API1", grade="X"), person_row("API2", "NOPE"))


def test_a_good_small_file_is_imported_with_200(hr):
    response = post(hr, "people", GOOD)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["ok"] is True and body["errors"] == []
    assert (body["rows"], body["created"], body["updated"], body["unchanged"]) == (2, 2, 0, 0)
    assert body["detail"].startswith("Imported 2 rows")
    assert Person.objects.count() == 2
    assert ImportJob.objects.get(pk=body["job"]).status == ImportStatus.SUCCEEDED


@pytest.mark.usefixtures("staff", "skills")
def test_matched_skills_are_in_the_result_and_the_schema(hr):
    text = csv_text("staff_number,skill,level", "S1,Pyhton,3", "S2,Python,2")
    body = post(hr, "person-skills", text, dry_run="true").json()
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
    assert post(hr, "people", GOOD).json()["matched_skills"] == []
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
    body = post(hr, "people", GOOD, dry_run="true").json()
    assert body["ok"] and body["dry_run"] and body["created"] == 2
    assert Person.objects.count() == 0
    # Only the import page keeps a checked file (for "Import this file").
    job = ImportJob.objects.get(pk=body["job"])
    assert (bytes(job.content), job.kept_until, job.content_sha256) == (b"", None, "")


def test_row_errors_are_a_422_with_every_error_in_the_result(hr):
    response = post(hr, "people", BAD)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The file has 2 errors; nothing was imported."
    assert body["ok"] is False and body["error_count"] == 2
    assert [(e["row"], e["column"]) for e in body["errors"]] == [
        (2, "grade"),
        (3, "line_manager_staff_number"),
    ]
    assert all(set(e) == {"row", "column", "message", "suggestions"} for e in body["errors"])
    assert Person.objects.count() == 0


def test_a_file_problem_is_a_422_with_one_error_and_no_job(hr):
    response = post(hr, "people", b"%PDF-1.4 not a spreadsheet")
    assert response.status_code == 422
    body = response.json()
    assert body["errors"] == [
        {"row": None, "column": None, "message": body["detail"], "suggestions": []}
    ]
    assert "PDF" in body["detail"]
    assert not ImportJob.objects.exists()


def test_a_wrong_header_is_a_422(hr):
    response = post(hr, "person-skills", "staff,skill_name,level\nS1,Python,3\n")
    assert response.status_code == 422
    assert "missing staff_number, skill" in response.json()["detail"]


def test_a_missing_file_is_a_422(hr):
    response = hr.post("/api/v1/imports/people", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["column"] == "file"


def test_a_file_that_is_too_large_is_a_413(hr, monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 50)
    monkeypatch.setattr("skills_app.imports.api.MAX_FILE_BYTES", 50)
    response = post(hr, "people", GOOD)
    assert response.status_code == 413
    assert "smaller than" in response.json()["detail"]


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
    assert response.status_code == 200


@override_settings(TASKS=IMMEDIATE)
def test_a_large_file_is_queued_with_202_and_its_job_can_be_polled(hr, monkeypatch):
    monkeypatch.setattr(service, "SYNC_MAX_ROWS", 1)
    response = post(hr, "people", GOOD)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status_url"] == f"/api/v1/imports/jobs/{body['job']}"
    # The immediate backend ran the job already; a real worker would run it soon.
    job = hr.get(body["status_url"])
    assert job.status_code == 200
    data = job.json()
    assert data["status"] == "succeeded" and data["percent"] == 100
    assert (data["processed_rows"], data["total_rows"]) == (2, 2)
    assert data["result"]["created"] == 2 and data["result"]["ok"] is True
    assert Person.objects.count() == 2


def test_a_queued_job_reports_its_progress(hr, make_user):
    job = ImportJob.objects.create(
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


def test_the_job_list_shows_the_callers_recent_imports(hr):
    post(hr, "people", GOOD)
    post(hr, "people", BAD)
    jobs = hr.get("/api/v1/imports/jobs").json()
    assert [j["status"] for j in jobs] == ["rejected", "succeeded"]
    assert all(j["result"] is None for j in jobs)
