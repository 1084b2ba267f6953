"""Person URLs use a random public id (issue 14, item 5): never the sequential primary
key or the staff number, old integer addresses are gone, and every way people are
created (one at a time, the HR import's set-based SQL, the demo's COPY, the
migration over existing rows) gives each person their own."""

import re
import uuid

import pytest
from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.core.staging import insert_select, q
from skills_app.people.bulk import insert_rows
from skills_app.people.bulk_services import people_bulk_upsert
from skills_app.people.models import OrgUnit, Person
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory

UUID_SEGMENT = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
SOURCE = {"via": "import", "kind": "people", "import_job": "job-ids"}


@pytest.fixture
def team(make_user):
    """A line manager and a team member whose staff number's digits equal their pk
    (as the demo's were): a URL must show neither."""
    unit = OrgUnitFactory(name="Benefits")
    manager = PersonFactory(full_name="Max Manager", org_unit=unit)
    member = PersonFactory(full_name="Priya Shah", org_unit=unit, line_manager=manager)
    Person.objects.filter(pk=member.pk).update(staff_number=f"P{member.pk:07d}")
    member.refresh_from_db()
    user = make_user(Role.STAFF, Role.LINE_MANAGER, username="max-ids")
    Person.objects.filter(pk=manager.pk).update(user=user)
    claim = PersonSkillFactory(person=member, level=2)
    return {"member": member, "user": user, "claim": claim}


def _urls(member, claim) -> list[str]:
    skill = {"public_id": member.public_id, "skill_id": claim.skill_id}
    return [
        reverse("team:person", kwargs={"public_id": member.public_id}),
        reverse("team:protection", kwargs={"public_id": member.public_id}),
        reverse("team:verify", kwargs=skill),
        reverse("team:query", kwargs=skill),
        reverse("team:unverify", kwargs=skill),
    ]


@pytest.mark.django_db
def test_a_persons_urls_hold_neither_pk_nor_staff_number(client, team):
    member, claim = team["member"], team["claim"]
    digits = member.staff_number.lstrip("P").lstrip("0")
    assert digits == str(member.pk)  # the trap the old URLs fell into
    client.force_login(team["user"])
    for url in _urls(member, claim):
        segments = url.strip("/").split("/")
        assert segments[:2] == ["people", str(member.public_id)]
        assert UUID_SEGMENT.match(segments[1])
        assert str(member.pk) not in segments
        if "skills" in segments:  # a skill by its catalogue id, not the claim's row id
            assert segments[2:4] == ["skills", str(claim.skill_id)]
        assert member.staff_number not in url and digits not in segments
        assert client.get(url).status_code == 200, url
    # The pages link to people by public id only.
    page = client.get(reverse("team:team")).content.decode()
    linked = [found for found in re.findall(r'href="/people/([^/"]+)/"', page) if found != "team"]
    assert linked == [str(member.public_id)]


@pytest.mark.django_db
def test_old_integer_addresses_and_guesses_are_not_found(client, team):
    member, claim = team["member"], team["claim"]
    client.force_login(team["user"])
    for url in (
        f"/people/{member.pk}/",
        f"/people/{member.pk}/protection/",
        f"/people/{member.pk}/skills/{claim.pk}/verify/",
        f"/people/{member.staff_number}/",
        f"/people/{uuid.uuid4()}/",
        f"/people/{uuid.uuid4()}/protection/",
    ):
        assert client.get(url).status_code == 404, url
    # A skill the person does not hold is not found on their profile.
    other = PersonSkillFactory(level=2)
    url = reverse("team:verify", kwargs={"public_id": member.public_id, "skill_id": other.skill_id})
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_public_ids_are_random_version_4_and_distinct():
    people = [PersonFactory() for _ in range(5)]
    ids = {p.public_id for p in people}
    assert len(ids) == 5 and {i.version for i in ids} == {4}
    assert all(p.public_id.int != p.pk for p in people)


@pytest.mark.django_db
def test_a_bulk_import_gives_each_new_person_their_own_public_id():
    kept = PersonFactory(staff_number="K1", work_email="k1@x.gov.uk")
    before = kept.public_id
    rows = [(kept.staff_number, "Kept Renamed", "k1@x.gov.uk", "HEO", kept.org_unit.path)]
    rows += [(f"N{n}", f"New {n}", f"n{n}@x.gov.uk", "EO", "Dept/Ops") for n in range(40)]
    rows = [(*row, None, None, None, None, None, None, None, None, 0) for row in rows]
    with transaction.atomic():
        counts = people_bulk_upsert(rows=rows, actor=None, source=SOURCE)
    assert (counts.created, counts.updated) == (40, 1)
    ids = list(Person.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == 41
    assert all(i is not None and i.version == 4 for i in ids)
    kept.refresh_from_db()
    assert kept.public_id == before  # an update keeps the id, so links stay valid


@pytest.mark.django_db
def test_set_based_inserts_draw_a_public_id_per_row():
    unit = OrgUnitFactory()
    columns = ("staff_number", "full_name", "work_email", "grade", "org_unit_id")
    with transaction.atomic():
        insert_rows(
            Person,
            columns,
            [(f"R{n}", f"Row {n}", f"r{n}@x.gov.uk", "EO", unit.pk) for n in (1, 2)],
        )
        with connection.cursor() as cursor:
            insert_select(
                cursor,
                Person,
                [
                    ("staff_number", "'X' || staff_number"),
                    ("full_name", "full_name"),
                    ("work_email", "'x' || work_email"),
                    ("grade", "grade"),
                    ("org_unit_id", "org_unit_id"),
                ],
                f"FROM {q(Person._meta.db_table)}",  # noqa: S608 (a model's own table)
            )
    ids = list(Person.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == 4
    assert {i.version for i in ids} == {4} and {i.variant for i in ids} == {uuid.RFC_4122}


MIGRATION_BEFORE = ("people", "0007_drafts")
MIGRATION_AFTER = ("people", "0007_person_public_id")


@pytest.mark.django_db(transaction=True)
def test_the_migration_gives_existing_people_distinct_public_ids():
    executor = MigrationExecutor(connection)
    executor.migrate([MIGRATION_BEFORE])
    try:
        old = executor.loader.project_state([MIGRATION_BEFORE]).apps
        unit = old.get_model("people", "OrgUnit").objects.create(name="Old", path="Old")
        OldPerson = old.get_model("people", "Person")
        for n in range(5):
            OldPerson.objects.create(
                staff_number=f"M{n}",
                full_name=f"M {n}",
                work_email=f"m{n}@x.gov.uk",
                grade="EO",
                org_unit_id=unit.pk,
            )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate([MIGRATION_AFTER])
    ids = list(Person.objects.values_list("public_id", flat=True))
    assert len(ids) == len(set(ids)) == 5
    assert {i.version for i in ids} == {4}
    assert OrgUnit.objects.filter(path="Old").exists()
