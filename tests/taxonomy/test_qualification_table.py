"""The stewards' side of the qualification -> skills table (DESIGN 9): the service,
the merge repointing, the page (with who may use it), and the qualification-skills
import."""

import re

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.imports.service import import_file
from skills_app.people.models import ImportJob
from taxonomy.models import QualificationSkill, SkillStatus
from taxonomy.services import (
    qualification_skill_add,
    qualification_skill_remove,
    qualification_skill_set_level,
    skill_deprecate,
    skill_merge,
)
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
URL = "/skills/qualifications/"


@pytest.fixture
def steward(make_user):
    return make_user(Role.STEWARD)


@pytest.fixture
def skills(db):
    return {
        "pm": SkillFactory(name="Project management"),
        "risk": SkillFactory(name="Risk management"),
        "python": SkillFactory(name="Python programming"),
    }


# --- service -----------------------------------------------------------------------


def test_add_change_and_remove_a_mapping(steward, skills):
    row = qualification_skill_add(
        steward=steward, qualification="  PRINCE2   Practitioner ", skill=skills["pm"], level="3"
    )
    assert (row.qualification, row.key, row.level, row.version) == (
        "PRINCE2 Practitioner",
        "prince2 practitioner",
        3,
        1,
    )
    changed = qualification_skill_set_level(
        steward=steward, mapping_id=row.pk, version=1, level="Expert"
    )
    assert (changed.level, changed.version) == (4, 2)
    qualification_skill_remove(steward=steward, mapping_id=row.pk, version=2)
    assert not QualificationSkill.objects.exists()


def test_the_same_qualification_and_skill_twice_is_refused_whatever_the_spelling(steward, skills):
    qualification_skill_add(
        steward=steward, qualification="PRINCE2 Practitioner", skill=skills["pm"], level=3
    )
    with pytest.raises(ValidationError) as caught:
        qualification_skill_add(
            steward=steward, qualification="prince2 practitioner.", skill=skills["pm"], level=2
        )
    assert "change its level instead" in str(caught.value)
    assert QualificationSkill.objects.count() == 1


@pytest.mark.parametrize("status", [SkillStatus.DEPRECATED, SkillStatus.MERGED])
def test_a_merged_or_deprecated_skill_is_refused(steward, skills, status):
    skill = skills["pm"]
    if status == SkillStatus.MERGED:
        skill_merge(source=skill, target=skills["risk"], steward=steward)
    else:
        skill_deprecate(skill=skill, steward=steward)
    skill.refresh_from_db()
    with pytest.raises(ValidationError) as caught:
        qualification_skill_add(steward=steward, qualification="PRINCE2", skill=skill, level=2)
    word = "deprecated" if status == SkillStatus.DEPRECATED else "merged"
    assert word in str(caught.value)
    assert not QualificationSkill.objects.exists()


@pytest.mark.parametrize(
    ("qualification", "level", "field"),
    [
        ("", 2, "qualification"),
        ("  ", 2, "qualification"),
        ("!!!", 2, "qualification"),
        ("x" * 256, 2, "qualification"),
        ("PRINCE2", 5, "level"),
        ("PRINCE2", "lots", "level"),
    ],
)
def test_bad_input_is_refused_on_its_field(steward, skills, qualification, level, field):
    with pytest.raises(ValidationError) as caught:
        qualification_skill_add(
            steward=steward, qualification=qualification, skill=skills["pm"], level=level
        )
    assert field in caught.value.error_dict


def test_a_stale_version_changes_and_removes_nothing(steward, skills):
    row = qualification_skill_add(
        steward=steward, qualification="PRINCE2", skill=skills["pm"], level=2
    )
    qualification_skill_set_level(steward=steward, mapping_id=row.pk, version=1, level=3)
    with pytest.raises(ConflictError) as caught:
        qualification_skill_set_level(steward=steward, mapping_id=row.pk, version=1, level=1)
    assert caught.value.current.level == 3
    with pytest.raises(ConflictError):
        qualification_skill_remove(steward=steward, mapping_id=row.pk, version=1)
    row.refresh_from_db()
    assert (row.level, row.version) == (3, 2)


