"""Jobs whose worker died, and stored uploads: the heartbeat, the reaper (a service,
``manage.py reap_import_jobs`` and ``manage.py run_worker``'s housekeeping), upload
retention, and a real worker process killed mid-import."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.imports import service
from skills_app.imports.management.commands.run_worker import Housekeeper
from skills_app.imports.service import (
    INTERRUPTED,
    delete_expired_uploads,
    import_file,
    import_submit,
    reap_stale_jobs,
)
from skills_app.people.models import ImportJob, ImportStatus, Person
from tests.imports.test_imports import PEOPLE_HEADER, csv_text, person_row

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
FILE = csv_text(PEOPLE_HEADER, person_row("R1"), person_row("R2", "R1")).encode()


def running_job(user=None, *, beat_ago: timedelta | None = timedelta(minutes=10), **fields):
    now = timezone.now()
    job = ImportJob.objects.create(
        kind="people",
        filename="people.csv",
        content=service.pack(FILE),
        created_by=user,
        status=ImportStatus.RUNNING,
        phase="validating",
        started_at=now - timedelta(minutes=20),
        heartbeat_at=None if beat_ago is None else now - beat_ago,
        total_rows=40_000,
        processed_rows=10_000,
        **fields,
    )
    return job


def assert_reaped(job):
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.phase == "done"
    assert job.result["failure"] == "interrupted" and job.result["detail"] == INTERRUPTED
    assert not job.result["ok"] and job.finished_at is not None
    assert (bytes(job.content), job.kept_until, job.content_sha256) == (b"", None, "")
    event = AccessEvent.objects.get(action=Action.IMPORT, object_id=str(job.pk))
    assert event.parameters["status"] == "failed"
    assert event.parameters["reason"] == "worker stopped"


def test_a_job_whose_heartbeat_stopped_is_reaped_and_its_file_deleted(make_user):
    user = make_user(Role.HR)
    stale = running_job(user)
    never_beat = running_job(user, beat_ago=None)  # died before its first beat
    alive = running_job(user, beat_ago=timedelta(seconds=30))
    queued = ImportJob.objects.create(kind="people", filename="q.csv", content=b"x")
    assert reap_stale_jobs() == 2
    assert_reaped(stale)
    assert_reaped(never_beat)
    for job in (alive, queued):
        status = job.status
        job.refresh_from_db()
        assert job.status == status and bytes(job.content) != b""
    assert reap_stale_jobs() == 0  # once


def test_the_stale_limit_is_a_setting(make_user, settings):
    job = running_job(beat_ago=timedelta(seconds=90))
    assert reap_stale_jobs() == 0
    settings.IMPORT_JOB_STALE_SECONDS = 60
    assert reap_stale_jobs() == 1
    assert_reaped(job)


def test_the_job_page_says_what_happened_and_offers_to_try_again(client, make_user):
    user = make_user(Role.HR)
    client.force_login(user)
    job = running_job(user)
    reap_stale_jobs()
    page = client.get(f"/imports/jobs/{job.pk}/").content.decode()
    assert "Nothing was imported" in page and "the Muster worker running it stopped" in page
    assert 'href="/imports/?kind=people">Try again</a>' in page
    form = client.get("/imports/?kind=people").content.decode()
    assert 'value="people" aria-describedby="kind-people-hint" checked>' in form


def test_the_management_command_reaps(make_user):
    job = running_job(make_user(Role.HR), beat_ago=timedelta(seconds=20))
    call_command("reap_import_jobs", verbosity=0)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING
    call_command("reap_import_jobs", "--stale-after", "10", verbosity=0)
    assert_reaped(job)


@pytest.mark.django_db(transaction=True)
def test_progress_reports_are_heartbeats(monkeypatch):
    from skills_app.imports import base

    monkeypatch.setattr(base, "PROGRESS_EVERY", 1)
    beats = []
    real = service._JobProgress.__call__

    def spy(self, phase, done, total):
        real(self, phase, done, total)
        beats.append(ImportJob.objects.values_list("heartbeat_at", flat=True).get(pk=self.job_id))

    monkeypatch.setattr(service._JobProgress, "__call__", spy)
    rows = [person_row(f"H{i}") for i in range(5)]
    job = import_file(
        kind="people", filename="p.csv", content=csv_text(PEOPLE_HEADER, *rows).encode()
    )
    assert job.status == ImportStatus.SUCCEEDED
    assert len(beats) >= 6 and beats == sorted(beats) and beats[-1] > job.started_at


@pytest.mark.django_db(transaction=True)
def test_a_job_reaped_while_its_worker_was_only_slow_writes_nothing(postgres_only, monkeypatch):
    """The worker writes in one transaction that commits only if the job is still
    running: a reaper (another process: here a thread with its own connection) that
    gave up on it first wins, and nothing is written. (On SQLite the reaper cannot
    write while the import's transaction holds the one write lock.)"""
    from skills_app.imports.people import PeopleImporter

    real_write = PeopleImporter.write
    reaped = []

    def slow_write(self, *, dry_run):
        counts = real_write(self, dry_run=dry_run)
        assert Person.objects.count() == 2  # written, not yet committed

        def reaper():
            try:
                reaped.append(reap_stale_jobs(now=timezone.now() + timedelta(hours=1)))
            finally:
                connection.close()

        thread = threading.Thread(target=reaper)
        thread.start()
        thread.join(timeout=30)
        return counts

    monkeypatch.setattr(PeopleImporter, "write", slow_write)
    job = import_file(kind="people", filename="p.csv", content=FILE)
    assert reaped == [1]
    assert Person.objects.count() == 0
    assert job.status == ImportStatus.FAILED and job.result["failure"] == "interrupted"
    # One audit row: the reaper's; the worker did not overwrite its answer.
    assert AccessEvent.objects.filter(action=Action.IMPORT, object_id=str(job.pk)).count() == 1


# -- stored uploads ------------------------------------------------------------------------


def test_an_upload_is_deleted_when_its_job_ends():
    for content in (FILE, b"%PDF-1.4", csv_text(PEOPLE_HEADER, person_row("Z", grade="?"))):
        data = content if isinstance(content, bytes) else content.encode()
        job = import_file(kind="people", filename="f.csv", content=data)
        assert job.status in (ImportStatus.SUCCEEDED, ImportStatus.REJECTED)
        job.refresh_from_db()
        assert bytes(job.content) == b""


def test_uploads_older_than_the_retention_period_are_deleted(make_user, settings):
    settings.IMPORT_UPLOAD_RETENTION_DAYS = 7
    user = make_user(Role.HR)
    now = timezone.now()
    old_kept = ImportJob.objects.create(
        kind="people",
        filename="kept.csv",
        content=service.pack(FILE),
        created_by=user,
        dry_run=True,
        status=ImportStatus.SUCCEEDED,
        kept_until=now + timedelta(minutes=30),
        content_sha256="x" * 64,
    )
    old_queued = ImportJob.objects.create(
        kind="people", filename="q.csv", content=service.pack(FILE), created_by=user
    )
    recent = ImportJob.objects.create(
        kind="people", filename="r.csv", content=service.pack(FILE), created_by=user
    )
    ImportJob.objects.filter(pk__in=[old_kept.pk, old_queued.pk]).update(
        created_at=now - timedelta(days=8)
    )
    assert delete_expired_uploads() == 2
    for job in (old_kept, old_queued, recent):
        job.refresh_from_db()
    assert bytes(old_kept.content) == b"" and old_kept.kept_until is None
    assert old_queued.status == ImportStatus.FAILED and bytes(old_queued.content) == b""
    assert old_queued.result["failure"] == "expired"
    assert bytes(recent.content) != b"" and recent.status == ImportStatus.QUEUED
    assert delete_expired_uploads() == 0
    assert delete_expired_uploads(now=now + timedelta(days=8)) == 1


# -- the worker's housekeeping -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_run_worker_reaps_before_running_queued_jobs(make_user, settings):
    settings.WORKER_HOUSEKEEPING = [("no_such_command", 60), ("reap_import_jobs", 60)]
    user = make_user(Role.HR)
    stale = running_job(user)
    submitted = import_submit(
        kind="people", filename="p.csv", content=FILE, dry_run=False, user=user
    )
    assert submitted.job.status == ImportStatus.QUEUED
    call_command("run_worker", "--batch", "--no-reload", "--no-startup-delay", verbosity=0)
    assert_reaped(stale)  # although the first housekeeping command failed
    submitted.job.refresh_from_db()
    assert submitted.job.status == ImportStatus.SUCCEEDED
    assert Person.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_housekeeping_thread_runs_its_commands_periodically(make_user, monkeypatch):
    calls = []
    real = service.reap_stale_jobs

    def counted(**kwargs):
        calls.append(time.monotonic())
        return real(**kwargs)

    monkeypatch.setattr(
        "skills_app.imports.management.commands.reap_import_jobs.reap_stale_jobs", counted
    )
    keeper = Housekeeper([("reap_import_jobs", 0.2)], tick=0.02)
    keeper.start()
    time.sleep(0.7)
    keeper.stop()
    keeper.join(timeout=5)
    assert not keeper.is_alive()
    assert 3 <= len(calls) <= 5


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_touches_a_running_job():
    job = running_job()
    before = job.heartbeat_at
    beat = service._Heartbeat(job.pk, 0.05)
    beat.start()
    time.sleep(0.3)
    beat.stop()
    job.refresh_from_db()
    assert job.heartbeat_at > before
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED)
    stopped_at = timezone.now()
    beat = service._Heartbeat(job.pk, 0.05)
    beat.start()
    time.sleep(0.2)
    beat.stop()
    job.refresh_from_db()
    assert job.heartbeat_at < stopped_at  # a finished job is left alone


