"""Issue 13 item 4: bad input is a 4xx, never a 500, and writes nothing; an
anonymous unsafe request is a 401, not a CSRF complaint."""

import json

import pytest
from django.test import Client

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.people.models import PersonSkill
from skills_app.roles.models import RoleProfile
from skills_app.surge.models import SurgeScenario
from tests.factories import PersonFactory, PersonSkillFactory, RoleProfileFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bearer(make_user):
    def for_role(role: Role) -> dict:
        _, raw = api_token_create(user=make_user(role))
        return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}

    return for_role


def assert_error_shape(response, status: int) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert isinstance(body["detail"], str) and isinstance(body["errors"], list)
    return body


# --- Control characters --------------------------------------------------------


@pytest.mark.parametrize("value", ["%00", "a%00b", "%01", "%1B%5B31m", "%7F", "%C2%85"])
def test_api_query_string_with_control_characters_is_a_422(client, bearer, value):
    response = client.get(f"/api/v1/roles?q={value}", **bearer(Role.PLANNER))
    body = assert_error_shape(response, 422)
    assert body["errors"][0]["loc"] == ["query", "q"]
    assert body["errors"][0]["type"] == "control_character"


def test_api_query_string_with_tab_or_newline_is_still_text(client, bearer):
    RoleProfileFactory(code="analyst", title="Data analyst")
    response = client.get("/api/v1/roles?q=%09analyst%0A", **bearer(Role.PLANNER))
    assert response.status_code == 200


def test_control_characters_are_checked_after_authentication(client):
    assert_error_shape(client.get("/api/v1/roles?q=%00"), 401)


def test_role_title_with_nul_is_a_422_and_creates_nothing(client, bearer):
    skill = SkillFactory()
    body = {"title": "Data\x00 analyst", "requirements": [{"skill": skill.pk, "level": 2}]}
    response = client.post(
        "/api/v1/roles", json.dumps(body), content_type="application/json", **bearer(Role.PLANNER)
    )
    errors = assert_error_shape(response, 422)["errors"]
    assert errors[0]["loc"] == ["body", "payload", "title"]
    assert errors[0]["type"] == "control_character"
    assert not RoleProfile.objects.exists()


def test_scenario_name_with_nul_is_a_422_and_creates_nothing(client, bearer):
    RoleProfileFactory(code="analyst")
    body = {"name": "Surge\x00", "lines": [{"role": "analyst", "headcount": 1}]}
    response = client.post(
        "/api/v1/surges", json.dumps(body), content_type="application/json", **bearer(Role.PLANNER)
    )
    assert assert_error_shape(response, 422)["errors"][0]["loc"] == ["body", "payload", "name"]
    assert not SurgeScenario.objects.exists()


def test_match_skill_name_with_nul_is_a_422(client, bearer):
    body = {"requirements": [{"skill": "Pyth\x00on", "level": 2}]}
    response = client.post(
        "/api/v1/match", json.dumps(body), content_type="application/json", **bearer(Role.PLANNER)
    )
    errors = assert_error_shape(response, 422)["errors"]
    assert errors[0]["loc"] == ["body", "payload", "requirements"]


def test_skill_note_with_nul_is_a_422_and_changes_nothing(client, bearer):
    held = PersonSkillFactory(note="kept")
    body = {"skills": [{"skill": held.skill_id, "level": 3, "note": "new\x00note"}]}
    response = client.put(
        f"/api/v1/people/{held.person.staff_number}/skills",
        json.dumps(body),
        content_type="application/json",
        **bearer(Role.HR),
    )
    assert_error_shape(response, 422)
    assert PersonSkill.objects.get(pk=held.pk).note == "kept"


@pytest.mark.parametrize("text", ["\x00", "\x08", "\x1b", "\x7f", "\x9b", "\ud800"])
def test_every_control_character_in_a_json_string_is_refused(client, bearer, text):
    body = {"role": f"a{text}b"}
    response = client.post(
        "/api/v1/match", json.dumps(body), content_type="application/json", **bearer(Role.PLANNER)
    )
    assert assert_error_shape(response, 422)["errors"][0]["type"] == "control_character"


def test_json_not_a_number_is_refused(client, bearer):
    body = '{"requirements": [{"skill": 1, "level": 2, "weight": NaN}]}'
    response = client.post(
        "/api/v1/match", body, content_type="application/json", **bearer(Role.PLANNER)
    )
    assert assert_error_shape(response, 422)["errors"][0]["type"] == "finite_number"


def test_api_path_with_nul_is_a_400(client, bearer):
    PersonFactory(staff_number="P0000001")
    assert_error_shape(client.get("/api/v1/people/P0000001%00", **bearer(Role.HR)), 400)


