"""Retention (issue 13 item 7): leavers stop being matched the day they leave,
are anonymised RETENTION_LEAVERS_DAYS later, and audit rows older than
RETENTION_AUDIT_DAYS go (rows on SQLite, whole months on PostgreSQL)."""

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from skills_app.audit import partitions
from skills_app.audit.models import AccessEvent, Action
from skills_app.audit.services import audit_apply_retention
from skills_app.index import adapter
from skills_app.index.adapter import current_index
from skills_app.people.models import (
    ChangeScope,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
    WorkforceChange,
)
from skills_app.people.services import (
    ANONYMOUS_NAME,
    people_anonymise_leavers,
    person_record_leaving,
)
from skills_app.roles.search import RequirementSpec, SearchQuery, search
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 12, 6)


@pytest.fixture
def hr(make_user):
    from skills_app.accounts.permissions import Role

    return make_user(Role.HR)


# --- Leaving ------------------------------------------------------------------------


def test_recording_leaving_is_versioned_audited_and_declared(hr):
    person = PersonFactory()
    changes_before = WorkforceChange.objects.filter(person_id=person.pk).count()
    left = person_record_leaving(
        actor=hr, person=person, left_on=TODAY, expected_version=person.version
    )
    assert (left.left_on, left.version) == (TODAY, person.version + 1)
    event = AccessEvent.objects.get(subject=person)
    assert (event.actor, event.action, event.parameters["change"]) == (
        hr,
        Action.EDIT_PROFILE,
        "left_on",
    )
    assert WorkforceChange.objects.filter(person_id=person.pk).count() > changes_before


def test_an_anonymised_record_cannot_be_given_a_leaving_date(hr):
    person = PersonFactory(left_on=TODAY, anonymised_at=timezone.now())
    with pytest.raises(ValidationError):
        person_record_leaving(actor=hr, person=person, left_on=None, expected_version=1)


def _python_search(python):
    query = SearchQuery(
        requirements=(RequirementSpec(python.pk, 1, 1.0, True),), threshold=0.0, as_of=TODAY
    )
    return {hit.staff_number for hit in search(query).hits}


def test_leavers_are_not_offered_as_matches(hr, monkeypatch):
    monkeypatch.setattr(adapter, "_today", lambda: TODAY.toordinal())
    python = SkillFactory(name="Python")
    staying, gone, leaving_tomorrow, later = (
        PersonFactory(staff_number="S1"),
        PersonFactory(staff_number="S2", left_on=TODAY),
        PersonFactory(staff_number="S3", left_on=TODAY + dt.timedelta(days=1)),
        PersonFactory(staff_number="S4"),
    )
    for person in (staying, gone, leaving_tomorrow, later):
        PersonSkillFactory(person=person, skill=python, level=3)

    assert _python_search(python) == {"S1", "S3", "S4"}
    assert current_index().position_of(gone.pk) is None

    # The next day, with no write at all, S3 has left too.
    monkeypatch.setattr(adapter, "_today", lambda: TODAY.toordinal() + 1)
    assert _python_search(python) == {"S1", "S4"}

    # A leaving date recorded for someone already in the index takes them out.
    person_record_leaving(actor=hr, person=later, left_on=TODAY, expected_version=later.version)
    assert _python_search(python) == {"S1"}

    # And if they did not leave after all, they are back.
    later.refresh_from_db()
    person_record_leaving(actor=hr, person=later, left_on=None, expected_version=later.version)
    assert _python_search(python) == {"S1", "S4"}


# --- Anonymisation ------------------------------------------------------------------


def _leaver(days_ago: int, **kwargs):
    person = PersonFactory(left_on=TODAY - dt.timedelta(days=days_ago), **kwargs)
    PersonSkillFactory(person=person, note="Led the Leeds migration")
    RoleHistory.objects.create(person=person, title="Data lead", start=dt.date(2020, 1, 1))
    Qualification.objects.create(person=person, name="CISSP")
    return person


