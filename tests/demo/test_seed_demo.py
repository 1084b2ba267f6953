import re
from collections import Counter
from datetime import date
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.models import Count
from django.test import RequestFactory
from django.urls import reverse

from skills_app.accounts.permissions import Role, user_roles
from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.demo.generator import DEMO_URL, DEMO_USERNAMES, EMAIL_DOMAIN, seed_demo
from skills_app.people.models import (
    OrgUnit,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
)
from skills_app.roles.models import RoleProfile
from taxonomy.models import Skill

PEOPLE = 300
PASSWORD = "demo-password-for-tests"


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def request():
    return RequestFactory().post("/accounts/login/")


def seed(*args) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def snapshot():
    people = list(
        Person.objects.order_by("staff_number").values_list(
            "staff_number",
            "full_name",
            "work_email",
            "grade",
            "org_unit__path",
            "line_manager__staff_number",
            "location",
            "weekly_hours",
            "clearance",
            "redeployable",
            "protected",
            "available_from",
            "profile_reviewed_at",
        )
    )
    skills = sorted(
        PersonSkill.objects.values_list(
            "person__staff_number", "skill__uri", "level", "last_used", "evidence", "verified_at"
        )
    )
    history = sorted(
        RoleHistory.objects.values_list(
            "person__staff_number", "title", "role_profile__code", "start", "end"
        )
    )
    qualifications = sorted(
        Qualification.objects.values_list(
            "person__staff_number", "name", "issuer", "awarded", "expires"
        )
    )
    return people, skills, history, qualifications


@pytest.fixture
def seeded(db):
    out = seed("--people", str(PEOPLE), "--seed", "7", "--password", PASSWORD)
    return out


@pytest.mark.django_db
def test_same_seed_same_department():
    seed("--people", str(PEOPLE), "--seed", "11", "--reset", "--password", PASSWORD)
    first = snapshot()
    seed("--people", str(PEOPLE), "--seed", "11", "--reset", "--password", PASSWORD)
    assert snapshot() == first
    assert len(first[0]) == PEOPLE
    seed("--people", str(PEOPLE), "--seed", "12", "--reset", "--password", PASSWORD)
    assert snapshot()[0] != first[0]


def test_seeded_workforce_is_believable(seeded):
    people = Person.objects.all()
    assert people.count() == PEOPLE
    staff_numbers = list(people.values_list("staff_number", flat=True))
    assert staff_numbers[0] == "P0000001" and len(set(staff_numbers)) == PEOPLE
    # Each person their own random public id (the id in their URLs), not one shared default.
    public_ids = set(people.values_list("public_id", flat=True))
    assert len(public_ids) == PEOPLE and {p.version for p in public_ids} == {4}
    assert all(
        email.endswith(f"@{EMAIL_DOMAIN}") for email in people.values_list("work_email", flat=True)
    )

    # Everyone holds skills: 12-18 on average.
    assert not people.filter(skills__isnull=True).exists()
    average = PersonSkill.objects.count() / PEOPLE
    assert 11 <= average <= 18

    # Shares, roughly: ~8% protected, ~15% not redeployable, ~30% in DDaT roles.
    protected = people.filter(protected=True).count() / PEOPLE
    not_redeployable = people.filter(redeployable=False).count() / PEOPLE
    assert 0.03 <= protected <= 0.15
    assert 0.07 <= not_redeployable <= 0.25
    ddat = RoleHistory.objects.filter(end__isnull=True, role_profile__source="ddat").count()
    assert 0.2 <= ddat / PEOPLE <= 0.4

    grades = Counter(people.values_list("grade", flat=True))
    assert grades["AO"] + grades["EO"] + grades["HEO"] > PEOPLE / 2
    clearances = Counter(people.values_list("clearance", flat=True))
    assert clearances.most_common(1)[0][0] == 1  # mostly BPSS
    assert Counter(people.values_list("weekly_hours", flat=True)).most_common(1)[0][0] == 37

    # Local operational skills and roles exist, with requirements, for surge demand.
    assert Skill.objects.filter(uri="urn:muster:local:skill:customer-service").exists()
    work_coach = RoleProfile.objects.get(code="work-coach")
    assert work_coach.source == "local" and work_coach.requirements.count() >= 5
    assert work_coach.requirements.filter(essential=True).exists()

    # Every person has a current role; some have past ones.
    assert RoleHistory.objects.filter(end__isnull=True).count() == PEOPLE
    assert RoleHistory.objects.filter(end__isnull=False).exists()
    assert Qualification.objects.exists()


