"""Line managers: who is in their team, the team page, and verifying, querying
and protecting team members (issue 4, item 3)."""

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.people import team as svc
from skills_app.people.models import EvidenceKind, Person, PersonSkill
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(make_user):
    """boss -> mgr -> (ana, ben -> cai); out is elsewhere. The signed-in line
    manager is mgr; a second line manager is boss."""
    unit = OrgUnitFactory(name="Processing")
    boss = PersonFactory(full_name="Bea Boss", org_unit=unit)
    mgr = PersonFactory(full_name="Max Manager", org_unit=unit, line_manager=boss)
    ana = PersonFactory(full_name="Ana Adeyemi", org_unit=unit, line_manager=mgr, grade="EO")
    ben = PersonFactory(full_name="Ben Brown", org_unit=unit, line_manager=mgr)
    cai = PersonFactory(full_name="Cai Cole", org_unit=unit, line_manager=ben)
    out = PersonFactory(full_name="Otto Outsider")
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="max")
    boss_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="bea")
    Person.objects.filter(pk=mgr.pk).update(user=mgr_user)
    Person.objects.filter(pk=boss.pk).update(user=boss_user)
    for person in (boss, mgr, ana, ben, cai, out):
        person.refresh_from_db()
    return {
        "boss": boss,
        "mgr": mgr,
        "ana": ana,
        "ben": ben,
        "cai": cai,
        "out": out,
        "mgr_user": mgr_user,
        "boss_user": boss_user,
    }


@pytest.fixture
def manager_client(client, tree):
    client.force_login(tree["mgr_user"])
    return client


@pytest.fixture
def claim(tree):
    """A self-assessed skill on Cai's profile (two levels below the manager)."""
    return PersonSkillFactory(person=tree["cai"], skill=SkillFactory(name="Debt advice"), level=3)


def _page(response) -> str:
    return response.content.decode()


# --- who is in the team --------------------------------------------------------------


def test_team_is_everyone_below_the_manager(tree):
    assert set(svc.team_queryset(manager=tree["mgr"])) == {tree["ana"], tree["ben"], tree["cai"]}
    assert set(svc.team_queryset(manager=tree["boss"])) == {
        tree["mgr"],
        tree["ana"],
        tree["ben"],
        tree["cai"],
    }
    assert set(svc.team_queryset(manager=tree["ben"])) == {tree["cai"]}
    assert not svc.team_queryset(manager=tree["cai"]).exists()
    assert not svc.team_queryset(manager=None).exists()


def test_membership_is_transitive_and_one_way(tree):
    assert svc.is_in_team(manager=tree["mgr"], person=tree["cai"])  # through Ben
    assert svc.is_in_team(manager=tree["boss"], person=tree["cai"])  # three levels
    assert not svc.is_in_team(manager=tree["cai"], person=tree["mgr"])  # not upwards
    assert not svc.is_in_team(manager=tree["ana"], person=tree["ben"])  # not sideways
    assert not svc.is_in_team(manager=tree["mgr"], person=tree["out"])
    assert not svc.is_in_team(manager=tree["mgr"], person=tree["mgr"])  # not yourself
    assert not svc.is_in_team(manager=None, person=tree["ana"])


def test_a_loop_in_bad_data_ends(tree):
    # A loop cannot be made through the application; make one behind its back.
    Person.objects.filter(pk=tree["boss"].pk).update(line_manager=tree["cai"])
    assert set(svc.team_queryset(manager=tree["mgr"])) == {
        tree["ana"],
        tree["ben"],
        tree["cai"],
        tree["boss"],
    }
    assert svc.is_in_team(manager=tree["mgr"], person=tree["boss"])
    assert not svc.is_in_team(manager=tree["mgr"], person=tree["out"])


def test_moving_someone_out_of_the_team_ends_access(manager_client, tree):
    url = reverse("team:person", kwargs={"public_id": tree["cai"].public_id})
    assert manager_client.get(url).status_code == 200
    Person.objects.filter(pk=tree["cai"].pk).update(line_manager=tree["out"])
    assert manager_client.get(url).status_code == 403