def test_role_search_page_with_nul_is_a_400_page(client_for):
    response = client_for(Role.PLANNER).get("/roles/?q=%00")
    assert response.status_code == 400
    assert b"Sorry, there is a problem with the service" in response.content


def test_find_person_page_with_nul_is_a_400_page(client_for):
    response = client_for(Role.HR).post("/people/", {"q": "Smith\x00"})
    assert response.status_code == 400
    assert b"Sorry, there is a problem with the service" in response.content


def test_find_person_page_with_plain_text_still_works(client_for):
    assert client_for(Role.HR).post("/people/", {"q": "Smith"}).status_code == 200


def test_page_path_with_nul_is_a_400_page(client_for):
    response = client_for(Role.HR).get("/people/1%00/")
    assert response.status_code == 400


# --- Numbers out of range ------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["offset=100000000000000000000", "offset=1000000001", "limit=100000000000000000000"]
)
def test_huge_page_numbers_are_a_422(client, bearer, query):
    RoleProfileFactory()
    assert_error_shape(client.get(f"/api/v1/roles?{query}", **bearer(Role.PLANNER)), 422)


def test_largest_allowed_offset_is_an_empty_page(client, bearer):
    RoleProfileFactory()
    response = client.get("/api/v1/roles?offset=1000000000", **bearer(Role.PLANNER))
    assert response.status_code == 200
    assert response.json()["items"] == []


@pytest.mark.parametrize("field", ["offset", "limit"])
def test_huge_match_paging_is_a_422(client, bearer, field):
    body = {"role": "x", field: 10**20}
    response = client.post(
        "/api/v1/match", json.dumps(body), content_type="application/json", **bearer(Role.PLANNER)
    )
    assert assert_error_shape(response, 422)["errors"][0]["loc"] == ["body", "payload", field]


@pytest.mark.parametrize(
    "path", ["/api/v1/surges/100000000000000000000", "/api/v1/people/100000000000000000000"]
)
def test_huge_ids_are_not_found(client, bearer, path):
    assert_error_shape(client.get(path, **bearer(Role.ADMIN)), 404)


# --- Malformed and oversize bodies ---------------------------------------------


def test_multipart_without_boundary_is_a_400(client, bearer, settings):
    settings.DEBUG = True  # ninja used to answer this with a 500 traceback in development
    response = client.generic(
        "POST",
        "/api/v1/imports/people",
        b"--x\r\nContent-Disposition: form-data; name=file\r\n\r\nabc\r\n--x--",
        content_type="multipart/form-data",
        **bearer(Role.HR),
    )
    assert_error_shape(response, 400)


def test_body_that_is_not_json_is_a_400(client, bearer):
    response = client.post(
        "/api/v1/match", b"{not json", content_type="application/json", **bearer(Role.PLANNER)
    )
    assert_error_shape(response, 400)


def test_json_body_over_the_limit_is_a_413(client, bearer, settings):
    settings.DEBUG = True
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"role": "x" * 2000})
    response = client.post(
        "/api/v1/match", body, content_type="application/json", **bearer(Role.PLANNER)
    )
    assert "1,000 bytes" in assert_error_shape(response, 413)["detail"]


def test_page_form_over_the_limit_is_a_400_page(client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(Role.HR).post("/people/", {"q": "x" * 2000})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


# --- Anonymous and cross-site unsafe requests ------------------------------------


@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/roles"),
        ("post", "/api/v1/match"),
        ("post", "/api/v1/surges"),
        ("post", "/api/v1/surges/1/approve"),
        ("put", "/api/v1/people/P1/skills"),
        ("post", "/api/v1/imports/people"),
    ],
)
def test_anonymous_unsafe_request_is_a_401(method, path):
    client = Client(enforce_csrf_checks=True)
    response = getattr(client, method)(path, "{}", content_type="application/json")
    assert_error_shape(response, 401)
    assert response["WWW-Authenticate"] == "Bearer"


def test_signed_in_session_without_csrf_token_is_a_403(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.PLANNER))
    response = client.post("/api/v1/match", "{}", content_type="application/json")
    assert "CSRF" in assert_error_shape(response, 403)["detail"]


def test_signed_in_session_with_csrf_token_is_let_in(make_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user(Role.PLANNER))
    client.get("/roles/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = client.post(
        "/api/v1/match", "{}", content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert_error_shape(response, 422)  # through the check, to the (empty) body's validation


@pytest.mark.parametrize("depth", [5_000, 200_000])
def test_deeply_nested_json_is_refused_not_a_500(client, bearer, depth):
    body = '{"role": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        "/api/v1/match", body, content_type="application/json", **bearer(Role.PLANNER)
    )
    assert response.status_code in (400, 422)
    assert set(response.json()) == {"detail", "errors"}
