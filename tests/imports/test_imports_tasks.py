"""Large imports run as a Django task: queued by the database backend and run by
``manage.py db_worker`` (django-tasks-db), reporting progress on the job as they go."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.imports import base, service
from skills_app.imports.service import import_submit
from skills_app.imports.tasks import run_import_job
from skills_app.people.models import ImportJob, ImportStatus, Person
from tests.imports.test_imports import PEOPLE_HEADER, csv_text, person_row

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
FILE = csv_text(PEOPLE_HEADER, *[person_row(f"T{i}", "T0" if i else "") for i in range(12)])


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_queues_a_job_and_db_worker_runs_it(make_user, monkeypatch):
    monkeypatch.setattr(base, "PROGRESS_EVERY", 4)
    seen = []  # (phase, rows done, rows done as another connection reads the job row)
    real = service._JobProgress.__call__

    def spy(self, phase, done, total):
        real(self, phase, done, total)
        stored = ImportJob.objects.filter(pk=self.job_id).values_list("processed_rows", flat=True)
        seen.append((phase, done, stored.get()))

    monkeypatch.setattr(service._JobProgress, "__call__", spy)
    user = make_user(Role.HR)

    submitted = import_submit(
        kind="people", filename="big.csv", content=FILE.encode(), dry_run=False, user=user
    )
    job = ImportJob.objects.get()
    assert submitted.job == job
    assert job.status == ImportStatus.QUEUED
    task = DBTaskResult.objects.get()
    assert task.task_path == "skills_app.imports.tasks.run_import_job"
    assert task.status == TaskResultStatus.READY
    assert Person.objects.count() == 0

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)

    task.refresh_from_db()
    assert task.status == TaskResultStatus.SUCCESSFUL
    assert task.return_value == {
        "job": str(job.pk),
        "status": "succeeded",
        "rows": 12,
        "error_count": 0,
    }
    job.refresh_from_db()
    assert job.status == ImportStatus.SUCCEEDED and job.phase == "done"
    assert (job.processed_rows, job.total_rows) == (12, 12)
    assert job.result["created"] == 12 and job.result["ok"]
    assert Person.objects.count() == 12
    assert Person.objects.get(staff_number="T7").line_manager.staff_number == "T0"
    # Progress went to the job row as the rows were checked, visible to other readers.
    validating = [entry for entry in seen if entry[0] == "validating"]
    assert [done for _, done, _ in validating] == [0, 4, 8, 12]
    assert all(done == stored for _, done, stored in validating)
    assert {"writing", "saving"} <= {phase for phase, _, _ in seen}
    event = AccessEvent.objects.get(action=Action.IMPORT, object_type="import_job")
    assert event.actor == user and event.parameters["created"] == 12


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE)
def test_the_task_runs_a_job_and_returns_its_outcome():
    job = ImportJob.objects.create(
        kind="people", filename="p.csv", content=csv_text(PEOPLE_HEADER, person_row("U1")).encode()
    )
    result = run_import_job.enqueue(str(job.pk))
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["status"] == "succeeded"
    # Running it again changes nothing: the job is no longer queued.
    again = run_import_job.enqueue(str(job.pk))
    assert again.return_value["status"] == "succeeded"
    assert AccessEvent.objects.filter(action=Action.IMPORT, object_type="import_job").count() == 1


@pytest.mark.django_db
@override_settings(TASKS=IMMEDIATE)
def test_a_job_with_bad_rows_ends_rejected_with_its_errors():
    job = ImportJob.objects.create(
        kind="people",
        filename="p.csv",
        content=csv_text(PEOPLE_HEADER, person_row("V1", grade="?")).encode(),
    )
    run_import_job.enqueue(str(job.pk))
    job.refresh_from_db()
    assert job.status == ImportStatus.REJECTED
    assert job.result["errors"][0]["column"] == "grade"
    assert bytes(job.content) == b""


@pytest.mark.django_db
def test_an_unexpected_failure_is_recorded_without_row_contents(monkeypatch, caplog):
    from skills_app.imports.people import PeopleImporter

    def explode(self, *, dry_run):
        raise RuntimeError("Secret Name in a message")

    monkeypatch.setattr(PeopleImporter, "write", explode)
    job = service.import_file(
        kind="people", filename="p.csv", content=csv_text(PEOPLE_HEADER, person_row("X1")).encode()
    )
    assert job.status == ImportStatus.FAILED
    assert job.result["failure"] == "error" and not job.result["ok"]
    assert "Secret" not in caplog.text and "RuntimeError" in caplog.text
    assert Person.objects.count() == 0
