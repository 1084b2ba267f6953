"""A search costs the same number of queries however many requirements it has and
however many people it shows (issue 17): the request's skills are read in one
query, the page of results is hydrated in one query per table, and the audit rows
(what was asked, and one per person shown) are written in one INSERT."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

NAMES = (
    "Python",
    "Structured query language",
    "Statistics",
    "Data modelling",
    "Cartography",
    "Welding",
    "Bookkeeping",
    "Negotiation",
    "Carpentry",
    "Forecasting",
)


@pytest.fixture
def skills():
    made = [SkillFactory(name=name, uri=f"urn:test:count:{i}") for i, name in enumerate(NAMES)]
    for p in range(12):
        person = PersonFactory(staff_number=f"Q{p:03d}")
        for skill in made:
            PersonSkillFactory(person=person, skill=skill, level=3)
    return made


def inserts_into_audit(queries) -> list[str]:
    table = AccessEvent._meta.db_table
    return [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith("INSERT") and table in q["sql"]
    ]


def ref(skill, how: str):
    return {"id": skill.pk, "uri": skill.uri, "name": skill.name}[how]


@pytest.mark.parametrize("how", ["id", "uri", "name"])
def test_match_queries_do_not_grow_with_requirements_or_results(client_for, skills, how):
    client = client_for(Role.PLANNER)

    def match(n: int):
        body = {
            "requirements": [{"skill": ref(s, how), "level": 2} for s in skills[:n]],
            "threshold": 0,
            "limit": n,
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/match", body, content_type="application/json")
        assert response.status_code == 200, response.json()
        assert len(response.json()["results"]) == n
        return queries.captured_queries

    match(1)  # warm: the index, the label index, the session
    few, many = match(2), match(10)
    assert len(many) == len(few), [q["sql"][:90] for q in many]
    # One INSERT writes the search's row and one per person shown.
    assert len(inserts_into_audit(many)) == 1
    written = AccessEvent.objects.filter(action=Action.SEARCH)
    assert written.filter(subject__isnull=True).count() == 3
    assert written.filter(subject__isnull=False).count() == 1 + 2 + 10


def test_unit_filters_are_read_in_one_query(client_for, skills):
    from tests.factories import OrgUnitFactory

    client = client_for(Role.PLANNER)
    units = [OrgUnitFactory(name=f"Unit {i}") for i in range(6)]

    def match(refs):
        body = {
            "requirements": [{"skill": skills[0].pk, "level": 2}],
            "filters": {"org_units": refs, "redeployable_only": False},
        }
        with CaptureQueriesContext(connection) as queries:
            response = client.post("/api/v1/match", body, content_type="application/json")
        assert response.status_code == 200, response.json()
        return queries.captured_queries

    match([units[0].pk])
    one = match([units[0].pk])
    six = match([u.pk for u in units[:3]] + [u.path for u in units[3:]])
    assert len(six) == len(one)


def test_search_page_queries_do_not_grow_with_requirements_or_results(client_for, skills):
    client = client_for(Role.PLANNER)

    def page(n: int):
        role = RoleProfileFactory(code=f"COUNT-{n}", filters={"redeployable_only": False})
        for skill in skills[:n]:
            RoleRequirementFactory(role=role, skill=skill, level=2)
        url = reverse("roles:search", args=[role.code])
        client.get(url)  # warm (the change feed has the new role to apply)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url + "?filtered=1&threshold=0&prior=no&redeployable=no")
        assert response.status_code == 200
        return queries.captured_queries, response.content.decode()

    (few, few_page), (many, many_page) = page(2), page(10)
    assert "Q011" in few_page and "Q011" in many_page  # both list all 12 people
    assert len(many) == len(few), [q["sql"][:90] for q in many]
    assert len(inserts_into_audit(many)) == 1


def test_ids_no_database_holds_are_422s_not_500s(client_for, skills):
    client = client_for(Role.PLANNER)
    for body, where in (
        ({"requirements": [{"skill": 2**70, "level": 2}]}, ["body", "requirements", 0, "skill"]),
        (
            {
                "requirements": [{"skill": skills[0].pk, "level": 2}],
                "filters": {"org_units": [-(2**70)]},
            },
            ["body", "filters", "org_units", 0],
        ),
    ):
        response = client.post("/api/v1/match", body, content_type="application/json")
        assert response.status_code == 422, response.content
        assert [e["loc"] for e in response.json()["errors"]] == [where]