def test_a_merge_repoints_mappings_keeping_the_higher_level(steward, skills):
    pm, risk = skills["pm"], skills["risk"]
    moved = QualificationSkill.objects.create(qualification="APM PMQ", skill=risk, level=2)
    both_low = QualificationSkill.objects.create(qualification="PRINCE2", skill=pm, level=2)
    both_high = QualificationSkill.objects.create(qualification="prince2", skill=risk, level=4)
    kept = QualificationSkill.objects.create(qualification="MSP", skill=pm, level=3)
    kept_source = QualificationSkill.objects.create(qualification="msp", skill=risk, level=1)
    skill_merge(source=risk, target=pm, steward=steward)
    rows = {(r.key, r.skill_id): (r.level, r.pk) for r in QualificationSkill.objects.all()}
    assert rows == {
        ("apm pmq", pm.pk): (2, moved.pk),
        ("prince2", pm.pk): (4, both_low.pk),
        ("msp", pm.pk): (3, kept.pk),
    }
    assert not QualificationSkill.objects.filter(pk__in=[both_high.pk, kept_source.pk]).exists()


# --- page ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.HR, Role.PLANNER, Role.LINE_MANAGER])
def test_other_roles_are_refused(client_for, skills, role):
    row = QualificationSkill.objects.create(qualification="PRINCE2", skill=skills["pm"], level=2)
    client = client_for(role)
    assert client.get(URL).status_code == 403
    assert (
        client.post(URL, {"qualification": "X", "skill": skills["pm"].pk, "level": "2"}).status_code
        == 403
    )
    assert client.get(f"{URL}{row.pk}/").status_code == 403
    assert client.post(f"{URL}{row.pk}/remove/", {"version": "1"}).status_code == 403
    assert QualificationSkill.objects.count() == 1


@pytest.mark.parametrize("role", [Role.STEWARD, Role.ADMIN])
def test_stewards_and_admins_see_the_table(client_for, skills, role):
    QualificationSkill.objects.create(
        qualification="PRINCE2 Practitioner", skill=skills["pm"], level=3
    )
    page = client_for(role).get(URL).content.decode()
    assert "Qualifications and the skills they show" in page
    assert "PRINCE2 Practitioner" in page and "Project management" in page
    assert "3 Practitioner" in page


def test_the_taxonomy_home_links_stewards_to_the_table(client_for):
    assert f'href="{URL}"' in client_for(Role.STEWARD).get("/skills/").content.decode()
    assert f'href="{URL}"' not in client_for(Role.STAFF).get("/skills/").content.decode()


def test_the_table_filters_and_pages(client_for, skills, settings):
    for n in range(55):
        QualificationSkill.objects.create(qualification=f"Cert {n:02}", skill=skills["pm"], level=1)
    QualificationSkill.objects.create(
        qualification="Python Institute PCAP", skill=skills["python"], level=2
    )
    client = client_for(Role.STEWARD)
    first = client.get(URL).content.decode()
    assert "56 mappings" in first and "govuk-pagination" in first
    filtered = client.get(URL, {"q": "python"}).content.decode()
    assert "1 mapping" in filtered and "Python Institute PCAP" in filtered
    assert "Cert 01" not in filtered
    assert client.get(URL, {"page": "999", "q": "é" * 300}).status_code == 200


def test_add_from_the_page_without_javascript(client_for, skills):
    client = client_for(Role.STEWARD)
    response = client.post(
        URL,
        {
            "qualification": "PRINCE2 Practitioner",
            "skill_query": "Project management",
            "skill": "",
            "level": "3",
        },
    )
    assert response.status_code == 302
    row = QualificationSkill.objects.get()
    assert (row.qualification, row.skill_id, row.level) == (
        "PRINCE2 Practitioner",
        skills["pm"].pk,
        3,
    )


def test_a_bad_add_shows_the_error_summary_and_writes_nothing(client_for, skills):
    client = client_for(Role.STEWARD)
    response = client.post(URL, {"qualification": "", "skill_query": "", "skill": "", "level": ""})
    page = response.content.decode()
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert "Enter the name of the qualification" in page
    assert "Enter the skill the qualification shows" in page
    assert "Choose the level the qualification shows" in page
    assert not QualificationSkill.objects.exists()


def test_a_deprecated_skill_cannot_be_added_from_the_page(client_for, skills, steward):
    skill_deprecate(skill=skills["pm"], steward=steward)
    response = client_for(Role.STEWARD).post(
        URL,
        {
            "qualification": "PRINCE2",
            "skill_query": "",
            "skill": str(skills["pm"].pk),
            "level": "3",
        },
    )
    assert response.status_code == 200
    # The picker offers and accepts only active skills (the service refuses the rest too).
    assert "Enter the skill the qualification shows" in response.content.decode()
    assert not QualificationSkill.objects.exists()