# --- the team page ------------------------------------------------------------------


def test_team_page_lists_direct_and_indirect_reports_with_counts(manager_client, tree):
    now = timezone.now()
    Person.objects.filter(pk=tree["ana"].pk).update(
        protected=True, profile_reviewed_at=now - dt.timedelta(days=30)
    )
    Person.objects.filter(pk=tree["ben"].pk).update(
        profile_reviewed_at=now - dt.timedelta(days=400)
    )
    PersonSkillFactory(person=tree["ana"], evidence=EvidenceKind.SELF)
    PersonSkillFactory(person=tree["ana"], evidence=EvidenceKind.SELF, queried_at=now)
    PersonSkillFactory(person=tree["ana"], evidence=EvidenceKind.MANAGER_VERIFIED)
    PersonSkillFactory(person=tree["ana"], evidence=EvidenceKind.CERTIFIED)
    response = manager_client.get(reverse("team:team"))
    page = _page(response)
    assert response.status_code == 200
    assert "3 people in your team" in page
    for name in ("Ana Adeyemi", "Ben Brown", "Cai Cole"):
        assert name in page
    assert "Otto Outsider" not in page and "Bea Boss" not in page
    assert "Reports to Ben Brown" in page  # Cai is an indirect report
    rows = re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)[1:]
    ana = next(row for row in rows if "Ana Adeyemi" in row)
    cells = [
        re.sub(r"<[^>]+>|\s+", " ", c).strip()
        for c in re.findall(r"<td[^>]*>(.*?)</td>", ana, re.S)
    ]
    assert cells[:5] == ["EO", "Processing", "4", "2", "1"]
    assert "Protected" in ana and "Not reviewed for 12 months" not in ana
    ben = next(row for row in rows if "Ben Brown" in row)
    assert "Not reviewed for 12 months" in ben and "Protected" not in ben
    cai = next(row for row in rows if "Cai Cole" in row)
    assert "Never" in cai and "Not reviewed for 12 months" in cai
    assert f'href="/people/{tree["ana"].public_id}/"' in page
    assert tree["ana"].staff_number not in page  # no need to show it, and none in links


def test_team_page_filters_and_sorts(manager_client, tree):
    PersonSkillFactory(person=tree["cai"], evidence=EvidenceKind.SELF)
    PersonSkillFactory(person=tree["cai"], evidence=EvidenceKind.SELF)
    PersonSkillFactory(person=tree["ben"], evidence=EvidenceKind.SELF)
    PersonSkillFactory(person=tree["ana"], evidence=EvidenceKind.CERTIFIED)
    page = _page(manager_client.get(reverse("team:team"), {"show": "to_verify"}))
    assert "People with skills to verify: 2" in page
    assert "Ana Adeyemi" not in page
    page = _page(manager_client.get(reverse("team:team"), {"sort": "to_verify"}))
    assert page.index("Cai Cole") < page.index("Ben Brown") < page.index("Ana Adeyemi")
    PersonSkillFactory(person=tree["ben"], queried_at=timezone.now())
    page = _page(manager_client.get(reverse("team:team"), {"show": "queried"}))
    assert "Ben Brown" in page and "Cai Cole" not in page
    Person.objects.filter(pk=tree["ana"].pk).update(profile_reviewed_at=timezone.now())
    page = _page(manager_client.get(reverse("team:team"), {"show": "not_reviewed"}))
    assert "Ana Adeyemi" not in page and "Ben Brown" in page
    page = _page(manager_client.get(reverse("team:team"), {"show": "nonsense", "sort": "x"}))
    assert "3 people in your team" in page


