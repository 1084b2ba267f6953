"""The role builder (/roles/new/, /roles/<code>/edit/) through Django's test client:
every starting point, add and remove rows without JavaScript, every validation
error in the GOV.UK error summary with nothing lost, a stale save (409), framework
roles kept as published, and who may build roles at all."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.roles.models import RoleProfile, RoleRequirement, RoleSource
from skills_app.roles.search import RequirementSpec, SearchFilters
from skills_app.roles.services import MAX_REQUIREMENTS, RoleError, role_update, role_upsert
from taxonomy.models import Occupation, OccupationSkill
from taxonomy.services import taxonomy_changed
from tests.factories import OrgUnitFactory, PersonFactory, RoleProfileFactory, SkillFactory

pytestmark = pytest.mark.django_db

NEW = reverse("roles:new")


def html(response) -> str:
    return response.content.decode()


def error_summary(page: str) -> list[str]:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary on the page"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    ]


def error_links(page: str) -> list[str]:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    return re.findall(r'<li><a href="([^"]+)"', match.group(0))


def field_value(page: str, name: str) -> str | None:
    match = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    return match.group(1) if match else None


def selected_level(page: str, index: int) -> str | None:
    select = re.search(rf'<select[^>]*name="req-{index}-level".*?</select>', page, re.S)
    assert select, f"no level select for row {index}"
    chosen = re.search(r'<option value="(\d)" selected>', select.group(0))
    return chosen.group(1) if chosen else None


def is_checked(page: str, name: str, value: str) -> bool:
    return bool(
        re.search(rf'name="{re.escape(name)}" type="checkbox" value="{value}" checked', page)
    )


def row(skill=None, *, query=None, level="3", weight="1", essential=False) -> dict:
    return {
        "skill": str(skill.pk) if skill else "",
        "skill_query": query if query is not None else (skill.name if skill else ""),
        "level": level,
        "weight": weight,
        "essential": essential,
    }


def builder_data(title="Surge case manager", rows=(), **extra) -> dict:
    data = {"title": title, "description": "", "redeployable": "yes", "req-TOTAL": str(len(rows))}
    for i, r in enumerate(rows):
        for key, value in r.items():
            if key == "essential":
                if value:
                    data[f"req-{i}-essential"] = "yes"
            else:
                data[f"req-{i}-{key}"] = value
    data.update(extra)
    return data


@pytest.fixture
def planner(client_for):
    return client_for(Role.PLANNER)


@pytest.fixture
def skills(db):
    found = {name: SkillFactory(name=name) for name in ("Python", "SQL", "Casework", "Debt advice")}
    taxonomy_changed()
    return found


@pytest.fixture
def ddat_role(skills):
    role = RoleProfileFactory(
        code="data-engineer-senior",
        title="Senior data engineer",
        source=RoleSource.DDAT,
        role_name="Data engineer",
        level_rank=3,
        description="Designs data pipelines.",
    )
    RoleRequirement.objects.create(
        role=role, skill=skills["Python"], level=4, weight=2, essential=True
    )
    RoleRequirement.objects.create(role=role, skill=skills["SQL"], level=3, weight=1)
    return role


# --- starting points ------------------------------------------------------------------


def test_start_page_offers_every_starting_point(planner, ddat_role, skills):
    occupation = Occupation.objects.create(uri="urn:esco:occ:1", name="benefits advice worker")
    local = RoleProfileFactory(title="Benefit surge adviser", source=RoleSource.LOCAL)
    page = html(planner.get(NEW))
    assert f'<option value="{ddat_role.code}">Senior data engineer</option>' in page
    assert '<optgroup label="Data engineer">' in page
    assert f'href="{NEW}?start=blank"' in page

    page = html(planner.get(NEW, {"occupation_q": "benefits advice"}))
    assert f'href="{NEW}?occupation={occupation.pk}">Start from benefits advice worker' in page
    page = html(planner.get(NEW, {"occupation_q": "astronaut"}))
    assert "No occupations match “astronaut”" in page

    page = html(planner.get(NEW, {"role_q": "surge"}))
    assert f'href="{NEW}?from={local.code}">Start from Benefit surge adviser' in page


def test_choosing_no_ddat_role_is_an_error(planner, ddat_role):
    page = html(planner.get(NEW, {"ddat": ""}))
    assert error_summary(page) == ["Choose a DDaT role level"]
    assert error_links(page) == ["#ddat"]


def test_start_from_a_ddat_role_level_and_save_a_local_copy(planner, ddat_role, skills):
    page = html(planner.get(NEW, {"ddat": ddat_role.code}))
    assert "Started from Senior data engineer (DDaT framework)" in page
    assert field_value(page, "title") == "Senior data engineer"
    assert field_value(page, "req-TOTAL") == "2"
    python, sql = skills["Python"], skills["SQL"]
    assert field_value(page, "req-0-skill") == str(python.pk)
    assert field_value(page, "req-0-skill_query") == "Python"
    assert selected_level(page, 0) == "4"
    assert field_value(page, "req-0-weight") == "2"
    assert is_checked(page, "req-0-essential", "yes")
    assert field_value(page, "req-1-skill_query") == "SQL"
    assert selected_level(page, 1) == "3"
    assert not is_checked(page, "req-1-essential", "yes")

    data = builder_data(
        "Surge data engineer",
        [row(python, level="4", weight="2", essential=True), row(sql, level="2")],
        description="For the winter surge",
    )
    response = planner.post(NEW, data)
    assert response.status_code == 302
    role = RoleProfile.objects.get(title="Surge data engineer")
    assert response["Location"] == reverse("roles:detail", args=[role.code])
    assert role.code == "surge-data-engineer"
    assert role.source == RoleSource.LOCAL
    assert role.description == "For the winter surge"
    assert [
        (r.skill_id, r.level, r.weight, r.essential)
        for r in role.requirements.order_by("skill__name")
    ] == [
        (python.pk, 4, 2.0, True),
        (sql.pk, 2, 1.0, False),
    ]
    # The framework role is as it was.
    assert ddat_role.requirements.get(skill=sql).level == 3
    page = html(planner.get(response["Location"]))
    assert "You created the role “Surge data engineer”" in page


def test_start_from_an_esco_occupation(planner, skills):
    occupation = Occupation.objects.create(
        uri="urn:esco:occ:2", name="debt collector", description="Collects debts."
    )
    OccupationSkill.objects.create(
        occupation=occupation, skill=skills["Debt advice"], essential=True
    )
    OccupationSkill.objects.create(occupation=occupation, skill=skills["Casework"], essential=False)
    page = html(planner.get(NEW, {"occupation": occupation.pk}))
    assert "Started from debt collector (ESCO occupation)" in page
    assert field_value(page, "title") == "Debt collector"
    # Essential skills at Practitioner, full weight; optional at Working, half weight.
    assert field_value(page, "req-0-skill_query") == "Debt advice"
    assert (selected_level(page, 0), field_value(page, "req-0-weight")) == ("3", "1")
    assert is_checked(page, "req-0-essential", "yes")
    assert field_value(page, "req-1-skill_query") == "Casework"
    assert (selected_level(page, 1), field_value(page, "req-1-weight")) == ("2", "0.5")
    assert not is_checked(page, "req-1-essential", "yes")
    assert planner.get(NEW, {"occupation": 999999}).status_code == 404


def test_start_from_an_existing_role_keeps_its_filters(planner, skills):
    dept = OrgUnitFactory(name="DWP")
    directorate = OrgUnitFactory(name="Digital", parent=dept)
    division = OrgUnitFactory(name="Data Science", parent=directorate)
    PersonFactory(location="Leeds")
    source = RoleProfileFactory(
        title="Benefit surge adviser",
        filters=SearchFilters(
            grades=("HEO",),
            org_units=(directorate.pk, division.pk),
            locations=("Leeds", "Atlantis"),
            min_clearance=3,
            redeployable_only=False,
            min_weekly_hours=22.5,
        ).to_json(),
    )
    RoleRequirement.objects.create(role=source, skill=skills["Casework"], level=3)
    page = html(planner.get(NEW, {"from": source.code}))
    assert field_value(page, "title") == "Benefit surge adviser"
    assert field_value(page, "req-0-skill_query") == "Casework"
    assert is_checked(page, "grades", "HEO")
    assert is_checked(page, "units", str(directorate.pk))  # a top-two-level unit
    assert "DWP/Digital/Data Science</textarea>" in page  # a deeper one, by path
    assert is_checked(page, "locations", "Leeds")
    assert field_value(page, "other_locations") == "Atlantis"
    assert re.search(r'<option value="3" selected>SC</option>', page)
    assert re.search(r'name="redeployable" type="radio" value="no" checked', page)
    assert field_value(page, "hours") == "22.5"
    assert planner.get(NEW, {"from": "no-such-role"}).status_code == 404


def test_start_from_scratch_and_type_a_skill_without_javascript(planner, skills):
    page = html(planner.get(NEW, {"start": "blank"}))
    assert field_value(page, "req-TOTAL") == "1"
    assert field_value(page, "req-0-skill_query") == ""
    assert not re.search(r'name="redeployable" type="radio" value="no" checked', page)
    assert re.search(r'name="redeployable" type="radio" value="yes" checked', page)
    response = planner.post(
        NEW,
        builder_data(
            "Benefit processor",
            [row(query="casework", level="3")],
            grades=["EO", "HEO"],
            available_day="1",
            available_month="9",
            available_year="2030",
            hours="30",
        ),
    )
    assert response.status_code == 302, error_summary(html(response))
    role = RoleProfile.objects.get(title="Benefit processor")
    assert [r.skill for r in role.requirements.all()] == [skills["Casework"]]
    filters = SearchFilters.from_json(role.filters)
    assert filters.grades == ("EO", "HEO")
    assert filters.available_on.isoformat() == "2030-09-01"
    assert filters.min_weekly_hours == 30.0
    assert filters.redeployable_only is True


def test_a_role_titled_new_does_not_hide_the_builder(planner, skills):
    response = planner.post(NEW, builder_data("New", [row(skills["SQL"])]))
    assert response.status_code == 302
    assert RoleProfile.objects.get(title="New").code == "new-role"


# --- add and remove rows without JavaScript ---------------------------------------------


def test_add_another_row_keeps_everything_typed(planner, skills):
    data = builder_data(
        "Half typed",
        [row(skills["Python"], level="4", weight="2", essential=True)],
        grades=["SEO"],
        hours="abc",  # not checked until saving
        action="add",
    )
    response = planner.post(NEW, data)
    page = html(response)
    assert response.status_code == 200
    assert "govuk-error-summary" not in page
    assert field_value(page, "req-TOTAL") == "2"
    assert field_value(page, "title") == "Half typed"
    assert field_value(page, "req-0-skill") == str(skills["Python"].pk)
    assert (selected_level(page, 0), field_value(page, "req-0-weight")) == ("4", "2")
    assert is_checked(page, "req-0-essential", "yes")
    assert field_value(page, "req-1-skill_query") == ""
    assert selected_level(page, 1) is None
    assert is_checked(page, "grades", "SEO")
    assert field_value(page, "hours") == "abc"
    assert 'formaction="/roles/new/#requirement-3"' in page
    assert not RoleProfile.objects.filter(title="Half typed").exists()


def test_remove_a_row_renumbers_the_rest(planner, skills):
    data = builder_data(
        "Two rows",
        [row(skills["Python"], level="4"), row(skills["SQL"], level="2", weight="0.5")],
        remove="0",
    )
    page = html(planner.post(NEW, data))
    assert field_value(page, "req-TOTAL") == "1"
    assert field_value(page, "req-0-skill_query") == "SQL"
    assert (selected_level(page, 0), field_value(page, "req-0-weight")) == ("2", "0.5")
    assert "req-1-skill" not in page
    assert 'Remove<span class="govuk-visually-hidden"> requirement 1, SQL</span>' in page


# --- validation ------------------------------------------------------------------------


def test_every_bad_input_is_listed_and_nothing_is_lost(planner, skills):
    python, sql = skills["Python"], skills["SQL"]
    data = builder_data(
        "",
        [
            row(query="", level="3"),  # 1: no skill
            row(query="Qqxzv zzyxw", level="3"),  # 2: unknown skill
            row(python, level="4"),  # 3
            row(python, level="2"),  # 4: the same skill again
            row(sql, level="7"),  # 5: level out of range
            row(skills["Casework"], weight="0"),  # 6: weight not above 0
            row(skills["Debt advice"], weight="lots"),  # 7: not a number
        ],
        available_day="31",
        available_month="2",
        available_year="2030",
        hours="61",
        unit_paths="Nowhere/At all",
    )
    response = planner.post(NEW, data)
    page = html(response)
    assert response.status_code == 200
    assert error_summary(page) == [
        "Enter a title for the role",
        "Enter the skill for requirement 1",
        "We could not find the skill for requirement 2: check the spelling, choose from the "
        "list or propose it",
        "Requirement 4 repeats Python (requirement 3): each skill can be required once only",
        "The level for requirement 5 must be 1 to 4",
        "The weight for requirement 6 must be more than 0",
        "The weight for requirement 7 must be a number, like 1 or 0.5",
        "No part of the organisation has the path “Nowhere/At all”",
        "The date people must be available by must be a real date",
        "Minimum hours a week must be 60 or fewer",
    ]
    assert error_links(page) == [
        "#id_title",
        "#id_req-0-skill_query",
        "#id_req-1-skill_query",
        "#id_req-3-skill_query",
        "#id_req-4-level",
        "#id_req-5-weight",
        "#id_req-6-weight",
        "#id_unit_paths",
        "#id_available_day",
        "#id_hours",
    ]
    # Inline errors beside the fields, and everything typed is still there.
    assert '<p id="id_req-4-level-error" class="govuk-error-message">' in page
    assert field_value(page, "req-1-skill_query") == "Qqxzv zzyxw"
    assert field_value(page, "req-6-weight") == "lots"
    assert field_value(page, "available_day") == "31"
    assert "Nowhere/At all</textarea>" in page
    assert page.count('class="govuk-error-message"') >= 10
    assert "<title>Error: " in page
    assert not RoleProfile.objects.exists()


def test_a_role_needs_at_least_one_skill(planner):
    page = html(planner.post(NEW, builder_data("Empty", [])))
    assert error_summary(page) == ["Add at least one skill the role needs"]
    assert error_links(page) == ["#add-requirement"]


def test_too_many_rows(planner):
    many = [SkillFactory(name=f"Skill number {n}") for n in range(MAX_REQUIREMENTS + 1)]
    page = html(planner.post(NEW, builder_data("Big", [row(s) for s in many])))
    assert error_summary(page) == [f"A role can need at most {MAX_REQUIREMENTS} skills: remove 1"]
    assert "Add another skill" not in page
    assert not RoleProfile.objects.exists()


def test_a_unit_cannot_be_both_searched_and_left_out(planner, skills):
    unit = OrgUnitFactory(name="DWP")
    deeper = OrgUnitFactory(name="Digital Group", parent=OrgUnitFactory(name="Ops", parent=unit))
    page = html(
        planner.post(
            NEW,
            builder_data(
                "Clash", [row(skills["SQL"])], units=[str(unit.pk)], exclude_units=[str(unit.pk)]
            ),
        )
    )
    assert error_summary(page) == [
        "A part of the organisation cannot be both searched in and left out"
    ]
    response = planner.post(
        NEW,
        builder_data(
            "Paths",
            [row(skills["SQL"])],
            unit_paths=" dwp / ops / digital group \n\n",
            exclude_units=[],
        ),
    )
    assert response.status_code == 302
    filters = SearchFilters.from_json(RoleProfile.objects.get(title="Paths").filters)
    assert filters.org_units == (deeper.pk,)
    page = html(
        planner.post(
            NEW, builder_data("Typo", [row(skills["SQL"])], unit_paths="DWP/Digital Group")
        )
    )
    assert error_summary(page) == [
        "No part of the organisation has the path “DWP/Digital Group”. Did you mean "
        "“DWP/Ops/Digital Group”?"
    ]


def test_a_retyped_skill_name_replaces_the_prefilled_choice(planner, skills):
    """Without JavaScript the hidden id of a prefilled row stays put when the name
    is retyped: the name wins."""
    data = builder_data("Retyped", [row(skills["Python"], query="SQL")])
    assert planner.post(NEW, data).status_code == 302
    role = RoleProfile.objects.get(title="Retyped")
    assert [r.skill for r in role.requirements.all()] == [skills["SQL"]]


def test_which_did_you_mean_radios_choose_the_skill(planner, skills):
    python = skills["Python"]
    page = html(planner.post(NEW, builder_data("Ambiguous", [row(query="pyth")])))
    assert error_summary(page) == ["Choose the skill you meant for requirement 1"]
    assert error_links(page) == ["#id_req-0-skill"]
    assert 'name="req-0-skill_suggested" value="1"' in page
    assert f'id="id_req-0-skill" name="req-0-skill" type="radio" value="{python.pk}"' in page
    # The radio is the choice, although the text typed ("pyth") is not its name.
    data = builder_data("Ambiguous", [row(query="pyth")])
    data["req-0-skill"] = str(python.pk)
    data["req-0-skill_suggested"] = "1"
    assert planner.post(NEW, data).status_code == 302
    assert RoleProfile.objects.get(title="Ambiguous").requirements.get().skill == python


# --- editing ---------------------------------------------------------------------------


@pytest.fixture
def local_role(skills, make_user):
    role = RoleProfileFactory(code="surge-adviser", title="Surge adviser", source=RoleSource.LOCAL)
    RoleRequirement.objects.create(role=role, skill=skills["Casework"], level=3)
    return role


def test_edit_a_local_role(planner, local_role, skills):
    url = reverse("roles:edit", args=[local_role.code])
    page = html(planner.get(url))
    assert field_value(page, "version") == "1"
    assert field_value(page, "req-0-skill_query") == "Casework"
    data = builder_data(
        "Surge adviser (winter)",
        [row(skills["Casework"], level="4"), row(skills["Debt advice"], level="2")],
        version="1",
    )
    response = planner.post(url, data)
    assert response.status_code == 302
    local_role.refresh_from_db()
    assert (local_role.title, local_role.version, local_role.code) == (
        "Surge adviser (winter)",
        2,
        "surge-adviser",
    )
    assert sorted(local_role.requirements.values_list("level", flat=True)) == [2, 4]
    page = html(planner.get(reverse("roles:detail", args=[local_role.code])))
    assert "You saved the role “Surge adviser (winter)”" in page
    assert "Edit role" in page


def test_a_stale_save_is_refused_with_what_is_saved_now(planner, local_role, skills, make_user):
    url = reverse("roles:edit", args=[local_role.code])
    assert field_value(html(planner.get(url)), "version") == "1"
    # Someone else saves first.
    role_update(
        role=local_role,
        expected_version=1,
        title="Surge adviser (their version)",
        requirements=[RequirementSpec(skills["SQL"].pk, 2)],
    )
    mine = builder_data(
        "Surge adviser (my version)", [row(skills["Python"], level="4")], version="1"
    )
    response = planner.post(url, mine)
    page = html(response)
    assert response.status_code == 409
    assert error_summary(page)[0].startswith("Someone else saved this role since you opened it")
    assert "What is saved now (version 2)" in page
    assert "Surge adviser (their version)" in page
    assert field_value(page, "title") == "Surge adviser (my version)"  # nothing lost
    assert field_value(page, "version") == "2"
    local_role.refresh_from_db()
    assert (local_role.title, local_role.version) == ("Surge adviser (their version)", 2)
    # Saving again deliberately replaces theirs.
    mine["version"] = "2"
    assert planner.post(url, mine).status_code == 302
    local_role.refresh_from_db()
    assert (local_role.title, local_role.version) == ("Surge adviser (my version)", 3)


def test_an_edit_without_a_version_is_refused(planner, local_role, skills):
    url = reverse("roles:edit", args=[local_role.code])
    page = html(planner.post(url, builder_data("No version", [row(skills["SQL"])])))
    assert "This page is out of date: open the role again and make your changes" in error_summary(
        page
    )
    local_role.refresh_from_db()
    assert local_role.title == "Surge adviser"


def test_framework_roles_are_not_editable(planner, ddat_role, skills):
    detail = html(planner.get(reverse("roles:detail", args=[ddat_role.code])))
    assert "Edit role" not in detail
    assert f'href="{NEW}?from={ddat_role.code}"' in detail
    assert "Start a new role from this one" in detail
    url = reverse("roles:edit", args=[ddat_role.code])
    page = html(planner.get(url))
    assert "You cannot change Senior data engineer" in page
    response = planner.post(url, builder_data("Hijack", [row(skills["SQL"])], version="1"))
    assert response.status_code == 409
    ddat_role.refresh_from_db()
    assert ddat_role.title == "Senior data engineer"
    assert ddat_role.requirements.count() == 2


# --- who may build roles -------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD, Role.HR])
def test_only_planners_and_admins_build_roles(client_for, role, local_role, skills):
    client = client_for(role)
    edit = reverse("roles:edit", args=[local_role.code])
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, builder_data("Sneaky", [row(skills["SQL"])])).status_code == 403
    assert client.get(edit).status_code == 403
    assert (
        client.post(edit, builder_data("Sneaky", [row(skills["SQL"])], version="1")).status_code
        == 403
    )
    assert not RoleProfile.objects.filter(title="Sneaky").exists()
    assert "Create a role" not in html(client.get(reverse("roles:list")))
    assert "Edit role" not in html(client.get(reverse("roles:detail", args=[local_role.code])))


@pytest.mark.parametrize(
    ("role", "create", "search"),
    [
        (Role.PLANNER, True, True),
        (Role.ADMIN, True, True),
        (Role.HR, False, True),
        (Role.STAFF, False, False),
    ],
)
def test_buttons_follow_the_capabilities(client_for, role, create, search, local_role):
    client = client_for(role)
    assert ("Create a role" in html(client.get(reverse("roles:list")))) == create
    detail = html(client.get(reverse("roles:detail", args=[local_role.code])))
    assert ("Search for people" in detail) == search
    assert ("Edit role" in detail) == create
    home = html(client.get(reverse("home")))
    assert (f'href="{NEW}">Create a role</a>' in home) == create
    assert ("Search for people</a>" in home) == search


def test_preview_who_matches_without_saving(planner, skills):
    from skills_app.audit.models import AccessEvent, Action
    from tests.factories import PersonSkillFactory

    ada = PersonFactory(full_name="Ada Lovelace", staff_number="S1")
    bo = PersonFactory(full_name="Bo Smith", staff_number="S2")
    PersonSkillFactory(person=ada, skill=skills["Casework"], level=4)
    PersonSkillFactory(person=bo, skill=skills["Casework"], level=3)
    # Cy holds a role that covers this one: counted apart, never listed among the 80%.
    from skills_app.people.models import RoleHistory

    senior = RoleProfile.objects.create(code="senior-casework", title="Senior caseworker")
    senior.requirements.create(skill=skills["Casework"], level=4)
    cy = PersonFactory(full_name="Cy Jones", staff_number="S3")
    RoleHistory.objects.create(
        person=cy, title="Senior caseworker", role_profile=senior, start=dt.date(2020, 1, 1)
    )
    data = builder_data("Not saved yet", [row(skills["Casework"], level="4")], action="preview")
    response = planner.post(NEW, data)
    page = html(response)
    assert response.status_code == 200
    assert (
        "1 person matches at 80% or more; 1 more person holds or recently held a role that "
        "covers this one" in " ".join(page.split())
    )  # Bo: 3 of 4 = 75%
    assert "Ada Lovelace" in page and "100.0%" in page
    assert "Bo Smith" not in page and "Cy Jones" not in page
    assert field_value(page, "title") == "Not saved yet"  # the form is still there
    assert not RoleProfile.objects.filter(title="Not saved yet").exists()
    event = AccessEvent.objects.get(actor__username="planner", action=Action.SEARCH, subject=None)
    assert (event.parameters["total_by_score"], event.parameters["total_by_prior_role"]) == (1, 1)
    # Bad input: the errors, and no search.
    page = html(planner.post(NEW, builder_data("", [row(skills["Casework"])], action="preview")))
    assert error_summary(page) == ["Enter a title for the role"]
    assert AccessEvent.objects.filter(actor__username="planner", action=Action.SEARCH).count() == 2


def test_the_preview_button_is_offered_to_those_who_may_search(client_for):
    assert "Preview who matches" in html(client_for(Role.ADMIN).get(NEW, {"start": "blank"}))
    assert "Preview who matches" in html(client_for(Role.PLANNER).get(NEW, {"start": "blank"}))


# --- role codes ------------------------------------------------------------------------


def test_role_pages_find_the_code_in_any_case(planner, skills):
    role = RoleProfileFactory(code="ORACLE-1234", title="Oracle DBA", source=RoleSource.LOCAL)
    RoleRequirement.objects.create(role=role, skill=skills["SQL"], level=3)
    for asked in ("oracle-1234", "Oracle-1234"):
        assert "Oracle DBA" in html(planner.get(reverse("roles:detail", args=[asked])))
        edit = planner.get(reverse("roles:edit", args=[asked]))
        assert edit.status_code == 200 and field_value(html(edit), "title") == "Oracle DBA"
    assert planner.get(NEW, {"from": "oracle-1234"}).status_code == 200


def test_a_new_role_never_takes_a_code_another_role_has_in_another_case(planner, skills):
    RoleProfileFactory(code="Data-Engineer", title="Data engineer", source=RoleSource.LOCAL)
    response = planner.post(NEW, builder_data("Data engineer", [row(skills["SQL"])]))
    assert response.status_code == 302
    assert sorted(RoleProfile.objects.values_list("code", flat=True)) == [
        "Data-Engineer",
        "data-engineer-2",
    ]


def test_a_code_taken_while_saving_is_a_form_error(planner, skills, monkeypatch):
    """Someone else saves a role with the same code (in another case) between the
    code being chosen and the role being saved: the page says so, nothing is saved."""
    from skills_app.roles import services

    RoleProfileFactory(code="data-engineer", title="Data engineer", source=RoleSource.LOCAL)
    monkeypatch.setattr(services, "new_code", lambda title: "Data-Engineer")
    response = planner.post(NEW, builder_data("Data engineer", [row(skills["SQL"])]))
    assert response.status_code == 200
    assert "A role with code Data-Engineer already exists" in error_summary(html(response))
    assert RoleProfile.objects.count() == 1


@pytest.mark.parametrize("source", [RoleSource.DDAT, RoleSource.ESCO])
def test_the_upsert_service_keeps_framework_roles_as_published(skills, source):
    """The import's write path: whatever its own checks missed, the service refuses."""
    framework = RoleProfileFactory(code="data-engineer", title="Data engineer", source=source)
    RoleRequirement.objects.create(role=framework, skill=skills["SQL"], level=3)
    with pytest.raises(RoleError, match="kept as published"):
        role_upsert(
            actor=None,
            code="DATA-ENGINEER",
            title="Mine",
            requirements=[RequirementSpec(skills["Python"].pk, 4)],
        )
    framework.refresh_from_db()
    assert (framework.title, framework.version) == ("Data engineer", 1)
    assert list(framework.requirements.values_list("skill", "level")) == [(skills["SQL"].pk, 3)]
