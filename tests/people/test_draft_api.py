"""Draft skills over the API and HR's "Draft everyone's skills" pages: who may,
what they answer (true to the OpenAPI schema), and the audit of reads."""

import datetime as dt

import pytest

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.api_drafts import (
    DraftRunOut,
    DraftRunQueuedOut,
    PersonDraftedOut,
    PersonDraftsOut,
)
from skills_app.people.models import DraftRun, DraftRunStatus, PersonSkill, RoleHistory
from tests.factories import PersonFactory, RoleProfileFactory, RoleRequirementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def analyst():
    """A person whose role history proposes two skills."""
    role = RoleProfileFactory(code="data-analyst", title="Data analyst")
    RoleRequirementFactory(role=role, level=3)
    RoleRequirementFactory(role=role, level=2)
    person = PersonFactory(staff_number="S100001")
    RoleHistory.objects.create(
        person=person, title="Analyst", role_profile=role, start=dt.date(2024, 1, 1)
    )
    return person


def url(person, suffix="drafts"):
    return f"/api/v1/people/{person.staff_number}/{suffix}"


def test_hr_drafts_anyone_now_and_lists_their_drafts(client_for, analyst):
    client = client_for(Role.HR)
    response = client.post(url(analyst))
    assert response.status_code == 200, response.content
    body = PersonDraftedOut.model_validate(response.json())
    assert body.created == 2
    assert {d.level for d in body.drafts} == {2, 3}
    assert body.drafts[0].sources[0].kind == "role_level"
    assert body.drafts[0].sources[0].ref == "data-analyst"
    listed = client.get(url(analyst))
    assert listed.status_code == 200
    drafts = PersonDraftsOut.model_validate(listed.json()).drafts
    assert [d.id for d in drafts] == [d.id for d in body.drafts]
    again = PersonDraftedOut.model_validate(client.post(url(analyst)).json())
    assert (again.created, again.unchanged) == (0, 2)


def test_hr_reading_someones_drafts_is_audited_for_them(client_for, analyst):
    client_for(Role.HR).get(url(analyst))
    assert AccessEvent.objects.filter(action=Action.VIEW_PROFILE, subject=analyst).count() == 1


def test_the_person_drafts_and_reads_their_own_without_a_view_recorded(client, make_user, analyst):
    analyst.user = make_user(Role.STAFF, username="analyst")
    analyst.save()
    client.force_login(analyst.user)
    response = client.post(url(analyst))
    assert response.status_code == 200
    assert PersonSkill.objects.filter(person=analyst).drafts().count() == 2
    assert client.get(url(analyst)).status_code == 200
    assert not AccessEvent.objects.filter(action=Action.VIEW_PROFILE, subject=analyst).exists()
    assert AccessEvent.objects.filter(action=Action.DRAFT, subject=analyst).count() == 1


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.PLANNER, Role.STEWARD])
def test_anyone_else_is_refused_someone_elses_drafts(client_for, analyst, role):
    client = client_for(role)
    assert client.get(url(analyst)).status_code == 403
    assert client.post(url(analyst)).status_code == 403
    assert not PersonSkill.objects.filter(person=analyst).exists()
    # The same answer for a staff number nobody has: it tells them nothing.
    assert client.get("/api/v1/people/S000404/drafts").status_code == 403


def test_an_unknown_staff_number_is_404_for_hr(client_for):
    response = client_for(Role.HR).get("/api/v1/people/S000404/drafts")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_hr_starts_one_run_at_a_time_and_follows_it(client_for):
    client = client_for(Role.HR)
    response = client.post("/api/v1/drafts/run")
    assert response.status_code == 202, response.content
    queued = DraftRunQueuedOut.model_validate(response.json())
    assert queued.status == "queued"
    again = client.post("/api/v1/drafts/run")
    assert again.status_code == 409
    assert again.json()["errors"][0]["run"] == str(queued.run)
    progress = client.get(queued.status_url)
    assert progress.status_code == 200
    run = DraftRunOut.model_validate(progress.json())
    assert (run.id, run.status, run.percent) == (queued.run, "queued", 0)
    assert DraftRun.objects.count() == 1


