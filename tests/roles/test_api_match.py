"""POST /api/v1/match and POST /api/v1/roles: every rule of DESIGN.md section 4,
hand-computed, through the API (the same numbers on SQLite and PostgreSQL)."""

import datetime as dt

import pytest
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import RoleHistory
from skills_app.roles.models import RoleProfile
from taxonomy.models import SkillRelation
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 21)
ALL = {"threshold": 0, "include_prior_role": True, "as_of": AS_OF.isoformat(), "limit": 100}


def ago(years: float) -> dt.date:
    return AS_OF - dt.timedelta(days=round(years * 365.25))


@pytest.fixture
def api(client_for):
    client = client_for(Role.PLANNER)

    def post(body, path="/api/v1/match"):
        return client.post(path, body, content_type="application/json")

    return post


@pytest.fixture
def skills():
    names = ("Python", "SQL", "Programming", "Statistics", "Data modelling")
    return {name: SkillFactory(name=name, uri=f"urn:test:{i}") for i, name in enumerate(names)}


def person(staff_number, held, **attributes):
    attributes.setdefault("profile_reviewed_at", timezone.now() - dt.timedelta(days=30))
    p = PersonFactory(staff_number=staff_number, **attributes)
    for skill, value in held.items():
        level, last_used, evidence = value if isinstance(value, tuple) else (value, None, "self")
        PersonSkillFactory(
            person=p, skill=skill, level=level, last_used=last_used, evidence=evidence
        )
    return p


def results(response):
    assert response.status_code == 200, response.json()
    return {r["staff_number"]: r for r in response.json()["results"]}


def req(skill, level, weight=1, essential=False):
    return {"skill": skill.pk, "level": level, "weight": weight, "essential": essential}


def test_rule_1_recency(api, skills):
    py = skills["Python"]
    person("R0", {py: (4, None, "self")})  # in current use
    person("R2", {py: (4, ago(2), "self")})  # two years: full credit
    person("R3", {py: (4, ago(3), "self")})  # 1 - 0.1 x 1 = 0.9
    person("R10", {py: (4, ago(10), "self")})  # floored at 0.5
    out = results(api({"requirements": [req(py, 4)], **ALL}))
    assert out["R0"]["score"] == pytest.approx(1.0)
    assert out["R2"]["score"] == pytest.approx(1.0)
    assert out["R3"]["requirements"][0]["recency"] == pytest.approx(0.9, abs=1e-3)
    assert out["R3"]["score"] == pytest.approx(0.9, abs=1e-3)
    assert out["R10"]["requirements"][0]["recency"] == 0.5
    assert out["R10"]["score"] == pytest.approx(0.5)


def test_rule_2_effective_level_through_relations(api, skills):
    py, prog, stats, model = (
        skills[n] for n in ("Python", "Programming", "Statistics", "Data modelling")
    )
    SkillRelation.objects.create(from_skill=prog, to_skill=py, kind="narrower")  # 0.8
    SkillRelation.objects.create(from_skill=prog, to_skill=stats, kind="related")  # 0.5
    SkillRelation.objects.create(from_skill=prog, to_skill=model, kind="related", strength=0.9)
    person("N1", {py: 4})  # 0.8 x 4 = 3.2
    person("N2", {stats: 4})  # 0.5 x 4 = 2.0
    person("N3", {model: 4, py: 3})  # max(0.9 x 4, 0.8 x 3) = 3.6 via Data modelling
    person("N4", {prog: 2, py: 4})  # max(2, 3.2) = 3.2 via Python
    out = results(api({"requirements": [req(prog, 4)], **ALL}))
    assert out["N1"]["score"] == pytest.approx(0.8)
    assert out["N1"]["requirements"][0]["via_skill"]["name"] == "Python"
    assert out["N2"]["score"] == pytest.approx(0.5)
    assert out["N3"]["score"] == pytest.approx(0.9)
    assert out["N3"]["requirements"][0]["via_skill"]["name"] == "Data modelling"
    assert out["N4"]["requirements"][0]["effective_level"] == pytest.approx(3.2)
    assert out["N4"]["requirements"][0]["level"] == 4