def test_change_level_and_remove_from_the_page(client_for, skills):
    row = QualificationSkill.objects.create(qualification="PRINCE2", skill=skills["pm"], level=2)
    client = client_for(Role.STEWARD)
    form = client.get(f"{URL}{row.pk}/").content.decode()
    assert 'name="version" value="1"' in form and "Awareness" in form
    assert client.post(f"{URL}{row.pk}/", {"level": "4", "version": "1"}).status_code == 302
    row.refresh_from_db()
    assert (row.level, row.version) == (4, 2)
    stale = client.post(f"{URL}{row.pk}/", {"level": "1", "version": "1"})
    assert (
        stale.status_code == 409
        and "What you entered and what is saved now" in stale.content.decode()
    )
    confirm = client.get(f"{URL}{row.pk}/remove/").content.decode()
    assert "Remove “Project management” from “PRINCE2”?" in confirm
    assert client.post(f"{URL}{row.pk}/remove/", {"version": "1"}).status_code == 409
    assert QualificationSkill.objects.filter(pk=row.pk).exists()
    assert client.post(f"{URL}{row.pk}/remove/", {"version": "2"}).status_code == 302
    assert not QualificationSkill.objects.exists()
    assert client.get(f"{URL}{row.pk}/").status_code == 404


# --- import --------------------------------------------------------------------------

HEADER = "qualification,skill,level"


def run(text, *, dry_run=False, user=None):
    job = import_file(
        kind="qualification-skills",
        filename="quals.csv",
        content=text.encode(),
        dry_run=dry_run,
        user=user,
    )
    return job.result


def test_a_good_file_imports_and_reimporting_changes_nothing(skills, steward):
    QualificationSkill.objects.create(qualification="MSP", skill=skills["risk"], level=1)
    text = "\n".join(
        [
            HEADER,
            "PRINCE2 Practitioner,Project management,Practitioner",
            "PRINCE2 Practitioner,Risk management,2",
            f"MSP,{skills['risk'].uri},3",
        ]
    )
    result = run(text, user=steward)
    assert result["ok"], result
    assert (result["created"], result["updated"], result["unchanged"]) == (2, 1, 0)
    rows = {(r.qualification, r.skill.name, r.level) for r in QualificationSkill.objects.all()}
    assert rows == {
        ("PRINCE2 Practitioner", "Project management", 3),
        ("PRINCE2 Practitioner", "Risk management", 2),
        ("MSP", "Risk management", 3),
    }
    again = run(text, user=steward)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_an_xlsx_file_imports(skills, steward):
    import io

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Qualification", "Skill", "Level"])
    sheet.append(["PCAP", "Python programming", 2])
    buffer = io.BytesIO()
    book.save(buffer)
    job = import_file(
        kind="qualification-skills", filename="q.xlsx", content=buffer.getvalue(), user=steward
    )
    assert job.result["ok"], job.result
    assert QualificationSkill.objects.get().level == 2


def test_bad_rows_are_listed_with_row_numbers_and_nothing_is_written(skills, steward):
    deprecated = SkillFactory(name="Fax operation")
    skill_deprecate(skill=deprecated, steward=steward)
    text = "\n".join(
        [
            HEADER,
            "PRINCE2,Project management,3",  # row 2: fine
            ",Project management,3",  # row 3: no qualification
            "PRINCE2,Basket weaving,3",  # row 4: unknown skill
            "PRINCE2,Risk management,7",  # row 5: bad level
            "prince2.,project management,2",  # row 6: same pair as row 2
            f"Fax cert,{deprecated.uri},1",  # row 7: deprecated
            "PRINCE2,Projct managment,2",  # row 8: a misspelling: suggested or matched
        ]
    )
    result = run(text, user=steward)
    assert not result["ok"]
    at = {(e["row"], e["column"]) for e in result["errors"]}
    assert {(3, "qualification"), (4, "skill"), (5, "level"), (6, "skill"), (7, "skill")} <= at
    assert (2, "skill") not in at and (2, "qualification") not in at
    by_row = {e["row"]: e["message"] for e in result["errors"]}
    assert "Row 2 already maps" in by_row[6]
    assert "deprecated" in by_row[7]
    assert not QualificationSkill.objects.exists()


