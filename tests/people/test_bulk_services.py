"""The set-based write path of the HR imports holds the one-row services' invariants:
audit per changed person, the index change declared, versions moved, merged skills
refused; and the imports have no write path of their own (issue 12, item 3)."""

import ast
import datetime as dt
import pathlib
import re

import pytest
from django.db import transaction

from skills_app.audit.models import AccessEvent, Action
from skills_app.imports.service import import_file
from skills_app.people.bulk_services import (
    SkillsChanged,
    people_bulk_upsert,
    person_skills_bulk_upsert,
    role_history_bulk_upsert,
)
from skills_app.people.models import Person, PersonSkill, RoleHistory, WorkforceChange
from taxonomy.models import SkillStatus
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory, UserFactory

pytestmark = pytest.mark.django_db

SOURCE = {"via": "import", "kind": "people", "import_job": "job-1"}


def person_row(sn, name, email, path="Dept/Ops", manager=None):
    return (sn, name, email, "HEO", path, None, None, None, None, None, None, manager, None, 0)


def edits():
    return AccessEvent.objects.filter(action=Action.EDIT_PROFILE)


def test_people_bulk_upsert_audits_each_created_or_changed_person_only():
    hr = UserFactory(username="hr-bulk")
    kept = PersonFactory(staff_number="K1", full_name="Kept Same", work_email="k1@x.gov.uk")
    changed = PersonFactory(staff_number="C1", full_name="Old Name", work_email="c1@x.gov.uk")
    rows = [
        person_row("K1", "Kept Same", "k1@x.gov.uk", path=kept.org_unit.path),
        person_row("C1", "New Name", "c1@x.gov.uk", path=changed.org_unit.path),
        person_row("N1", "Newly Here", "n1@x.gov.uk", manager="C1"),
    ]
    changes_before = WorkforceChange.objects.count()
    with transaction.atomic():
        counts = people_bulk_upsert(rows=rows, actor=hr, source=SOURCE)

    assert (counts.created, counts.updated, counts.unchanged) == (1, 1, 1)
    newcomer = Person.objects.get(staff_number="N1")
    assert newcomer.line_manager.staff_number == "C1"
    changed.refresh_from_db()
    assert changed.full_name == "New Name"
    assert changed.version == 2  # an editor holding version 1 now gets a conflict
    audited = {e.subject_id: e for e in edits()}
    assert set(audited) == {changed.pk, newcomer.pk}
    assert audited[changed.pk].actor == hr
    assert audited[changed.pk].parameters == SOURCE
    assert WorkforceChange.objects.count() > changes_before


def test_a_dry_run_writes_no_person_no_audit_and_no_index_change():
    changes_before = WorkforceChange.objects.count()
    with transaction.atomic():
        counts = people_bulk_upsert(
            rows=[person_row("D1", "Dry Run", "d1@x.gov.uk")],
            actor=None,
            source=SOURCE,
            dry_run=True,
        )
    assert counts.created == 1
    assert not Person.objects.filter(staff_number="D1").exists()
    assert not edits().exists()
    assert WorkforceChange.objects.count() == changes_before


def test_person_skills_bulk_upsert_audits_and_refuses_a_withdrawn_skill():
    person, other = PersonFactory(), PersonFactory()
    skill = SkillFactory()
    held = PersonSkillFactory(person=other, skill=skill, level=2)
    rows = [
        (person.pk, skill.pk, 3, None, 0, None),
        (other.pk, skill.pk, 2, None, 0, None),  # unchanged: no audit row
    ]
    with transaction.atomic():
        counts = person_skills_bulk_upsert(
            rows=rows, count=2, skill_ids={skill.pk}, actor=None, source=SOURCE
        )
    assert (counts.created, counts.unchanged) == (1, 1)
    assert PersonSkill.objects.get(person=person, skill=skill).level == 3
    assert list(edits().values_list("subject_id", flat=True)) == [person.pk]
    held.refresh_from_db()
    assert held.version == 1

    gone = SkillFactory(status=SkillStatus.DEPRECATED)
    with pytest.raises(SkillsChanged), transaction.atomic():
        person_skills_bulk_upsert(
            rows=[(other.pk, gone.pk, 3, None, 0, None)],
            count=1,
            skill_ids={gone.pk},
            actor=None,
            source=SOURCE,
        )
    assert not PersonSkill.objects.filter(skill=gone).exists()


def test_role_history_bulk_upsert_audits_the_people_whose_history_changed():
    person = PersonFactory()
    rows = [[person.pk, "Analyst", dt.date(2020, 1, 1), None, 0, None, None]]
    with transaction.atomic():
        counts = role_history_bulk_upsert(rows=rows, actor=None, source=SOURCE)
    assert counts.created == 1
    assert RoleHistory.objects.filter(person=person, title="Analyst").exists()
    assert list(edits().values_list("subject_id", flat=True)) == [person.pk]


def test_an_hr_import_leaves_an_edit_row_naming_the_job_on_each_changed_person():
    hr = UserFactory(username="hr-import")
    person = PersonFactory(staff_number="P9")
    skill = SkillFactory(name="Data wrangling")
    job = import_file(
        kind="person-skills",
        filename="skills.csv",
        content=b"staff_number,skill,level\nP9,Data wrangling,3\n",
        user=hr,
    )
    assert job.result["ok"], job.result
    event = edits().get(subject=person)
    assert event.actor == hr
    assert event.parameters == {"via": "import", "kind": "person-skills", "import_job": str(job.pk)}
    assert PersonSkill.objects.get(person=person, skill=skill).level == 3


IMPORTS = pathlib.Path(__file__).resolve().parents[2] / "skills_app" / "imports"
WRITERS = ("skills_app.core.staging", "skills_app.people.bulk")
SQL_WRITE = re.compile(r"\b(INSERT\s+INTO|UPDATE\b.*\bSET|DELETE\s+FROM)\b", re.S)
# The imports app's own table: the job row (status, progress, the stored upload).
OWN_TABLE = re.compile(r"importjob|_table\(\)")


def test_the_imports_write_only_through_the_owning_apps_services():
    """No importer stages rows or runs its own INSERT/UPDATE/DELETE on another app's
    tables: that is the services' job."""
    offenders = []
    for path in IMPORTS.rglob("*.py"):
        source = path.read_text()
        tree = ast.parse(source, filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in WRITERS:
                names = {alias.name for alias in node.names} - {"Counts"}
                if names:
                    offenders.append(f"{path.name}: {node.module} {sorted(names)}")
            if isinstance(node, ast.JoinedStr | ast.Constant):
                text = ast.get_source_segment(source, node) or ""
                if SQL_WRITE.search(text) and not OWN_TABLE.search(text):
                    offenders.append(f"{path.name}:{node.lineno} SQL write")
    assert not offenders, offenders
