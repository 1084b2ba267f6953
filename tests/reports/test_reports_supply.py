"""Supply and demand per role profile (issue 7, item 2): who matches now, who is
one level of training in one skill away, and where they sit. Counts are checked
against DESIGN.md section 4's rules computed person by person in Python over
generated data (recency over old and current skills; a narrower relation at its
default strength and a related one with its own), on SQLite and PostgreSQL.
"""

import csv
import datetime as dt
import io
import random
import re
from collections import Counter

import pytest
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import Person
from skills_app.reports import supply
from skills_app.roles.models import RoleRequirement
from taxonomy.models import RelationKind, SkillRelation
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    SkillFactory,
    team_of,
)

pytestmark = pytest.mark.django_db
EPS = 1e-9


@pytest.fixture
def org(make_user):
    rng = random.Random(5)
    dept_a = OrgUnitFactory(name="Dept A")
    dept_b = OrgUnitFactory(name="-Dept B")
    units = [dept_a, dept_b, OrgUnitFactory(name="Team A1", parent=dept_a)]
    skills = [SkillFactory() for _ in range(5)]
    unheld = SkillFactory(name="Nobody has this")
    narrow = SkillFactory(name="Narrow skill")  # in no role; stands in for skills[0]
    SkillRelation.objects.create(from_skill=skills[0], to_skill=narrow, kind=RelationKind.NARROWER)
    SkillRelation.objects.create(
        from_skill=skills[1], to_skill=skills[2], kind=RelationKind.RELATED, strength=0.7
    )
    today = timezone.localdate()
    last_used_choices = [None, None, today - dt.timedelta(days=400)]
    last_used_choices += [today - dt.timedelta(days=1300), today - dt.timedelta(days=3300)]
    roles = []
    for number in range(4):
        role = RoleProfileFactory(title=f"Role {number}")
        for skill in rng.sample(skills, 3):
            RoleRequirement.objects.create(
                role=role, skill=skill, level=rng.randint(1, 4), weight=rng.choice([1, 2, 0.5])
            )
        roles.append(role)
    RoleRequirement.objects.create(role=roles[0], skill=unheld, level=1, weight=0.5)
    mgr = PersonFactory(org_unit=dept_a)
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="mgr")
    Person.objects.filter(pk=mgr.pk).update(user=mgr_user)
    people = [mgr]
    for number in range(80):
        boss = rng.choice(people) if rng.random() < 0.35 else None
        boss = mgr if number < 6 else boss  # a real team, direct and indirect
        person = PersonFactory(org_unit=rng.choice(units), line_manager=boss)
        people.append(person)
        for skill in rng.sample([*skills, narrow], rng.randint(0, 6)):
            PersonSkillFactory(
                person=person,
                skill=skill,
                level=rng.randint(1, 4),
                last_used=rng.choice(last_used_choices),
            )
    return {
        "mgr": mgr,
        "mgr_user": mgr_user,
        "hr_user": make_user(Role.HR, username="hr"),
        "planner": make_user(Role.PLANNER, username="planner"),
    }


def expected(person_ids, threshold):
    """{role code: (qualify, one level away, {department: qualifying})}."""
    from skills_app.roles.models import RoleProfile

    people = list(
        Person.objects.filter(pk__in=person_ids)
        .select_related("org_unit")
        .prefetch_related("skills")
    )
    today = timezone.localdate()

    def recency(last_used):
        if last_used is None or (today - last_used).days / 365.25 <= 2:
            return 1.0
        return max(0.5, 1 - 0.1 * ((today - last_used).days / 365.25 - 2))

    held = {
        p.pk: {s.skill_id: s.level * recency(s.last_used) for s in p.skills.all()} for p in people
    }
    stands_in = {}  # required skill -> [(held skill, strength)]
    for relation in SkillRelation.objects.all():
        default = 0.8 if relation.kind == RelationKind.NARROWER else 0.5
        strength = default if relation.strength is None else relation.strength
        stands_in.setdefault(relation.from_skill_id, []).append((relation.to_skill_id, strength))

    def effective(levels, skill_id):
        via = [strength * levels.get(t, 0) for t, strength in stands_in.get(skill_id, [])]
        return max([levels.get(skill_id, 0), *via])

    result = {}
    for role in RoleProfile.objects.prefetch_related("requirements"):
        reqs = list(role.requirements.all())
        total = sum(r.weight for r in reqs)
        qualify = near = 0
        where = Counter()
        for person in people:
            levels = {r.skill_id: effective(held[person.pk], r.skill_id) for r in reqs}
            score = sum(r.weight * min(1, levels[r.skill_id] / r.level) for r in reqs)
            score /= total
            gain = max(
                r.weight
                * (
                    min(1, min(levels[r.skill_id] + 1, 4) / r.level)
                    - min(1, levels[r.skill_id] / r.level)
                )
                / total
                for r in reqs
            )
            if score >= threshold - EPS:
                qualify += 1
                where[person.org_unit.path.split("/")[0]] += 1
            elif score + gain >= threshold - EPS:
                near += 1
        result[role.code] = (qualify, near, dict(where))
    return result


