"""The taxonomy pages through Django's test client: browse and search, the skill
page, the autocomplete fragment and its no-JavaScript resolution, proposals,
the stewards' queue, merge, deprecate, duplicates and the download."""

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import PersonSkill
from taxonomy import selectors
from taxonomy.forms import SkillPickerForm
from taxonomy.models import (
    ProposalStatus,
    RelationKind,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillLevelDescriptor,
    SkillProposal,
    SkillRelation,
    SkillStatus,
    Source,
)
from taxonomy.services import taxonomy_changed
from tests.factories import PersonSkillFactory, RoleRequirementFactory, SkillFactory

pytestmark = pytest.mark.django_db

HOME = reverse("taxonomy:home")
PROPOSE = reverse("taxonomy:propose")
QUEUE = reverse("taxonomy:proposals")
MINE = reverse("taxonomy:my_proposals")
DUPLICATES = reverse("taxonomy:duplicates")
AUTOCOMPLETE = reverse("taxonomy:autocomplete")
DOWNLOAD = reverse("taxonomy:download")


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's visible text, whitespace collapsed (for phrases split by tags)."""
    flat = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response)))
    return re.sub(r" ([).,:?])", r"\1", flat)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def tax(db):
    """A small taxonomy: a group tree, a skill with an alias and level
    descriptors, relations both ways, and a deprecated skill."""
    root = SkillGroup.objects.create(name="digital", uri="urn:t:group:digital")
    software = SkillGroup.objects.create(
        name="software development", uri="urn:t:group:software", parent=root
    )
    delivery = SkillGroup.objects.create(name="delivery", uri="urn:t:group:delivery", parent=root)
    python = Skill.objects.create(
        name="Python (computer programming)",
        uri="http://data.europa.eu/esco/skill/python",
        source=Source.ESCO,
        group=software,
        description="Writing programs in Python.",
    )
    SkillAlias.objects.create(skill=python, label="Python")
    programming = Skill.objects.create(
        name="computer programming", uri="urn:t:skill:programming", group=software
    )
    pm = Skill.objects.create(
        name="project management", uri="urn:t:skill:pm", group=delivery, source=Source.DDAT
    )
    for level, words in enumerate(["knows", "does", "leads", "sets standards"], start=1):
        SkillLevelDescriptor.objects.create(skill=pm, level=level, description=f"PM {words}")
    analysis = Skill.objects.create(name="data analysis", uri="urn:t:skill:da", group=software)
    analytics = Skill.objects.create(name="data analytics", uri="urn:t:skill:dan")
    architecture = Skill.objects.create(name="data architecture", uri="urn:t:skill:darch")
    old = Skill.objects.create(
        name="COBOL maintenance", uri="urn:t:skill:cobol", status=SkillStatus.DEPRECATED
    )
    SkillRelation.objects.create(
        from_skill=programming, to_skill=python, kind=RelationKind.NARROWER
    )
    SkillRelation.objects.create(from_skill=analysis, to_skill=python, kind=RelationKind.RELATED)
    taxonomy_changed()
    return {
        "root": root,
        "software": software,
        "python": python,
        "programming": programming,
        "pm": pm,
        "analysis": analysis,
        "analytics": analytics,
        "architecture": architecture,
        "old": old,
    }


# --- who sees what ------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_browse_pages_open_for_every_role(client_for, tax, role):
    client = client_for(role)
    for url in [
        HOME,
        f"{HOME}?q=python",
        reverse("taxonomy:group", args=[tax["root"].pk]),
        reverse("taxonomy:skill", args=[tax["python"].pk]),
        PROPOSE,
        MINE,
        f"{AUTOCOMPLETE}?q=pyth",
    ]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", list(Role))
def test_steward_pages_are_for_stewards_and_admins(client_for, tax, role):
    proposal = SkillProposal.objects.create(name="Rust programming")
    client = client_for(role)
    allowed = role in (Role.STEWARD, Role.ADMIN)
    for url in [
        QUEUE,
        reverse("taxonomy:proposal", args=[proposal.pk]),
        DUPLICATES,
        reverse("taxonomy:skill_merge", args=[tax["python"].pk]),
        reverse("taxonomy:skill_status", args=[tax["python"].pk]),
    ]:
        assert client.get(url).status_code == (200 if allowed else 403), url
    # Writes are refused too, and change nothing.
    response = client.post(
        reverse("taxonomy:skill_status", args=[tax["python"].pk]), {"action": "deprecate"}
    )
    assert response.status_code == (302 if allowed else 403)
    tax["python"].refresh_from_db()
    assert (tax["python"].status == SkillStatus.DEPRECATED) is allowed


