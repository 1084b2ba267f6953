"""Draft everyone (DESIGN 9): the set-based run gives what the one-person path gives,
keeps its invariants, reports progress and is reaped when its worker dies."""

import datetime as dt
from datetime import timedelta

import pytest
from django.db.models import F
from django.utils import timezone

from matching.drafting import Source
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.draft_runs import (
    draft_from_records,
    draft_run_execute,
    draft_run_start,
    reap_stale_draft_runs,
)
from skills_app.people.drafts import draft_person, draft_reject
from skills_app.people.models import (
    DraftRejection,
    DraftRun,
    DraftRunStatus,
    EvidenceKind,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
    WorkforceChange,
)
from taxonomy.models import QualificationSkill
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
    SkillFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def hr():
    return UserFactory()


@pytest.fixture
def library():
    """Two roles sharing a skill, and a qualification mapping."""
    python, sql, stats, agile = (SkillFactory(name=n) for n in ("Python", "SQL", "Stats", "Agile"))
    analyst = RoleProfileFactory(code="data-analyst", title="Data analyst")
    engineer = RoleProfileFactory(code="data-engineer", title="Data engineer")
    RoleRequirementFactory(role=analyst, skill=sql, level=3)
    RoleRequirementFactory(role=analyst, skill=stats, level=2)
    RoleRequirementFactory(role=analyst, skill=python, level=2)
    RoleRequirementFactory(role=engineer, skill=python, level=3)
    RoleRequirementFactory(role=engineer, skill=sql, level=2)
    QualificationSkill.objects.create(qualification="Scrum Master", skill=agile, level=3)
    return {"analyst": analyst, "engineer": engineer, "skills": (python, sql, stats, agile)}


def populate(library, n=7):
    people = []
    for i in range(n):
        person = PersonFactory()
        RoleHistory.objects.create(
            person=person,
            title="Analyst",
            role_profile=library["analyst"],
            start=dt.date(2020, 1, 1),
            end=dt.date(2022, 12, 31) if i % 2 else None,
        )
        if i % 3 == 0:
            RoleHistory.objects.create(
                person=person, title="DATA ENGINEER", start=dt.date(2023, 1, 1)
            )
        if i % 2 == 0:
            Qualification.objects.create(person=person, name="Scrum master")
        people.append(person)
    return people


def snapshot(people):
    rows = PersonSkill.objects.filter(person__in=people).order_by("person_id", "skill_id")
    return [
        (r.person_id, r.skill_id, r.level, r.last_used, r.evidence, r.source, r.sources)
        for r in rows
    ]


def run_now(hr, batch_size=3):
    run, created = draft_run_start(actor=hr)
    assert created
    return draft_run_execute(run_id=run.pk, batch_size=batch_size)


def test_the_run_gives_what_the_one_person_path_gives(hr, library):
    people = populate(library)
    for person in people:
        draft_from_records(actor=hr, person=person)
    expected = snapshot(people)
    PersonSkill.objects.all().delete()
    run = run_now(hr)
    assert run.status == DraftRunStatus.SUCCEEDED
    assert snapshot(people) == expected
    assert run.processed_people == run.total_people == len(people)
    assert run.result["drafts_created"] == len(expected)
    assert run.result["people_drafted"] == len(people)
    assert set(run.result["by_source"]) == {"role_level", "job_title", "qualification"}


def test_the_run_is_idempotent_audited_and_declared(hr, library):
    people = populate(library)
    changes = WorkforceChange.objects.count()
    first = run_now(hr)
    audited = AccessEvent.objects.filter(action=Action.DRAFT, object_type="person")
    assert audited.count() == len(people)
    assert {e.parameters["run"] for e in audited} == {str(first.pk)}
    assert WorkforceChange.objects.count() > changes
    before = snapshot(people)
    ids = [p.pk for p in people]
    versions = dict(Person.objects.filter(pk__in=ids).values_list("pk", "version"))
    second = run_now(hr)
    assert second.result["drafts_created"] == second.result["drafts_updated"] == 0
    assert second.result["people_drafted"] == 0
    assert second.result["drafts_unchanged"] == first.result["drafts_created"]
    assert snapshot(people) == before
    assert audited.count() == len(people)  # nothing new to audit
    assert dict(Person.objects.filter(pk__in=ids).values_list("pk", "version")) == versions


