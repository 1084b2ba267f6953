"""POST /api/v1/skills/extract: skills a free text speaks of, with their passages."""

import logging

import pytest

from skills_app.accounts.permissions import Role
from taxonomy.models import Occupation, OccupationSkill, SkillAlias, SkillStatus
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/skills/extract"


@pytest.fixture
def taxonomy():
    python = SkillFactory(
        name="Python (computer programming)",
        uri="urn:test:python",
        description="Techniques of software development in Python.",
    )
    SkillAlias.objects.create(skill=python, label="Python")
    pm = SkillFactory(
        name="project management", uri="urn:test:pm", description="Run projects to plan."
    )
    staff = SkillFactory(name="manage staff", uri="urn:test:staff")
    retired = SkillFactory(
        name="telegraphy", uri="urn:test:telegraphy", status=SkillStatus.DEPRECATED
    )
    nurse = Occupation.objects.create(
        uri="urn:test:nurse", name="nurse", description="Nurses manage staff on wards."
    )
    OccupationSkill.objects.create(occupation=nurse, skill=staff, essential=True)
    return {"python": python, "pm": pm, "staff": staff, "retired": retired}


def post(client, body):
    return client.post(URL, body, content_type="application/json")


def test_finds_a_phrase_with_its_span_and_the_right_shape(client_for, taxonomy):
    text = "Since 2021 I have led project management for a data platform."
    response = post(client_for(Role.STAFF), {"text": text})
    assert response.status_code == 200
    hits = response.json()
    assert all(set(hit) == {"skill", "score", "span", "matched_label"} for hit in hits)
    [top] = [hit for hit in hits if hit["skill"]["id"] == taxonomy["pm"].pk]
    assert top["skill"] == {
        "id": taxonomy["pm"].pk,
        "name": "project management",
        "uri": "urn:test:pm",
    }
    start, end = top["span"]
    assert text[start:end] == "project management"
    assert top["matched_label"] == "project management"
    assert 0 < top["score"] <= 1


def test_an_alias_in_another_form_and_limit(client_for, taxonomy):
    text = "I managed staff and wrote Python daily; project management too."
    client = client_for(Role.STAFF)
    hits = post(client, {"text": text, "limit": 50}).json()
    by_id = {hit["skill"]["id"]: hit for hit in hits}
    staff = by_id[taxonomy["staff"].pk]
    assert text[slice(*staff["span"])] == "managed staff"
    python = by_id[taxonomy["python"].pk]
    assert (text[slice(*python["span"])], python["matched_label"]) == ("Python", "Python")
    assert len(post(client, {"text": text, "limit": 1}).json()) == 1


def test_deprecated_skills_are_never_proposed(client_for, taxonomy):
    hits = post(client_for(Role.STAFF), {"text": "Telegraphy and project management."}).json()
    assert taxonomy["retired"].pk not in {hit["skill"]["id"] for hit in hits}


def test_nonsense_proposes_nothing(client_for, taxonomy):
    assert post(client_for(Role.STAFF), {"text": "qwzx blorf vrrk"}).json() == []


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"text": ""},
        {"text": "x" * 20_001},
        {"text": "python", "limit": 0},
        {"text": "python", "limit": 51},
        {"text": "python", "extra": 1},
        {"text": "python\x00"},
        {"text": 12},
    ],
)
def test_bad_input_is_422_json(client_for, taxonomy, body):
    response = post(client_for(Role.STAFF), body)
    assert response.status_code == 422
    assert response.json()["errors"]


def test_anonymous_is_refused(client, taxonomy):
    response = post(client, {"text": "project management"})
    assert response.status_code == 401
    assert response.json()["detail"]


def test_the_text_is_not_logged(client_for, taxonomy, caplog):
    secret = "Confidential appraisal of Ms Example and project management"
    client = client_for(Role.STAFF)
    with caplog.at_level(logging.DEBUG):
        post(client, {"text": secret})
        post(client, {"text": secret, "limit": 99})
    assert "Confidential appraisal" not in caplog.text


def test_a_taxonomy_change_rebuilds_the_extractor(client_for, taxonomy):
    client = client_for(Role.STAFF)
    text = "Years of bookkeeping."
    assert post(client, {"text": text}).json() == []
    SkillFactory(name="bookkeeping", uri="urn:test:bookkeeping")
    assert post(client, {"text": text}).json()[0]["skill"]["uri"] == "urn:test:bookkeeping"