def test_rules_3_4_credit_and_weighted_score(api, skills):
    py, sql = skills["Python"], skills["SQL"]
    person("W1", {py: 4, sql: 1})  # credits min(1, 4/2)=1 and 1/4; (3 x 1 + 1 x 0.25) / 4
    out = results(api({"requirements": [req(py, 2, weight=3), req(sql, 4)], **ALL}))
    assert out["W1"]["requirements"][0]["credit"] == 1.0
    assert out["W1"]["requirements"][1]["credit"] == 0.25
    assert out["W1"]["score"] == pytest.approx(3.25 / 4)


def test_rule_5_essentials_and_rule_11_gap(api, skills):
    py, sql = skills["Python"], skills["SQL"]
    person("E1", {py: 3, sql: 4})
    person("E2", {py: 4, sql: (2, ago(4), "self")})  # SQL 2 x 0.8 = 1.6 -> gap 3
    body = {"requirements": [req(py, 4, essential=True), req(sql, 4)], **ALL}
    out = results(api(body))
    assert out["E1"]["meets_essentials"] is False
    assert out["E1"]["requirements"][0]["gap"] == 1
    assert out["E2"]["meets_essentials"] is True
    sql_out = out["E2"]["requirements"][1]
    assert sql_out["effective_level"] == pytest.approx(1.6, abs=1e-3)
    assert sql_out["gap"] == 3


def test_rules_6_7_prior_role(api, skills):
    py, sql = skills["Python"], skills["SQL"]
    role = RoleRequirementFactory(skill=py, level=4).role
    RoleRequirementFactory(role=role, skill=sql, level=4)
    recent = person("P1", {py: 2})
    old = person("P2", {py: 2})
    RoleHistory.objects.create(
        person=recent, title="Analyst", role_profile=role, start=ago(6), end=ago(2)
    )
    RoleHistory.objects.create(
        person=old, title="Analyst", role_profile=role, start=ago(8), end=ago(4)
    )
    junior = RoleRequirementFactory(skill=py, level=3).role
    RoleRequirementFactory(role=junior, skill=sql, level=3)
    now_junior = person("P3", {py: 2})
    RoleHistory.objects.create(
        person=now_junior, title="Associate analyst", role_profile=junior, start=ago(1)
    )
    at_threshold = person("P4", {py: 4, sql: 3})
    RoleHistory.objects.create(
        person=at_threshold, title="Analyst", role_profile=role, start=ago(1)
    )
    body = {"requirements": [req(py, 4), req(sql, 4)], **ALL, "threshold": 0.8}
    response = api(body)
    out = results(response)
    # P1 qualifies through the prior role although S = 0.25 < 0.8; P2's role ended too
    # long ago; P3's current role is a junior version (coverage 0.75 < 0.8); P4 holds
    # the role now but is in by score (S = 0.875).
    assert set(out) == {"P1", "P4"}
    assert out["P1"]["score"] == pytest.approx(0.25)
    assert out["P1"]["qualifies_by"] == "prior_role"
    assert out["P1"]["prior_role"] == {
        "title": "Analyst",
        "start": ago(6).isoformat(),
        "end": ago(2).isoformat(),
        "current": False,
        "coverage": 1.0,
    }
    assert out["P1"]["rank_score"] == pytest.approx(0.35)
    assert out["P4"]["qualifies_by"] == "score"
    assert out["P4"]["prior_role"]["current"] is True
    assert out["P4"]["prior_role"]["end"] is None
    data = response.json()
    assert (data["total"], data["total_by_score"], data["total_by_prior_role"]) == (2, 1, 1)
    only_prior = api({**body, "qualifies_by": "prior_role"}).json()
    assert [r["staff_number"] for r in only_prior["results"]] == ["P1"]
    assert only_prior["total"] == 2
    assert set(results(api({**body, "include_prior_role": False}))) == {"P4"}


def test_rule_8_order_rank_score_then_score_then_staff_number(api, skills):
    py, sql = skills["Python"], skills["SQL"]
    role = RoleRequirementFactory(skill=py, level=4).role
    RoleRequirementFactory(role=role, skill=sql, level=4)
    lifted = person("O9", {py: 4, sql: 2})  # S 0.75, rank 0.85
    RoleHistory.objects.create(person=lifted, title="Analyst", role_profile=role, start=ago(1))
    person("O1", {py: 4, sql: 3})  # 0.875
    person("O3", {py: 4, sql: 3})  # tie with O1: staff number decides
    person("O2", {py: 4, sql: 4})  # 1.0
    response = api({"requirements": [req(py, 4), req(sql, 4)], **ALL})
    assert [r["staff_number"] for r in response.json()["results"]] == ["O2", "O1", "O3", "O9"]