def test_team_page_paginates(manager_client, tree):
    PersonFactory.create_batch(30, line_manager=tree["ana"], full_name="Zed Member")
    page = _page(manager_client.get(reverse("team:team")))
    assert "33 people in your team" in page
    assert 'class="govuk-pagination"' in page
    assert page.count("Zed Member</a>") == 22  # 25 a page: Ana, Ben, Cai, then 22 of 30
    page = _page(manager_client.get(reverse("team:team"), {"page": 2}))
    assert page.count("Zed Member</a>") == 8


def test_team_page_explains_when_there_is_no_team(client, make_user, tree):
    client.force_login(make_user(Role.ADMIN, username="root"))
    page = _page(client.get(reverse("team:team")))
    assert "not linked to a staff record" in page
    client.force_login(make_user(Role.LINE_MANAGER, username="lonely"))
    Person.objects.filter(pk=tree["out"].pk).update(
        user=Person._meta.get_field("user").related_model.objects.get(username="lonely")
    )
    page = _page(client.get(reverse("team:team")))
    assert "Nobody reports to you" in page
    assert "govuk-table" not in page


def test_team_page_is_for_line_managers_and_admin(client, make_user):
    for role, status in [(Role.STAFF, 403), (Role.PLANNER, 403), (Role.HR, 403)]:
        client.force_login(make_user(role))
        assert client.get(reverse("team:team")).status_code == status


# --- the profile page for a manager ------------------------------------------------------


def test_manager_sees_actions_for_their_team_member(manager_client, tree, claim):
    page = _page(
        manager_client.get(reverse("team:person", kwargs={"public_id": tree["cai"].public_id}))
    )
    assert (
        reverse(
            "team:verify", kwargs={"public_id": tree["cai"].public_id, "skill_id": claim.skill_id}
        )
        in page
    )
    assert (
        reverse(
            "team:query", kwargs={"public_id": tree["cai"].public_id, "skill_id": claim.skill_id}
        )
        in page
    )
    assert "Mark as protected (critical role)" in page
    assert reverse("team:protection", kwargs={"public_id": tree["cai"].public_id}) in page


# --- verify ---------------------------------------------------------------------------------


def _verify_url(claim):
    return reverse(
        "team:verify", kwargs={"public_id": claim.person.public_id, "skill_id": claim.skill_id}
    )


def test_verify_confirmation_page(manager_client, claim):
    response = manager_client.get(_verify_url(claim))
    page = _page(response)
    assert response.status_code == 200
    assert "Verify “Debt advice”" in page and "3 Practitioner" in page
    assert f'value="{claim.version}"' in page
    assert AccessEvent.objects.filter(action=Action.VIEW_PROFILE, subject=claim.person).count() == 1


def test_verify_a_claim(manager_client, tree, claim):
    PersonSkill.objects.filter(pk=claim.pk).update(
        queried_by=tree["boss_user"], queried_at=timezone.now(), query_note="Sure?"
    )
    claim.refresh_from_db()
    response = manager_client.post(
        _verify_url(claim), {"version": claim.version, "note": "Saw it"}, follow=True
    )
    assert response.redirect_chain == [(f"/people/{tree['cai'].public_id}/", 302)]
    page = _page(response)
    assert "govuk-notification-banner--success" in page
    assert "You verified Cai Cole’s skill “Debt advice”" in page
    assert "Verified by manager" in page
    row = PersonSkill.objects.get(pk=claim.pk)
    assert row.evidence == EvidenceKind.MANAGER_VERIFIED
    assert row.verified_by == tree["mgr_user"]
    assert timezone.now() - row.verified_at < dt.timedelta(minutes=1)
    assert (row.queried_by, row.queried_at, row.query_note) == (None, None, "")
    assert row.version == claim.version + 1
    assert (row.level, row.skill_id) == (claim.level, claim.skill_id)
    [event] = AccessEvent.objects.filter(action=Action.VERIFY)
    assert (event.actor, event.subject, event.object_id) == (
        tree["mgr_user"],
        tree["cai"],
        str(claim.pk),
    )


