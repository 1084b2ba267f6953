import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent
from skills_app.core.concurrency import ConflictError
from skills_app.people.models import PersonSkill
from skills_app.people.services import person_skill_set
from skills_app.roles.models import RoleRequirement
from taxonomy.labels import label_index, search_skills
from taxonomy.models import ProposalStatus, Skill, SkillAlias, SkillRelation, SkillStatus
from taxonomy.services import (
    proposal_approve,
    proposal_merge,
    proposal_reject,
    skill_deprecate,
    skill_merge,
    skill_propose,
    skill_reactivate,
)
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def steward(make_user):
    return make_user(Role.STEWARD)


@pytest.fixture
def pair():
    """Two skills that are really one, each with people and role requirements."""
    source = SkillFactory(name="Proj mgmt")
    target = SkillFactory(name="Project management")
    SkillAlias.objects.create(skill=source, label="PM")
    return source, target


def test_merge_moves_people_and_keeps_the_higher_level(pair, steward):
    source, target = pair
    only_source = PersonSkillFactory(skill=source, level=2)
    both = PersonFactory()
    PersonSkillFactory(person=both, skill=source, level=4, evidence="certified")
    PersonSkillFactory(person=both, skill=target, level=2)
    lower_source = PersonFactory()
    PersonSkillFactory(person=lower_source, skill=source, level=1)
    PersonSkillFactory(person=lower_source, skill=target, level=3)

    skill_merge(source=source, target=target, steward=steward)

    assert not PersonSkill.objects.filter(skill=source).exists()
    moved = PersonSkill.objects.get(person=only_source.person, skill=target)
    assert moved.level == 2 and moved.version == 2
    kept = PersonSkill.objects.get(person=both, skill=target)
    assert (kept.level, kept.evidence) == (4, "certified")
    assert PersonSkill.objects.get(person=lower_source, skill=target).level == 3


def test_merge_moves_role_requirements_keeping_the_stricter(pair, steward):
    source, target = pair
    alone = RoleRequirementFactory(skill=source, level=2, weight=2)
    shared = RoleRequirementFactory(skill=source, level=4, essential=True)
    RoleRequirementFactory(role=shared.role, skill=target, level=2, weight=3)

    skill_merge(source=source, target=target, steward=steward)

    assert RoleRequirement.objects.get(role=alone.role).skill == target
    merged = RoleRequirement.objects.get(role=shared.role)
    assert (merged.skill, merged.level, merged.weight, merged.essential) == (target, 4, 3, True)


def test_merge_keeps_the_old_name_and_aliases_and_is_audited(pair, steward):
    source, target = pair
    other = SkillFactory()
    SkillRelation.objects.create(from_skill=other, to_skill=source, kind="related")
    SkillRelation.objects.create(from_skill=source, to_skill=target, kind="related")

    skill_merge(source=source, target=target, steward=steward)

    source.refresh_from_db()
    assert (source.status, source.merged_into) == (SkillStatus.MERGED, target)
    assert {"Proj mgmt", "PM"} <= set(target.aliases.values_list("label", flat=True))
    assert SkillRelation.objects.filter(from_skill=other, to_skill=target).exists()
    assert not SkillRelation.objects.filter(from_skill=target, to_skill=target).exists()
    event = AccessEvent.objects.get(action="merge")
    assert event.actor == steward and event.parameters["target"] == target.uri
    # The old name now finds the surviving skill.
    assert search_skills("Proj mgmt", limit=1)[0].skill == target


def test_merge_refuses_nonsense(pair, steward):
    source, target = pair
    with pytest.raises(ValidationError):
        skill_merge(source=source, target=source, steward=steward)
    skill_merge(source=source, target=target, steward=steward)
    with pytest.raises(ValidationError):
        skill_merge(source=source, target=target, steward=steward)
    with pytest.raises(ValidationError):
        skill_merge(source=SkillFactory(), target=Skill.objects.get(pk=source.pk), steward=steward)


def test_editing_a_merged_skill_lands_on_its_target(pair, steward):
    source, target = pair
    skill_merge(source=source, target=target, steward=steward)
    row = person_skill_set(person=PersonFactory(), skill_id=source.pk, level=3)
    assert row.skill == target


def test_an_edit_from_before_the_merge_gets_a_conflict_not_a_silent_overwrite(pair, steward):
    source, target = pair
    person = PersonFactory()
    PersonSkillFactory(person=person, skill=source, level=2)
    PersonSkillFactory(person=person, skill=target, level=3)
    seen_version = PersonSkill.objects.get(person=person, skill=target).version
    skill_merge(source=source, target=target, steward=steward)  # target row unchanged: 3 > 2
    person_skill_set(person=person, skill_id=target.pk, level=4, expected_version=seen_version)
    stale = PersonSkill.objects.get(person=person, skill=target).version - 1
    with pytest.raises(ConflictError):
        person_skill_set(person=person, skill_id=target.pk, level=1, expected_version=stale)
    assert PersonSkill.objects.get(person=person, skill=target).level == 4


