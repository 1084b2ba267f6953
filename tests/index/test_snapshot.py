"""The shared index snapshot (issue 17): written once by the worker, mapped by
every process, small changes applied on top, and a process that starts after a
bulk change maps the new snapshot instead of rebuilding."""

import datetime as dt

import numpy as np
import pytest

from matching.engine import Filters, Requirement
from skills_app.index import adapter, snapshot
from skills_app.index.adapter import FreshIndex
from skills_app.index.changes import workforce_changed
from skills_app.people.models import ChangeScope, RoleHistory
from taxonomy.models import SkillRelation
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

AS_OF = dt.date(2026, 11, 21)


@pytest.fixture
def snapshots(settings, tmp_path, monkeypatch):
    settings.MUSTER_INDEX_DIR = str(tmp_path / "index")
    monkeypatch.setattr(adapter, "_fresh", FreshIndex())
    return tmp_path / "index"


@pytest.fixture
def world():
    python, programming = SkillFactory(name="Python"), SkillFactory(name="Programming")
    SkillRelation.objects.create(from_skill=programming, to_skill=python, kind="narrower")
    role = RoleRequirementFactory(skill=programming, level=4).role
    ada = PersonFactory(staff_number="S1", location="Leeds")
    bo = PersonFactory(staff_number="S2", location="York")
    PersonSkillFactory(person=ada, skill=python, level=4, last_used=dt.date(2023, 11, 21))
    PersonSkillFactory(person=bo, skill=programming, level=3, evidence="certified")
    PersonSkillFactory(person=bo, skill=python, level=2, evidence="inferred")
    RoleHistory.objects.create(
        person=bo, title="Developer", role_profile=role, start=dt.date(2020, 1, 1)
    )
    return {"python": python, "programming": programming, "ada": ada, "bo": bo}


def ranked(index, skill, *, drafts=False):
    workforce = index.workforce.including_drafts() if drafts else index.workforce
    result = workforce.rank(
        [Requirement(index.skill_column[skill.pk], 4)],
        as_of=AS_OF,
        threshold=0.0,
        filters=Filters(redeployable_only=False),
    )
    return [
        (
            str(index.workforce.people.staff_number[m.person]),
            round(m.score, 6),
            m.prior_role.title if m.prior_role else None,
        )
        for m in result.matches
    ]


@pytest.mark.django_db
def test_a_mapped_snapshot_answers_exactly_as_the_index_it_was_written_from(snapshots, world):
    built = FreshIndex.build_from_database()
    snapshot.write(built, snapshots)
    loaded = snapshot.load(snapshots)
    assert loaded is not None and loaded.last_id == built.last_id
    for skill in (world["python"], world["programming"]):
        for drafts in (False, True):
            assert ranked(loaded.index, skill, drafts=drafts) == ranked(
                built.index, skill, drafts=drafts
            )
    # The big arrays are shared, read-only pages of the files, not private copies.
    assert isinstance(loaded.index.workforce.skills.rows, np.memmap)
    assert not loaded.index.workforce.people.grade.flags.writeable
    assert loaded.index.locations == built.index.locations


@pytest.mark.django_db
def test_a_process_started_after_a_bulk_change_maps_the_new_snapshot_without_rebuilding(
    snapshots, world, monkeypatch
):
    workforce_changed(ChangeScope.ALL)
    assert snapshot.snapshot_due(snapshots) == "no snapshot yet"
    why, path = snapshot.write_if_due()
    assert path is not None and snapshot.snapshot_due(snapshots) == ""

    def no_rebuild():
        raise AssertionError("the process rebuilt instead of mapping the snapshot")

    monkeypatch.setattr(adapter, "build_workforce_index", no_rebuild)
    index = adapter.current_index()
    assert adapter._fresh.index.built_in_seconds < 1
    assert ranked(index, world["programming"])[0][0] == "S2"
    # A small change after the snapshot applies on top through the change feed,
    # into the process's own copy of the arrays it changes.
    PersonSkillFactory(person=world["ada"], skill=world["programming"], level=4)
    ada = PersonFactory._meta.model.objects.get(pk=world["ada"].pk)
    ada.location = "Hull"
    ada.save()
    index = adapter.current_index()
    assert ranked(index, world["programming"])[0][:2] == ("S1", 1.0)
    assert "Hull" in index.locations


@pytest.mark.django_db
def test_a_bulk_change_makes_a_snapshot_due_and_an_old_one_is_not_used(snapshots, world):
    snapshot.write_if_due(force=True)
    assert snapshot.snapshot_due(snapshots) == ""
    workforce_changed(ChangeScope.ALL)
    assert snapshot.snapshot_due(snapshots) == "a bulk change"
    newest_id = adapter.FreshIndex._max_change_id()
    assert snapshot.load(snapshots, at_least=newest_id) is None
    snapshot.write_if_due()
    assert snapshot.load(snapshots, at_least=newest_id) is not None


@pytest.mark.django_db
def test_a_snapshot_ahead_of_the_change_feed_is_ignored(snapshots, world):
    snapshot.write_if_due(force=True)
    top = adapter.FreshIndex._max_change_id()
    assert snapshot.load(snapshots, max_id=top) is not None
    assert snapshot.load(snapshots, max_id=top - 1) is None  # the database was reset


@pytest.mark.django_db
def test_old_snapshots_are_pruned(snapshots, world):
    for _ in range(snapshot.KEEP + 2):
        snapshot.write_if_due(force=True)
    kept = [p for p in snapshots.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert len(kept) == snapshot.KEEP
    assert snapshot.newest(snapshots)[0] in {p.name for p in kept}


@pytest.mark.django_db(transaction=True)
def test_a_serving_process_waits_for_the_workers_snapshot_after_a_bulk_change(
    snapshots, monkeypatch
):
    PersonFactory(staff_number="S1")
    snapshot.write_if_due(force=True)
    fresh = adapter._fresh
    fresh.background = True
    first = fresh.current()
    builds = []
    real = adapter.build_workforce_index

    def counted():
        builds.append(1)
        return real()

    monkeypatch.setattr(adapter, "build_workforce_index", counted)
    PersonFactory(staff_number="S2")
    workforce_changed(ChangeScope.ALL)
    assert fresh.current() is first and fresh.rebuilding  # answered from the old index
    snapshot.write_if_due()  # the worker (one build)
    fresh._builder.join(10)
    assert len(fresh.current().person_ids) == 2
    assert len(builds) == 1  # the worker's; the serving process only mapped it