def test_the_run_never_reproposes_rejected_nor_touches_confirmed_skills(hr, library):
    python, sql, _stats, _agile = library["skills"]
    person = populate(library, n=1)[0]
    run_now(hr)
    draft = PersonSkill.objects.get(person=person, skill=sql)
    draft_reject(actor=hr, person=person, person_skill_id=draft.pk, expected_version=draft.version)
    PersonSkill.objects.filter(person=person, skill=python).update(
        evidence=EvidenceKind.MANAGER_VERIFIED, level=1
    )
    run = run_now(hr)
    assert DraftRejection.objects.filter(person=person, skill=sql).exists()
    assert not PersonSkill.objects.filter(person=person, skill=sql).exists()
    verified = PersonSkill.objects.get(person=person, skill=python)
    assert (verified.evidence, verified.level) == (EvidenceKind.MANAGER_VERIFIED, 1)
    assert run.result["skipped_rejected"] == 1
    assert run.result["skipped_confirmed"] == 1


def test_the_run_withdraws_stale_record_drafts_and_keeps_text_drafts(hr, library):
    person = populate(library, n=1)[0]
    from_cv = SkillFactory(name="Public speaking")
    text = Source(kind="text", label="public speaking", level=2, passage="I give talks")
    draft_person(actor=hr, person=person, offers=[(from_cv.pk, text)], kinds={"text"})
    run_now(hr)
    RoleHistory.objects.filter(person=person).delete()
    Qualification.objects.filter(person=person).delete()
    run = run_now(hr)
    assert run.result["drafts_withdrawn"] == 4  # python, sql, stats, agile
    assert list(PersonSkill.objects.filter(person=person).values_list("skill_id", flat=True)) == [
        from_cv.pk
    ]


def test_the_run_updates_a_draft_whose_record_changed(hr, library):
    person = populate(library, n=2)[1]  # a past analyst spell
    run_now(hr)
    RoleHistory.objects.filter(person=person).update(end=None)
    run = run_now(hr)
    assert run.result["drafts_updated"] == 3
    assert set(PersonSkill.objects.filter(person=person).values_list("last_used", flat=True)) == {
        None
    }


def test_leavers_and_anonymised_people_are_not_drafted(hr, library):
    people = populate(library, n=2)
    Person.objects.filter(pk=people[0].pk).update(left_on=dt.date(2020, 1, 1))
    run = run_now(hr)
    assert run.total_people == 1
    assert not PersonSkill.objects.filter(person=people[0]).exists()


def test_only_one_run_at_a_time(hr):
    first, created = draft_run_start(actor=hr)
    assert created and first.status == DraftRunStatus.QUEUED
    again, created = draft_run_start(actor=hr)
    assert not created and again.pk == first.pk
    assert DraftRun.objects.count() == 1


def test_a_run_claimed_twice_runs_once(hr, library):
    populate(library, n=1)
    run = run_now(hr)
    assert draft_run_execute(run_id=run.pk).finished_at == run.finished_at


def test_a_dead_run_is_reaped_as_failed_and_a_live_one_is_not(hr):
    run, _ = draft_run_start(actor=hr)
    old = timezone.now() - timedelta(minutes=10)
    DraftRun.objects.filter(pk=run.pk).update(
        status=DraftRunStatus.RUNNING, started_at=old, heartbeat_at=old
    )
    live = DraftRun.objects.create(
        status=DraftRunStatus.RUNNING, started_at=old, heartbeat_at=timezone.now()
    )
    assert reap_stale_draft_runs() == 1
    run.refresh_from_db()
    live.refresh_from_db()
    assert run.status == DraftRunStatus.FAILED
    assert run.result["failure"] == "interrupted"
    assert live.status == DraftRunStatus.RUNNING
    assert AccessEvent.objects.filter(
        action=Action.DRAFT, object_type="draft_run", object_id=str(run.pk)
    ).exists()


