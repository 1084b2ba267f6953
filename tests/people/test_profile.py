"""Your profile (/profile/me/) through Django's test client: every section's add,
change and remove, validation with the GOV.UK error summary, the role-library
offer, the 12-month review flag, who viewed me and the data download.

Conflicts (stale versions) are in test_profile_conflicts.py, the API in
test_profile_api.py."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import resolve, reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import Action
from skills_app.audit.services import record_event
from skills_app.people import profile_services as services
from skills_app.people import selectors
from skills_app.people.models import EvidenceKind, PersonSkill, Qualification, RoleHistory
from taxonomy.models import Skill, SkillAlias, SkillKind, SkillLevelDescriptor
from taxonomy.services import taxonomy_changed
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PROFILE = reverse("people:my_profile")
ADD_SKILL = reverse("people:skill_add")
ADD_LANGUAGE = reverse("people:language_add")
ADD_ROLE = reverse("people:role_add")
ADD_QUALIFICATION = reverse("people:qualification_add")
PREFERENCES = reverse("people:preferences")
REVIEWED = reverse("people:reviewed")
ACTIVITY = reverse("people:activity")
MY_DATA = reverse("people:my_data")
DOWNLOAD = reverse("people:download")
PYTHON_LEVEL_3 = "Writes well-structured Python and reviews code written by others."


def html(response) -> str:
    return response.content.decode()


def error_summary(page: str) -> list[str]:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary on the page"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    ]


@pytest.fixture
def me(client, make_user):
    user = make_user(Role.STAFF, username="sam")
    person = PersonFactory(user=user, full_name="Sam Staff", location="Leeds")
    client.force_login(user)
    return person


@pytest.fixture
def python(db):
    skill = Skill.objects.create(name="Python (computer programming)", uri="urn:muster:test:python")
    SkillAlias.objects.create(skill=skill, label="Python")
    for level, text in [
        (1, "Knows what Python is used for."),
        (2, "Writes simple Python scripts with help."),
        (3, PYTHON_LEVEL_3),
        (4, "Sets Python standards across teams."),
    ]:
        SkillLevelDescriptor.objects.create(skill=skill, level=level, description=text)
    taxonomy_changed()
    return skill


@pytest.fixture
def pm(db):
    skill = Skill.objects.create(name="Project management", uri="urn:muster:test:pm")
    taxonomy_changed()
    return skill


# --- the page and who may see it ----------------------------------------------------


def test_profile_has_every_section_and_no_other_people(client, me, pm):
    other = PersonFactory(full_name="Olive Other")
    PersonSkillFactory(person=other, skill=pm)
    PersonSkillFactory(person=me, skill=pm, level=2)
    page = html(client.get(PROFILE))
    for heading in [
        "Skills",
        "Languages",
        "Role history",
        "Qualifications and certifications",
        "Redeployment preferences",
        "About you",
    ]:
        assert f">{heading}</h2>" in page, heading
    assert me.staff_number in page and "Olive Other" not in page
    assert other.staff_number not in page
    # No link names a person: the only ids in links are the user's own rows.
    own_rows = {str(pk) for pk in me.skills.values_list("pk", flat=True)}
    for href in re.findall(r'href="(/[^"#?]*)', page):
        if href.startswith("/static/"):
            continue
        match = resolve(href)
        assert not {"staff_number", "person", "person_id"} & set(match.kwargs), href
        if "pk" in match.kwargs and match.namespace == "people":
            assert str(match.kwargs["pk"]) in own_rows, href
        assert other.staff_number not in href


def test_a_user_without_a_staff_record_sees_why_on_every_page(client_for):
    client = client_for(Role.STAFF)
    for url in [
        PROFILE,
        ADD_SKILL,
        ADD_LANGUAGE,
        ADD_ROLE,
        ADD_QUALIFICATION,
        PREFERENCES,
        REVIEWED,
        ACTIVITY,
        MY_DATA,
        DOWNLOAD,
        reverse("people:skill_change", args=[1]),
        reverse("people:role_remove", args=[1]),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "not linked to a staff record" in html(response), url
    assert client.post(ADD_ROLE, {"title": "x"}).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_every_role_edits_their_own_profile(client, make_user, role, pm):
    user = make_user(role, username=f"own-{role}")
    person = PersonFactory(user=user)
    client.force_login(user)
    response = client.post(
        ADD_SKILL, {"skill": str(pm.pk), "skill_query": pm.name, "level": "2", "in_use": "yes"}
    )
    assert response.status_code == 302
    assert PersonSkill.objects.get(person=person).skill == pm


def test_rows_of_someone_else_are_not_found(client, me, pm):
    other = PersonFactory()
    theirs = PersonSkillFactory(person=other, skill=pm, level=4)
    role = RoleHistory.objects.create(person=other, title="Clerk", start=dt.date(2020, 1, 1))
    qual = Qualification.objects.create(person=other, name="First aid")
    for url in [
        reverse("people:skill_change", args=[theirs.pk]),
        reverse("people:skill_remove", args=[theirs.pk]),
        reverse("people:role_change", args=[role.pk]),
        reverse("people:role_remove", args=[role.pk]),
        reverse("people:qualification_change", args=[qual.pk]),
        reverse("people:qualification_remove", args=[qual.pk]),
    ]:
        assert client.get(url).status_code == 404, url
        # A form posted for a row that is not on the profile (any more) is
        # answered as a conflict, the same whoever's row the id was.
        response = client.post(url, {"version": "1", "level": "1", "in_use": "yes"})
        assert response.status_code == 409, url
        assert "is no longer on your profile" in html(response)
    assert PersonSkill.objects.filter(pk=theirs.pk, level=4).exists()
    assert RoleHistory.objects.filter(pk=role.pk).exists()
    assert Qualification.objects.filter(pk=qual.pk).exists()


def test_anonymous_visitors_go_to_sign_in(client):
    for url in [PROFILE, ADD_SKILL, ACTIVITY, DOWNLOAD]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


# --- skills -------------------------------------------------------------------------


def test_add_a_skill_with_generic_levels_in_one_step(client, me, pm):
    page = html(client.get(ADD_SKILL))
    assert "What is your level?" in page
    assert "Applies the skill independently and well" in page  # generic descriptor
    response = client.post(
        ADD_SKILL,
        {
            "skill_query": "project managment",
            "skill": "",
            "level": "3",
            "in_use": "no",
            "last_used_month": "3",
            "last_used_year": "2024",
            "note": "Ran the office move",
        },
        follow=True,
    )
    ps = PersonSkill.objects.get(person=me)
    assert (ps.skill, ps.level, ps.last_used, ps.note) == (
        pm,
        3,
        dt.date(2024, 3, 1),
        "Ran the office move",
    )
    assert ps.evidence == EvidenceKind.SELF
    page = html(response)
    assert "You added Project management at level 3 Practitioner" in page
    assert "Last used March 2024" in page


def test_add_a_framework_skill_without_javascript_asks_for_the_level_against_its_descriptors(
    client, me, python
):
    first = client.post(
        ADD_SKILL, {"skill_query": "Python", "skill": "", "level": "2", "in_use": "yes"}
    )
    page = html(first)
    assert first.status_code == 200
    assert not PersonSkill.objects.filter(person=me).exists()
    assert "Check your level" in page and PYTHON_LEVEL_3 in page
    assert f'name="levels_for" value="{python.pk}"' in page
    second = client.post(
        ADD_SKILL,
        {
            "skill_query": python.name,
            "skill": str(python.pk),
            "levels_for": str(python.pk),
            "level": "3",
            "in_use": "yes",
        },
    )
    assert second.status_code == 302
    assert PersonSkill.objects.get(person=me, skill=python).level == 3


def test_level_fragment_shows_the_skills_own_descriptors(client, me, python):
    page = html(client.get(reverse("people:skill_levels"), {"skill": python.pk, "level": "3"}))
    assert PYTHON_LEVEL_3 in page
    assert "What is your level in Python (computer programming)?" in page
    assert re.search(r'value="3" aria-describedby="[^"]+" checked', page)
    assert "<html" not in page  # a fragment
    generic = html(client.get(reverse("people:skill_levels")))
    assert "Applies the skill independently and well" in generic


def test_add_skill_errors_use_the_error_summary(client, me):
    response = client.post(ADD_SKILL, {"skill_query": "", "note": "x" * 501})
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Add a skill" in page
    assert error_summary(page) == [
        "Enter the name of the skill",
        "Choose your level",
        "Select yes if you use this skill now",
        "Evidence must be 500 characters or fewer",
    ]
    assert 'href="#id_skill_query"' in page and 'href="#id_level"' in page


def test_a_note_over_500_characters_is_refused_and_exactly_500_is_accepted(client, me, pm):
    # Everything else on the form is right, so the note alone decides.
    data = {"skill": str(pm.pk), "skill_query": pm.name, "level": "2", "in_use": "yes"}
    response = client.post(ADD_SKILL, {**data, "note": "x" * 501})
    assert response.status_code == 200
    assert error_summary(html(response)) == ["Evidence must be 500 characters or fewer"]
    assert not PersonSkill.objects.filter(person=me).exists()
    # The service refuses it too, whoever calls it (the form is not the only guard).
    with pytest.raises(ValidationError) as refused:
        services.profile_add_skill(person=me, skill=pm, level=2, last_used=None, note="x" * 501)
    assert refused.value.message_dict == {"note": ["Evidence must be 500 characters or fewer"]}
    assert not PersonSkill.objects.filter(person=me).exists()
    response = client.post(ADD_SKILL, {**data, "note": "x" * 500})
    assert response.status_code == 302
    assert PersonSkill.objects.get(person=me).note == "x" * 500


@pytest.mark.parametrize(
    "month, year, message",
    [
        ("", "", "Enter the month and year you last used it"),
        ("3", "", "The date you last used it must include a year"),
        ("13", "2020", "The date you last used it must be a real date"),
        ("3", "20", "Year must include 4 numbers"),
        ("1", "2999", "The date you last used it must be in the past"),
    ],
)
def test_last_used_date_errors(client, me, pm, month, year, message):
    response = client.post(
        ADD_SKILL,
        {
            "skill": str(pm.pk),
            "skill_query": pm.name,
            "level": "2",
            "in_use": "no",
            "last_used_month": month,
            "last_used_year": year,
        },
    )
    assert error_summary(html(response)) == [message]
    assert not PersonSkill.objects.exists()


def test_adding_a_skill_already_held_says_so(client, me, pm):
    PersonSkillFactory(person=me, skill=pm, level=1)
    response = client.post(
        ADD_SKILL, {"skill": str(pm.pk), "skill_query": pm.name, "level": "4", "in_use": "yes"}
    )
    assert error_summary(html(response)) == [
        "“Project management” is already on your profile: change it instead"
    ]
    assert PersonSkill.objects.get(person=me).level == 1


def test_change_a_skill(client, me, pm):
    ps = PersonSkillFactory(person=me, skill=pm, level=2)
    url = reverse("people:skill_change", args=[ps.pk])
    page = html(client.get(url))
    assert f'name="version" value="{ps.version}"' in page
    response = client.post(
        url,
        {
            "version": ps.version,
            "level": "4",
            "in_use": "no",
            "last_used_month": "12",
            "last_used_year": "2022",
            "note": "Led three programmes",
        },
        follow=True,
    )
    ps.refresh_from_db()
    assert (ps.level, ps.last_used, ps.note, ps.version) == (
        4,
        dt.date(2022, 12, 1),
        "Led three programmes",
        2,
    )
    assert "You changed Project management: level 4 Expert" in html(response)


def test_changing_the_level_of_a_verified_skill_makes_it_self_assessed(client, me, pm):
    manager = UserFactory(username="mgr")
    ps = PersonSkillFactory(
        person=me,
        skill=pm,
        level=3,
        evidence=EvidenceKind.MANAGER_VERIFIED,
        verified_by=manager,
        verified_at=timezone.now(),
    )
    url = reverse("people:skill_change", args=[ps.pk])
    assert "it will show as self-assessed until your manager checks it again" in html(
        client.get(url)
    )
    # Changing only the note keeps the verification...
    client.post(url, {"version": 1, "level": "3", "in_use": "yes", "note": "More detail"})
    ps.refresh_from_db()
    assert ps.evidence == EvidenceKind.MANAGER_VERIFIED and ps.verified_by == manager
    # ...changing the level does not.
    response = client.post(url, {"version": 2, "level": "4", "in_use": "yes"}, follow=True)
    ps.refresh_from_db()
    assert ps.evidence == EvidenceKind.SELF
    assert ps.verified_by is None and ps.verified_at is None
    assert "It is now self-assessed until your manager checks it again" in html(response)


def test_answer_a_managers_query(client, me, pm):
    manager = UserFactory(username="boss")
    ps = PersonSkillFactory(
        person=me,
        skill=pm,
        level=4,
        queried_by=manager,
        queried_at=timezone.now(),
        query_note="Which projects were these?",
    )
    page = html(client.get(PROFILE))
    assert "Your manager has a question about 1 of your skills" in page
    assert "Which projects were these?" in page
    url = reverse("people:skill_change", args=[ps.pk])
    page = html(client.get(url))
    assert "Your manager has a question about this skill" in page and "Your answer" in page
    # The answer is required.
    response = client.post(url, {"version": 1, "level": "4", "in_use": "yes", "note": ""})
    assert error_summary(html(response)) == ["Enter your answer to your manager’s question"]
    response = client.post(
        url,
        {"version": 1, "level": "4", "in_use": "yes", "note": "The 2024 office move"},
        follow=True,
    )
    ps.refresh_from_db()
    assert ps.queried_at is None and ps.queried_by is None and ps.query_note == ""
    assert ps.note == "The 2024 office move" and ps.evidence == EvidenceKind.SELF
    assert "You answered your manager’s question about Project management" in html(response)


def test_remove_a_skill_asks_first(client, me, pm):
    ps = PersonSkillFactory(person=me, skill=pm)
    url = reverse("people:skill_remove", args=[ps.pk])
    page = html(client.get(url))
    assert "Are you sure you want to remove Project management?" in page
    assert PersonSkill.objects.filter(pk=ps.pk).exists()
    response = client.post(url, {"version": ps.version}, follow=True)
    assert not PersonSkill.objects.filter(pk=ps.pk).exists()
    assert "You removed Project management from your profile" in html(response)


# --- languages ----------------------------------------------------------------------


def test_local_languages_are_created_once_when_there_are_none(client, me):
    assert not Skill.objects.filter(kind=SkillKind.LANGUAGE).exists()
    client.get(ADD_LANGUAGE)
    languages = Skill.objects.filter(kind=SkillKind.LANGUAGE, source="local")
    names = set(languages.values_list("name", flat=True))
    assert {"English", "Welsh", "British Sign Language", "Polish", "Italian"} <= names
    assert languages.count() == 20
    assert languages.filter(uri="urn:muster:local:language:british-sign-language").exists()
    assert services.ensure_local_languages() == 0
    client.get(ADD_LANGUAGE)
    assert languages.count() == 20


def test_no_local_languages_when_the_taxonomy_has_some(client, me):
    Skill.objects.create(name="Gaelic", uri="urn:muster:test:gaelic", kind=SkillKind.LANGUAGE)
    page = html(client.get(ADD_LANGUAGE))
    assert ">Gaelic</option>" in page
    assert Skill.objects.filter(kind=SkillKind.LANGUAGE).count() == 1


def test_add_a_language_and_it_is_listed_under_languages(client, me, pm):
    services.ensure_local_languages()
    welsh = Skill.objects.get(uri="urn:muster:local:language:welsh")
    PersonSkillFactory(person=me, skill=pm)
    page = html(client.get(ADD_LANGUAGE))
    assert '<option value="' + str(welsh.pk) + '">Welsh</option>' in page
    response = client.post(
        ADD_LANGUAGE, {"language": welsh.pk, "level": "4", "in_use": "yes"}, follow=True
    )
    assert "You added Welsh at level 4 Expert" in html(response)
    ps = PersonSkill.objects.get(person=me, skill=welsh)
    assert ps.evidence == EvidenceKind.SELF
    skills, languages = selectors.split_skills(selectors.person_for_user(user=me.user))
    assert [s.skill for s in languages] == [welsh] and [s.skill for s in skills] == [pm]
    missing = client.post(ADD_LANGUAGE, {"level": "4", "in_use": "yes"})
    assert error_summary(html(missing)) == ["Choose a language"]


# --- role history ---------------------------------------------------------------------


def test_add_a_role_matched_to_the_role_library(client, me):
    senior = RoleProfileFactory(title="Senior data analyst", code="senior-data-analyst")
    RoleProfileFactory(title="Data engineer")
    data = {"title": "Snr data analyst", "start_month": "4", "start_year": "2021", "current": "yes"}
    asked = client.post(ADD_ROLE, data)
    page = html(asked)
    assert asked.status_code == 200
    assert "Is this the ‘Senior data analyst’ role?" in page
    assert f'name="offered_role" value="{senior.pk}"' in page
    assert not RoleHistory.objects.exists()
    # Not answering is an error once asked.
    unanswered = client.post(ADD_ROLE, {**data, "offered_role": senior.pk})
    assert error_summary(html(unanswered)) == [
        "Select yes if this is the ‘Senior data analyst’ role"
    ]
    response = client.post(
        ADD_ROLE, {**data, "offered_role": senior.pk, "link_role": "yes"}, follow=True
    )
    row = RoleHistory.objects.get(person=me)
    assert (row.title, row.start, row.end, row.role_profile) == (
        "Snr data analyst",
        dt.date(2021, 4, 1),
        None,
        senior,
    )
    page = html(response)
    assert "You added the role Snr data analyst" in page
    assert reverse("roles:detail", args=[senior.code]) in page


def test_a_role_that_matches_nothing_is_saved_straight_away(client, me):
    RoleProfileFactory(title="Senior data analyst")
    response = client.post(
        ADD_ROLE,
        {
            "title": "Lighthouse keeper",
            "start_month": "1",
            "start_year": "2015",
            "current": "no",
            "end_month": "6",
            "end_year": "2019",
        },
    )
    assert response.status_code == 302
    row = RoleHistory.objects.get(person=me)
    assert row.role_profile is None and row.end == dt.date(2019, 6, 1)


def test_answering_no_keeps_the_role_unlinked(client, me):
    senior = RoleProfileFactory(title="Senior data analyst")
    client.post(
        ADD_ROLE,
        {
            "title": "Senior data analyst",
            "start_month": "1",
            "start_year": "2020",
            "current": "yes",
            "offered_role": senior.pk,
            "link_role": "no",
        },
    )
    assert RoleHistory.objects.get(person=me).role_profile is None


def test_role_errors(client, me):
    response = client.post(
        ADD_ROLE,
        {
            "title": "",
            "start_month": "5",
            "start_year": "2022",
            "current": "no",
            "end_month": "1",
            "end_year": "2021",
        },
    )
    assert error_summary(html(response)) == [
        "Enter the job title",
        "The date it ended must be after the date you started",
    ]
    response = client.post(ADD_ROLE, {"title": "Clerk"})
    assert error_summary(html(response)) == [
        "Enter the month and year you started this role",
        "Select yes if you still do this role",
    ]


def test_change_and_remove_a_role(client, me):
    row = RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2018, 1, 1))
    url = reverse("people:role_change", args=[row.pk])
    assert 'value="Clerk"' in html(client.get(url))
    response = client.post(
        url,
        {
            "version": 1,
            "title": "Senior clerk",
            "start_month": "2",
            "start_year": "2018",
            "current": "no",
            "end_month": "3",
            "end_year": "2020",
        },
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.title, row.start, row.end, row.version) == (
        "Senior clerk",
        dt.date(2018, 2, 1),
        dt.date(2020, 3, 1),
        2,
    )
    client.post(reverse("people:role_remove", args=[row.pk]), {"version": 2})
    assert not RoleHistory.objects.exists()


def test_duplicate_role_is_an_error_not_a_crash(client, me):
    RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2018, 1, 1))
    response = client.post(
        ADD_ROLE, {"title": "clerk", "start_month": "1", "start_year": "2018", "current": "yes"}
    )
    assert error_summary(html(response)) == [
        "You already have “clerk” starting in January 2018 on your profile"
    ]


# --- qualifications -------------------------------------------------------------------


def test_add_change_and_remove_a_qualification(client, me):
    response = client.post(
        ADD_QUALIFICATION,
        {
            "name": "PRINCE2  Foundation",
            "issuer": "AXELOS",
            "awarded_day": "3",
            "awarded_month": "2",
            "awarded_year": "2020",
            "expires_day": "3",
            "expires_month": "2",
            "expires_year": "2030",
        },
        follow=True,
    )
    q = Qualification.objects.get(person=me)
    assert (q.name, q.issuer, q.awarded, q.expires) == (
        "PRINCE2 Foundation",
        "AXELOS",
        dt.date(2020, 2, 3),
        dt.date(2030, 2, 3),
    )
    assert "You added PRINCE2 Foundation" in html(response)
    url = reverse("people:qualification_change", args=[q.pk])
    client.post(url, {"version": 1, "name": "PRINCE2 Practitioner", "issuer": "AXELOS"})
    q.refresh_from_db()
    assert (q.name, q.awarded, q.expires, q.version) == ("PRINCE2 Practitioner", None, None, 2)
    client.post(reverse("people:qualification_remove", args=[q.pk]), {"version": 2})
    assert not Qualification.objects.exists()


def test_qualification_errors(client, me):
    response = client.post(
        ADD_QUALIFICATION,
        {
            "name": "",
            "awarded_day": "31",
            "awarded_month": "2",
            "awarded_year": "2020",
            "expires_day": "1",
        },
    )
    assert error_summary(html(response)) == [
        "Enter the name of the qualification",
        "The date it was awarded must be a real date",
        "The expiry date must include a month and year",
    ]
    response = client.post(
        ADD_QUALIFICATION,
        {
            "name": "First aid",
            "awarded_day": "1",
            "awarded_month": "1",
            "awarded_year": "2022",
            "expires_day": "1",
            "expires_month": "1",
            "expires_year": "2021",
        },
    )
    assert error_summary(html(response)) == [
        "The expiry date must be after the date it was awarded"
    ]


def test_expired_and_expiring_qualifications_are_flagged(client, me):
    today = timezone.localdate()
    Qualification.objects.create(person=me, name="Old cert", expires=today - dt.timedelta(days=1))
    Qualification.objects.create(person=me, name="Soon cert", expires=today + dt.timedelta(days=30))
    Qualification.objects.create(
        person=me, name="Later cert", expires=today + dt.timedelta(days=91)
    )
    page = html(client.get(PROFILE))
    assert page.count(">Expired</strong>") == 1
    assert page.count(">Expires soon</strong>") == 1
    assert "This expires in 30 days" in page


# --- redeployment preferences -------------------------------------------------------------


def test_change_redeployment_preferences(client, me):
    PersonFactory(location="Cardiff")
    PersonFactory(location="Glasgow")
    page = html(client.get(PREFERENCES))
    assert 'value="Cardiff"' in page and 'value="Glasgow"' in page
    assert 'type="checkbox" value="Leeds"' not in page  # their own location
    response = client.post(
        PREFERENCES,
        {
            "version": me.version,
            "redeployable": "no",
            "locations": ["Cardiff"],
            "other_locations": "Swansea,  Newport , cardiff",
            "weekly_hours": "22.5",
            "available_from_day": "1",
            "available_from_month": "9",
            "available_from_year": "2030",
        },
        follow=True,
    )
    me.refresh_from_db()
    assert me.redeployable is False
    assert me.preferred_locations == ["Cardiff", "Swansea", "Newport"]
    assert me.weekly_hours == Decimal("22.5")
    assert me.available_from == dt.date(2030, 9, 1)
    assert me.version == 2
    page = html(response)
    assert "You changed your redeployment preferences" in page
    assert "Cardiff, Swansea, Newport" in page
    # The form shows the saved choices again.
    page = html(client.get(PREFERENCES))
    assert re.search(r'value="Cardiff" checked', page)
    assert 'value="Swansea, Newport"' in page


@pytest.mark.parametrize(
    "hours, message",
    [
        ("0", "Hours a week must be more than 0"),
        ("61", "Hours a week must be 60 or fewer"),
        ("lots", "Hours a week must be a number, like 37 or 22.5"),
        ("", "Enter the hours a week you could work"),
    ],
)
def test_preferences_errors(client, me, hours, message):
    response = client.post(
        PREFERENCES, {"version": me.version, "redeployable": "yes", "weekly_hours": hours}
    )
    assert error_summary(html(response)) == [message]
    me.refresh_from_db()
    assert me.version == 1


# --- reviewed in the last 12 months ---------------------------------------------------------


def test_review_flag_and_confirming(client, me):
    page = html(client.get(PROFILE))
    assert "You have not confirmed your profile is up to date yet" in page
    response = client.post(REVIEWED, follow=True)
    me.refresh_from_db()
    assert me.profile_reviewed_at is not None
    assert me.version == 1  # confirming changes no one's typed values
    page = html(response)
    assert "Thank you: your profile is marked as up to date" in page
    assert "You have not confirmed your profile" not in page


def test_profile_last_reviewed_over_12_months_ago_is_flagged(client, me):
    me.profile_reviewed_at = timezone.now() - dt.timedelta(days=366)
    me.save()
    assert "You have not confirmed your profile is up to date since" in html(client.get(PROFILE))
    me.profile_reviewed_at = timezone.now() - dt.timedelta(days=300)
    me.save()
    assert "You have not confirmed your profile" not in html(client.get(PROFILE))


@pytest.mark.parametrize(
    "reviewed, today, due",
    [
        (dt.date(2025, 3, 15), dt.date(2026, 3, 14), False),
        (dt.date(2025, 3, 15), dt.date(2026, 3, 15), True),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 27), False),
        (dt.date(2024, 2, 29), dt.date(2025, 2, 28), True),
    ],
)
def test_review_due_is_twelve_calendar_months(reviewed, today, due):
    person = PersonFactory.build(
        profile_reviewed_at=timezone.make_aware(dt.datetime.combine(reviewed, dt.time(12)))
    )
    now = timezone.make_aware(dt.datetime.combine(today, dt.time(12)))
    assert selectors.review_due(person, now=now) is due


# --- who viewed me, and my data ---------------------------------------------------------


def test_who_viewed_me_lists_events_about_me_newest_first(client, me, make_user):
    hr = make_user(Role.HR, Role.LINE_MANAGER, username="harriet")
    other = PersonFactory()
    record_event(actor=hr, action=Action.VIEW_PROFILE, object_type="person", subject=me)
    record_event(actor=hr, action=Action.SEARCH, object_type="person", subject=me)
    record_event(actor=hr, action=Action.VIEW_PROFILE, subject=other)
    page = html(client.get(ACTIVITY))
    assert "2 records, newest first" in page
    assert "harriet" in page
    assert "Line manager, HR and analyst" in page
    assert page.index("Found you in a search by name or staff number") < page.index(
        "Opened your profile"
    )


def test_who_viewed_me_is_paginated(client, me, make_user):
    hr = make_user(Role.HR, username="hr-pages")
    for _ in range(30):
        record_event(actor=hr, action=Action.VIEW_PROFILE, subject=me)
    page = html(client.get(ACTIVITY))
    assert page.count("Opened your profile") == 25
    assert 'aria-label="Pagination"' in page
    assert html(client.get(ACTIVITY, {"page": 2})).count("Opened your profile") == 5


def test_download_my_data(client, me, pm, make_user):
    services.ensure_local_languages()
    welsh = Skill.objects.get(uri="urn:muster:local:language:welsh")
    PersonSkillFactory(person=me, skill=pm, level=3, note="Office move")
    PersonSkillFactory(person=me, skill=welsh, level=4)
    RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2018, 1, 1))
    Qualification.objects.create(person=me, name="First aid", issuer="St John")
    me.preferred_locations = ["York"]
    me.save()
    hr = make_user(Role.HR, username="hr-download")
    record_event(actor=hr, action=Action.VIEW_PROFILE, subject=me)

    response = client.get(DOWNLOAD)
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="muster-my-data-{timezone.localdate():%Y-%m-%d}.json"'
    )
    assert response["Cache-Control"] == "no-store"
    data = json.loads(response.content)
    assert data["person"]["staff_number"] == me.staff_number
    assert data["person"]["preferred_locations"] == ["York"]
    assert data["person"]["grade"] == "HEO"
    assert [s["skill"]["name"] for s in data["skills"]] == ["Project management"]
    assert data["skills"][0]["note"] == "Office move" and data["skills"][0]["level"] == 3
    assert [s["skill"]["name"] for s in data["languages"]] == ["Welsh"]
    assert data["role_history"] == [
        {"title": "Clerk", "role_profile": None, "start": "2018-01-01", "end": None}
    ]
    assert data["qualifications"][0]["issuer"] == "St John"
    assert [(e["who"], e["what"], e["roles"]) for e in data["access_events"]] == [
        ("hr-download", "Opened your profile", ["HR and analyst"])
    ]

    page = html(client.get(MY_DATA))
    for text in ["Everything Muster holds about you", "Project management", "Welsh", "Clerk"]:
        assert text in page
    assert "First aid" in page and "St John" in page and "hr-download" in page


def test_pages_have_no_inline_styles_or_template_leaks(client, me, pm, make_user):
    services.ensure_local_languages()
    ps = PersonSkillFactory(person=me, skill=pm, level=2, query_note="Really?")
    role = RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2018, 1, 1))
    qual = Qualification.objects.create(person=me, name="First aid")
    record_event(actor=make_user(Role.HR, username="hr-leaks"), action="edit_profile", subject=me)
    urls = [
        PROFILE,
        ADD_SKILL,
        ADD_LANGUAGE,
        ADD_ROLE,
        ADD_QUALIFICATION,
        PREFERENCES,
        REVIEWED,
        ACTIVITY,
        MY_DATA,
        reverse("people:skill_levels"),
        reverse("people:skill_change", args=[ps.pk]),
        reverse("people:skill_remove", args=[ps.pk]),
        reverse("people:role_change", args=[role.pk]),
        reverse("people:role_remove", args=[role.pk]),
        reverse("people:qualification_change", args=[qual.pk]),
        reverse("people:qualification_remove", args=[qual.pk]),
    ]
    for url in urls:
        page = html(client.get(url))
        assert "<style" not in page and " style=" not in page, url
        for token in ["{%", "%}", "{#", "#}", "{{", "}}"]:
            assert token not in page, (url, token)
    assert "Changed your record" in html(client.get(ACTIVITY))