def test_rule_9_hard_filters(api, skills):
    py = skills["Python"]
    root = OrgUnitFactory(name="Dept")
    team = OrgUnitFactory(name="Data", parent=root)
    other = OrgUnitFactory(name="Ops", parent=root)
    person("F1", {py: 4}, org_unit=team, grade="SEO", location="Leeds", clearance=3)
    person("F2", {py: 4}, org_unit=other, grade="HEO", location="York", weekly_hours=20)
    person("F3", {py: 4}, org_unit=team, protected=True)
    person("F4", {py: 4}, org_unit=team, available_from=dt.date(2027, 6, 1))
    base = {"requirements": [req(py, 4)], **ALL}

    def staff(filters):
        return set(results(api({**base, "filters": filters})))

    assert staff({}) == {"F1", "F2", "F4"}  # redeployable only by default
    assert staff({"redeployable_only": False}) == {"F1", "F2", "F3", "F4"}
    assert staff({"grades": ["SEO"]}) == {"F1"}
    assert staff({"org_units": ["Dept/Data"]}) == {"F1", "F4"}
    assert staff({"org_units": [root.pk], "exclude_org_units": [team.pk]}) == {"F2"}
    assert staff({"locations": ["York"]}) == {"F2"}
    assert staff({"min_clearance": "SC"}) == {"F1"}
    assert staff({"min_weekly_hours": 30}) == {"F1", "F4"}
    assert staff({"available_on": "2027-01-01"}) == {"F1", "F2"}


def test_rule_10_confidence_grades(api, skills):
    py, sql = skills["Python"], skills["SQL"]
    person("C1", {py: (4, None, "certified"), sql: (4, None, "assessed")})  # 1.0 -> A
    person("C2", {py: (4, None, "manager_verified"), sql: (4, None, "certified")})  # .95 A
    person("C3", {py: (4, None, "manager_verified"), sql: (4, None, "self")})  # 0.75 -> B
    person("C4", {py: (4, None, "self"), sql: (4, None, "self")})  # 0.6 -> C
    person("C5", {py: (4, None, "certified")}, profile_reviewed_at=None)  # 1 x .8 -> B
    person("C6", {py: (4, None, "self")}, profile_reviewed_at=None)  # .6 x .8 -> D
    out = results(api({"requirements": [req(py, 4), req(sql, 4)], **ALL}))
    grades = {staff: out[staff]["confidence"] for staff in out}
    assert grades == {"C1": "A", "C2": "A", "C3": "B", "C4": "C", "C5": "B", "C6": "D"}


def test_saved_role_with_its_filters_and_pagination(api, skills):
    py = skills["Python"]
    role = RoleRequirementFactory(skill=py, level=4).role
    role.filters = {"locations": ["Leeds"]}
    role.save()
    for i in range(5):
        person(f"L{i}", {py: 4 - (i % 2)}, location="Leeds")
    person("Y1", {py: 4}, location="York")
    first = api({"role": role.code, **ALL, "limit": 2}).json()
    second = api({"role": role.code, **ALL, "limit": 2, "offset": 2}).json()
    assert first["total"] == 5 and len(first["results"]) == 2
    assert [r["staff_number"] for r in first["results"] + second["results"]] == [
        "L0",
        "L2",
        "L4",
        "L1",
    ]
    assert first["took_ms"] >= 0
    # Filters in the body replace the role's own.
    body = {"role": role.code, **ALL, "filters": {"locations": ["York"]}}
    assert set(results(api(body))) == {"Y1"}