def test_a_finished_runs_result_is_reported(client_for):
    run = DraftRun.objects.create(
        status=DraftRunStatus.SUCCEEDED,
        total_people=3,
        processed_people=3,
        result={"people": 3, "people_drafted": 2, "drafts_created": 5, "by_source": {"x": 5}},
    )
    body = client_for(Role.ADMIN).get(f"/api/v1/drafts/runs/{run.pk}").json()
    out = DraftRunOut.model_validate(body)
    assert (out.percent, out.result.drafts_created, out.result.by_source) == (100, 5, {"x": 5})


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.PLANNER, Role.STEWARD])
def test_only_hr_and_administrators_start_or_follow_runs(client_for, role):
    run = DraftRun.objects.create()
    client = client_for(role)
    assert client.post("/api/v1/drafts/run").status_code == 403
    assert client.get(f"/api/v1/drafts/runs/{run.pk}").status_code == 403
    assert DraftRun.objects.count() == 1


def test_an_unknown_or_malformed_run_id_is_404(client_for):
    client = client_for(Role.HR)
    assert client.get("/api/v1/drafts/runs/4b6f1d2a-0000-4000-8000-000000000000").status_code == 404
    assert client.get("/api/v1/drafts/runs/not-a-uuid").status_code == 404


def test_the_schema_documents_the_draft_operations():
    from skills_app.api import api

    paths = api.get_openapi_schema()["paths"]
    assert set(paths["/api/v1/people/{staff_number}/drafts"]) == {"get", "post"}
    assert 202 in paths["/api/v1/drafts/run"]["post"]["responses"]
    assert 409 in paths["/api/v1/drafts/run"]["post"]["responses"]
    assert 404 in paths["/api/v1/drafts/runs/{run_id}"]["get"]["responses"]


# -- the pages ----------------------------------------------------------------------------------


def test_hr_starts_a_run_from_the_page_and_sees_its_progress(client_for):
    client = client_for(Role.HR)
    page = client.get("/imports/drafts/")
    assert page.status_code == 200
    assert "Draft everyone’s skills" in page.content.decode()
    response = client.post("/imports/drafts/")
    run = DraftRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/imports/drafts/{run.pk}/"
    progress = client.get(response["Location"])
    text = progress.content.decode()
    assert "Drafting everyone’s skills" in text
    assert f'hx-get="/imports/drafts/{run.pk}/progress/"' in text
    assert "Refresh this page" in text  # without JavaScript
    fragment = client.get(f"/imports/drafts/{run.pk}/progress/")
    assert fragment.status_code == 200
    assert "0% complete" in fragment.content.decode()
    # A second start goes to the run already in progress.
    again = client.post("/imports/drafts/")
    assert again["Location"] == f"/imports/drafts/{run.pk}/?already=1"
    assert DraftRun.objects.count() == 1
    start_page = client.get("/imports/drafts/").content.decode()
    assert "see its progress" in start_page
    assert 'type="submit"' not in start_page.split("<main")[1]


def test_the_finished_page_shows_the_counts_and_tells_htmx_to_reload(client_for):
    run = DraftRun.objects.create(
        status=DraftRunStatus.SUCCEEDED,
        processed_people=10,
        result={"people_drafted": 4, "drafts_created": 12, "by_source": {"role_level": 12}},
    )
    client = client_for(Role.HR)
    text = client.get(f"/imports/drafts/{run.pk}/").content.decode()
    assert "12 drafts created for 4 people" in text
    assert "Roles held, from the role library" in text
    fragment = client.get(f"/imports/drafts/{run.pk}/progress/", headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"


def test_a_failed_run_says_what_to_do(client_for):
    run = DraftRun.objects.create(
        status=DraftRunStatus.FAILED, result={"failure": "interrupted", "detail": "Start it again."}
    )
    text = client_for(Role.HR).get(f"/imports/drafts/{run.pk}/").content.decode()
    assert "govuk-error-summary" in text
    assert "Start it again." in text


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.PLANNER, Role.STEWARD])
def test_the_pages_refuse_everyone_but_hr_and_administrators(client_for, role):
    run = DraftRun.objects.create()
    client = client_for(role)
    assert client.get("/imports/drafts/").status_code == 403
    assert client.post("/imports/drafts/").status_code == 403
    assert client.get(f"/imports/drafts/{run.pk}/").status_code == 403
    assert DraftRun.objects.count() == 1


def test_an_unknown_run_page_is_404(client_for):
    response = client_for(Role.HR).get("/imports/drafts/4b6f1d2a-0000-4000-8000-000000000000/")
    assert response.status_code == 404