# -- a real worker, killed --------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (
        f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    )
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _worker(*args, **env):
    return subprocess.Popen(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "run_worker", "--no-reload", "--no-startup-delay", *args],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": _database_url(), **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_import_leaves_a_failed_job_and_nothing_written(
    postgres_only, make_user
):
    user = make_user(Role.HR)
    rows = [person_row(f"K{i:06d}", "K000000" if i else "") for i in range(60_000)]
    submitted = import_submit(
        kind="people",
        filename="big.csv",
        content=csv_text(PEOPLE_HEADER, *rows).encode(),
        dry_run=False,
        user=user,
    )
    job = submitted.job
    worker = _worker("--interval", "0.1")
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job.refresh_from_db()
            # Killed while writing: its transaction has written rows, not committed them.
            if job.phase in ("writing", "saving"):
                break
            assert worker.poll() is None, worker.stderr.read().decode()[-3000:]
            time.sleep(0.02)
        else:
            pytest.fail(f"the worker never reached the write phase: {job.status} {job.phase}")
        assert job.status == ImportStatus.RUNNING
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING  # what the issue saw: running for ever...
    assert Person.objects.count() == 0  # ...with nothing partial written
    assert bytes(job.content) != b""

    # A fresh worker's housekeeping gives the job up (here at once, not after 5 minutes).
    fresh = _worker("--batch", IMPORT_JOB_STALE_SECONDS="0")
    _, stderr = fresh.communicate(timeout=120)
    assert fresh.returncode == 0, stderr.decode()[-3000:]
    assert_reaped(job)
    assert Person.objects.count() == 0
