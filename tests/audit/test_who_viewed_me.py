"""Every read and change of someone's record reaches them in "who viewed me" (the page
and GET /api/v1/me/activity), with the actor's name and role and what it was
(issue 13, item 1)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.imports.service import import_file
from skills_app.surge.models import Allocation, SurgeScenario
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db

ACTIVITY = reverse("people:activity")
ME_API = "/api/v1/me/activity"


@pytest.fixture
def sam(make_user):
    """A member of staff with a linked record, and their line manager Lee."""
    lee = PersonFactory(user=make_user(Role.LINE_MANAGER, username="lee"), full_name="Lee Manager")
    return PersonFactory(
        user=make_user(Role.STAFF, username="sam"), full_name="Sam Staff", line_manager=lee
    )


def activity_of(client, person) -> list[dict]:
    client.force_login(person.user)
    response = client.get(ME_API)
    assert response.status_code == 200, response.content
    return response.json()["items"]


def test_the_team_page_records_a_row_for_each_member_shown(client, sam):
    other = PersonFactory(full_name="Not In Team")
    client.force_login(sam.line_manager.user)
    assert client.get(reverse("team:team")).status_code == 200

    rows = AccessEvent.objects.filter(action=Action.SEARCH, parameters__page="team")
    assert set(rows.values_list("subject_id", flat=True)) == {sam.pk}
    assert not AccessEvent.objects.filter(subject=other).exists()
    [entry] = activity_of(client, sam)
    assert entry["who"] == "Lee Manager"  # the name, not the username "lee"
    assert entry["roles"] == ["Line manager"]
    assert entry["what"] == "Listed you on their team page"


def test_a_managers_query_and_protection_reach_the_person(client, sam):
    skill = PersonSkillFactory(person=sam, skill=SkillFactory(name="Welding"), level=2)
    client.force_login(sam.line_manager.user)
    client.post(
        reverse("team:query", args=[sam.public_id, skill.skill_id]),
        {"note": "Where did you use this?", "version": skill.version},
    )
    client.post(
        reverse("team:protection", args=[sam.public_id]),
        {"protected": "yes", "version": 1, "reason": "Runs payroll"},
    )

    whats = [entry["what"] for entry in activity_of(client, sam)]
    assert "Asked a question about one of your skills" in whats
    assert "Marked you as in a critical role (not to be released)" in whats


def test_an_hr_import_that_changes_someone_is_named_in_their_activity(client, sam, make_user):
    hr = make_user(Role.HR, username="hr1")
    PersonFactory(user=hr, full_name="Hana Resources")
    SkillFactory(name="Forklift driving")
    job = import_file(
        kind="person-skills",
        filename="skills.csv",
        content=f"staff_number,skill,level\n{sam.staff_number},Forklift driving,2\n".encode(),
        user=hr,
    )
    assert job.result["ok"], job.result

    [entry] = activity_of(client, sam)
    assert entry["who"] == "Hana Resources"
    assert entry["roles"] == ["HR and analyst"]
    assert entry["what"] == "Changed your record with an HR import of person skills"
    assert entry["action"] == "edit_profile"


IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def planner(make_user):
    user = make_user(Role.PLANNER, username="pat")
    PersonFactory(user=user, full_name="Pat Planner")
    return user


@pytest.fixture
def scenario(client, sam, planner, django_capture_on_commit_callbacks):
    """A solved scenario allocating Sam and a colleague (planned through the API)."""
    welding = SkillFactory(name="Welding")
    RoleRequirementFactory(skill=welding, level=3, role__code="welder")
    unit = OrgUnitFactory(name="Works")
    for person in (sam, PersonFactory(full_name="Nia Neighbour")):
        person.org_unit = unit
        person.save()
        PersonSkillFactory(person=person, skill=welding, level=4)
    client.force_login(planner)
    body = {
        "name": "Flood 2026",
        "release_cap": 1,
        "cap_org_depth": 0,
        "lines": [{"role": "welder", "headcount": 2, "min_score": 0.8}],
    }
    with override_settings(TASKS=IMMEDIATE):
        created = client.post("/api/v1/surges", body, content_type="application/json").json()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(f"/api/v1/surges/{created['id']}/solve")
    scenario = SurgeScenario.objects.get(pk=created["id"])
    assert scenario.allocations.count() == 2
    return scenario


def test_scenario_page_api_and_exports_record_one_row_per_person_listed(
    client, sam, scenario, planner
):
    client.force_login(planner)
    before = AccessEvent.objects.count()
    assert client.get(f"/api/v1/surges/{scenario.pk}").status_code == 200
    assert client.get(reverse("surge:detail", args=[scenario.pk])).status_code == 200
    exported = client.post(reverse("surge:export_releases", args=[scenario.pk, "csv"]))
    assert exported.status_code == 200

    allocated = sorted(Allocation.objects.values_list("person_id", flat=True))
    new = AccessEvent.objects.order_by("id")[before:]
    per_person = [(e.action, e.subject_id) for e in new if e.subject_id is not None]
    assert sorted(per_person) == sorted(
        [(Action.VIEW_SCENARIO, pk) for pk in allocated] * 2  # the API and the page
        + [(Action.EXPORT, pk) for pk in allocated]
    )
    whats = {entry["what"] for entry in activity_of(client, sam) if entry["who"] == "Pat Planner"}
    assert {
        "Viewed the allocations of surge scenario “Flood 2026” through the API",
        "Viewed the allocations of surge scenario “Flood 2026”",
        "Included you in the release list download of surge scenario “Flood 2026”",
    } <= whats


def test_the_activity_page_shows_names_and_what_was_done(client, sam):
    client.force_login(sam.line_manager.user)
    client.get(reverse("team:team"))
    client.force_login(sam.user)
    page = client.get(ACTIVITY).content.decode()
    assert "Lee Manager" in page
    assert "Listed you on their team page" in page
    assert ">lee<" not in page


def test_the_activity_api_is_the_callers_own_and_refuses_others(client, sam, make_user):
    PersonFactory(user=make_user(Role.STAFF, username="other"), full_name="Other Person")
    client.force_login(sam.line_manager.user)
    client.get(reverse("team:team"))  # Sam is listed; the other person is not

    client.force_login(make_user(Role.STAFF, username="other"))
    assert client.get(ME_API).json()["items"] == []
    client.force_login(make_user(Role.PLANNER, username="no-record"))
    assert client.get(ME_API).status_code == 404
    client.logout()
    assert client.get(ME_API).status_code == 401


def test_leaving_and_anonymising_are_described(client, sam):
    import datetime as dt

    from skills_app.people.services import person_record_leaving

    hr = sam.line_manager.user
    person_record_leaving(
        actor=hr, person=sam, left_on=dt.date(2026, 12, 31), expected_version=sam.version
    )
    whats = [entry["what"] for entry in activity_of(client, sam)]
    assert "Recorded the date you leave the department" in whats