def test_verify_with_a_stale_version_shows_the_current_values(manager_client, tree, claim):
    seen = claim.version
    # The owner changes the level after the manager opened the page.
    PersonSkill.objects.filter(pk=claim.pk).update(level=4, version=seen + 1)
    response = manager_client.post(_verify_url(claim), {"version": seen, "note": "Saw it"})
    page = _page(response)
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in page
    assert "4 Expert" in page  # the current value
    assert f'name="version" value="{seen + 1}"' in page  # ready to try again
    row = PersonSkill.objects.get(pk=claim.pk)
    assert (row.evidence, row.version) == (EvidenceKind.SELF, seen + 1)
    assert not AccessEvent.objects.filter(action=Action.VERIFY).exists()
    # Trying again with the version now shown works.
    response = manager_client.post(_verify_url(claim), {"version": seen + 1, "note": "Saw it"})
    assert response.status_code == 302


@pytest.mark.parametrize("data", [{}, {"version": ""}, {"version": "abc"}, {"version": "0"}])
def test_verify_needs_the_version(manager_client, claim, data):
    response = manager_client.post(_verify_url(claim), data)
    page = _page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and "The form was incomplete" in page
    assert PersonSkill.objects.get(pk=claim.pk).evidence == EvidenceKind.SELF


def test_a_certified_skill_needs_no_verifying(manager_client, claim):
    PersonSkill.objects.filter(pk=claim.pk).update(evidence=EvidenceKind.CERTIFIED)
    response = manager_client.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"})
    page = _page(response)
    assert "govuk-error-summary" in page and "already certified" in page
    assert PersonSkill.objects.get(pk=claim.pk).evidence == EvidenceKind.CERTIFIED
    assert "Verify skill" not in _page(manager_client.get(_verify_url(claim)))


def test_a_removed_skill_is_reported(manager_client, tree, claim):
    stale_person = Person.objects.get(pk=tree["cai"].pk)
    PersonSkill.objects.filter(pk=claim.pk).delete()
    with pytest.raises(ConflictError) as exc:
        svc.person_skill_verify(
            verifier=tree["mgr_user"],
            person=stale_person,
            person_skill_id=claim.pk,
            expected_version=claim.version,
            note="Saw it",
        )
    assert exc.value.current is None
    assert (
        manager_client.post(_verify_url(claim), {"version": 1, "note": "Saw it"}).status_code == 404
    )


def test_managers_cannot_verify_outside_their_team(manager_client, client, make_user, tree):
    outsider_claim = PersonSkillFactory(person=tree["out"])
    assert manager_client.get(_verify_url(outsider_claim)).status_code == 403
    response = manager_client.post(_verify_url(outsider_claim), {"version": 1, "note": "Saw it"})
    assert response.status_code == 403
    assert PersonSkill.objects.get(pk=outsider_claim.pk).evidence == EvidenceKind.SELF
    # Nor their own manager's, nor their own.
    boss_claim = PersonSkillFactory(person=tree["boss"])
    assert (
        manager_client.post(_verify_url(boss_claim), {"version": 1, "note": "Saw it"}).status_code
        == 403
    )
    own_claim = PersonSkillFactory(person=tree["mgr"])
    assert (
        manager_client.post(_verify_url(own_claim), {"version": 1, "note": "Saw it"}).status_code
        == 403
    )
    with pytest.raises(PermissionDenied):
        svc.person_skill_verify(
            verifier=tree["mgr_user"],
            person=tree["out"],
            person_skill_id=outsider_claim.pk,
            expected_version=1,
            note="Saw it",
        )
    assert not AccessEvent.objects.filter(action=Action.VERIFY).exists()


def test_a_skill_is_addressed_through_its_own_person(manager_client, tree, claim):
    outsider_claim = PersonSkillFactory(person=tree["out"])
    url = reverse(
        "team:verify",
        kwargs={"public_id": tree["cai"].public_id, "skill_id": outsider_claim.skill_id},
    )
    assert manager_client.post(url, {"version": 1, "note": "Saw it"}).status_code == 404
    assert PersonSkill.objects.get(pk=outsider_claim.pk).evidence == EvidenceKind.SELF


