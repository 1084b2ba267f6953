"""One input vocabulary (skills_app.core.vocabulary): every parser's accepted spellings
and refusals, the merge loop guard, and the same spelling accepted by a form, the API
and an import."""

import datetime as dt

import pytest
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.core import vocabulary
from skills_app.core.vocabulary import MAX_MERGE_HOPS, VocabularyError
from skills_app.imports.service import import_file
from skills_app.people.forms import SkillClaimForm
from skills_app.people.models import Person, PersonSkill
from skills_app.roles.forms import FiltersForm
from skills_app.roles.forms_builder import RequirementRowForm
from taxonomy.models import Skill, SkillStatus
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

TODAY = dt.date(2026, 6, 15)


def refused(parse, value, **kwargs) -> str:
    with pytest.raises(VocabularyError) as caught:
        parse(value, **kwargs)
    return caught.value.message


# --- levels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "level"),
    [
        (1, 1),
        (4, 4),
        ("2", 2),
        (" 3 ", 3),
        ("03", 3),
        ("practitioner", 3),
        ("Practitioner", 3),
        ("  EXPERT ", 4),
        ("awareness", 1),
        ("Working", 2),
    ],
)
def test_level_spellings(given, level):
    assert vocabulary.level(given) == level


@pytest.mark.parametrize("given", [0, 5, -1, True, None, "", "0", "5", "guru", "3.5", "²", 3.0])
def test_level_refusals_say_what_is_accepted(given):
    message = refused(vocabulary.level, given)
    assert "from 1 to 4" in message
    assert "Awareness, Working, Practitioner or Expert" in message


# --- grades ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ("G7", "G7"),
        ("g7", "G7"),
        ("Grade 7", "G7"),
        ("grade7", "G7"),
        (" GRADE  7 ", "G7"),
        ("G6", "G6"),
        ("Grade 6", "G6"),
        ("HEO", "HEO"),
        ("heo", "HEO"),
        ("Higher Executive Officer", "HEO"),
        ("higher  executive officer", "HEO"),
        ("SCS 1", "SCS1"),
        ("scs2", "SCS2"),
        ("Senior Civil Service 3", "SCS3"),
        ("AA", "AA"),
        ("administrative officer", "AO"),
    ],
)
def test_grade_spellings(given, code):
    assert vocabulary.grade(given) == code


@pytest.mark.parametrize("given", ["Grade 9", "X9", "G8", "", None, "Executive"])
def test_grade_refusals_list_the_codes(given):
    message = refused(vocabulary.grade, given)
    assert message.startswith("Unknown grade")
    assert "AA, AO, EO, HEO, SEO, G7, G6, SCS1, SCS2, SCS3" in message
    assert "Grade 7" in message


# --- clearance ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "value"),
    [
        (0, 0),
        (3, 3),
        ("4", 4),
        (" 2 ", 2),
        ("None", 0),
        ("none", 0),
        ("bpss", 1),
        ("CTC", 2),
        ("sc", 3),
        (" DV ", 4),
        ("Security Check", 3),
        ("developed vetting", 4),
    ],
)
def test_clearance_spellings(given, value):
    assert vocabulary.clearance(given) == value


@pytest.mark.parametrize("given", [5, -1, True, "5", "top secret", "", "S C"])
def test_clearance_refusals_say_what_is_accepted(given):
    message = refused(vocabulary.clearance, given)
    assert message.startswith("Unknown clearance")
    assert "0 to 4" in message and "None, BPSS, CTC, SC or DV" in message


# --- yes/no and evidence --------------------------------------------------------------


@pytest.mark.parametrize("given", ["yes", "Y", " TRUE ", "1", True])
def test_yes(given):
    assert vocabulary.yes_no(given) is True


@pytest.mark.parametrize("given", ["no", "N", "false", "0", False])
def test_no(given):
    assert vocabulary.yes_no(given) is False


@pytest.mark.parametrize("given", ["maybe", "", "yess", "2"])
def test_yes_no_refusals(given):
    assert refused(vocabulary.yes_no, given) == "Enter yes or no"


@pytest.mark.parametrize(
    ("given", "value"),
    [
        ("self", "self"),
        ("Self-assessed", "self"),
        ("manager_verified", "manager_verified"),
        ("Manager verified", "manager_verified"),
        ("manager-verified", "manager_verified"),
        ("Verified by manager", "manager_verified"),
        ("CERTIFIED", "certified"),
    ],
)
def test_evidence_spellings(given, value):
    assert vocabulary.evidence(given) == value