def test_anonymous_visitors_go_to_sign_in(client, tax):
    response = client.get(HOME)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_steward_links_only_for_stewards(client_for, tax):
    page = html(client_for(Role.STAFF).get(HOME))
    assert "Propose a skill" in page and "Review proposals" not in page
    assert "Possible duplicates" not in page
    skill_page = html(client_for(Role.STAFF).get(reverse("taxonomy:skill", args=[tax["pm"].pk])))
    assert "Merge this skill into another" not in skill_page


def test_steward_sees_queue_and_duplicates_links(client, make_user, tax):
    client.force_login(make_user(Role.STEWARD))
    SkillProposal.objects.create(name="Rust programming")
    page = text(client.get(HOME))
    assert "Review proposals (1 waiting)" in page and "Possible duplicates" in page
    skill_page = html(client.get(reverse("taxonomy:skill", args=[tax["pm"].pk])))
    assert "Merge this skill into another" in skill_page
    assert "Deprecate this skill" in skill_page


# --- browse -------------------------------------------------------------------------


def test_home_shows_the_group_tree_with_counts(client_for, tax):
    page = text(client_for(Role.STAFF).get(HOME))
    # 4 active/deprecated skills sit under "digital" through its children.
    assert "Digital (4 skills)" in page
    assert "Software development (3 skills)" in page
    assert "Delivery (1 skill)" in page


def test_browse_by_framework(client_for, tax):
    client = client_for(Role.STAFF)
    page = text(client.get(HOME))
    assert "Browse by framework" in page
    assert "UK DDaT Capability Framework (1 skill)" in page and "ESCO (1 skill)" in page
    listing = text(client.get(HOME, {"source": "local"}))
    assert "5 skills from Local" in listing and "data analytics" in listing
    assert "project management" not in listing.split("skills from Local")[1].split("Browse")[0]
    # An unknown source is ignored.
    assert "skills from" not in text(client.get(HOME, {"source": "nope"}))


def test_search_lists_matches_with_the_label_that_matched(client_for, tax):
    response = client_for(Role.STAFF).get(HOME, {"q": "pyhton"})
    page = text(response)
    assert "Python (computer programming)" in page
    assert "matched ‘pyhton’ via alias ‘Python’" in page
    assert "<title>Search results for “pyhton” - Skills taxonomy - Muster</title>" in html(response)
    # A search by the preferred name does not claim an alias.
    page = text(client_for(Role.STAFF).get(HOME, {"q": "project management"}))
    assert "project management" in page and "via alias" not in page


def test_search_with_no_match_offers_to_propose(client_for, tax):
    page = html(client_for(Role.STAFF).get(HOME, {"q": "zzzz qqqq"}))
    assert "No skills match “zzzz qqqq”" in page
    assert f"{PROPOSE}?name=zzzz%20qqqq" in page


def test_search_box_is_the_autocomplete_component(client_for, tax):
    page = html(client_for(Role.STAFF).get(HOME))
    assert 'data-module="app-skill-autocomplete"' in page
    assert f'data-source="{AUTOCOMPLETE}"' in page and 'data-navigate="true"' in page
    assert 'role="listbox"' in page and 'aria-live="polite"' in page
    assert re.search(r'<script type="module" src="/static/js/skill-autocomplete.js">', page)


def test_group_page_lists_children_and_paginates_skills(client_for, tax):
    for n in range(55):
        Skill.objects.create(name=f"skill {n:02d}", uri=f"urn:t:many:{n}", group=tax["software"])
    client = client_for(Role.STAFF)
    page = text(client.get(reverse("taxonomy:group", args=[tax["root"].pk])))
    assert "Groups within digital" in page and "Software development (58 skills)" in page
    first = text(client.get(reverse("taxonomy:group", args=[tax["software"].pk])))
    assert "58 skills in this group" in first and "skill 00" in first
    assert "skill 54" not in first
    second = text(client.get(reverse("taxonomy:group", args=[tax["software"].pk]), {"page": 2}))
    assert "skill 54" in second