def actual(report):
    return {r.code: (r.qualify, r.one_level_away, dict(r.units)) for r in report.rows}


@pytest.mark.parametrize("threshold", [0.8, 0.6, 1.0])
def test_hr_counts_equal_the_match_rules(org, threshold):
    report = supply.supply_and_demand(user=org["hr_user"], threshold=threshold)
    everyone = set(Person.objects.values_list("pk", flat=True))
    assert report.people == len(everyone)
    assert actual(report) == expected(everyone, threshold)
    assert any(r.qualify for r in report.rows) or threshold == 1.0


def test_line_manager_counts_only_their_team(org):
    team = team_of(org["mgr"])
    assert len(team) >= 5
    report = supply.supply_and_demand(user=org["mgr_user"], threshold=0.6)
    assert report.scope == "team" and report.people == len(team)
    assert actual(report) == expected(team, 0.6)


def test_planner_page_and_csv_export(org, client):
    client.force_login(org["planner"])
    response = client.get(reverse("reports:supply_demand"), {"threshold": "60"})
    assert response.status_code == 200
    assert "One level of training away" in response.content.decode()
    export = client.post(
        reverse("reports:supply_demand_export", kwargs={"fmt": "csv"}) + "?threshold=60"
    )
    assert re.fullmatch(
        r'attachment; filename="supply-demand-\d{4}-\d{2}-\d{2}\.csv"',
        export["Content-Disposition"],
    )
    body = b"".join(export.streaming_content).decode().removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    want = expected(set(Person.objects.values_list("pk", flat=True)), 0.6)
    for row in rows[1:]:
        assert (int(row[3]), int(row[4])) == want[row[0]][:2]
        assert not row[5].startswith(("=", "+", "-", "@"))  # "'-Dept B: 3" when it leads
    event = AccessEvent.objects.get(action=Action.EXPORT)
    assert event.object_id == "supply-demand" and event.parameters["threshold"] == 0.6


def test_api_json_and_xlsx(org, client):
    client.force_login(org["hr_user"])
    body = client.get("/api/v1/reports/supply-demand", {"threshold": 80}).json()
    want = expected(set(Person.objects.values_list("pk", flat=True)), 0.8)
    got = {
        r["role"]: (
            r["qualify_now"],
            r["one_level_of_training_away"],
            {u["department"]: u["qualify"] for u in r["where"]},
        )
        for r in body["roles"]
    }
    assert got == want
    response = client.get("/api/v1/reports/supply-demand", {"format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert client.get("/api/v1/reports/supply-demand?threshold=101").status_code == 422


def test_a_line_manager_cannot_name_a_scenario(org, client):
    client.force_login(org["mgr_user"])
    assert client.get(reverse("reports:supply_demand"), {"scenario": "1"}).status_code == 404
    assert client.get("/api/v1/reports/supply-demand?scenario=1").status_code == 404


@pytest.mark.parametrize("role", [Role.STAFF, Role.STEWARD])
def test_other_roles_are_refused(org, client_for, role):
    client = client_for(role)
    assert client.get(reverse("reports:supply_demand")).status_code == 403
    assert client.get("/api/v1/reports/supply-demand").status_code == 403
    url = reverse("reports:supply_demand_export", kwargs={"fmt": "csv"})
    assert client.get(url).status_code == 403


def test_planners_cannot_open_the_hr_reports(org, client):
    client.force_login(org["planner"])
    assert client.get(reverse("reports:index")).status_code == 200
    assert client.get(reverse("reports:data_quality")).status_code == 403
    assert client.get(reverse("reports:capability")).status_code == 403


def test_a_scenario_limits_the_roles_and_adds_the_demand(org, client):
    from skills_app.roles.models import RoleProfile
    from skills_app.surge.services import LineSpec, scenario_create

    role = RoleProfile.objects.order_by("pk").first()
    scenario = scenario_create(
        actor=None,
        name="Flood response",
        lines=[LineSpec(role_id=role.pk, headcount=3), LineSpec(role_id=role.pk, headcount=2)],
    )
    client.force_login(org["planner"])
    body = client.get("/api/v1/reports/supply-demand", {"scenario": scenario.pk}).json()
    assert [(r["role"], r["demand_headcount"]) for r in body["roles"]] == [(role.code, 5)]
    response = client.get(reverse("reports:supply_demand"), {"scenario": str(scenario.pk)})
    assert response.status_code == 200 and "Flood response" in response.content.decode()