def test_evidence_refusal():
    assert "manager_verified" in refused(vocabulary.evidence, "hearsay")


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "day"),
    [
        ("2023", dt.date(2023, 1, 1)),  # a year: 1 January
        ("2023-06", dt.date(2023, 6, 1)),  # a month: the 1st
        ("2023-6", dt.date(2023, 6, 1)),
        ("06/2023", dt.date(2023, 6, 1)),
        ("2023-06-15", dt.date(2023, 6, 15)),
        ("2023-6-5", dt.date(2023, 6, 5)),
        ("15/06/2023", dt.date(2023, 6, 15)),
        (" 2023-06 ", dt.date(2023, 6, 1)),
        (dt.date(2020, 2, 29), dt.date(2020, 2, 29)),
        (dt.datetime(2020, 2, 29, 13, 5), dt.date(2020, 2, 29)),
    ],
)
def test_partial_date_spellings(given, day):
    assert vocabulary.partial_date(given) == day


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        ("June 2021", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2023/06/15", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("", "YYYY, YYYY-MM or YYYY-MM-DD"),
        ("2021-13", "not a real date"),
        ("31/02/2023", "not a real date"),
        ("1899", "1900 or later"),
    ],
)
def test_partial_date_refusals(given, fragment):
    assert fragment in refused(vocabulary.partial_date, given)


def test_full_date_needs_a_day():
    assert vocabulary.full_date("2025-03-31") == vocabulary.full_date("31/03/2025")
    assert "YYYY-MM-DD or DD/MM/YYYY" in refused(vocabulary.full_date, "2025-03")
    assert "not a real date" in refused(vocabulary.full_date, "05/13/2026")


@pytest.mark.parametrize("given", ["current", " CURRENT ", "Current"])
def test_last_used_current_means_in_use_now(given):
    assert vocabulary.is_current(given)
    assert vocabulary.last_used(given, today=TODAY) is None


def test_last_used_refuses_the_future_and_says_current_is_accepted():
    assert vocabulary.last_used("2026-06", today=TODAY) == dt.date(2026, 6, 1)
    assert "future" in refused(vocabulary.last_used, "2026-07", today=TODAY)
    assert "current" in refused(vocabulary.last_used, "last year", today=TODAY)


# --- skills ---------------------------------------------------------------------------


def merge(source: Skill, into: Skill) -> None:
    Skill.objects.filter(pk=source.pk).update(status=SkillStatus.MERGED, merged_into=into)


@pytest.mark.django_db
def test_skill_by_id_uri_or_name_follows_merges():
    python = SkillFactory(name="Python", uri="urn:test:python")
    old = SkillFactory(name="Python 2", uri="urn:test:python2")
    merge(old, python)
    for given in (python.pk, old.pk, "urn:test:python", " urn:test:python2 ", "python"):
        assert vocabulary.skill_ref(given) == python


@pytest.mark.django_db
def test_skill_refusals():
    gone = SkillFactory(name="COBOL", uri="urn:test:cobol", status=SkillStatus.DEPRECATED)
    assert refused(vocabulary.skill_ref, 999999) == "No skill has id 999999"
    assert "URI" in refused(vocabulary.skill_ref, "urn:test:nothing")
    assert refused(vocabulary.skill_ref, "  ") == "Give the skill as an id, URI or name"
    assert refused(vocabulary.skill_ref, True) == "Give the skill as an id, URI or name"
    assert "No skill matches" in refused(vocabulary.skill_ref, "Underwater basket weaving")
    assert "deprecated" in refused(vocabulary.skill_ref, gone.pk)
    assert vocabulary.skill_ref(gone.pk, held={gone.pk}) == gone  # already on the profile


@pytest.mark.django_db
def test_a_merge_chain_of_the_limit_resolves():
    chain = [SkillFactory() for _ in range(MAX_MERGE_HOPS + 1)]
    for source, target in zip(chain, chain[1:], strict=False):
        merge(source, target)
    assert vocabulary.follow_merges(Skill.objects.get(pk=chain[0].pk)) == chain[-1]


