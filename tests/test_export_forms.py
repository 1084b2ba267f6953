"""Downloads of many people or the whole organisation cannot be started by another
site (issue 13 item 6): on the pages they are POST forms with Django's CSRF token
and a GET is refused; on the API a browser session's request from another site is
refused, while bearer tokens (which browsers never send on their own) are not."""

import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create, user_create_with_roles
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge.services import scenario_solve
from tests.conftest import PASSWORD
from tests.factories import PersonFactory, PersonSkillFactory, RoleRequirementFactory
from tests.surge.test_surge_views import build_world, create

pytestmark = pytest.mark.django_db


@pytest.fixture
def downloads(db):
    """(page, [download URLs on it], role) for every export of many people."""
    requirement = RoleRequirementFactory(level=2, role__code="export-role")
    PersonSkillFactory(person=PersonFactory(), skill=requirement.skill, level=3)
    scenario = scenario_solve(scenario_id=create(build_world()).pk)
    code = requirement.role.code
    return [
        (
            reverse("reports:data_quality") + "?depth=0",
            [
                reverse("reports:data_quality_export", args=[f]) + "?depth=0"
                for f in ("csv", "xlsx")
            ],
            Role.HR,
        ),
        (
            reverse("reports:capability"),
            [reverse("reports:capability_export", args=[f]) for f in ("csv", "xlsx")],
            Role.HR,
        ),
        (
            reverse("reports:supply_demand"),
            [reverse("reports:supply_demand_export", args=[f]) for f in ("csv", "xlsx")],
            Role.HR,
        ),
        (
            reverse("reports:inventory"),
            [reverse("reports:inventory_export", args=[f]) for f in ("csv", "xlsx")],
            Role.HR,
        ),
        (
            reverse("roles:search", args=[code]),
            [reverse("roles:export", args=[code, f]) for f in ("csv", "xlsx")],
            Role.PLANNER,
        ),
        (
            reverse("surge:detail", args=[scenario.pk]),
            [
                reverse(f"surge:export_{kind}", args=[scenario.pk, f])
                for kind in ("allocations", "releases")
                for f in ("csv", "xlsx")
            ],
            Role.PLANNER,
        ),
    ]


def signed_in(role: Role, *, csrf: bool) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    user = user_create_with_roles(username=f"{role}-user", password=PASSWORD, roles={role})
    client.force_login(user)
    return client


def forms(page: str) -> dict[str, str]:
    """Each POST form's action (and each button's formaction) -> its CSRF token."""
    found = {}
    for form in re.finditer(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', page, re.S):
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.group(2))
        actions = [form.group(1), *re.findall(r'formaction="([^"]+)"', form.group(2))]
        for action in actions:
            found[unescape(action)] = token.group(1) if token else ""
    return found


def exports_written() -> int:
    return AccessEvent.objects.filter(action=Action.EXPORT).count()


def test_every_download_is_a_csrf_protected_post_form_and_refuses_get(downloads):
    clients = {role: signed_in(role, csrf=True) for role in (Role.HR, Role.PLANNER)}
    for page_url, urls, role in downloads:
        client = clients[role]
        page = client.get(page_url).content.decode()
        on_page = forms(page)
        for url in urls:
            path = url.split("?")[0]
            assert f'href="{path}' not in page, f"{url} is still a link on {page_url}"
            action = next((a for a in on_page if a.split("?")[0] == path), None)
            assert action is not None, f"no POST form for {url} on {page_url}"
            assert on_page[action], f"the form for {url} has no CSRF token"
            before = exports_written()
            # A link (GET), as another site could send, is refused and exports nothing.
            refused = client.get(action)
            assert refused.status_code == 405 and refused["Allow"] == "POST", url
            # A POST without the token, as another site's form would send, is refused.
            assert client.post(action).status_code == 403, url
            assert exports_written() == before, url
            # The page's own form works.
            response = client.post(action, {"csrfmiddlewaretoken": on_page[action]})
            assert response.status_code == 200, url
            assert response["Content-Disposition"].startswith("attachment;"), url
            b"".join(response.streaming_content)
            assert exports_written() > before, url


# --- the API through a browser session ---------------------------------------------------


def test_a_session_request_from_another_site_is_refused():
    client = signed_in(Role.HR, csrf=True)
    url = "/api/v1/reports/inventory?format=csv"
    for site in ("cross-site", "same-site"):
        response = client.get(url, headers={"Sec-Fetch-Site": site})
        assert response.status_code == 403, site
        assert response.json() == {
            "detail": "Requests from other sites are refused: use Muster's own pages.",
            "errors": [],
        }
    assert exports_written() == 0
    # From Muster's own pages, or typed into the address bar, it is answered.
    for site in ("same-origin", "none"):
        assert client.get(url, headers={"Sec-Fetch-Site": site}).status_code == 200, site


def test_a_bearer_token_is_not_a_browser_session():
    user = user_create_with_roles(username="hr-script", password=PASSWORD, roles={Role.HR})
    _, token = api_token_create(user=user, name="script")
    response = Client().get(
        "/api/v1/reports/inventory?format=csv",
        headers={"Authorization": f"Bearer {token}", "Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 200


def test_a_session_post_to_the_api_still_needs_the_csrf_token():
    client = signed_in(Role.PLANNER, csrf=True)
    response = client.post("/api/v1/match", {"role": "x"}, content_type="application/json")
    assert response.status_code == 403