def test_skills_by_name_and_level_names(api, skills):
    person("K1", {skills["Statistics"]: 3})
    body = {"requirements": [{"skill": "statistics", "level": "expert"}], **ALL}
    out = results(api(body))
    assert out["K1"]["score"] == pytest.approx(0.75)
    assert out["K1"]["requirements"][0]["skill"]["name"] == "Statistics"


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({}, ["body"]),
        ({"role": "x", "requirements": []}, ["body"]),
        ({"requirements": []}, ["body", "requirements"]),
        ({"requirements": [{"skill": 999999, "level": 3}]}, ["body", "requirements", "0", "skill"]),
        (
            {"requirements": [{"skill": "Python", "level": 7}]},
            ["body", "requirements", "0", "level"],
        ),
        (
            {"requirements": [{"skill": "Python", "level": 2, "weight": 0}]},
            ["body", "requirements", "0", "weight"],
        ),
        ({"requirements": [{"skill": "Python", "level": 2}], "threshold": 80}, None),
        ({"requirements": [{"skill": "Python", "level": 2}], "limit": 0}, None),
        (
            {"requirements": [{"skill": "Python", "level": 2}], "filters": {"grades": ["X9"]}},
            ["body", "filters", "grades", "0"],
        ),
        (
            {
                "requirements": [{"skill": "Python", "level": 2}],
                "filters": {"org_units": ["No/Such"]},
            },
            ["body", "filters", "org_units", "0"],
        ),
    ],
)
def test_bad_requests_are_json_422s(api, skills, body, where):
    response = api(body)
    assert response.status_code == 422
    data = response.json()
    assert data["detail"] and data["errors"]
    if where is not None:
        assert [str(p) for p in data["errors"][0]["loc"]] == where


def test_unknown_role_is_404(api):
    response = api({"role": "no-such-role"})
    assert response.status_code == 404
    assert "no-such-role" in response.json()["detail"]


def test_match_is_audited(api, skills):
    person("A1", {skills["Python"]: 4})
    api({"requirements": [req(skills["Python"], 4)], **ALL})
    summary = AccessEvent.objects.get(action=Action.SEARCH, subject__isnull=True)
    assert summary.parameters["total"] == 1
    assert AccessEvent.objects.filter(action=Action.SEARCH, subject__staff_number="A1").exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD])
def test_match_refuses_roles_without_search(client_for, skills, role):
    client = client_for(role)
    body = {"requirements": [req(skills["Python"], 4)]}
    response = client.post("/api/v1/match", body, content_type="application/json")
    assert response.status_code == 403


def test_hr_may_search(client_for, skills):
    client = client_for(Role.HR)
    body = {"requirements": [req(skills["Python"], 4)]}
    assert client.post("/api/v1/match", body, content_type="application/json").status_code == 200


def test_create_role_then_match_it(api, skills):
    body = {
        "title": "Data engineer",
        "requirements": [
            {"skill": "urn:test:0", "level": "Practitioner", "weight": 2, "essential": True},
            {"skill": "SQL", "level": 2},
        ],
        "filters": {"grades": ["HEO", "SEO"], "min_clearance": "BPSS"},
    }
    response = api(body, path="/api/v1/roles")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["code"] == "data-engineer"
    assert created["source"] == "local"
    assert created["filters"]["grades"] == ["HEO", "SEO"]
    assert {r["skill"]["name"]: r["level"] for r in created["requirements"]} == {
        "Python": 3,
        "SQL": 2,
    }
    person("D1", {skills["Python"]: 3, skills["SQL"]: 1}, grade="HEO")
    person("D2", {skills["Python"]: 3, skills["SQL"]: 2}, grade="G7")
    out = results(api({"role": "data-engineer", **ALL}))
    assert set(out) == {"D1"}  # the role's stored grade filter applies
    assert out["D1"]["score"] == pytest.approx((2 * 1 + 0.5) / 3)


def test_create_role_errors(api, skills):
    RoleProfile.objects.create(code="taken", title="Taken")
    clash = api(
        {"title": "X", "code": "taken", "requirements": [{"skill": "SQL", "level": 2}]},
        path="/api/v1/roles",
    )
    assert clash.status_code == 409
    dup = api(
        {
            "title": "X",
            "requirements": [{"skill": "SQL", "level": 2}, {"skill": "sql", "level": 3}],
        },
        path="/api/v1/roles",
    )
    assert dup.status_code == 422
    assert "once" in dup.json()["errors"][0]["message"]
    bad_code = api(
        {"title": "X", "code": "Bad Code", "requirements": [{"skill": "SQL", "level": 2}]},
        path="/api/v1/roles",
    )
    assert bad_code.status_code == 422
    assert RoleProfile.objects.count() == 1


@pytest.mark.parametrize("role", [Role.STAFF, Role.HR, Role.STEWARD, Role.LINE_MANAGER])
def test_create_role_refuses_roles_without_role_edit(client_for, skills, role):
    body = {"title": "X", "requirements": [{"skill": "SQL", "level": 2}]}
    response = client_for(role).post("/api/v1/roles", body, content_type="application/json")
    assert response.status_code == 403
    assert not RoleProfile.objects.exists()


