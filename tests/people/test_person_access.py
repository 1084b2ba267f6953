"""DESIGN.md section 8, "others' profiles", as a table: every role × the web page
(/people/<public_id>/) and the API (GET /api/v1/people/{staff_number}): allowed or
refused, which fields show, and an access event for every allowed look and none
for a refused one."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import Person, Qualification, RoleHistory
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = pytest.mark.django_db

# What only full views (HR, admin, the person's own line managers) may see.
FULL_ONLY_TEXT = {
    "email": "mina.okafor@dps.example",
    "qualification": "PRINCE2 Practitioner",
    "skill note": "Led the 2024 claims backlog team",
    "query": "Can you give an example from this year?",
    "line manager": "Dee Marsh",
}
# Match fields every allowed viewer sees.
MATCH_TEXT = {
    "name": "Mina Okafor",
    "staff number": "S900001",
    "skill": "Benefit casework",
    "role history": "Universal Credit case manager",
    "location": "Bootle",
    "preferred location": "Liverpool",
}
FULL_ONLY_API_KEYS = {"work_email", "line_manager", "qualifications", "profile_reviewed_at"}
FULL_ONLY_SKILL_KEYS = {"verified_by", "note", "query"}


@pytest.fixture
def org(make_user):
    """Ronan manages Dee, who manages Mina; Otto is elsewhere. The line-manager
    login is Ronan, two levels above Mina."""
    unit = OrgUnitFactory(name="Claims")
    ronan = PersonFactory(full_name="Ronan Dalby", org_unit=unit, staff_number="S900010")
    dee = PersonFactory(
        full_name="Dee Marsh", org_unit=unit, line_manager=ronan, staff_number="S900011"
    )
    mina = PersonFactory(
        staff_number="S900001",
        full_name="Mina Okafor",
        work_email="mina.okafor@dps.example",
        org_unit=unit,
        line_manager=dee,
        location="Bootle",
        preferred_locations=["Liverpool"],
    )
    outsider = PersonFactory(full_name="Otto Vance", staff_number="S900099")
    manager_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="ronan")
    Person.objects.filter(pk=ronan.pk).update(user=manager_user)
    skill = SkillFactory(name="Benefit casework")
    PersonSkillFactory(
        person=mina,
        skill=skill,
        level=3,
        note="Led the 2024 claims backlog team",
        queried_by=manager_user,
        queried_at=timezone.now(),
        query_note="Can you give an example from this year?",
    )
    Qualification.objects.create(person=mina, name="PRINCE2 Practitioner", issuer="Axelos")
    RoleHistory.objects.create(
        person=mina, title="Universal Credit case manager", start=dt.date(2021, 4, 1)
    )
    return {"ronan": ronan, "dee": dee, "mina": mina, "outsider": outsider}


# (role, whose profile, allowed, fields)
CASES = [
    (Role.STAFF, "mina", False, None),
    (Role.LINE_MANAGER, "mina", True, "team"),  # two levels down: still their team
    (Role.LINE_MANAGER, "dee", True, "team"),
    (Role.LINE_MANAGER, "outsider", False, None),
    (Role.PLANNER, "mina", True, "match"),
    (Role.PLANNER, "outsider", True, "match"),
    (Role.HR, "mina", True, "all"),
    (Role.HR, "outsider", True, "all"),
    (Role.STEWARD, "mina", False, None),
    (Role.ADMIN, "mina", True, "all"),
]
CASE_IDS = [f"{role}-{who}" for role, who, _, _ in CASES]


def _sign_in(client, make_user, role):
    if role == Role.LINE_MANAGER:
        user = make_user(Role.STAFF, Role.LINE_MANAGER, username="ronan")
    else:
        user = make_user(role, username=f"viewer-{role}")
    client.force_login(user)
    return user


def _views(user, person):
    return AccessEvent.objects.filter(actor=user, action=Action.VIEW_PROFILE, subject=person)


@pytest.mark.parametrize(("role", "who", "allowed", "fields"), CASES, ids=CASE_IDS)
def test_web_profile_page(client, make_user, org, role, who, allowed, fields):
    user = _sign_in(client, make_user, role)
    person = org[who]
    url = reverse("team:person", kwargs={"public_id": person.public_id})
    assert url == f"/people/{person.public_id}/"  # an opaque id: no pk, staff number or name
    response = client.get(url)
    if not allowed:
        assert response.status_code == 403
        assert not _views(user, person).exists()
        assert escape(person.full_name) not in response.content.decode()
        return
    assert response.status_code == 200
    events = list(_views(user, person))
    assert len(events) == 1
    assert events[0].parameters == {"fields": fields, "page": "profile"}
    assert events[0].object_id == str(person.pk)
    if who != "mina":
        return
    page = response.content.decode()
    for label, text in MATCH_TEXT.items():
        assert text in page, f"{role} should see the {label}"
    for label, text in FULL_ONLY_TEXT.items():
        if fields == "match":
            assert text not in page, f"{role} must not see the {label}"
        else:
            assert text in page, f"{role} should see the {label}"


@pytest.mark.parametrize(("role", "who", "allowed", "fields"), CASES, ids=CASE_IDS)
def test_api_profile(client, make_user, org, role, who, allowed, fields):
    user = _sign_in(client, make_user, role)
    person = org[who]
    response = client.get(f"/api/v1/people/{person.staff_number}")
    if not allowed:
        assert response.status_code == 403
        assert response.json() == {
            "detail": "You do not have permission to do this.",
            "errors": [],
        }
        assert not _views(user, person).exists()
        return
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["fields"] == fields
    assert body["staff_number"] == person.staff_number
    assert [e.parameters for e in _views(user, person)] == [{"fields": fields, "page": "api"}]
    if who != "mina":
        return
    assert body["full_name"] == "Mina Okafor"
    assert body["location"] == "Bootle"
    assert body["preferred_locations"] == ["Liverpool"]
    assert body["role_history"] == [
        {
            "title": "Universal Credit case manager",
            "role_profile": None,
            "start": "2021-04-01",
            "end": None,
        }
    ]
    [skill] = body["skills"]
    assert skill["skill"]["name"] == "Benefit casework"
    assert {"id", "name", "uri"} == set(skill["skill"])
    assert (skill["level"], skill["level_name"], skill["evidence"]) == (3, "Practitioner", "self")
    assert skill["last_used"] is None and skill["verified_at"] is None
    if fields == "match":
        assert not FULL_ONLY_API_KEYS & set(body), "planners get match fields only"
        assert not FULL_ONLY_SKILL_KEYS & set(skill)
        assert "mina.okafor" not in response.content.decode()
        assert "PRINCE2" not in response.content.decode()
    else:
        assert body["work_email"] == "mina.okafor@dps.example"
        assert body["line_manager"] == {"staff_number": "S900011", "name": "Dee Marsh"}
        assert body["qualifications"] == [
            {"name": "PRINCE2 Practitioner", "issuer": "Axelos", "awarded": None, "expires": None}
        ]
        assert body["profile_reviewed_at"] is None
        assert skill["note"] == "Led the 2024 claims backlog team"
        assert skill["query"]["note"] == "Can you give an example from this year?"
        assert skill["query"]["queried_by"] == "ronan"


def test_anonymous_visitors_sign_in_first(client, org):
    response = client.get(reverse("team:person", kwargs={"public_id": org["mina"].public_id}))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    response = client.get(f"/api/v1/people/{org['mina'].staff_number}")
    assert response.status_code == 401
    assert response.json()["detail"].startswith("Authentication required")
    assert not AccessEvent.objects.filter(action=Action.VIEW_PROFILE).exists()


def test_a_bearer_token_is_held_to_the_same_rules(client, make_user, org):
    from skills_app.accounts.services import api_token_create

    planner = make_user(Role.PLANNER, username="token-planner")
    _, raw = api_token_create(user=planner)
    response = client.get(
        f"/api/v1/people/{org['mina'].staff_number}", headers={"Authorization": f"Bearer {raw}"}
    )
    assert response.status_code == 200
    assert response.json()["fields"] == "match"
    assert "work_email" not in response.json()
    assert _views(planner, org["mina"]).count() == 1


@pytest.mark.parametrize("role", [Role.PLANNER, Role.HR, Role.LINE_MANAGER])
def test_unknown_people_are_404_and_not_audited(client, make_user, org, role):
    _sign_in(client, make_user, role)
    response = client.get("/api/v1/people/NOSUCH1")
    assert response.status_code == 404
    assert response.json() == {"detail": "No person has that staff number.", "errors": []}
    assert client.get("/people/999999/").status_code == 404
    assert not AccessEvent.objects.filter(action=Action.VIEW_PROFILE).exists()


def test_opening_your_own_record_goes_to_your_profile(client, make_user, org):
    _sign_in(client, make_user, Role.LINE_MANAGER)
    response = client.get(reverse("team:person", kwargs={"public_id": org["ronan"].public_id}))
    assert response.status_code == 302
    assert response["Location"] == reverse("people:my_profile")
    assert not AccessEvent.objects.filter(action=Action.VIEW_PROFILE).exists()


def test_hr_sees_every_field_on_the_page_but_no_manager_actions(client, make_user, org):
    _sign_in(client, make_user, Role.HR)
    page = client.get(
        reverse("team:person", kwargs={"public_id": org["mina"].public_id})
    ).content.decode()
    assert "mina.okafor@dps.example" in page
    assert "Verify" not in page and "Mark as protected" not in page


def test_planners_are_told_they_see_match_fields_only(client, make_user, org):
    _sign_in(client, make_user, Role.PLANNER)
    page = client.get(
        reverse("team:person", kwargs={"public_id": org["mina"].public_id})
    ).content.decode()
    assert "parts of this profile that matching uses" in page
    assert "Verify" not in page


# --- finding a person -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.STAFF, 403),
        (Role.LINE_MANAGER, 403),
        (Role.PLANNER, 200),
        (Role.HR, 200),
        (Role.STEWARD, 403),
        (Role.ADMIN, 200),
    ],
)
def test_find_a_person_is_for_hr_planners_and_admin(client, make_user, org, role, status):
    _sign_in(client, make_user, role)
    assert client.get(reverse("team:find")).status_code == status
    assert client.post(reverse("team:find"), {"q": "okafor"}).status_code == status


def test_find_a_person_by_name_or_staff_number_is_audited_without_the_query(client, make_user, org):
    hr = _sign_in(client, make_user, Role.HR)
    response = client.post(reverse("team:find"), {"q": "  okaf  "})
    page = response.content.decode()
    assert response.status_code == 200
    assert f'href="/people/{org["mina"].public_id}/"' in page
    assert "Otto Vance" not in page
    [event] = AccessEvent.objects.filter(actor=hr, action=Action.SEARCH)
    assert event.subject == org["mina"] and event.parameters == {"results": 1}

    response = client.post(reverse("team:find"), {"q": "s9000"})
    found = re.findall(r'href="/people/([0-9a-f-]{36})/"', response.content.decode())
    assert len(found) == 4  # by staff number prefix: Mina, Ronan, Dee, Otto
    assert AccessEvent.objects.filter(actor=hr, action=Action.SEARCH).count() == 1 + 4

    response = client.post(reverse("team:find"), {"q": "nobody-like-this"})
    assert "Nobody matches" in response.content.decode()
    last = AccessEvent.objects.filter(actor=hr, action=Action.SEARCH).first()
    assert last.subject is None and last.parameters == {"results": 0}
    for event in AccessEvent.objects.filter(action=Action.SEARCH):
        assert "okaf" not in str(event.parameters) and "nobody" not in str(event.parameters)


def test_find_a_person_asks_for_a_query_and_caps_results(client, make_user, org):
    _sign_in(client, make_user, Role.PLANNER)
    response = client.post(reverse("team:find"), {"q": "   "})
    assert "Enter a staff number or name" in response.content.decode()
    assert not AccessEvent.objects.filter(action=Action.SEARCH).exists()
    PersonFactory.create_batch(25, full_name="Sam Common")
    response = client.post(reverse("team:find"), {"q": "common"})
    page = response.content.decode()
    assert page.count("Sam Common</a>") == 20
    assert "Only the first 20 are shown" in page