@pytest.mark.parametrize("role", [Role.STAFF, Role.PLANNER, Role.HR, Role.STEWARD])
def test_only_line_managers_and_admin_verify(client, make_user, claim, role):
    client.force_login(make_user(role))
    assert (
        client.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"}).status_code
        == 403
    )
    assert PersonSkill.objects.get(pk=claim.pk).evidence == EvidenceKind.SELF


def test_admin_may_verify_anyone(client, make_user, claim):
    admin = make_user(Role.ADMIN, username="root")
    client.force_login(admin)
    assert (
        client.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"}).status_code
        == 302
    )
    assert PersonSkill.objects.get(pk=claim.pk).verified_by == admin


def test_an_indirect_manager_may_verify_too(client, tree, claim):
    # Bea manages Max, who manages Ben, who manages Cai: two levels between them.
    assert tree["cai"].line_manager != tree["boss"]
    client.force_login(tree["boss_user"])
    response = client.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"})
    assert response.status_code == 302
    assert response["Location"] == f"/people/{tree['cai'].public_id}/"
    row = PersonSkill.objects.get(pk=claim.pk)
    assert row.evidence == EvidenceKind.MANAGER_VERIFIED
    assert row.verified_by == tree["boss_user"] and row.verified_at is not None
    assert row.version == claim.version + 1
    [event] = AccessEvent.objects.filter(action=Action.VERIFY)
    assert (event.actor, event.subject) == (tree["boss_user"], tree["cai"])


# --- query ----------------------------------------------------------------------------------


def _query_url(claim):
    return reverse(
        "team:query", kwargs={"public_id": claim.person.public_id, "skill_id": claim.skill_id}
    )


def test_query_a_claim(manager_client, tree, claim):
    response = manager_client.get(_query_url(claim))
    assert response.status_code == 200
    assert "What do you want to ask about this skill?" in _page(response)
    response = manager_client.post(
        _query_url(claim),
        {"version": claim.version, "note": "  Which cases did you advise on?  "},
        follow=True,
    )
    page = _page(response)
    assert "You queried Cai Cole’s skill “Debt advice”" in page
    assert "Which cases did you advise on?" in page and "Queried" in page
    row = PersonSkill.objects.get(pk=claim.pk)
    assert row.query_note == "Which cases did you advise on?"
    assert row.queried_by == tree["mgr_user"] and row.queried_at is not None
    assert row.evidence == EvidenceKind.SELF and row.version == claim.version + 1
    # The team page counts it as an open query.
    page = _page(manager_client.get(reverse("team:team"), {"show": "queried"}))
    assert "Cai Cole" in page


