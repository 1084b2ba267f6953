import csv
import io
import json

import pytest

from skills_app.accounts.permissions import Role
from taxonomy.models import SkillAlias, SkillGroup, SkillLevelDescriptor, SkillRelation
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def taxonomy():
    group = SkillGroup.objects.create(name="Programming", uri="urn:test:group:programming")
    python = SkillFactory(name="Python (computer programming)", uri="urn:test:python", group=group)
    SkillAlias.objects.create(skill=python, label="Python")
    pm = SkillFactory(name="project management", uri="urn:test:pm")
    SkillFactory(name='=HYPERLINK("http://evil")', uri="urn:test:evil")
    SkillLevelDescriptor.objects.create(skill=pm, level=3, description="You can run a project")
    SkillRelation.objects.create(from_skill=pm, to_skill=python, kind="related")
    return {"python": python, "pm": pm, "group": group}


def test_fuzzy_search_finds_skills_from_misspellings(client_for, taxonomy):
    client = client_for(Role.STAFF)
    hit = client.get("/api/v1/skills?q=pyhton").json()[0]
    assert hit["id"] == taxonomy["python"].pk
    assert hit["uri"] == "urn:test:python"
    assert hit["group"] == "Programming"
    assert 0 < hit["score"] <= 100
    assert hit["matched_label"] in {"Python", "Python (computer programming)"}
    assert client.get("/api/v1/skills?q=projct managment").json()[0]["name"] == "project management"


def test_alias_search_reports_the_label_that_matched(client_for, taxonomy):
    hit = client_for(Role.STAFF).get("/api/v1/skills?q=python&limit=1").json()
    assert len(hit) == 1
    assert hit[0]["matched_label"] == "Python"
    assert hit[0]["name"] == "Python (computer programming)"


@pytest.mark.parametrize("query", ["", "q=", "q=x&limit=0", "q=x&limit=51", "q=" + "x" * 201])
def test_bad_search_parameters_are_422_json(client_for, taxonomy, query):
    response = client_for(Role.STAFF).get(f"/api/v1/skills?{query}")
    assert response.status_code == 422
    assert response.json()["errors"]


def test_json_export_is_versioned_and_complete(client_for, taxonomy):
    response = client_for(Role.STAFF).get("/api/v1/taxonomy/export?format=json")
    assert response.status_code == 200
    assert "attachment;" in response["Content-Disposition"]
    body = json.loads(b"".join(response.streaming_content))
    assert body["format"] == "muster-taxonomy" and body["format_version"] == 1
    assert isinstance(body["taxonomy_version"], int)
    assert [lvl["name"] for lvl in body["levels"]] == [
        "Awareness",
        "Working",
        "Practitioner",
        "Expert",
    ]
    skills = {s["uri"]: s for s in body["skills"]}
    assert skills["urn:test:python"]["aliases"] == ["Python"]
    assert skills["urn:test:python"]["group_uri"] == "urn:test:group:programming"
    assert skills["urn:test:pm"]["level_descriptors"] == {"3": "You can run a project"}
    assert skills["urn:test:pm"]["relations"] == [
        {"to_uri": "urn:test:python", "kind": "related", "strength": None}
    ]
    assert skills["urn:test:python"]["id"] == taxonomy["python"].pk


def test_csv_export_has_stable_ids_and_escapes_formulas(client_for, taxonomy):
    response = client_for(Role.STAFF).get("/api/v1/taxonomy/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    by_uri = {row["uri"]: row for row in rows}
    assert by_uri["urn:test:python"]["id"] == str(taxonomy["python"].pk)
    assert by_uri["urn:test:python"]["aliases"] == "Python"
    assert by_uri["urn:test:evil"]["name"].startswith("'=HYPERLINK")


def test_unknown_export_format_is_refused(client_for, taxonomy):
    response = client_for(Role.STAFF).get("/api/v1/taxonomy/export?format=xml")
    assert response.status_code == 422