def test_a_reaped_run_writes_no_further_batch(hr, library, monkeypatch):
    people = populate(library, n=4)
    run, _ = draft_run_start(actor=hr)
    from skills_app.people import draft_runs

    real = draft_runs.drafts_bulk_apply

    def reaped_meanwhile(**kwargs):
        counts = real(**kwargs)
        DraftRun.objects.filter(pk=run.pk).update(status=DraftRunStatus.FAILED)
        return counts

    monkeypatch.setattr(draft_runs, "drafts_bulk_apply", reaped_meanwhile)
    done = draft_run_execute(run_id=run.pk, batch_size=2)
    assert done.status == DraftRunStatus.FAILED
    assert not PersonSkill.objects.filter(person__in=people).exists()  # rolled back


def _race(hr, library, monkeypatch, change):
    """A batch reads the drafts, then ``change`` happens to them (as a person's own
    action would) before the batch writes: every draft would be updated (person 1's
    spell is now current) or withdrawn (person 0's records are gone)."""
    from skills_app.people import bulk_services
    from skills_app.people.draft_sources import record_offers

    people = populate(library, n=2)
    run_now(hr)
    RoleHistory.objects.filter(person=people[1]).update(end=None)
    RoleHistory.objects.filter(person=people[0]).delete()
    Qualification.objects.filter(person=people[0]).delete()
    ids = sorted(p.pk for p in people)
    read = bulk_services._held_drafting_state(ids)  # what the batch saw
    rows = PersonSkill.objects.filter(person__in=people)
    change(rows)
    before = sorted(rows.values_list("pk", "evidence", "level", "last_used", "version"))
    monkeypatch.setattr(bulk_services, "_held_drafting_state", lambda person_ids: read)
    counts = bulk_services.drafts_bulk_apply(
        offers=record_offers(ids),
        kinds={"role_level", "job_title", "qualification"},
        actor=hr,
        source={},
    )
    assert (counts.updated, counts.withdrawn) == (0, 0)
    assert sorted(rows.values_list("pk", "evidence", "level", "last_used", "version")) == before
    assert len(before) == 7  # 4 + 3: none updated, none withdrawn


def test_a_draft_confirmed_after_the_batch_read_it_is_not_overwritten(hr, library, monkeypatch):
    """The batch's writes are guarded in SQL by the evidence it read."""
    _race(hr, library, monkeypatch, lambda rows: rows.update(evidence=EvidenceKind.SELF))


def test_a_draft_changed_after_the_batch_read_it_is_not_overwritten(hr, library, monkeypatch):
    """... and by the version it read (the draft is still a draft, changed since)."""
    _race(hr, library, monkeypatch, lambda rows: rows.update(version=F("version") + 1))


def test_a_skill_rejected_or_added_after_the_batch_read_is_not_created(hr, library, monkeypatch):
    """Creation is guarded in SQL too: a rejection or a skill the person added after
    the batch read the profile wins (and the clash is no error)."""
    from skills_app.people import bulk_services
    from skills_app.people.draft_sources import record_offers

    python, sql, _stats, _agile = library["skills"]
    person = populate(library, n=1)[0]
    read = bulk_services._held_drafting_state([person.pk])
    DraftRejection.objects.create(person=person, skill=sql)
    added = PersonSkillFactory(person=person, skill=python, level=1)
    monkeypatch.setattr(bulk_services, "_held_drafting_state", lambda person_ids: read)
    counts = bulk_services.drafts_bulk_apply(
        offers=record_offers([person.pk]),
        kinds={"role_level", "job_title", "qualification"},
        actor=hr,
        source={},
    )
    assert counts.created == 2  # stats and agile
    assert not PersonSkill.objects.filter(person=person, skill=sql).exists()
    added.refresh_from_db()
    assert (added.evidence, added.level, added.version) == (EvidenceKind.SELF, 1, 1)


def test_rows_of_others_are_untouched(hr, library):
    person = populate(library, n=1)[0]
    other = PersonSkillFactory(skill=library["skills"][0], level=1)
    run_now(hr)
    other.refresh_from_db()
    assert (other.level, other.evidence, other.version) == (1, EvidenceKind.SELF, 1)
    assert PersonSkill.objects.filter(person=person).drafts().count() == 4