@pytest.mark.parametrize(
    ("note", "message"),
    [
        ("", "Enter your question about this skill"),
        ("    ", "Enter your question about this skill"),
        ("x" * 501, "Your question must be 500 characters or fewer"),
    ],
)
def test_query_needs_a_short_question(manager_client, claim, note, message):
    response = manager_client.post(_query_url(claim), {"version": claim.version, "note": note})
    page = _page(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page and message in page
    assert '<a href="#id_note">' in page  # the summary links to the field
    assert "govuk-textarea--error" in page
    row = PersonSkill.objects.get(pk=claim.pk)
    assert (row.queried_at, row.version) == (None, claim.version)


def test_a_question_of_exactly_500_characters_is_fine(manager_client, claim):
    response = manager_client.post(_query_url(claim), {"version": claim.version, "note": "x" * 500})
    assert response.status_code == 302


def test_query_with_a_stale_version_keeps_what_was_typed(manager_client, claim):
    PersonSkill.objects.filter(pk=claim.pk).update(
        evidence=EvidenceKind.MANAGER_VERIFIED, version=claim.version + 1
    )
    response = manager_client.post(
        _query_url(claim), {"version": claim.version, "note": "How recent is this?"}
    )
    page = _page(response)
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in page
    assert "Verified by manager" in page  # current value
    assert "How recent is this?" in page
    assert PersonSkill.objects.get(pk=claim.pk).queried_at is None


def test_query_service_validates(tree, claim):
    with pytest.raises(ValidationError):
        svc.person_skill_query(
            verifier=tree["mgr_user"],
            person=tree["cai"],
            person_skill_id=claim.pk,
            expected_version=claim.version,
            note=" ",
        )
    with pytest.raises(PermissionDenied):
        svc.person_skill_query(
            verifier=tree["mgr_user"],
            person=tree["out"],
            person_skill_id=claim.pk,
            expected_version=claim.version,
            note="Why?",
        )


# --- protection --------------------------------------------------------------------------


def _protect_url(person):
    return reverse("team:protection", kwargs={"public_id": person.public_id})


def test_mark_and_unmark_protected(manager_client, tree):
    ana = tree["ana"]
    response = manager_client.get(_protect_url(ana))
    assert response.status_code == 200
    assert "Mark Ana Adeyemi as protected?" in _page(response)
    response = manager_client.post(
        _protect_url(ana),
        {"version": ana.version, "protected": "yes", "reason": "Critical"},
        follow=True,
    )
    page = _page(response)
    assert "Ana Adeyemi is now protected" in page
    assert "Remove protection" in page
    ana.refresh_from_db()
    assert ana.protected and ana.version == 2
    response = manager_client.post(
        _protect_url(ana),
        {"version": ana.version, "protected": "no", "reason": "Critical"},
        follow=True,
    )
    assert "Ana Adeyemi is no longer protected" in _page(response)
    ana.refresh_from_db()
    assert not ana.protected and ana.version == 3


def test_protection_with_a_stale_version_is_refused(manager_client, tree):
    ana = tree["ana"]
    Person.objects.filter(pk=ana.pk).update(protected=True, version=ana.version + 1)
    response = manager_client.post(
        _protect_url(ana), {"version": ana.version, "protected": "yes", "reason": "Critical"}
    )
    page = _page(response)
    assert response.status_code == 409
    assert "changed by someone else since you opened it" in page
    assert "Yes – protected" in page
    ana.refresh_from_db()
    assert ana.version == 2


@pytest.mark.parametrize(
    "data", [{}, {"version": "1"}, {"protected": "yes"}, {"version": "1", "protected": "maybe"}]
)
def test_protection_needs_version_and_choice(manager_client, tree, data):
    response = manager_client.post(_protect_url(tree["ana"]), data)
    assert response.status_code == 200
    assert "The form was incomplete" in _page(response)
    assert not Person.objects.get(pk=tree["ana"].pk).protected


def test_protection_is_for_the_team_only(manager_client, client, make_user, tree):
    out = tree["out"]
    assert (
        manager_client.post(
            _protect_url(out), {"version": 1, "protected": "yes", "reason": "Critical"}
        ).status_code
        == 403
    )
    assert not Person.objects.get(pk=out.pk).protected
    with pytest.raises(PermissionDenied):
        svc.person_set_protected(
            actor=tree["mgr_user"], person=out, protected=True, expected_version=1, reason="x"
        )
    client.force_login(make_user(Role.HR))
    assert (
        client.post(
            _protect_url(tree["ana"]), {"version": 1, "protected": "yes", "reason": "Critical"}
        ).status_code
        == 403
    )


def test_actions_check_csrf(tree, claim):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tree["mgr_user"])
    assert (
        strict.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"}).status_code
        == 403
    )
    assert (
        strict.post(
            _protect_url(tree["ana"]), {"version": 1, "protected": "yes", "reason": "Critical"}
        ).status_code
        == 403
    )
    assert PersonSkill.objects.get(pk=claim.pk).evidence == EvidenceKind.SELF


