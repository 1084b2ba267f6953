import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.imports.service import import_file
from skills_app.roles.models import RoleProfile
from skills_app.roles.services import code_problem, new_code
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


def test_create_role_refuses_unknown_fields_naming_each_and_writes_nothing(client_for):
    SkillFactory(name="SQL")
    before = RoleProfile.objects.count()
    response = client_for(Role.PLANNER).post(
        "/api/v1/roles",
        {
            "title": "Data engineer",
            "colour": "red",
            "requirements": [{"skill": "SQL", "level": 2, "mandatory": True}],
            "filters": {"grade": ["HEO"]},
        },
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid."
    unknown = {tuple(e["loc"][2:]): e["message"] for e in body["errors"]}
    assert unknown == {
        ("colour",): "Unknown field: colour",
        ("requirements", "0", "mandatory"): "Unknown field: mandatory",
        ("filters", "grade"): "Unknown field: grade",
    }
    assert {e["type"] for e in body["errors"]} == {"extra_forbidden"}
    assert RoleProfile.objects.count() == before


def _schemas_reached(schema: dict, components: dict, seen: set) -> None:
    """Every component a schema refers to, directly or through arrays and unions."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _schemas_reached(components[name], components, seen)
        for value in schema.values():
            _schemas_reached(value, components, seen)
    elif isinstance(schema, list):
        for value in schema:
            _schemas_reached(value, components, seen)


def test_every_request_body_refuses_unknown_fields_in_the_openapi_schema(client, token):
    """A body schema (or one nested in it) that is not a StrictSchema would
    silently drop unknown fields; the published schema says which ones do."""
    response = client.get("/api/v1/openapi.json", **bearer(token))
    assert response.status_code == 200
    spec = response.json()
    components = spec["components"]["schemas"]
    bodies = {
        f"{method.upper()} {path}": op["requestBody"]["content"]
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    }
    json_bodies = {k: v["application/json"] for k, v in bodies.items() if "application/json" in v}
    assert set(json_bodies) >= {
        "POST /api/v1/roles",
        "POST /api/v1/match",
        "POST /api/v1/surges",
        "POST /api/v1/surges/{surge_id}/approve",
        "PUT /api/v1/people/{staff_number}/skills",
    }
    reached: set[str] = set()
    _schemas_reached(list(json_bodies.values()), components, reached)
    assert {"SurgeIn", "LineIn", "FiltersIn", "RequirementIn", "SkillItemIn"} <= reached
    loose = [n for n in reached if components[n].get("additionalProperties") is not False]
    assert not loose, f"request body schemas that accept unknown fields: {loose}"


# --- role codes: shown as created, found in any case, one code whatever the case ----------


def test_an_imported_code_is_shown_as_created_and_found_in_any_case(client, token, client_for):
    SkillFactory(name="Oracle databases")
    job = import_file(
        kind="role-profiles",
        filename="roles.csv",
        content=b"role_code,title,skill,level\nORACLE-1234,Oracle DBA,Oracle databases,3\n",
    )
    assert job.result["ok"], job.result
    assert RoleProfile.objects.get().code == "ORACLE-1234"
    for asked in ("ORACLE-1234", "oracle-1234", "Oracle-1234"):
        response = client.get(f"/api/v1/roles/{asked}", **bearer(token))
        assert response.status_code == 200, asked
        assert response.json()["code"] == "ORACLE-1234"
    listed = client.get("/api/v1/roles", **bearer(token)).json()["items"]
    assert [r["code"] for r in listed] == ["ORACLE-1234"]
    page = client_for(Role.STAFF).get(reverse("roles:detail", args=["oracle-1234"]))
    assert page.status_code == 200 and "Oracle DBA" in page.content.decode()


def test_a_role_is_created_with_its_code_as_given_and_a_case_variant_is_409(client_for):
    SkillFactory(name="SQL")
    client = client_for(Role.PLANNER)

    def create(code):
        body = {
            "title": "Data engineer",
            "code": code,
            "requirements": [{"skill": "SQL", "level": 2}],
        }
        return client.post("/api/v1/roles", body, content_type="application/json")

    created = create("Data-Engineer")
    assert created.status_code == 201, created.json()
    assert created.json()["code"] == "Data-Engineer"
    for variant in ("data-engineer", "DATA-ENGINEER", "Data-Engineer"):
        clash = create(variant)
        assert clash.status_code == 409, variant
        assert clash.json()["errors"][0]["loc"] == ["body", "code"]
    assert list(RoleProfile.objects.values_list("code", flat=True)) == ["Data-Engineer"]


def test_the_database_refuses_codes_that_differ_only_in_case():
    RoleProfileFactory(code="data-engineer")
    clash = RoleProfile(code="Data-Engineer", title="Data engineer")
    # Model validation (the admin's forms) names the problem ...
    with pytest.raises(ValidationError, match="in any case"):
        clash.full_clean()
    # ... and the unique index refuses whatever writes around it.
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save()
    assert RoleProfile.objects.count() == 1


def test_new_codes_are_made_in_one_place_and_never_clash_in_another_case():
    RoleProfileFactory(code="Data-Engineer")
    assert new_code("Data engineer") == "data-engineer-2"
    assert new_code("New") == "new-role"
    assert code_problem("ORACLE-1234") == ""
    assert code_problem("NEW") and code_problem("bad code!") and code_problem("x" * 121)