def test_skill_page_shows_everything_about_the_skill(client_for, tax):
    page = text(client_for(Role.STAFF).get(reverse("taxonomy:skill", args=[tax["python"].pk])))
    assert "Writing programs in Python." in page
    assert "http://data.europa.eu/esco/skill/python" in page
    assert "ESCO" in page
    assert "Other names Python" in page
    # Breadcrumb through the group tree.
    assert "Skills taxonomy Digital Software development" in page
    # Relations, both directions.
    assert "Broader skills" in page and "computer programming" in page
    assert "Related skills" in page and "data analysis" in page
    # No descriptors of its own: the generic scale.
    assert "general descriptions of each level" in page and "1 Awareness" in page


def test_skill_page_uses_the_skills_own_level_descriptors(client_for, tax):
    page = text(client_for(Role.STAFF).get(reverse("taxonomy:skill", args=[tax["pm"].pk])))
    assert "general descriptions" not in page
    for words in ["PM knows", "PM does", "PM leads", "PM sets standards"]:
        assert words in page
    narrower = text(
        client_for(Role.STAFF).get(reverse("taxonomy:skill", args=[tax["programming"].pk]))
    )
    assert "Narrower skills" in narrower and "Python (computer programming)" in narrower


def test_merged_and_deprecated_skills_are_labelled(client_for, tax):
    old = tax["old"]
    client = client_for(Role.STAFF)
    page = html(client.get(reverse("taxonomy:skill", args=[old.pk])))
    assert "govuk-tag--grey" in page and "Deprecated" in page
    dup = Skill.objects.create(
        name="Python coding",
        uri="urn:t:skill:pycoding",
        status=SkillStatus.MERGED,
        merged_into=tax["python"],
    )
    page = html(client.get(reverse("taxonomy:skill", args=[dup.pk])))
    assert "This skill has been merged into" in page
    assert reverse("taxonomy:skill", args=[tax["python"].pk]) in page


def _holders(skill):
    for level, count in [(1, 1), (2, 3), (3, 4), (4, 2)]:
        for _ in range(count):
            PersonSkillFactory(skill=skill, level=level)


@pytest.mark.parametrize("role", list(Role))
def test_people_per_level_only_for_planners_hr_and_admins(client_for, tax, role):
    _holders(tax["pm"])
    page = html(client_for(role).get(reverse("taxonomy:skill", args=[tax["pm"].pk])))
    if role in (Role.PLANNER, Role.HR, Role.ADMIN):
        assert "People with this skill" in page
        assert "10 people hold project management, by level" in page
        # 4 of 10 at Practitioner: 40%, drawn with the 40% width class.
        assert "app-bar__fill--40" in page and "40%" in page
        assert 'aria-hidden="true"><span class="app-bar__fill' in page
    else:
        assert "People with this skill" not in page
        assert "people hold" not in page and "app-bar__fill" not in page


def test_holder_counts_selector():
    skill = SkillFactory()
    _holders(skill)
    rows, total = selectors.skill_holder_counts(skill=skill)
    assert total == 10
    assert [(r.level, r.count, r.percent, r.bucket) for r in rows] == [
        (1, 1, 10, 10),
        (2, 3, 30, 30),
        (3, 4, 40, 40),
        (4, 2, 20, 20),
    ]


# --- autocomplete ---------------------------------------------------------------------


def test_autocomplete_fragment_finds_a_misspelling(client_for, tax):
    response = client_for(Role.STAFF).get(AUTOCOMPLETE, {"q": "pyhton"})
    fragment = html(response)
    assert response.status_code == 200
    assert "<html" not in fragment and "govuk-header" not in fragment
    assert f'data-skill-id="{tax["python"].pk}"' in fragment
    assert 'data-value="Python (computer programming)"' in fragment
    assert f'data-href="{reverse("taxonomy:skill", args=[tax["python"].pk])}"' in fragment
    assert 'role="option"' in fragment and "also called “Python”" in fragment


def test_autocomplete_fragment_is_empty_for_short_or_no_queries(client_for, tax):
    client = client_for(Role.STAFF)
    assert "data-skill-option" not in html(client.get(AUTOCOMPLETE))
    assert "data-skill-option" not in html(client.get(AUTOCOMPLETE, {"q": "p"}))
    assert "data-skill-option" not in html(client.get(AUTOCOMPLETE, {"q": "zzzz qqqq"}))