def test_a_missing_column_is_a_file_problem(skills, steward):
    result = run("qualification,skill\nPRINCE2,Project management\n", user=steward)
    assert not result["ok"] and result["errors"][0]["row"] is None
    assert "level" in result["errors"][0]["message"]


def test_stewards_import_from_the_page_and_hr_cannot_choose_the_kind(client_for, skills, settings):
    settings.TASKS = IMMEDIATE
    client = client_for(Role.STEWARD)
    page = client.get("/imports/?kind=qualification-skills").content.decode()
    assert 'value="qualification-skills"' in page
    assert 'value="people"' not in page
    assert client.get("/imports/templates/qualification-skills.csv").status_code == 200
    assert client.get("/imports/templates/people.csv").status_code == 403
    content = f"{HEADER}\nPRINCE2,Project management,3\n".encode()
    refused = client.post(
        "/imports/",
        {"kind": "people", "file": SimpleUploadedFile("p.csv", content, content_type="text/csv")},
    )
    assert refused.status_code == 200 and "Select what the file holds" in refused.content.decode()
    response = client.post(
        "/imports/",
        {
            "kind": "qualification-skills",
            "file": SimpleUploadedFile("q.csv", content, content_type="text/csv"),
        },
    )
    assert response.status_code == 302
    job_page = client.get(response["Location"]).content.decode()
    assert "Import complete" in job_page
    assert QualificationSkill.objects.get().level == 3

    hr = client_for(Role.HR)
    hr_page = hr.get("/imports/").content.decode()
    assert 'value="qualification-skills"' not in hr_page and 'value="people"' in hr_page
    assert hr.get("/imports/templates/qualification-skills.csv").status_code == 403
    assert ImportJob.objects.count() == 1


def test_the_api_refuses_a_kind_the_caller_may_not_import(client_for, skills, settings):
    settings.TASKS = IMMEDIATE
    client = client_for(Role.HR)
    content = f"{HEADER}\nPRINCE2,Project management,3\n".encode()
    response = client.post(
        "/api/v1/imports/qualification-skills",
        {"file": SimpleUploadedFile("q.csv", content, content_type="text/csv")},
    )
    assert response.status_code == 403
    assert not QualificationSkill.objects.exists()
    steward = client_for(Role.STEWARD)
    ok = steward.post(
        "/api/v1/imports/qualification-skills",
        {"file": SimpleUploadedFile("q.csv", content, content_type="text/csv")},
    )
    assert ok.status_code == 202, ok.content
    assert re.search(r'"status"', ok.content.decode())
    assert QualificationSkill.objects.count() == 1


# --- API -----------------------------------------------------------------------------


def test_the_api_lists_the_table_paged_and_filtered(client_for, skills):
    for n in range(3):
        QualificationSkill.objects.create(qualification=f"Cert {n}", skill=skills["pm"], level=2)
    QualificationSkill.objects.create(qualification="PCAP", skill=skills["python"], level=3)
    client = client_for(Role.STAFF)
    body = client.get("/api/v1/taxonomy/qualifications", {"limit": 2}).json()
    assert body["count"] == 4 and len(body["items"]) == 2
    assert body["items"][0] == {
        "id": body["items"][0]["id"],
        "qualification": "Cert 0",
        "key": "cert 0",
        "skill_id": skills["pm"].pk,
        "skill_name": "Project management",
        "skill_uri": skills["pm"].uri,
        "level": 2,
        "level_name": "Working",
        "version": 1,
    }
    found = client.get("/api/v1/taxonomy/qualifications", {"q": "python"}).json()
    assert [i["qualification"] for i in found["items"]] == ["PCAP"]
    assert client.get("/api/v1/taxonomy/qualifications", {"limit": 0}).status_code == 422


def test_the_merge_confirmation_counts_the_mappings_that_move(client_for, skills):
    QualificationSkill.objects.create(qualification="PRINCE2", skill=skills["risk"], level=2)
    page = (
        client_for(Role.STEWARD)
        .get(f"/skills/{skills['risk'].pk}/merge/", {"target": skills["pm"].pk})
        .content.decode()
    )
    assert "1 qualification shows “Risk management” and moves to “Project management”" in page


# --- audit ---------------------------------------------------------------------------


def _mapping_events():
    return list(AccessEvent.objects.filter(action=Action.QUALIFICATION_MAP).order_by("pk"))


