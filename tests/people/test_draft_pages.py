"""Check your draft skills and find skills in your CV (DESIGN 9), through
Django's test client without JavaScript: each decision is a plain form post,
only the person decides on their own drafts, a stale version is a conflict,
and the home page nudges while drafts are waiting."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from matching.drafting import Source
from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.drafts import draft_person
from skills_app.people.models import DraftRejection, EvidenceKind, PersonSkill
from skills_app.people.presenters import describe_source, from_line
from taxonomy.models import SkillAlias, SkillLevelDescriptor
from taxonomy.services import taxonomy_changed
from tests.factories import PersonFactory, PersonSkillFactory, SkillFactory, UserFactory

pytestmark = pytest.mark.django_db

DRAFTS = reverse("people:drafts")
CONFIRM_ALL = reverse("people:drafts_confirm_all")
FROM_TEXT = reverse("people:from_text")
HOME = reverse("home")
PROFILE = reverse("people:my_profile")
ANALYST = Source(
    kind="role_level",
    label="Senior data analyst",
    level=3,
    start=dt.date(2021, 4, 1),
    end=dt.date(2024, 3, 31),
    ref="senior-data-analyst",
)
PRINCE2 = Source(kind="qualification", label="PRINCE2 Practitioner", level=3)
PYTHON_3 = "Writes well-structured Python and reviews code written by others."


def html(response) -> str:
    return response.content.decode()


def text_of(response) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html(response)).split())


def error_summary(page: str) -> list[str]:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary on the page"
    return [
        " ".join(re.sub(r"<[^>]+>", "", item).split())
        for item in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    ]


@pytest.fixture
def me(client, make_user):
    user = make_user(Role.STAFF, username="dee")
    person = PersonFactory(user=user, full_name="Dee Draft")
    client.force_login(user)
    return person


@pytest.fixture
def python(db):
    skill = SkillFactory(name="Python (computer programming)")
    for level, text in [(1, "Knows of Python."), (2, "Writes scripts."), (3, PYTHON_3)]:
        SkillLevelDescriptor.objects.create(skill=skill, level=level, description=text)
    return skill


def drafted(person, skill, *sources):
    draft_person(
        actor=UserFactory(),
        person=person,
        offers=[(skill.pk, s) for s in sources],
        kinds={s.kind for s in sources},
    )
    return PersonSkill.objects.get(person=person, skill=skill)


# --- what the person reads ------------------------------------------------------------


def test_sources_read_as_plain_english():
    assert describe_source(ANALYST).sentence == ("You were a Senior data analyst from 2021 to 2024")
    current = Source(kind="role_level", label="Analyst", level=2, start=dt.date(2022, 1, 1))
    assert describe_source(current).sentence == "You have been an Analyst since 2022"
    assert describe_source(PRINCE2).sentence == "You hold PRINCE2 Practitioner"
    title = Source(kind="occupation", label="Caseworker", level=3, ref="urn:esco:cw")
    assert describe_source(title, {("occupation", "urn:esco:cw"): "case worker"}).sentence == (
        "Your job title ‘Caseworker’ matches the ESCO occupation ‘case worker’"
    )
    text = Source(
        kind="text",
        label="team leadership",
        level=2,
        passage="In 2023 I took on Team-Leadership of 12 analysts.",
    )
    view = describe_source(text)
    assert view.sentence == "You wrote:"
    assert (view.quote.before, view.quote.match, view.quote.after) == (
        "In 2023 I took on ",
        "Team-Leadership",
        " of 12 analysts.",
    )
    assert from_line([ANALYST.to_json(), PRINCE2.to_json()]) == (
        "From: Senior data analyst 2021–2024 and PRINCE2 Practitioner"
    )
    assert from_line([]) == ""
    move = Source(kind="move", label="Claims processing", level=2, start=dt.date(2026, 1, 5))
    assert (
        describe_source(move).sentence
        == "You used it on a surge move to Claims processing since 2026"
    )
    unknown = Source(kind="something new", label="Thing", level=1)
    assert describe_source(unknown).sentence == "Muster found ‘Thing’ in your records"


def test_the_list_says_why_and_what_the_level_means(client, me, python):
    drafted(me, python, ANALYST, PRINCE2)
    page = text_of(client.get(DRAFTS))
    assert "Check your draft skills" in page
    assert "Python (computer programming)" in page
    assert "You were a Senior data analyst from 2021 to 2024 (suggests level 3 Practitioner)" in (
        page
    )
    assert "You hold PRINCE2 Practitioner" in page
    assert "3 Practitioner" in page and PYTHON_3 in page
    assert "Last used In current use" in page  # the qualification is current


def test_a_long_list_is_paged(client, me):
    skills = [SkillFactory(name=f"Skill {n:02d}") for n in range(45)]
    draft_person(
        actor=UserFactory(),
        person=me,
        offers=[(s.pk, PRINCE2) for s in skills],
        kinds={"qualification"},
    )
    first = text_of(client.get(DRAFTS))
    assert "Showing 1 to 20 of 45 draft skills" in first
    assert "Skill 00" in first and "Skill 20" not in first
    third = text_of(client.get(DRAFTS, {"page": "3"}))
    assert "Skill 44" in third and "Skill 00" not in third
    assert client.get(DRAFTS, {"page": "x' or 1=1"}).status_code == 200


# --- decisions ---------------------------------------------------------------------------


def test_confirm_one_without_javascript(client, me, python):
    row = drafted(me, python, ANALYST)
    response = client.post(
        reverse("people:draft_confirm", args=[row.pk]), {"version": row.version}, follow=True
    )
    assert "You confirmed Python (computer programming) at level 3 Practitioner" in text_of(
        response
    )
    row.refresh_from_db()
    assert (row.evidence, row.level, row.source) == (EvidenceKind.SELF, 3, "role_level")
    # The profile lists it now, and says where it came from.
    profile = text_of(client.get(PROFILE))
    assert "From: Senior data analyst 2021–2024" in profile
    assert AccessEvent.objects.filter(
        action=Action.EDIT_PROFILE, subject=me, parameters__decision="confirmed"
    ).exists()


def test_change_the_level_then_confirm(client, me, python):
    row = drafted(me, python, ANALYST)
    url = reverse("people:draft_level", args=[row.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert PYTHON_3 in html(page) and "You were a Senior data analyst" in html(page)
    bad = client.post(url, {"version": row.version, "level": "9"})
    assert bad.status_code == 200
    assert error_summary(html(bad)) == ["Choose your level"]
    done = client.post(url, {"version": row.version, "level": "2"}, follow=True)
    assert "You confirmed Python (computer programming) at level 2 Working" in text_of(done)
    row.refresh_from_db()
    assert (row.evidence, row.level) == (EvidenceKind.SELF, 2)


def test_reject_one_and_it_stays_gone(client, me, python):
    row = drafted(me, python, ANALYST)
    response = client.post(
        reverse("people:draft_reject", args=[row.pk]), {"version": row.version}, follow=True
    )
    assert "You said you do not have Python (computer programming)" in text_of(response)
    assert not PersonSkill.objects.filter(person=me, skill=python).exists()
    assert DraftRejection.objects.filter(person=me, skill=python).exists()
    # The next drafting run does not bring it back.
    draft_person(
        actor=UserFactory(), person=me, offers=[(python.pk, ANALYST)], kinds={"role_level"}
    )
    assert not PersonSkill.objects.filter(person=me, skill=python).exists()
    assert "Python (computer programming)" not in text_of(client.get(DRAFTS))


def test_a_stale_version_is_a_conflict_and_nothing_changes(client, me, python):
    row = drafted(me, python, ANALYST)
    shown = row.version
    # A drafting run re-levels it after the page was opened.
    draft_person(
        actor=UserFactory(),
        person=me,
        offers=[(python.pk, Source(kind="role_level", label="Lead data analyst", level=4))],
        kinds={"role_level"},
    )
    for name in ("people:draft_confirm", "people:draft_reject"):
        response = client.post(reverse(name, args=[row.pk]), {"version": shown})
        assert response.status_code == 409
        assert error_summary(html(response)) == [
            "Muster changed the draft Python (computer programming) since you opened this page: "
            "it now suggests level 4 Expert. Nothing has been saved. Check it, then confirm or "
            "reject it again"
        ]
    level = client.post(
        reverse("people:draft_level", args=[row.pk]), {"version": shown, "level": "2"}
    )
    assert level.status_code == 409
    assert "What you entered and what is saved now" in html(level)
    row.refresh_from_db()
    assert (row.evidence, row.level) == (EvidenceKind.INFERRED, 4)
    assert not DraftRejection.objects.exists()


def test_a_draft_decided_in_another_tab_is_reported_not_a_404(client, me, python):
    row = drafted(me, python, ANALYST)
    client.post(reverse("people:draft_confirm", args=[row.pk]), {"version": row.version})
    again = client.post(reverse("people:draft_reject", args=[row.pk]), {"version": row.version})
    assert again.status_code == 409
    assert "Python (computer programming) is no longer a draft on your profile" in html(again)
    assert PersonSkill.objects.get(pk=row.pk).evidence == EvidenceKind.SELF


def test_a_bad_version_is_an_error_not_a_500(client, me, python):
    row = drafted(me, python, ANALYST)
    for version in ("", "abc", "-1"):
        response = client.post(reverse("people:draft_confirm", args=[row.pk]), {"version": version})
        assert response.status_code == 200
        assert error_summary(html(response)) == [
            "This page is out of date: go back to your draft skills and open it again"
        ]
    assert PersonSkill.objects.get(pk=row.pk).evidence == EvidenceKind.INFERRED
    assert client.get(reverse("people:draft_confirm", args=[row.pk])).status_code == 405


def test_confirm_all_after_a_confirmation_step(client, me, python):
    sql = SkillFactory(name="SQL")
    drafted(me, python, ANALYST)
    drafted(me, sql, PRINCE2)
    page = client.get(CONFIRM_ALL)
    assert "Confirm all 2 draft skills at their suggested levels?" in text_of(page)
    values = re.findall(r'name="drafts" value="([^"]+)"', html(page))
    assert len(values) == 2
    done = client.post(CONFIRM_ALL, {"drafts": values}, follow=True)
    assert "You confirmed 2 skills at their suggested levels" in text_of(done)
    assert not PersonSkill.objects.filter(person=me).drafts().exists()
    assert PersonSkill.objects.filter(person=me, evidence=EvidenceKind.SELF).count() == 2


def test_confirm_all_leaves_a_draft_that_changed_since(client, me, python):
    sql = SkillFactory(name="SQL")
    drafted(me, python, ANALYST)
    drafted(me, sql, PRINCE2)
    values = re.findall(r'name="drafts" value="([^"]+)"', html(client.get(CONFIRM_ALL)))
    draft_person(
        actor=UserFactory(),
        person=me,
        offers=[(python.pk, Source(kind="role_level", label="Lead", level=4))],
        kinds={"role_level"},
    )
    response = client.post(CONFIRM_ALL, {"drafts": values})
    assert response.status_code == 409
    assert "1 draft skill changed since you opened the list" in text_of(response)
    assert PersonSkill.objects.get(person=me, skill=sql).evidence == EvidenceKind.SELF
    assert PersonSkill.objects.get(person=me, skill=python).evidence == EvidenceKind.INFERRED
    garbage = client.post(CONFIRM_ALL, {"drafts": ["1:x", "zz"]})
    assert error_summary(html(garbage)) == [
        "This page is out of date: go back to your draft skills and open it again"
    ]


# --- only the person ------------------------------------------------------------------------


def test_hr_cannot_decide_someone_elses_drafts(client, make_user, python):
    someone = PersonFactory()
    row = drafted(someone, python, ANALYST)
    hr = make_user(Role.HR, username="harriet")
    PersonFactory(user=hr)
    client.force_login(hr)
    for name in ("people:draft_confirm", "people:draft_reject"):
        response = client.post(reverse(name, args=[row.pk]), {"version": row.version})
        assert response.status_code == 409
        assert "That skill is no longer a draft on your profile" in html(response)
    assert client.get(reverse("people:draft_level", args=[row.pk])).status_code == 404
    level = client.post(
        reverse("people:draft_level", args=[row.pk]), {"version": row.version, "level": "4"}
    )
    assert level.status_code == 409
    values = [f"{row.pk}:{row.version}"]
    client.post(CONFIRM_ALL, {"drafts": values})
    row.refresh_from_db()
    assert (row.evidence, row.level) == (EvidenceKind.INFERRED, 3)
    assert not DraftRejection.objects.exists()
    assert "Python" not in text_of(client.get(DRAFTS))


def test_signed_out_and_unlinked_users_get_no_drafts(client, make_user, python):
    assert client.get(DRAFTS).status_code == 302
    client.force_login(make_user(Role.HR, username="nolink"))
    assert "not linked to a staff record" in text_of(client.get(DRAFTS))


# --- the nudge ---------------------------------------------------------------------------------


def test_the_home_page_nudges_until_no_draft_is_left(client, me, python):
    assert "Check your draft skills" not in text_of(client.get(HOME))
    row = drafted(me, python, ANALYST)
    home = text_of(client.get(HOME))
    assert "Muster has drafted 1 skill for you from your role history" in home
    assert "Check your draft skills" in home
    assert "Check your draft skills" in text_of(client.get(PROFILE))
    client.post(reverse("people:draft_confirm", args=[row.pk]), {"version": row.version})
    assert "Check your draft skills" not in text_of(client.get(HOME))
    assert "Check your draft skills" not in text_of(client.get(PROFILE))


# --- find skills in your CV -----------------------------------------------------------------

CV = (
    "Senior analyst at the Department, 2021 to 2024.\n"
    "I led a team of 12 analysts and ran Project Management for the claims service. "
    "Built dashboards in Python."
)


@pytest.fixture
def taxonomy(db, python):
    pm = SkillFactory(name="project management")
    SkillAlias.objects.create(skill=python, label="Python")
    taxonomy_changed()
    return pm


def test_paste_a_cv_and_add_a_skill_as_a_draft(client, me, python, taxonomy, caplog):
    page = client.get(FROM_TEXT)
    assert page.status_code == 200 and "Find skills in your CV" in html(page)
    found = client.post(FROM_TEXT, {"step": "find", "text": CV})
    text = text_of(found)
    assert "project management" in text and "Python (computer programming)" in text
    assert "I led a team of 12 analysts and ran Project Management for the claims service." in (
        text
    )
    assert "<strong>Project Management</strong>" in html(found)
    done = client.post(
        FROM_TEXT, {"step": "add", "text": CV, "skills": [str(taxonomy.pk)]}, follow=True
    )
    assert "Muster added 1 draft skill" in text_of(done)
    row = PersonSkill.objects.get(person=me, skill=taxonomy)
    assert (row.evidence, row.level, row.source) == (EvidenceKind.INFERRED, 2, "text")
    (source,) = row.sources
    assert source["passage"] == (
        "I led a team of 12 analysts and ran Project Management for the claims service."
    )
    assert source["label"] == "project management"
    assert CV[source["span"][0] : source["span"][1]] == "Project Management"
    assert not PersonSkill.objects.filter(person=me, skill=python).exists()
    # The text itself is kept nowhere else, and never logged.
    assert "dashboards" not in str(list(AccessEvent.objects.values()))
    assert "dashboards" not in caplog.text


def test_paste_and_confirm_at_once(client, me, python, taxonomy):
    done = client.post(
        FROM_TEXT,
        {"step": "confirm", "text": CV, "skills": [str(python.pk), str(taxonomy.pk)]},
        follow=True,
    )
    assert "You added 2 skills to your profile" in text_of(done)
    assert set(
        PersonSkill.objects.filter(person=me, evidence=EvidenceKind.SELF).values_list(
            "skill_id", flat=True
        )
    ) == {python.pk, taxonomy.pk}


def test_a_paste_never_withdraws_other_drafts_and_skips_held_or_rejected(
    client, me, python, taxonomy
):
    drafted(me, python, ANALYST)
    sql = SkillFactory(name="SQL")
    drafted(me, sql, PRINCE2)
    DraftRejection.objects.create(person=me, skill=taxonomy)
    found = text_of(client.post(FROM_TEXT, {"step": "find", "text": CV}))
    assert "project management: you told Muster you do not have this skill" in found
    assert "Already a draft" in found
    client.post(FROM_TEXT, {"step": "add", "text": CV, "skills": [str(python.pk)]})
    row = PersonSkill.objects.get(person=me, skill=python)
    assert [s["kind"] for s in row.sources] == ["role_level", "text"]
    assert PersonSkill.objects.filter(person=me, skill=sql).drafts().exists()
    # A skill found but not offered (rejected) cannot be added by posting its id.
    client.post(FROM_TEXT, {"step": "add", "text": CV, "skills": [str(taxonomy.pk)]})
    assert not PersonSkill.objects.filter(person=me, skill=taxonomy).exists()


def test_paste_errors_are_shown_not_500(client, me, taxonomy):
    empty = client.post(FROM_TEXT, {"step": "find", "text": "   "})
    assert error_summary(html(empty)) == ["Paste your CV or write about what you do"]
    long = client.post(FROM_TEXT, {"step": "find", "text": "a" * 10_001})
    assert error_summary(html(long)) == ["Your text must be 10,000 characters or fewer"]
    none = client.post(FROM_TEXT, {"step": "add", "text": CV})
    assert error_summary(html(none)) == ["Select the skills you want to add"]
    nothing = client.post(FROM_TEXT, {"step": "find", "text": "Nothing here at all."})
    assert "Muster found no skills in your text" in text_of(nothing)
    edit = client.post(FROM_TEXT, {"step": "edit", "text": CV})
    assert "Built dashboards in Python." in html(edit)


def test_the_text_service_adds_only_what_the_person_may_add(me, python, taxonomy):
    from skills_app.people.drafts_text import add_from_text

    DraftRejection.objects.create(person=me, skill=taxonomy)
    PersonSkillFactory(person=me, skill=python, level=4, evidence=EvidenceKind.MANAGER_VERIFIED)
    result = add_from_text(
        actor=me.user, person=me, text=CV, skill_ids={python.pk, taxonomy.pk}, confirm=True
    )
    assert (result.added, result.confirmed) == ([], [])
    assert result.counts.created == 0
    assert PersonSkill.objects.get(person=me, skill=python).level == 4


def test_the_passage_kept_is_the_sentence_with_the_phrase_picked_out():
    from skills_app.people.drafts_text import PASSAGE_MAX, passage_around

    at = CV.index("Project Management")
    quote = passage_around(CV, at, at + len("Project Management"))
    assert (quote.before, quote.match, quote.after) == (
        "I led a team of 12 analysts and ran ",
        "Project Management",
        " for the claims service.",
    )
    # The extractor found it in a sentence's sense, not a phrase: the sentence, nothing picked out.
    start = CV.index("I led")
    end = CV.index("service.") + len("service.")
    whole = passage_around(CV, start, end)
    assert (whole.before.strip(), whole.match, whole.after) == (CV[start:end], "", "")
    long = "word " * 300 + "Python rocks " + "word " * 300
    at = long.index("Python")
    cut = passage_around(long, at, at + 6)
    assert cut.before.startswith("…word") and cut.after.endswith("word…")
    assert len(cut.before + cut.match + cut.after) <= PASSAGE_MAX + 2


@pytest.mark.parametrize("page", ["people:skill_change", "people:skill_remove"])
def test_a_draft_is_not_changed_or_removed_through_the_skill_pages(client, me, python, page):
    """A draft becomes a skill only through "Check your draft skills", so the
    confirmation is recorded as one; the ordinary skill pages do not know it."""
    draft = drafted(me, python, ANALYST)
    url = reverse(page, args=[draft.pk])
    assert client.get(url).status_code == 404
    client.post(url, {"level": "3", "version": str(draft.version), "confirm": "yes"})
    draft.refresh_from_db()
    assert draft.evidence == EvidenceKind.INFERRED


def test_my_data_download_says_where_each_draft_came_from(client, me, python):
    drafted(me, python, ANALYST)
    rejected = SkillFactory(name="COBOL")
    DraftRejection.objects.create(person=me, skill=rejected)
    data = client.get(reverse("people:download")).json()
    (skill,) = data["skills"]
    assert skill["evidence"] == "inferred" and skill["draft_source"] == "role_level"
    assert skill["draft_sources"][0]["label"] == "Senior data analyst"
    assert [r["skill"]["name"] for r in data["rejected_drafts"]] == ["COBOL"]