def test_autocomplete_can_leave_a_skill_out(client_for, tax):
    response = client_for(Role.STAFF).get(
        AUTOCOMPLETE, {"q": "python", "exclude": tax["python"].pk}
    )
    assert f'data-skill-id="{tax["python"].pk}"' not in html(response)


def test_autocomplete_leaves_out_deprecated_skills(client_for, tax):
    assert "COBOL" not in html(client_for(Role.STAFF).get(AUTOCOMPLETE, {"q": "COBOL maint"}))


# --- the skill picker without JavaScript --------------------------------------------


class PickForm(SkillPickerForm):
    pass


def test_picker_auto_resolves_a_confident_match(tax):
    form = PickForm({"skill_query": "Project Management"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["skill"] == tax["pm"]
    assert form.picker_outcome == "auto"
    assert form.skill_picker.id_value == str(tax["pm"].pk)


def test_picker_suggests_when_several_fit(tax):
    form = PickForm({"skill_query": "data"})
    assert not form.is_valid()
    assert form.picker_outcome == "suggest"
    assert form.errors["skill"] == ["Choose the skill you meant"]
    names = {m.skill.name for m in form.picker_suggestions}
    assert {"data analysis", "data analytics"} <= names
    # Choosing one of the radios (same field name as the hidden id) resolves it.
    chosen = PickForm({"skill_query": "data", "skill": str(tax["analytics"].pk)})
    assert chosen.is_valid() and chosen.cleaned_data["skill"] == tax["analytics"]


def test_picker_reports_an_unknown_skill(tax):
    form = PickForm({"skill_query": "zzzz qqqq"})
    assert not form.is_valid()
    assert form.picker_outcome == "none"
    assert form.errors["skill_query"] == [
        "We could not find that skill: check the spelling or propose it"
    ]


def test_picker_requires_something(tax):
    form = PickForm({"skill_query": "  "})
    assert not form.is_valid()
    assert form.errors["skill_query"] == ["Enter the name of a skill"]


def test_picker_hidden_id_wins_but_only_for_an_active_skill(tax):
    form = PickForm({"skill_query": "whatever", "skill": str(tax["pm"].pk)})
    assert form.is_valid() and form.cleaned_data["skill"] == tax["pm"]
    # A deprecated skill's id falls back to resolving the text.
    form = PickForm({"skill_query": "Project management", "skill": str(tax["old"].pk)})
    assert form.is_valid() and form.cleaned_data["skill"] == tax["pm"]


def test_picker_suggest_renders_radios_and_error_summary(client, make_user, tax):
    client.force_login(make_user(Role.STEWARD))
    url = reverse("taxonomy:skill_merge", args=[tax["old"].pk])
    response = client.get(url, {"target_query": "data"})
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: " in page
    assert "govuk-error-summary" in page
    assert '<a href="#id_target">Choose the skill you meant</a>' in page
    assert 'type="radio"' in page and 'id="id_target"' in page
    assert f'value="{tax["analytics"].pk}"' in page
    # The hidden id is replaced by the radios (one field, one name).
    assert 'type="hidden" name="target"' not in page


def test_picker_none_renders_the_error_and_a_propose_link(client, make_user, tax):
    client.force_login(make_user(Role.STEWARD))
    url = reverse("taxonomy:skill_merge", args=[tax["old"].pk])
    page = html(client.get(url, {"target_query": "zzzz qqqq"}))
    assert "We could not find that skill: check the spelling or propose it" in page
    assert 'href="#id_target_query"' in page
    assert f"{PROPOSE}?name=zzzz%20qqqq" in page


# --- proposals ------------------------------------------------------------------------


def test_propose_shows_similar_skills_before_sending(client, make_user, tax):
    user = make_user(Role.STAFF)
    client.force_login(user)
    first = client.post(PROPOSE, {"name": "Python programing", "kind": "skill"})
    page = html(first)
    assert first.status_code == 200
    assert "Similar skills already in the taxonomy" in page
    assert "Python (computer programming)" in page
    assert "None of these: send my proposal" in page
    assert not SkillProposal.objects.exists()
    assert 'name="confirm_new" value="True"' in page

    sent = client.post(
        PROPOSE,
        {"name": "Python programing", "kind": "skill", "description": "", "confirm_new": "True"},
    )
    proposal = SkillProposal.objects.get()
    assert proposal.proposed_by == user and proposal.status == ProposalStatus.PENDING
    assert sent.status_code == 302 and sent["Location"] == f"{MINE}?sent={proposal.pk}"
    confirmation = text(client.get(sent["Location"]))
    assert "Your proposal has been sent to the taxonomy stewards" in confirmation
    assert re.search(r"Python programing \d+ \w+ \d{4} Waiting for a decision", confirmation)


def test_propose_without_similar_skills_sends_at_once(client_for, tax):
    client = client_for(Role.STAFF)
    response = client.post(
        PROPOSE, {"name": "Underwater basket weaving", "kind": "skill", "description": "Wet"}
    )
    assert response.status_code == 302
    assert SkillProposal.objects.get().description == "Wet"


def test_propose_an_existing_skill_is_an_error(client_for, tax):
    response = client_for(Role.STAFF).post(
        PROPOSE, {"name": "project management", "kind": "skill", "confirm_new": "True"}
    )
    page = html(response)
    assert response.status_code == 200 and "govuk-error-summary" in page
    assert "“project management” is already in the taxonomy: choose it instead" in page
    assert not SkillProposal.objects.exists()


def test_propose_needs_a_name(client_for, tax):
    page = html(client_for(Role.STAFF).post(PROPOSE, {"name": "", "kind": "skill"}))
    assert '<a href="#id_name">Enter the name of the skill</a>' in page


def test_propose_prefills_the_name_from_the_query(client_for, tax):
    page = html(client_for(Role.STAFF).get(PROPOSE, {"name": "Welsh"}))
    assert 'value="Welsh"' in page


def test_propose_live_similar_fragment_for_htmx(client_for, tax):
    client = client_for(Role.STAFF)
    response = client.get(PROPOSE, {"name": "pyhton"}, headers={"HX-Request": "true"})
    fragment = html(response)
    assert "<html" not in fragment
    assert "Similar skills already in the taxonomy" in fragment
    assert "Python (computer programming)" in fragment
    nothing = html(client.get(PROPOSE, {"name": "zzzz qqqq"}, headers={"HX-Request": "true"}))
    assert "No similar skills found" in nothing
    page = html(client.get(PROPOSE))
    assert f'hx-get="{PROPOSE}"' in page and 'hx-target="#similar-skills"' in page


def test_my_proposals_lists_only_mine_with_decisions(client, make_user, tax):
    me, other = make_user(Role.STAFF), make_user(Role.HR)
    SkillProposal.objects.create(name="Mine pending", proposed_by=me)
    SkillProposal.objects.create(
        name="Mine rejected",
        proposed_by=me,
        status=ProposalStatus.REJECTED,
        decision_note="Too vague",
    )
    SkillProposal.objects.create(name="Not mine", proposed_by=other)
    client.force_login(me)
    page = text(client.get(MINE))
    assert "Mine pending" in page and "Mine rejected" in page and "Too vague" in page
    assert "Not mine" not in page
    # Someone else's proposal id does not bring up the confirmation panel.
    theirs = SkillProposal.objects.get(name="Not mine")
    assert "Proposal sent" not in text(client.get(MINE, {"sent": theirs.pk}))


# --- the stewards' queue ----------------------------------------------------------------


@pytest.fixture
def steward_client(client, make_user):
    client.force_login(make_user(Role.STEWARD, username="steward"))
    return client


@pytest.fixture
def proposal(make_user, tax):
    person_user = make_user(Role.STAFF, username="proposer")
    return SkillProposal.objects.create(
        name="Pyhton scripting", description="Small scripts", proposed_by=person_user
    )


def test_queue_lists_pending_proposals_with_closest_matches(steward_client, proposal):
    SkillProposal.objects.create(name="Already done", status=ProposalStatus.REJECTED)
    page = text(steward_client.get(QUEUE))
    assert "1 proposal waiting for a decision" in page
    assert "Pyhton scripting" in page and "proposer" in page
    assert "Python (computer programming)" in page
    assert "Already done" not in page


def test_steward_approves_with_an_edited_name(steward_client, proposal):
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    response = steward_client.post(
        url, {"action": "approve", "name": "Python scripting", "description": "Scripts"}
    )
    assert response.status_code == 302 and response["Location"] == QUEUE
    skill = Skill.objects.get(name="Python scripting")
    assert skill.description == "Scripts" and skill.source == Source.LOCAL
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.APPROVED and proposal.skill == skill
    banner = html(steward_client.get(QUEUE))
    assert "govuk-notification-banner--success" in banner
    assert "“Python scripting” has been added to the taxonomy" in banner


def test_steward_approving_an_existing_name_sees_the_error(steward_client, proposal):
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    page = html(steward_client.post(url, {"action": "approve", "name": "project management"}))
    assert "govuk-error-summary" in page
    assert '<a href="#approve-name">“project management” already exists: merge instead</a>' in page
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING


def test_steward_reject_needs_a_reason(steward_client, proposal):
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    response = steward_client.post(url, {"action": "reject", "note": "  "})
    page = html(response)
    assert response.status_code == 200
    assert "<title>Error: Pyhton scripting - Review proposals - Muster</title>" in page
    assert (
        '<a href="#reject-note">Give a reason, so the person who proposed it knows why</a>' in page
    )
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.PENDING

    response = steward_client.post(url, {"action": "reject", "note": "Use Python"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.REJECTED and proposal.decision_note == "Use Python"


def test_steward_merges_a_proposal_into_a_listed_match(steward_client, proposal, tax):
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    page = html(steward_client.get(url))
    assert f'name="target" value="{tax["python"].pk}"' in page
    response = steward_client.post(url, {"action": "merge", "target": tax["python"].pk})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.MERGED and proposal.skill == tax["python"]
    assert SkillAlias.objects.filter(skill=tax["python"], label="Pyhton scripting").exists()
    banner = text(steward_client.get(QUEUE))
    assert "“Pyhton scripting” has been recorded as another name for “Python" in banner


def test_steward_merges_a_proposal_by_typing_the_target(steward_client, proposal, tax):
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    response = steward_client.post(url, {"action": "merge", "target_query": "Project management"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.skill == tax["pm"]


def test_decided_proposal_shows_no_forms(steward_client, proposal):
    proposal.status = ProposalStatus.REJECTED
    proposal.save()
    url = reverse("taxonomy:proposal", args=[proposal.pk])
    page = html(steward_client.get(url))
    assert "Reject proposal" not in page and "Add skill" not in page
    # A late POST changes nothing.
    steward_client.post(url, {"action": "approve", "name": "Late"})
    assert not Skill.objects.filter(name="Late").exists()


# --- skill merge, deprecate -------------------------------------------------------------


def test_merge_confirmation_states_what_moves_then_merges(steward_client, tax):
    source, target = tax["analytics"], tax["analysis"]
    both = PersonSkillFactory(skill=source, level=4).person
    PersonSkillFactory(person=both, skill=target, level=2)
    PersonSkillFactory(skill=source, level=3)
    RoleRequirementFactory(skill=source)
    url = reverse("taxonomy:skill_merge", args=[source.pk])

    choose = html(steward_client.get(url))
    assert 'data-module="app-skill-autocomplete"' in choose and 'name="target_query"' in choose
    assert f'data-exclude="{source.pk}"' in choose

    confirm = text(steward_client.get(url, {"target": target.pk}))
    assert "Merge “data analytics” into “data analysis”?" in confirm
    assert "2 people hold “data analytics”" in confirm
    assert "1 of them already holds “data analysis” and keeps the higher of the two levels" in (
        confirm
    )
    assert "1 role requirement names “data analytics” and moves to “data analysis”" in confirm
    assert "becomes another name for “data analysis”" in confirm
    assert not AccessEvent.objects.filter(action=Action.MERGE).exists()

    response = steward_client.post(url, {"target": target.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("taxonomy:skill", args=[target.pk])
    source.refresh_from_db()
    assert source.status == SkillStatus.MERGED and source.merged_into == target
    assert PersonSkill.objects.filter(skill=target).count() == 2
    assert PersonSkill.objects.get(person=both, skill=target).level == 4
    assert SkillAlias.objects.filter(skill=target, label="data analytics").exists()
    assert AccessEvent.objects.filter(action=Action.MERGE).count() == 1
    page = text(steward_client.get(response["Location"]))
    assert "“data analytics” has been merged into “data analysis”" in page


def test_merge_target_resolved_from_text(steward_client, tax):
    url = reverse("taxonomy:skill_merge", args=[tax["analytics"].pk])
    page = text(steward_client.get(url, {"target_query": "Project management"}))
    assert "Merge “data analytics” into “project management”?" in page


def test_merge_into_itself_is_refused(steward_client, tax):
    url = reverse("taxonomy:skill_merge", args=[tax["pm"].pk])
    page = html(steward_client.get(url, {"target": tax["pm"].pk, "target_query": ""}))
    assert "govuk-error-summary" in page
    response = steward_client.post(url, {"target": tax["pm"].pk})
    assert response.status_code == 200
    tax["pm"].refresh_from_db()
    assert tax["pm"].status == SkillStatus.ACTIVE


def test_merge_page_for_a_merged_skill(steward_client, tax):
    dup = Skill.objects.create(
        name="Py", uri="urn:t:py", status=SkillStatus.MERGED, merged_into=tax["python"]
    )
    page = text(steward_client.get(reverse("taxonomy:skill_merge", args=[dup.pk])))
    assert "“Py” has already been merged" in page


def test_deprecate_and_reactivate(steward_client, tax):
    pm = tax["pm"]
    url = reverse("taxonomy:skill_status", args=[pm.pk])
    assert "Deprecate “project management”?" in text(steward_client.get(url))
    response = steward_client.post(url, {"action": "deprecate"})
    assert response.status_code == 302
    pm.refresh_from_db()
    assert pm.status == SkillStatus.DEPRECATED
    assert "“project management” has been deprecated" in text(
        steward_client.get(response["Location"])
    )
    assert "Make “project management” active again?" in text(steward_client.get(url))
    steward_client.post(url, {"action": "reactivate"})
    pm.refresh_from_db()
    assert pm.status == SkillStatus.ACTIVE
    # Reactivating an active skill is an error shown on the page, not a 500.
    page = html(steward_client.post(url, {"action": "reactivate"}))
    assert "Only a deprecated skill can be made active again" in page


# --- duplicates -------------------------------------------------------------------------


def test_duplicates_page_lists_pairs_with_merge_links(steward_client, tax, monkeypatch):
    a = Skill.objects.create(name="stakeholder management", uri="urn:t:sm1")
    b = Skill.objects.create(name="stakeholder managment", uri="urn:t:sm2")
    taxonomy_changed()
    calls = []
    real = selectors.find_duplicate_pairs

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(selectors, "find_duplicate_pairs", counting)
    page = html(steward_client.get(DUPLICATES))
    assert "stakeholder management" in page and "stakeholder managment" in page
    merge_url = reverse("taxonomy:skill_merge", args=[b.pk])
    assert f'href="{merge_url}?target={a.pk}"' in page
    # The second visit comes from the cache; a taxonomy change recomputes.
    steward_client.get(DUPLICATES)
    assert len(calls) == 1
    taxonomy_changed()
    steward_client.get(DUPLICATES)
    assert len(calls) == 2


def test_duplicates_leave_out_inactive_skills(steward_client, tax):
    Skill.objects.create(name="data analysis", uri="urn:t:da-old", status=SkillStatus.DEPRECATED)
    taxonomy_changed()
    page = html(steward_client.get(DUPLICATES))
    assert "urn:t:da-old" not in page
    assert "No likely duplicates found" in page or "data analysis" in page


# --- download -----------------------------------------------------------------------------


def test_download_csv_escapes_formulas(client_for, tax):
    Skill.objects.create(name='=HYPERLINK("http://evil.example","x")', uri="urn:t:evil")
    response = client_for(Role.STAFF).get(DOWNLOAD, {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert re.match(r'attachment; filename="[^"]+\.csv"', response["Content-Disposition"]), (
        response["Content-Disposition"]
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    names = {row["name"] for row in rows}
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert "project management" in names


def test_download_json(client_for, tax):
    response = client_for(Role.STAFF).get(DOWNLOAD)
    assert response["Content-Type"] == "application/json"
    assert re.match(r'attachment; filename="[^"]+\.json"', response["Content-Disposition"])
    data = json.loads(b"".join(response.streaming_content))
    assert any(s["name"] == "project management" for s in data["skills"])


def test_home_links_to_both_downloads(client_for, tax):
    page = html(client_for(Role.STAFF).get(HOME))
    assert f"{DOWNLOAD}?format=json" in page and f"{DOWNLOAD}?format=csv" in page