def test_a_role_titled_new_gets_a_code_that_does_not_clash_with_the_builder(api, skills):
    response = api(
        {"title": "New", "requirements": [{"skill": "SQL", "level": 2}]}, path="/api/v1/roles"
    )
    assert response.status_code == 201
    assert response.json()["code"] == "new-role"  # as the builder names it (one generator)
    for code in ("new", "NEW"):
        reserved = api(
            {"title": "X", "code": code, "requirements": [{"skill": "SQL", "level": 2}]},
            path="/api/v1/roles",
        )
        assert reserved.status_code == 422
        assert reserved.json()["errors"][0]["loc"] == ["body", "code"]


def unknown_fields(response) -> dict[tuple, str]:
    """{loc below the body: message} of each unknown-field error in a 422."""
    assert response.status_code == 422, response.json()
    return {
        tuple(str(p) for p in e["loc"][2:]): e["message"]
        for e in response.json()["errors"]
        if e["type"] == "extra_forbidden"
    }


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ({"limt": 10}, ("limt",)),
        ({"filters": {"grade": ["HEO"]}}, ("filters", "grade")),
        (
            {"requirements": [{"skill": "SQL", "level": 2, "wieght": 2}], "role": None},
            ("requirements", "0", "wieght"),
        ),
    ],
)
def test_match_refuses_unknown_fields_and_audits_nothing(api, skills, extra, where):
    role = RoleRequirementFactory(skill=skills["SQL"], level=2).role
    person("U1", {skills["SQL"]: 2})
    before = AccessEvent.objects.count()
    response = api({"role": role.code, **ALL, **extra})
    assert unknown_fields(response) == {where: f"Unknown field: {where[-1]}"}
    assert AccessEvent.objects.count() == before  # the search never ran


def test_match_finds_the_role_by_its_code_in_any_case(api, skills):
    RoleRequirementFactory(skill=skills["SQL"], level=2, role__code="ORACLE-1234")
    person("C1", {skills["SQL"]: 2})
    person("C2", {skills["Python"]: 2})
    for asked in ("ORACLE-1234", "oracle-1234", "Oracle-1234"):
        out = results(api({"role": asked, **ALL, "threshold": 0.5}))
        assert set(out) == {"C1"}, asked


def test_drafts_count_only_when_the_search_includes_them(api, skills):
    person("S1", {skills["Python"]: (4, None, "inferred")})
    body = {**ALL, "requirements": [{"skill": skills["Python"].uri, "level": 4}]}
    assert results(api(body))["S1"]["score"] == 0
    included = results(api({**body, "include_drafts": True}))["S1"]
    assert included["score"] == 1
    assert included["requirements"][0]["evidence"] == "inferred"
    assert included["confidence"] == "D"  # a draft is evidence 0.4
    search = AccessEvent.objects.filter(action=Action.SEARCH, object_type="role").latest("id")
    assert search.parameters["include_drafts"] is True


def test_the_unvalidated_hot_path_still_answers_exactly_its_schema(api, skills):
    """POST /match builds its JSON without ninja's validation (issue 17): the
    answer must still be exactly MatchOut, nothing missing and nothing extra."""
    from skills_app.roles.api_match import MatchOut

    person("S1", {skills["Python"]: (4, None, "certified"), skills["SQL"]: (2, ago(4), "self")})
    holder = person("S2", {skills["SQL"]: 1})
    role = RoleRequirementFactory(skill=skills["Python"], level=4).role
    RoleRequirementFactory(role=role, skill=skills["SQL"], level=3)
    RoleRequirementFactory(role=role, skill=skills["Programming"], level=2)
    RoleHistory.objects.create(
        person=holder, title="Analyst", role_profile=role, start=ago(5), end=ago(1)
    )
    body = {
        **ALL,
        "requirements": [
            {"skill": skills["Python"].uri, "level": 4, "essential": True},
            {"skill": skills["SQL"].uri, "level": 3, "weight": 0.5},
            {"skill": skills["Programming"].uri, "level": 2},
        ],
    }
    answer = api(body).json()
    assert any(r["prior_role"] for r in answer["results"])
    assert MatchOut.model_validate(answer).model_dump(mode="json") == answer