# --- reasons and undo (issue 14: verify and protect ask why, and can be undone) -----------


def test_verify_asks_how_the_manager_knows_and_shows_it(manager_client, tree, claim):
    response = manager_client.post(_verify_url(claim), {"version": claim.version, "note": "  "})
    assert response.status_code == 200
    assert "Enter how you know they have this skill" in _page(response)
    assert PersonSkill.objects.get(pk=claim.pk).evidence == EvidenceKind.SELF

    response = manager_client.post(
        _verify_url(claim), {"version": claim.version, "note": "Ran the debt clinic"}, follow=True
    )
    assert "“Ran the debt clinic”" in _page(response)
    assert PersonSkill.objects.get(pk=claim.pk).verification_note == "Ran the debt clinic"
    # From the profile page, verifying is a link to that question, not a one-click button.
    profile = _page(
        manager_client.get(reverse("team:person", kwargs={"public_id": tree["cai"].public_id}))
    )
    assert f'action="{_verify_url(claim)}"' not in profile


def _unverify_url(claim):
    return reverse(
        "team:unverify", kwargs={"public_id": claim.person.public_id, "skill_id": claim.skill_id}
    )


def test_a_verification_can_be_undone(manager_client, tree, claim):
    manager_client.post(_verify_url(claim), {"version": claim.version, "note": "Saw it"})
    row = PersonSkill.objects.get(pk=claim.pk)
    profile = _page(
        manager_client.get(reverse("team:person", kwargs={"public_id": tree["cai"].public_id}))
    )
    assert _unverify_url(claim) in profile
    confirm = _page(manager_client.get(_unverify_url(claim)))
    assert "Undo the verification of “Debt advice”?" in confirm
    assert f'name="version" value="{row.version}"' in confirm

    response = manager_client.post(_unverify_url(claim), {"version": row.version}, follow=True)
    assert "You undid the verification of Cai Cole’s skill “Debt advice”" in _page(response)
    undone = PersonSkill.objects.get(pk=claim.pk)
    assert undone.evidence == EvidenceKind.SELF
    assert (undone.verified_by, undone.verified_at, undone.verification_note) == (None, None, "")
    assert undone.version == row.version + 1
    assert AccessEvent.objects.filter(
        action=Action.EDIT_PROFILE, subject=tree["cai"], parameters__what="verification undone"
    ).exists()
    # Nothing left to undo; a stale version writes nothing either.
    again = manager_client.post(_unverify_url(claim), {"version": undone.version})
    assert "nothing to undo" in _page(again)
    stale = manager_client.post(_unverify_url(claim), {"version": row.version})
    assert stale.status_code == 409
    assert PersonSkill.objects.get(pk=claim.pk).version == undone.version


def test_undo_is_for_the_team_only(manager_client, tree):
    outsider_claim = PersonSkillFactory(person=tree["out"], evidence=EvidenceKind.MANAGER_VERIFIED)
    assert manager_client.post(_unverify_url(outsider_claim), {"version": 1}).status_code == 403
    assert PersonSkill.objects.get(pk=outsider_claim.pk).evidence == EvidenceKind.MANAGER_VERIFIED


def test_protection_asks_why_and_records_it(manager_client, tree):
    ana = tree["ana"]
    response = manager_client.post(_protect_url(ana), {"version": ana.version, "protected": "yes"})
    assert response.status_code == 200
    assert "Enter the reason" in _page(response)
    assert not Person.objects.get(pk=ana.pk).protected
    response = manager_client.post(
        _protect_url(ana),
        {"version": ana.version, "protected": "yes", "reason": "Only payroll runner"},
        follow=True,
    )
    page = _page(response)
    assert "Reason: “Only payroll runner”" in page
    assert "To undo this, use Remove protection below" in page
    assert Person.objects.get(pk=ana.pk).protected_reason == "Only payroll runner"