@pytest.mark.django_db(transaction=True)
def test_concurrent_profile_edits_during_a_merge_are_not_lost(postgres_only, make_user):
    """Edits racing a merge either finish before it (and are merged) or wait for
    it (and land on the target): no person skill is left on the merged skill
    and every edit's level survives."""
    steward = make_user(Role.STEWARD)
    source = SkillFactory(name="Case work")
    target = SkillFactory(name="Casework")
    people = PersonFactory.create_batch(40)
    for person in people[:20]:
        PersonSkillFactory(person=person, skill=target, level=1)
    errors: list[BaseException] = []
    start = threading.Barrier(3)

    def run(fn):
        try:
            start.wait()
            fn()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    def edits():
        for person in people:
            person_skill_set(person=person, skill_id=source.pk, level=4)

    threads = [
        threading.Thread(target=run, args=(edits,)),
        threading.Thread(
            target=run, args=(lambda: skill_merge(source=source, target=target, steward=steward),)
        ),
    ]
    for thread in threads:
        thread.start()
    start.wait()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    assert not PersonSkill.objects.filter(skill=source).exists()
    levels = dict(PersonSkill.objects.filter(skill=target).values_list("person_id", "level"))
    assert levels == {person.pk: 4 for person in people}
    assert connection.vendor == "postgresql"


def test_propose_refuses_a_skill_that_exists_under_any_label(steward):
    skill = SkillFactory(name="Python (computer programming)")
    SkillAlias.objects.create(skill=skill, label="Python")
    with pytest.raises(ValidationError, match="already in the taxonomy"):
        skill_propose(user=steward, name="  python ")
    skill_propose(user=steward, name="Welsh language casework")
    with pytest.raises(ValidationError, match="already proposed"):
        skill_propose(user=steward, name="welsh language casework")
    with pytest.raises(ValidationError):
        skill_propose(user=steward, name="   ")


def test_approve_creates_a_local_skill_found_by_search(make_user, steward):
    proposal = skill_propose(user=make_user(Role.STAFF), name="Universal Credit casework")
    label_index()  # warm the cache: approval must invalidate it
    skill = proposal_approve(proposal=proposal, steward=steward)
    assert skill.source == "local" and skill.uri.startswith("urn:muster:local:skill:")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.skill, proposal.decided_by) == (
        ProposalStatus.APPROVED,
        skill,
        steward,
    )
    assert search_skills("universal credit casework", limit=1)[0].skill == skill
    with pytest.raises(ValidationError, match="already been decided"):
        proposal_reject(proposal=proposal, steward=steward, note="late")


def test_reject_needs_a_reason_and_merge_adds_an_alias(make_user, steward):
    staff = make_user(Role.STAFF)
    proposal = skill_propose(user=staff, name="Telephony skills")
    with pytest.raises(ValidationError):
        proposal_reject(proposal=proposal, steward=steward, note=" ")
    target = SkillFactory(name="Telephone customer service")
    proposal_merge(proposal=proposal, steward=steward, target=target)
    assert SkillAlias.objects.filter(skill=target, label="Telephony skills").exists()
    assert search_skills("Telephony skills", limit=1)[0].skill == target


def test_deprecated_skills_are_kept_but_not_offered(steward):
    skill = SkillFactory(name="Fax machine operation")
    holder = PersonSkillFactory(skill=skill, level=3)
    skill_deprecate(skill=skill, steward=steward)
    assert PersonSkill.objects.filter(pk=holder.pk).exists()
    assert all(m.skill != skill for m in search_skills("fax machine operation"))
    with pytest.raises(ValidationError, match="deprecated"):
        person_skill_set(person=PersonFactory(), skill_id=skill.pk, level=2)
    skill_reactivate(skill=skill, steward=steward)
    assert search_skills("fax machine operation", limit=1)[0].skill == skill


def test_recency_fields_survive_a_merge(pair, steward):
    source, target = pair
    person = PersonFactory()
    PersonSkillFactory(person=person, skill=source, level=3, last_used=None)
    PersonSkillFactory(person=person, skill=target, level=3, last_used=dt.date(2019, 1, 1))
    skill_merge(source=source, target=target, steward=steward)
    assert PersonSkill.objects.get(person=person).last_used is None


def test_admin_style_edits_refresh_the_search_index():
    skill = SkillFactory(name="Benefit processing")
    assert search_skills("benefit processing", limit=1)[0].skill == skill
    SkillAlias.objects.create(skill=skill, label="Claims handling")
    assert search_skills("claims handling", limit=1)[0].skill == skill
    skill.name = "Benefit claim processing"
    skill.save()
    assert search_skills("benefit claim processing", limit=1)[0].matched_label == skill.name