def test_org_tree(seeded):
    units = {u.pk: u for u in OrgUnit.objects.all()}
    assert [u.depth for u in units.values()].count(0) == 1
    assert 6 <= sum(1 for u in units.values() if u.depth == 1) <= 10
    for unit in units.values():
        if unit.parent_id:
            parent = units[unit.parent_id]
            assert unit.depth == parent.depth + 1
            assert unit.path == f"{parent.path}/{unit.name}"
    assert {u.kind for u in units.values() if u.depth == 3} == {"team"}
    sizes = OrgUnit.objects.filter(depth=3).annotate(n=Count("people")).values_list("n", flat=True)
    assert min(sizes) >= 8 and max(sizes) <= 15


def test_no_management_cycles(seeded):
    managers = dict(Person.objects.values_list("id", "line_manager_id"))
    assert sum(1 for m in managers.values() if m is None) == 1  # the department head
    for person in managers:
        seen, current = set(), person
        while current is not None:
            assert current not in seen, "management cycle"
            seen.add(current)
            current = managers[current]
        assert len(seen) <= 5  # member -> team lead -> division head -> director -> head
    # Team leads manage their own team.
    for lead in Person.objects.filter(org_unit__depth=3, reports__isnull=False).distinct()[:20]:
        assert set(lead.reports.values_list("org_unit_id", flat=True)) == {lead.org_unit_id}


