"""PUT /api/v1/people/{staff_number}/skills: replace a person's skills."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.accounts.services import api_token_create
from skills_app.audit.models import AccessEvent
from skills_app.people.models import EvidenceKind, PersonSkill
from taxonomy.models import Skill, SkillAlias, SkillStatus
from taxonomy.services import taxonomy_changed
from tests.factories import PersonFactory, PersonSkillFactory, UserFactory

pytestmark = pytest.mark.django_db


def url(staff_number: str) -> str:
    return f"/api/v1/people/{staff_number}/skills"


def put(client, staff_number, body, **extra):
    return client.put(
        url(staff_number), data=json.dumps(body), content_type="application/json", **extra
    )


@pytest.fixture
def skills(db):
    python = Skill.objects.create(
        name="Python (computer programming)", uri="urn:muster:test:python"
    )
    SkillAlias.objects.create(skill=python, label="Python")
    sql = Skill.objects.create(name="SQL", uri="urn:muster:test:sql")
    pm = Skill.objects.create(name="project management", uri="urn:muster:test:pm")
    Skill.objects.create(name="stakeholder management", uri="urn:muster:test:sm")
    Skill.objects.create(name="stakeholder engagement", uri="urn:muster:test:se")
    taxonomy_changed()
    return {"python": python, "sql": sql, "pm": pm}


@pytest.fixture
def owner(client, make_user):
    user = make_user(Role.STAFF, username="owner")
    person = PersonFactory(user=user, staff_number="S100001")
    client.force_login(user)
    return person


def test_owner_replaces_their_skills(client, owner, skills):
    keep = PersonSkillFactory(person=owner, skill=skills["sql"], level=2, note="")
    drop = PersonSkillFactory(person=owner, skill=skills["pm"], level=1)
    response = put(
        client,
        owner.staff_number,
        {
            "skills": [
                {"skill": skills["sql"].pk, "level": 2},
                {"skill": "Python", "level": "practitioner", "last_used": "2024-03"},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["staff_number"] == owner.staff_number
    assert (body["created"], body["updated"], body["deleted"], body["unchanged"]) == (1, 0, 1, 1)
    assert [(s["skill"]["name"], s["level"], s["last_used"]) for s in body["skills"]] == [
        ("Python (computer programming)", 3, "2024-03-01"),
        ("SQL", 2, None),
    ]
    assert body["skills"][0]["level_name"] == "Practitioner"
    assert not PersonSkill.objects.filter(pk=drop.pk).exists()
    keep_after = PersonSkill.objects.get(pk=keep.pk)
    assert keep_after.version == keep.version  # unchanged rows are untouched
    owner.refresh_from_db()
    assert body["version"] == owner.version == 2
    # Owners editing themselves are not audited.
    assert not AccessEvent.objects.filter(subject=owner).exists()


def test_owner_evidence_is_always_self_except_for_unchanged_rows(client, owner, skills):
    manager = UserFactory(username="mgr")
    verified = PersonSkillFactory(
        person=owner,
        skill=skills["sql"],
        level=3,
        evidence=EvidenceKind.MANAGER_VERIFIED,
        verified_by=manager,
        verified_at=timezone.now(),
    )
    relevel = PersonSkillFactory(
        person=owner,
        skill=skills["pm"],
        level=2,
        evidence=EvidenceKind.MANAGER_VERIFIED,
        verified_by=manager,
        verified_at=timezone.now(),
    )
    response = put(
        client,
        owner.staff_number,
        {
            "skills": [
                {"skill": "SQL", "level": 3, "evidence": "certified"},
                {"skill": "urn:muster:test:pm", "level": 4, "evidence": "certified"},
                {"skill": "Python", "level": 1, "evidence": "assessed"},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    evidence = {s["skill"]["name"]: s["evidence"] for s in response.json()["skills"]}
    assert evidence == {
        "SQL": "manager_verified",
        "project management": "self",
        "Python (computer programming)": "self",
    }
    verified.refresh_from_db()
    relevel.refresh_from_db()
    assert verified.verified_by == manager and verified.version == 1
    assert relevel.verified_by is None and relevel.verified_at is None


def test_hr_replaces_someone_elses_skills_and_it_is_audited(client, make_user, skills):
    hr = make_user(Role.HR, username="hr-api")
    person = PersonFactory(staff_number="S200002")
    PersonSkillFactory(person=person, skill=skills["pm"], level=1)
    client.force_login(hr)
    response = put(
        client,
        person.staff_number,
        {
            "skills": [
                {"skill": "SQL", "level": "EXPERT", "evidence": "certified", "note": "Exam"},
                {"skill": skills["pm"].pk, "level": 1},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    sql = PersonSkill.objects.get(person=person, skill=skills["sql"])
    assert (sql.level, sql.evidence, sql.note, sql.verified_by) == (4, "certified", "Exam", hr)
    event = AccessEvent.objects.get(subject=person)
    assert (event.actor, event.subject, event.action) == (hr, person, "edit_profile")
    assert event.parameters == {"what": "skills", "created": 1, "updated": 0, "deleted": 0}


def test_hr_gets_404_for_an_unknown_staff_number(client_for):
    response = put(client_for(Role.HR), "S404404", {"skills": []})
    assert response.status_code == 404
    assert response.json()["detail"] == "No one has staff number S404404."


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.PLANNER, Role.STEWARD])
def test_others_get_403_whether_or_not_the_person_exists(client, make_user, role, skills):
    user = make_user(role, username=f"api-{role}")
    PersonFactory(user=user, staff_number="S300003")
    victim = PersonFactory(staff_number="S300004")
    PersonSkillFactory(person=victim, skill=skills["sql"], level=4)
    client.force_login(user)
    for staff_number in [victim.staff_number, "S999998"]:
        response = put(client, staff_number, {"skills": []})
        assert response.status_code == 403, (role, staff_number)
        assert response.json()["detail"] == "You do not have permission to do this."
    assert PersonSkill.objects.filter(person=victim).count() == 1


def test_a_user_with_no_staff_record_gets_403(client_for):
    assert put(client_for(Role.STAFF), "S100001", {"skills": []}).status_code == 403


def test_anonymous_gets_401(client, owner):
    client.logout()
    response = put(client, owner.staff_number, {"skills": []})
    assert response.status_code == 401


def test_bearer_token_owner(client, owner, skills):
    client.logout()
    token = api_token_create(user=owner.user, name="script")[1]
    response = put(
        client,
        owner.staff_number,
        {"skills": [{"skill": "SQL", "level": 2}]},
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 200, response.json()
    assert PersonSkill.objects.get(person=owner).skill == skills["sql"]


def test_malformed_body_is_422(client, owner):
    response = put(client, owner.staff_number, {"skill": []})
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "The request is not valid."
    assert body["errors"][0]["loc"][-1] == "skills"


def test_every_bad_item_is_reported_and_nothing_is_written(client, owner, skills):
    PersonSkillFactory(person=owner, skill=skills["pm"], level=2)
    response = put(
        client,
        owner.staff_number,
        {
            "skills": [
                {"skill": "stakeholder", "level": 2},
                {"skill": "Underwater basket weaving", "level": 2},
                {"skill": 999999, "level": 2},
                {"skill": "SQL", "level": 5},
                {"skill": "SQL", "level": "guru"},
                {"skill": "Python", "level": 2, "last_used": "2024-13"},
                {"skill": "project management", "level": 2, "last_used": "next year"},
                {"skill": "urn:muster:test:python", "level": 1, "note": "x" * 501},
            ]
        },
    )
    assert response.status_code == 422
    body = response.json()
    assert body["detail"] == "Some skills could not be saved; nothing was changed."
    errors = {tuple(e["loc"]): e for e in body["errors"]}
    suggest = errors[("body", "skills", 0, "skill")]
    assert "could be more than one skill" in suggest["message"]
    assert {s["name"] for s in suggest["suggestions"]} == {
        "stakeholder management",
        "stakeholder engagement",
    }
    assert errors[("body", "skills", 1, "skill")]["message"] == (
        "No skill matches “Underwater basket weaving”"
    )
    assert errors[("body", "skills", 2, "skill")]["message"] == "No skill has id 999999"
    # One wording for every surface (skills_app.core.vocabulary)
    assert "level from 1 to 4" in errors[("body", "skills", 3, "level")]["message"]
    assert "level from 1 to 4" in errors[("body", "skills", 4, "level")]["message"]
    assert ("body", "skills", 4, "skill") in errors  # SQL listed twice
    assert "not a real date" in errors[("body", "skills", 5, "last_used")]["message"]
    assert "YYYY" in errors[("body", "skills", 6, "last_used")]["message"]
    assert "500 characters" in errors[("body", "skills", 7, "note")]["message"]
    assert list(PersonSkill.objects.filter(person=owner).values_list("level", flat=True)) == [2]


def test_a_note_over_500_characters_is_refused_and_exactly_500_is_accepted(client, owner, skills):
    held = PersonSkillFactory(person=owner, skill=skills["sql"], level=2, note="Old note")
    item = {"skill": skills["sql"].pk, "level": 2}
    response = put(client, owner.staff_number, {"skills": [{**item, "note": "x" * 501}]})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["message"] for e in response.json()["errors"]}
    assert errors == {("body", "skills", 0, "note"): "Note must be 500 characters or fewer"}
    held.refresh_from_db()
    assert (held.note, held.version) == ("Old note", 1)
    response = put(client, owner.staff_number, {"skills": [{**item, "note": "x" * 500}]})
    assert response.status_code == 200, response.json()
    held.refresh_from_db()
    assert held.note == "x" * 500


def test_unknown_skill_name_comes_with_suggestions(client, owner, skills):
    response = put(
        client, owner.staff_number, {"skills": [{"skill": "pyton progamming", "level": 2}]}
    )
    body = response.json()
    assert response.status_code == 422
    error = body["errors"][0]
    assert error["loc"] == ["body", "skills", 0, "skill"]
    assert error["suggestions"][0]["name"] == "Python (computer programming)"
    assert error["suggestions"][0]["uri"] == "urn:muster:test:python"


def test_levels_by_number_or_name(client, owner, skills):
    response = put(
        client,
        owner.staff_number,
        {
            "skills": [
                {"skill": "SQL", "level": "awareness"},
                {"skill": "Python", "level": "4"},
                {"skill": "project management", "level": "Working", "last_used": "2020"},
            ]
        },
    )
    assert response.status_code == 200, response.json()
    levels = {s["skill"]["name"]: (s["level"], s["last_used"]) for s in response.json()["skills"]}
    assert levels == {
        "SQL": (1, None),
        "Python (computer programming)": (4, None),
        "project management": (2, "2020-01-01"),
    }


def test_expected_version_guards_against_lost_updates(client, owner, skills):
    first = put(
        client,
        owner.staff_number,
        {"skills": [{"skill": "SQL", "level": 2}], "expected_version": 1},
    )
    assert first.status_code == 200 and first.json()["version"] == 2
    stale = put(
        client,
        owner.staff_number,
        {"skills": [{"skill": "Python", "level": 2}], "expected_version": 1},
    )
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["current_version"] == 2
    assert [ps.skill for ps in PersonSkill.objects.filter(person=owner)] == [skills["sql"]]
    # Nothing changed: the version stays.
    same = put(
        client,
        owner.staff_number,
        {"skills": [{"skill": "SQL", "level": 2}], "expected_version": 2},
    )
    assert same.status_code == 200
    assert same.json()["version"] == 2 and same.json()["unchanged"] == 1


def test_merged_and_deprecated_skills(client, owner, skills):
    old = Skill.objects.create(
        name="Structured Query Language",
        uri="urn:muster:test:sql-old",
        status=SkillStatus.MERGED,
        merged_into=skills["sql"],
    )
    gone = Skill.objects.create(
        name="COBOL", uri="urn:muster:test:cobol", status=SkillStatus.DEPRECATED
    )
    response = put(client, owner.staff_number, {"skills": [{"skill": old.uri, "level": 3}]})
    assert response.status_code == 200
    assert response.json()["skills"][0]["skill"]["name"] == "SQL"
    response = put(client, owner.staff_number, {"skills": [{"skill": gone.pk, "level": 3}]})
    assert response.status_code == 422
    assert "deprecated" in response.json()["errors"][0]["message"]
    # A deprecated skill the person already holds can stay.
    PersonSkillFactory(person=owner, skill=gone, level=2)
    response = put(
        client,
        owner.staff_number,
        {"skills": [{"skill": gone.pk, "level": 2}, {"skill": "SQL", "level": 3}]},
    )
    assert response.status_code == 200, response.json()


def test_it_is_in_the_openapi_schema(client_for):
    schema = client_for(Role.STAFF).get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/people/{staff_number}/skills"]["put"]
    assert operation["summary"].startswith("Replace a person's skills")


def test_last_used_in_the_future_is_refused(client, owner, skills):
    future = (timezone.localdate() + dt.timedelta(days=400)).strftime("%Y-%m")
    response = put(
        client, owner.staff_number, {"skills": [{"skill": "SQL", "level": 2, "last_used": future}]}
    )
    assert response.status_code == 422
    assert "future" in response.json()["errors"][0]["message"]


def test_unknown_fields_are_422_naming_each_and_nothing_is_written(client, owner, skills):
    PersonSkillFactory(person=owner, skill=skills["pm"], level=2)
    owner.refresh_from_db()
    response = put(
        client,
        owner.staff_number,
        {
            "skills": [{"skill": "SQL", "level": 2, "confidence": "high"}],
            "expected_version": owner.version,
            "replace": True,
        },
    )
    assert response.status_code == 422
    unknown = {
        tuple(e["loc"][2:]): e["message"]
        for e in response.json()["errors"]
        if e["type"] == "extra_forbidden"
    }
    assert unknown == {
        ("skills", "0", "confidence"): "Unknown field: confidence",
        ("replace",): "Unknown field: replace",
    }
    assert list(PersonSkill.objects.filter(person=owner).values_list("skill", "level")) == [
        (skills["pm"].pk, 2)
    ]
    version = owner.version
    owner.refresh_from_db()
    assert owner.version == version


def test_the_skills_named_are_read_in_one_query_however_many(client, owner, skills):
    """Two items or ten: the same number of queries (each refused here, so nothing
    is written and only the lookups differ)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(n):
        body = {"skills": [{"skill": f"urn:muster:test:none-{i}", "level": 2} for i in range(n)]}
        with CaptureQueriesContext(connection) as seen:
            response = put(client, owner.staff_number, body)
        assert response.status_code == 422
        return len(seen)

    assert queries(2) == queries(10)
