"""Per-user throttles on search, match and export (issue 13 item 6):
skills_app/core/throttle.py on the API (429 JSON in the API's error shape, with
Retry-After) and on the pages (the GOV.UK "too many requests" page, with Retry-After).
"""

import re

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create, user_create_with_roles
from skills_app.api_inputs import ErrorOut
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.throttle import UserThrottle
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, PersonSkillFactory, RoleRequirementFactory

pytestmark = pytest.mark.django_db
TWO_A_MINUTE = {"search": "2/min", "export": "2/min"}


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, moved by hand."""
    now = {"t": 1_000_000.0}
    monkeypatch.setattr(UserThrottle, "timer", staticmethod(lambda: now["t"]))
    return now


@pytest.fixture
def role(db):
    requirement = RoleRequirementFactory(level=2, role__code="throttled-role")
    PersonSkillFactory(person=PersonFactory(), skill=requirement.skill, level=3)
    return requirement.role


def login(client, username: str, *roles: Role):
    client.force_login(
        user_create_with_roles(username=username, password=PASSWORD, roles=set(roles))
    )
    return client


def match(client, role):
    return client.post("/api/v1/match", {"role": role.code}, content_type="application/json")


def assert_api_throttled(response):
    assert response.status_code == 429
    body = response.json()
    assert body == {"detail": "Too many requests.", "errors": []}
    ErrorOut.model_validate(body)  # the documented error schema
    assert 1 <= int(response["Retry-After"]) <= 60


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_the_api_match_refuses_the_third_call_in_a_minute(client, role, clock):
    planner = login(client, "planner-a", Role.PLANNER)
    assert match(planner, role).status_code == 200
    clock["t"] += 10
    assert match(planner, role).status_code == 200
    clock["t"] += 10
    searches = AccessEvent.objects.filter(action=Action.SEARCH).count()
    response = match(planner, role)
    assert_api_throttled(response)
    # The first call leaves the window 60 s after it was made, 20 s ago.
    assert response["Retry-After"] == "40"
    assert AccessEvent.objects.filter(action=Action.SEARCH).count() == searches  # nothing ran
    clock["t"] += 41
    assert match(planner, role).status_code == 200


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_another_user_is_not_affected(client, role, clock):
    first = login(client, "planner-a", Role.PLANNER)
    for _ in range(2):
        assert match(first, role).status_code == 200
    assert_api_throttled(match(first, role))
    second = login(client, "planner-b", Role.PLANNER)
    assert match(second, role).status_code == 200


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_a_token_and_the_session_share_one_allowance(client, role, clock):
    user = user_create_with_roles(username="planner-a", password=PASSWORD, roles={Role.PLANNER})
    client.force_login(user)
    _, token = api_token_create(user=user, name="script")
    script = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert match(client, role).status_code == 200
    assert match(script, role).status_code == 200
    assert_api_throttled(match(client, role))
    assert_api_throttled(match(script, role))


@override_settings(THROTTLE_RATES={"search": "100/min", "export": "1/min"})
def test_api_report_downloads_are_throttled_as_exports(client, clock):
    hr = login(client, "hr-a", Role.HR)
    assert hr.get("/api/v1/reports/inventory?format=csv").status_code == 200
    assert_api_throttled(hr.get("/api/v1/reports/data-quality?format=xlsx"))
    assert_api_throttled(hr.get("/api/v1/reports/inventory?format=json"))


# --- pages ------------------------------------------------------------------------------


def assert_page_throttled(response):
    assert response.status_code == 429
    page = response.content.decode()
    assert '<h1 class="govuk-heading-l">Too many requests</h1>' in page
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 60
    assert re.search(rf"try again in {wait} seconds?\.", page)


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_the_search_page_refuses_the_third_search_in_a_minute(client, role, clock):
    planner = login(client, "planner-a", Role.PLANNER)
    url = reverse("roles:search", args=[role.code])
    assert planner.get(url).status_code == 200
    assert planner.get(url).status_code == 200
    searches = AccessEvent.objects.filter(action=Action.SEARCH).count()
    assert_page_throttled(planner.get(url))
    assert AccessEvent.objects.filter(action=Action.SEARCH).count() == searches
    # htmx swaps nothing on a 4xx: it is told to load the page, which shows why.
    partial = planner.get(url, headers={"HX-Request": "true"})
    assert partial.status_code == 429 and partial["HX-Redirect"] == url
    # Another planner searches on.
    assert login(client, "planner-b", Role.PLANNER).get(url).status_code == 200


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_finding_a_person_by_name_is_a_search(client, clock):
    hr = login(client, "hr-a", Role.HR)
    url = reverse("team:find")
    for _ in range(2):
        assert hr.post(url, {"q": "Smith"}).status_code == 200
    assert_page_throttled(hr.post(url, {"q": "Jones"}))


@override_settings(THROTTLE_RATES=TWO_A_MINUTE)
def test_the_page_and_the_api_share_the_export_allowance(client, clock):
    hr = login(client, "hr-a", Role.HR)
    page_export = reverse("reports:inventory_export", args=["csv"])
    assert hr.post(page_export).status_code == 200
    assert hr.get("/api/v1/reports/inventory?format=csv").status_code == 200
    assert_page_throttled(hr.post(page_export))
    assert_api_throttled(hr.get("/api/v1/reports/inventory?format=csv"))
    exports = AccessEvent.objects.filter(action=Action.EXPORT, object_type="report").count()
    assert exports == 2  # the refused ones exported nothing
    assert login(client, "hr-b", Role.HR).post(page_export).status_code == 200


def test_the_default_rates_are_generous():
    from django.conf import settings

    for scope in ("search", "export"):
        throttle = UserThrottle(scope)
        count, seconds = throttle.parse_rate(settings.THROTTLE_RATES[scope])
        assert count / seconds >= 10 / 60, scope