def test_demo_logins(seeded, client):
    for username in DEMO_USERNAMES:
        assert username in seeded
    assert DEMO_URL in seeded
    assert PASSWORD in seeded
    User = get_user_model()
    users = User.objects.filter(username__in=DEMO_USERNAMES)
    assert users.count() == len(DEMO_USERNAMES)
    covered = set()
    for user in users:
        covered |= user_roles(user)
        assert Person.objects.filter(user=user).exists(), user.username
        assert authenticate(request(), username=user.username, password=PASSWORD) == user
        response = client.post(
            reverse("accounts:login"), {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, user.username
        assert client.session.get("_auth_user_id") == str(user.pk)
        client.logout()
    assert covered == set(Role)
    manager = Person.objects.get(user__username="manager")
    assert manager.reports.exists()
    assert Person.objects.get(user__username="staff").line_manager == manager
    assert User.objects.get(username="admin").is_superuser


def test_random_passwords_and_refresh_without_reset(seeded):
    ids = list(Person.objects.values_list("id", flat=True))
    out = seed("--people", "500", "--seed", "8")
    assert "already exist" in out
    assert list(Person.objects.values_list("id", flat=True)) == ids  # nothing regenerated
    passwords = {}
    for username in DEMO_USERNAMES:
        match = re.search(rf"\s{username}\s+([a-z]+-[a-z]+-[a-z]+-\d{{4}})\s", out)
        assert match, username
        passwords[username] = match.group(1)
    assert set(passwords) == set(DEMO_USERNAMES)
    assert len(set(passwords.values())) == len(DEMO_USERNAMES)
    for password in passwords.values():
        assert len(password) >= 12
    assert authenticate(request(), username="staff", password=PASSWORD) is None  # old one
    planner = authenticate(request(), username="planner", password=passwords["planner"])
    assert planner is not None and planner.username == "planner"


@pytest.mark.django_db
def test_reset_refuses_when_audit_names_people(seeded):
    record_event(actor=None, action=Action.VIEW_PROFILE, subject=Person.objects.first())
    with pytest.raises(CommandError, match="append-only"):
        seed("--people", str(PEOPLE), "--seed", "7", "--reset")
    assert Person.objects.count() == PEOPLE


@pytest.mark.django_db
def test_too_few_people():
    with pytest.raises(CommandError, match="at least"):
        seed("--people", "10")


@pytest.mark.django_db
def test_service_is_deterministic_for_a_fixed_date():
    first = seed_demo(people=150, seed=3, reset=True, password=PASSWORD, as_of=date(2025, 6, 1))
    assert first.people == 150 and first.person_skills == PersonSkill.objects.count()
    snap = snapshot()
    seed_demo(people=150, seed=3, reset=True, password=PASSWORD, as_of=date(2025, 6, 1))
    assert snapshot() == snap


def test_postgres_copy_path(postgres_only):
    def constraint_counts():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT contype, count(*) FROM pg_constraint WHERE conrelid::regclass::text "
                "LIKE 'people_%%' GROUP BY contype ORDER BY contype"
            )
            constraints = cursor.fetchall()
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename LIKE 'people_%%'")
            return constraints, cursor.fetchone()[0]

    before = constraint_counts()
    result = seed_demo(people=500, seed=5, reset=True, password=PASSWORD)
    assert result.people == Person.objects.count() == 500
    assert Person.objects.values("public_id").distinct().count() == 500  # one per row, via COPY
    assert result.person_skills == PersonSkill.objects.count() > 500 * 10
    assert result.role_history == RoleHistory.objects.count()
    assert result.qualifications == Qualification.objects.count()
    assert constraint_counts() == before  # foreign keys and indexes are back
    # The id sequence was moved past the explicit ids.
    created = Person.objects.create(
        staff_number="X0000001",
        full_name="New Starter",
        work_email="new@example.org",
        grade="EO",
        org_unit=OrgUnit.objects.get(depth=0),
    )
    assert created.pk > Person.objects.exclude(pk=created.pk).order_by("-pk").first().pk
    # Values survive COPY exactly as generated.
    assert Person.objects.filter(profile_reviewed_at__isnull=False).count() > 400
    # Reseeding over the data goes through reset and COPY again.
    again = seed_demo(people=500, seed=5, reset=True, password=PASSWORD)
    assert again.person_skills == result.person_skills


@pytest.mark.django_db
def test_insert_rows_fills_defaults_and_rejects_missing_required():
    from skills_app.people.bulk import insert_rows
    from tests.factories import PersonFactory, SkillFactory

    person, skill = PersonFactory(), SkillFactory()
    with transaction.atomic():
        written = insert_rows(
            PersonSkill, ("person_id", "skill_id", "level"), [(person.pk, skill.pk, 3)]
        )
    assert written == 1
    row = PersonSkill.objects.get()
    assert (row.level, row.evidence, row.version, row.note) == (3, "self", 1, "")
    assert row.updated_at is not None
    with pytest.raises(ValueError, match="required column.*start"):
        insert_rows(RoleHistory, ("person_id", "title"), [])


def test_suspended_constraints_come_back_after_a_failed_load(postgres_only):
    from skills_app.people.bulk import foreign_keys_suspended, indexes_suspended

    def schema():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname FROM pg_constraint WHERE conrelid = 'people_personskill'::regclass "
                "UNION ALL SELECT indexname FROM pg_indexes WHERE tablename = 'people_personskill' "
                "ORDER BY 1"
            )
            return [row[0] for row in cursor.fetchall()]

    before = schema()
    with (
        pytest.raises(RuntimeError, match="load failed"),
        foreign_keys_suspended(PersonSkill),
        indexes_suspended(PersonSkill),
    ):
        assert len(schema()) < len(before)
        raise RuntimeError("load failed")
    assert schema() == before


def test_the_demo_qualifications_propose_skills(seeded):
    """Every mapping of the demo's qualification table lands on an active skill, and
    the qualifications people hold find their skills through the drafting run's reader."""
    from skills_app.demo.generator import QUALIFICATION_SKILLS, ensure_qualification_skills
    from taxonomy.models import QualificationSkill
    from taxonomy.selectors import qualification_skills

    assert QualificationSkill.objects.count() == len(QUALIFICATION_SKILLS)
    assert ensure_qualification_skills() == 0  # a rerun adds nothing
    held = set(Qualification.objects.values_list("name", flat=True))
    found = qualification_skills(held)
    assert len(found) >= len(held) - 1  # all but British Sign Language
    assert "Certified ScrumMaster" not in held or found["Certified ScrumMaster"]