def test_leavers_past_the_period_are_anonymised_and_nothing_else(settings, make_user):
    settings.RETENTION_LEAVERS_DAYS = 730
    account = make_user(username="old_account")
    manager = PersonFactory()
    old = _leaver(731, user=account, line_manager=manager, preferred_locations=["York"])
    report = PersonFactory(line_manager=old)
    on_the_day = _leaver(730)  # left exactly 730 days ago: not yet
    recent = _leaver(10)
    staying = PersonFactory()
    PersonSkillFactory(person=staying)
    old_version = old.version

    assert people_anonymise_leavers(today=TODAY) == 1

    old.refresh_from_db()
    assert old.full_name == ANONYMOUS_NAME
    assert old.staff_number == f"ANON-{old.pk}"
    assert old.work_email == f"anonymised-{old.pk}@anonymised.invalid"
    for identifying in ("Led the Leeds", "old_account"):
        assert identifying not in str(Person.objects.filter(pk=old.pk).values().get())
    assert (old.user, old.line_manager, old.preferred_locations) == (None, None, [])
    assert old.anonymised_at is not None and old.version == old_version + 1
    assert not PersonSkill.objects.filter(person=old).exists()
    assert not RoleHistory.objects.filter(person=old).exists()
    assert not Qualification.objects.filter(person=old).exists()
    report.refresh_from_db()
    assert report.line_manager is None
    # The account itself is not deleted, only unlinked.
    account.refresh_from_db()

    for untouched in (on_the_day, recent, staying):
        fresh = Person.objects.get(pk=untouched.pk)
        assert (fresh.full_name, fresh.anonymised_at) == (untouched.full_name, None)
        assert PersonSkill.objects.filter(person=untouched).exists()

    [event] = AccessEvent.objects.filter(subject=old)
    assert (event.actor, event.actor_label, event.parameters["change"]) == (
        None,
        "system",
        "anonymised",
    )
    assert AccessEvent.objects.count() == 1
    assert WorkforceChange.objects.filter(
        scope=ChangeScope.PERSON, person_id=old.pk, id__gt=0
    ).exists()
    assert WorkforceChange.objects.filter(scope=ChangeScope.HISTORY, person_id=old.pk).exists()


def test_anonymising_is_idempotent(settings):
    settings.RETENTION_LEAVERS_DAYS = 30
    old = _leaver(31)
    assert people_anonymise_leavers(today=TODAY) == 1
    stamp = Person.objects.get(pk=old.pk).anonymised_at
    assert people_anonymise_leavers(today=TODAY) == 0
    assert Person.objects.get(pk=old.pk).anonymised_at == stamp
    assert AccessEvent.objects.filter(subject=old).count() == 1


def test_the_period_is_a_setting(settings):
    old = _leaver(31)
    settings.RETENTION_LEAVERS_DAYS = 31
    assert people_anonymise_leavers(today=TODAY) == 0
    settings.RETENTION_LEAVERS_DAYS = 30
    assert people_anonymise_leavers(today=TODAY) == 1
    assert Person.objects.get(pk=old.pk).anonymised_at is not None


# --- Audit retention ----------------------------------------------------------------