@pytest.mark.django_db
def test_a_merge_cycle_is_an_error_not_an_infinite_loop():
    a = SkillFactory(name="Alpha", uri="urn:test:alpha")
    b = SkillFactory(name="Beta", uri="urn:test:beta")
    merge(a, b)
    merge(b, a)  # corrupt data: A -> B -> A -> ...
    with pytest.raises(VocabularyError, match="does not end"):
        vocabulary.follow_merges(Skill.objects.get(pk=a.pk))
    assert "does not end" in refused(vocabulary.skill_ref, "urn:test:alpha")
    # the importer reports it as a row error
    staff = PersonFactory(staff_number="S1")
    result = run("person-skills", "staff_number,skill,level\nS1,urn:test:beta,3\n")
    assert not result["ok"]
    assert [(e["row"], e["column"]) for e in result["errors"]] == [(2, "skill")]
    assert "does not end" in result["errors"][0]["message"]
    assert not PersonSkill.objects.filter(person=staff).exists()


# --- the same spelling on every surface -------------------------------------------------


def run(kind, text):
    job = import_file(kind=kind, filename="file.csv", content=text.encode(), dry_run=False)
    return job.result


@pytest.mark.django_db
def test_a_form_accepts_the_vocabulary():
    claim = SkillClaimForm(data={"level": "practitioner", "in_use": "Yes"})
    assert claim.is_valid(), claim.errors
    assert (claim.cleaned_data["level"], claim.cleaned_data["in_use"]) == (3, "yes")
    search = FiltersForm(
        data={"grades": ["Grade 7", "heo"], "clearance": "sc", "redeployable": "y"}
    )
    assert search.is_valid(), search.errors
    filters = search.cleaned_data["filters"]
    assert (filters.grades, filters.min_clearance, filters.redeployable_only) == (
        ("G7", "HEO"),
        3,
        True,
    )
    SkillFactory(name="Python")
    row = RequirementRowForm(
        data={"skill_query": "Python", "level": " Expert ", "weight": "1"}, number=1
    )
    assert row.is_valid(), row.errors
    assert row.cleaned_data["level"] == 4
    # a refusal keeps the form's own message
    bad = SkillClaimForm(data={"level": "guru", "in_use": "perhaps"})
    assert not bad.is_valid()
    assert bad.errors["level"] == ["Choose your level"]
    assert bad.errors["in_use"] == ["Select yes if you use this skill now"]


@pytest.mark.django_db
def test_the_api_accepts_the_vocabulary(client_for):
    python = SkillFactory(name="Python", uri="urn:test:python")
    unit = OrgUnitFactory()
    reviewed = timezone.now() - dt.timedelta(days=30)
    for sn, grade, clearance in (("P1", "G7", 3), ("P2", "HEO", 3), ("P3", "G7", 1)):
        person = PersonFactory(
            staff_number=sn,
            grade=grade,
            clearance=clearance,
            org_unit=unit,
            profile_reviewed_at=reviewed,
        )
        PersonSkillFactory(person=person, skill=python, level=3)
    client = client_for(Role.PLANNER)
    body = {
        "requirements": [{"skill": "python", "level": "practitioner"}],
        "filters": {"grades": ["Grade 7"], "min_clearance": "sc"},
        "threshold": 0,
    }
    response = client.post("/api/v1/match", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [r["staff_number"] for r in results] == ["P1"]
    assert results[0]["requirements"][0]["required_level"] == 3
    body["filters"] = {"grades": ["Grade 9"], "min_clearance": "top secret"}
    refused_ = client.post("/api/v1/match", body, content_type="application/json")
    assert refused_.status_code == 422
    errors = {tuple(e["loc"]): e for e in refused_.json()["errors"]}
    assert "G7" in errors[("body", "filters", "grades", 0)]["message"]
    assert "BPSS" in errors[("body", "filters", "min_clearance")]["message"]
    assert errors[("body", "filters", "min_clearance")]["type"] == "value_error"


@pytest.mark.django_db
def test_an_import_accepts_the_vocabulary():
    SkillFactory(name="Python", uri="urn:test:python")
    header = (
        "staff_number,full_name,email,grade,org_unit,location,weekly_hours,clearance,"
        "redeployable,protected,available_from,line_manager_staff_number"
    )
    row = "V1,Val Vocab,v1@example.gov.uk,Grade 7,Dept/Team,Leeds,37,sc,Y,false,31/01/2026,"
    result = run("people", f"{header}\n{row}\n")
    assert result["ok"], result
    person = Person.objects.get(staff_number="V1")
    assert (person.grade, person.clearance, person.redeployable, person.protected) == (
        "G7",
        3,
        True,
        False,
    )
    result = run(
        "person-skills",
        "staff_number,skill,level,last_used,evidence\nV1,python,practitioner,06/2024,Self\n",
    )
    assert result["ok"], result
    held = PersonSkill.objects.get(person=person)
    assert (held.level, held.last_used, held.evidence) == (3, dt.date(2024, 6, 1), "self")
