"""Two people acting on the same record at the same moment, on real PostgreSQL
row locks: exactly one wins, the other is told of the conflict, nothing is
silently overwritten."""

import threading

import pytest
from django.db import connections

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.people import team as svc
from skills_app.people.models import EvidenceKind, Person, PersonSkill
from tests.factories import PersonFactory, PersonSkillFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _race(*calls):
    """Run ``calls`` in threads released together; returns each one's result or exception."""
    start = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, fn):
        try:
            start.wait()
            outcomes[index] = fn()
        except BaseException as exc:  # noqa: BLE001 - inspected by the caller
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


@pytest.fixture
def managers(make_user):
    """Two line managers of the same person: the direct one and the one above."""
    boss_user = make_user(Role.LINE_MANAGER, username="bea")
    mgr_user = make_user(Role.LINE_MANAGER, username="max")
    boss = PersonFactory(user=boss_user)
    mgr = PersonFactory(user=mgr_user, line_manager=boss)
    member = PersonFactory(line_manager=mgr)
    return boss_user, mgr_user, member


@pytest.mark.parametrize("attempt", range(3))
def test_two_managers_verify_the_same_skill_at_once(postgres_only, managers, attempt):
    boss_user, mgr_user, member = managers
    claim = PersonSkillFactory(person=member)
    seen = claim.version

    def verify(user):
        return lambda: svc.person_skill_verify(
            verifier=user,
            person=member,
            person_skill_id=claim.pk,
            expected_version=seen,
            note="Saw it",
        )

    outcomes = _race(verify(boss_user), verify(mgr_user))
    won = [o for o in outcomes if isinstance(o, PersonSkill)]
    lost = [o for o in outcomes if isinstance(o, ConflictError)]
    assert len(won) == 1 and len(lost) == 1, outcomes
    # The loser is shown the winner's write.
    assert lost[0].current.version == seen + 1
    assert lost[0].current.evidence == EvidenceKind.MANAGER_VERIFIED
    row = PersonSkill.objects.get(pk=claim.pk)
    assert row.version == seen + 1
    assert row.verified_by_id == won[0].verified_by_id
    assert AccessEvent.objects.filter(action=Action.VERIFY).count() == 1


def test_a_verify_and_a_query_race(postgres_only, managers):
    boss_user, mgr_user, member = managers
    claim = PersonSkillFactory(person=member)
    seen = claim.version
    outcomes = _race(
        lambda: svc.person_skill_verify(
            verifier=boss_user,
            person=member,
            person_skill_id=claim.pk,
            expected_version=seen,
            note="Saw it",
        ),
        lambda: svc.person_skill_query(
            verifier=mgr_user,
            person=member,
            person_skill_id=claim.pk,
            expected_version=seen,
            note="Really?",
        ),
    )
    assert sum(isinstance(o, PersonSkill) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1, outcomes
    row = PersonSkill.objects.get(pk=claim.pk)
    assert row.version == seen + 1
    # Exactly one of the two writes is there, never a mixture.
    verified = row.evidence == EvidenceKind.MANAGER_VERIFIED
    queried = row.queried_at is not None
    assert verified != queried


def test_two_managers_protect_the_same_person_at_once(postgres_only, managers):
    boss_user, mgr_user, member = managers
    seen = member.version
    outcomes = _race(
        *[
            (
                lambda user=user: svc.person_set_protected(
                    actor=user,
                    person=member,
                    protected=True,
                    expected_version=seen,
                    reason="Critical",
                )
            )
            for user in (boss_user, mgr_user)
        ]
    )
    assert sum(isinstance(o, Person) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, ConflictError) for o in outcomes) == 1, outcomes
    member_now = Person.objects.get(pk=member.pk)
    assert member_now.protected and member_now.version == seen + 1