def _event_at(at: dt.datetime) -> int:
    """An audit row written at ``at`` (``at`` is auto_now_add, so through SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_accessevent "
            "(at, actor_label, action, object_type, object_id, parameters) "
            "VALUES (%s, 'system', 'export', '', '', '{}')",
            [connection.ops.adapt_datetimefield_value(at)],
        )
    return AccessEvent.objects.order_by("-id").values_list("pk", flat=True)[0]


NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def sqlite_only():
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL drops whole months: see the partition test")


def test_sqlite_deletes_audit_rows_older_than_the_period(sqlite_only, settings):
    settings.RETENTION_AUDIT_DAYS = 30
    old = _event_at(NOW - dt.timedelta(days=30, seconds=1))
    kept = _event_at(NOW - dt.timedelta(days=29))
    result = audit_apply_retention(now=NOW)
    assert result.deleted_rows == 1
    assert list(AccessEvent.objects.values_list("pk", flat=True)) == [kept]
    assert old != kept


def test_postgresql_creates_months_ahead_and_drops_expired_months(postgres_only, settings):
    settings.RETENTION_AUDIT_DAYS = 365
    settings.AUDIT_PARTITION_MONTHS_AHEAD = 5
    with connection.cursor() as cursor:
        old_month = dt.date(2025, 11, 1)  # ends 2025-12-01, more than 365 days before NOW
        edge_month = dt.date(2025, 12, 1)  # ends 2026-01-01: has rows younger than 365 days
        for month in (old_month, edge_month):
            partitions.create_month(cursor, month)
    old = _event_at(dt.datetime(2025, 11, 15, tzinfo=dt.UTC))
    edge = _event_at(dt.datetime(2025, 12, 31, tzinfo=dt.UTC))
    recent = _event_at(NOW)

    result = audit_apply_retention(now=NOW)

    assert result.dropped == ["audit_accessevent_p202511"]
    assert set(AccessEvent.objects.values_list("pk", flat=True)) == {edge, recent}
    assert old not in AccessEvent.objects.values_list("pk", flat=True)
    with connection.cursor() as cursor:
        have = partitions.existing(cursor)
    assert {partitions.add_months(dt.date(2026, 12, 1), n) for n in range(6)} <= set(have)
    assert "audit_accessevent_p202705" in result.created or dt.date(2027, 5, 1) in have
    # A second run has nothing left to do.
    again = audit_apply_retention(now=NOW)
    assert (again.dropped, again.created) == ([], [])


def test_postgresql_partitions_are_left_alone_by_a_role_that_does_not_own_them(
    postgres_only, monkeypatch
):
    """As the app role (tests/audit/test_privileges.py checks ``_owns_audit_table``
    answers False for it) retention changes no partition."""
    from skills_app.audit import services

    monkeypatch.setattr(services, "_owns_audit_table", lambda cursor: False)
    with connection.cursor() as cursor:
        before = partitions.existing(cursor)
    result = audit_apply_retention(now=NOW + dt.timedelta(days=3650))
    assert "owner" in result.skipped
    assert (result.dropped, result.created) == ([], [])
    with connection.cursor() as cursor:
        assert partitions.existing(cursor) == before


# --- The command --------------------------------------------------------------------


def test_apply_retention_command_prints_its_counts(settings):
    settings.RETENTION_LEAVERS_DAYS = 30
    _leaver(400)
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 1 leaver" in out.getvalue()
    assert "Audit" in out.getvalue()
    call_command("apply_retention", stdout=out)
    assert "Anonymised 0 leavers" in out.getvalue()


def test_leavers_are_never_allocated_in_a_surge():
    from skills_app.surge.models import Allocation
    from skills_app.surge.services import LineSpec, scenario_create, scenario_solve
    from tests.factories import OrgUnitFactory, RoleRequirementFactory

    python = SkillFactory(name="Python")
    role = RoleRequirementFactory(skill=python, level=4).role
    unit = OrgUnitFactory(name="Team")
    staying = PersonFactory(staff_number="S1", org_unit=unit)
    gone = PersonFactory(staff_number="S2", org_unit=unit, left_on=timezone.localdate())
    for person in (staying, gone):
        PersonSkillFactory(person=person, skill=python, level=4)
    scenario = scenario_create(
        actor=None,
        name="Flood response",
        lines=[LineSpec(role.pk, 2, min_score=0.8)],
        release_cap=1.0,
        cap_org_depth=0,
    )
    scenario_solve(scenario_id=scenario.pk)
    assert list(Allocation.objects.values_list("person__staff_number", flat=True)) == ["S1"]


def test_apply_retention_deletes_expired_uploads_and_the_worker_runs_it(settings):
    import datetime as dt

    from django.utils import timezone

    from skills_app.people.models import ImportJob, ImportStatus

    settings.IMPORT_UPLOAD_RETENTION_DAYS = 7
    job = ImportJob.objects.create(
        kind="people", filename="old.csv", content=b"x", status=ImportStatus.SUCCEEDED
    )
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    out = StringIO()
    call_command("apply_retention", stdout=out)
    assert "Deleted 1 expired upload" in out.getvalue()
    job.refresh_from_db()
    assert bytes(job.content) == b""
    from django.conf import settings as live

    assert "apply_retention" in dict(live.WORKER_HOUSEKEEPING)