def test_each_change_to_the_table_writes_one_audit_row(steward, skills):
    pm = skills["pm"]
    row = qualification_skill_add(
        steward=steward, qualification="PRINCE2 Practitioner", skill=pm, level=2
    )
    (added,) = _mapping_events()
    assert (added.actor, added.object_type, added.object_id) == (
        steward,
        "qualification_skill",
        str(row.pk),
    )
    assert added.subject is None  # no person is touched
    assert added.parameters == {
        "op": "add",
        "qualification": "prince2 practitioner",
        "skill": pm.uri,
        "skill_name": "Project management",
        "level_after": 2,
    }

    qualification_skill_set_level(steward=steward, mapping_id=row.pk, version=1, level=4)
    changed = _mapping_events()[1:]
    assert [(e.actor, e.object_id) for e in changed] == [(steward, str(row.pk))]
    assert changed[0].parameters == {
        "op": "level",
        "qualification": "prince2 practitioner",
        "skill": pm.uri,
        "skill_name": "Project management",
        "level_before": 2,
        "level_after": 4,
    }

    qualification_skill_remove(steward=steward, mapping_id=row.pk, version=2)
    removed = _mapping_events()[2:]
    assert [(e.actor, e.object_id) for e in removed] == [(steward, str(row.pk))]
    assert removed[0].parameters == {
        "op": "remove",
        "qualification": "prince2 practitioner",
        "skill": pm.uri,
        "skill_name": "Project management",
        "level_before": 4,
    }
    assert AccessEvent.objects.count() == 3


def test_a_refused_or_idle_change_to_the_table_writes_no_audit_row(steward, skills):
    row = qualification_skill_add(
        steward=steward, qualification="PRINCE2", skill=skills["pm"], level=2
    )
    before = AccessEvent.objects.count()
    with pytest.raises(ValidationError):  # the same pair again
        qualification_skill_add(
            steward=steward, qualification="prince2", skill=skills["pm"], level=3
        )
    with pytest.raises(ValidationError):  # a bad level
        qualification_skill_add(steward=steward, qualification="MSP", skill=skills["pm"], level=9)
    with pytest.raises(ConflictError):  # a stale version
        qualification_skill_set_level(steward=steward, mapping_id=row.pk, version=7, level=3)
    with pytest.raises(ConflictError):
        qualification_skill_remove(steward=steward, mapping_id=row.pk, version=7)
    # The same level again changes nothing, so there is nothing to record.
    qualification_skill_set_level(steward=steward, mapping_id=row.pk, version=1, level=2)
    assert AccessEvent.objects.count() == before


def test_the_page_audits_through_the_service(client_for, skills):
    client = client_for(Role.STEWARD)
    data = {"qualification": "PRINCE2", "skill_query": "Project management", "skill": ""}
    assert client.post(URL, {**data, "level": "9"}).status_code == 200  # refused
    assert not _mapping_events()
    assert client.post(URL, {**data, "level": "3"}).status_code == 302
    (event,) = _mapping_events()
    assert event.actor.groups.filter(name=Role.STEWARD.value).exists()
    assert event.parameters["op"] == "add"


def test_an_import_of_the_table_writes_one_audit_row_with_its_counts(skills, steward):
    QualificationSkill.objects.create(qualification="MSP", skill=skills["risk"], level=1)
    text = "\n".join(
        [
            HEADER,
            "PRINCE2 Practitioner,Project management,3",
            "PRINCE2 Practitioner,Risk management,2",
            "MSP,Risk management,3",
        ]
    )
    assert run(text, user=steward)["ok"]
    (event,) = AccessEvent.objects.all()  # one row for the file, none per mapping
    assert (event.actor, event.action, event.object_type) == (steward, Action.IMPORT, "import_job")
    assert event.parameters == {
        "kind": "qualification-skills",
        "filename": "quals.csv",
        "dry_run": False,
        "status": "succeeded",
        "rows": 3,
        "created": 2,
        "updated": 1,
        "unchanged": 0,
        "errors": 0,
    }


def test_a_refused_import_of_the_table_writes_only_its_import_row(skills, steward):
    text = "\n".join([HEADER, "PRINCE2,Project management,3", "MSP,Basket weaving,2"])
    assert not run(text, user=steward)["ok"]
    # The attempt is audited like every import (who tried, how it ended); no mapping
    # was written, so no mapping is recorded.
    (event,) = AccessEvent.objects.all()
    assert (event.action, event.parameters["status"], event.parameters["created"]) == (
        Action.IMPORT,
        "rejected",
        0,
    )
