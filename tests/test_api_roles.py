import pytest

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from tests.factories import RoleProfileFactory, RoleRequirementFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(make_user):
    _, raw = api_token_create(user=make_user(Role.STAFF))
    return raw


def bearer(raw):
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_list_roles_is_paginated_with_limit_and_offset(client, token):
    for i in range(7):
        RoleProfileFactory(code=f"r{i}", title=f"Role {i}")
    first = client.get("/api/v1/roles?limit=3&offset=0", **bearer(token)).json()
    second = client.get("/api/v1/roles?limit=3&offset=3", **bearer(token)).json()
    assert first["count"] == 7
    assert len(first["items"]) == 3 and len(second["items"]) == 3
    assert not {r["code"] for r in first["items"]} & {r["code"] for r in second["items"]}


def test_role_detail_lists_requirements_with_levels(client, token):
    role = RoleProfileFactory(code="data-analyst", title="Data analyst")
    python = SkillFactory(name="Python", uri="urn:muster:test:python")
    RoleRequirementFactory(role=role, skill=python, level=3, weight=2, essential=True)
    RoleRequirementFactory(role=role, level=1)
    body = client.get("/api/v1/roles/data-analyst", **bearer(token)).json()
    assert body["title"] == "Data analyst"
    assert body["requirement_count"] == 2
    python_req = next(r for r in body["requirements"] if r["skill"]["name"] == "Python")
    assert python_req == {
        "skill": {"id": python.id, "name": "Python", "uri": "urn:muster:test:python"},
        "level": 3,
        "level_name": "Practitioner",
        "weight": 2.0,
        "essential": True,
    }


def test_unknown_role_is_a_json_404(client, token):
    response = client.get("/api/v1/roles/no-such-role", **bearer(token))
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.parametrize("query", ["limit=-1", "limit=abc", "offset=-5", "limit=100000"])
def test_bad_pagination_is_a_json_4xx_not_a_500(client, token, query):
    response = client.get(f"/api/v1/roles?{query}", **bearer(token))
    assert 400 <= response.status_code < 500
    body = response.json()
    assert body["detail"] and body["errors"]


def test_session_callers_are_accepted(client_for):
    RoleProfileFactory()
    assert client_for(Role.STAFF).get("/api/v1/roles").status_code == 200


def test_openapi_schema_is_served_to_token_holders(client, token):
    schema = client.get("/api/v1/openapi.json", **bearer(token)).json()
    assert "/api/v1/roles" in schema["paths"]
    assert "/api/v1/roles/{code}" in schema["paths"]


def test_api_responses_are_not_cached(client, token):
    response = client.get("/api/v1/roles", **bearer(token))
    assert response["Cache-Control"] == "no-store"
