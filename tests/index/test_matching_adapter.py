import datetime as dt

import pytest

from matching.engine import Filters, Requirement
from skills_app.index.adapter import build_workforce_index
from skills_app.people.models import RoleHistory
from taxonomy.models import SkillRelation
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2026, 11, 21)


def test_index_reproduces_the_database_for_the_engine(django_assert_max_num_queries):
    python, programming = SkillFactory(name="Python"), SkillFactory(name="Programming")
    SkillRelation.objects.create(from_skill=programming, to_skill=python, kind="narrower")
    alice = PersonFactory(staff_number="S2", protected=False)
    bob = PersonFactory(staff_number="S1")
    PersonSkillFactory(person=alice, skill=python, level=4, last_used=dt.date(2023, 11, 21))
    PersonSkillFactory(person=bob, skill=programming, level=3, evidence="certified")
    role = RoleRequirementFactory(skill=programming, level=4).role
    RoleHistory.objects.create(
        person=bob, title="Developer", role_profile=role, start=dt.date(2020, 1, 1)
    )
    PersonFactory.create_batch(20)  # people with no skills must not cost a query each

    with django_assert_max_num_queries(10):
        index = build_workforce_index()

    column = index.skill_column
    result = index.workforce.rank(
        [Requirement(column[programming.pk], 4)],
        as_of=AS_OF,
        threshold=0.0,
        filters=Filters(redeployable_only=False),
        limit=5,
    )
    by_person = {index.person_ids[m.person]: m for m in result.matches}
    # bob: 3/4 = 0.75, plus a current role identical to the query (similarity 1)
    assert by_person[bob.pk].score == pytest.approx(0.75)
    assert by_person[bob.pk].rank_score == pytest.approx(0.85)
    assert by_person[bob.pk].prior_role.title == "Developer"
    # alice: narrower Python at 4, used 3 years ago: 0.8 x 4 x 0.9 = 2.88 -> 0.72
    alice_match = by_person[alice.pk]
    assert alice_match.score == pytest.approx(0.72, abs=1e-3)
    assert index.skill_ids[alice_match.requirements[0].via_skill] == python.pk
    assert index.position_of(alice.pk) is not None


def test_the_index_holds_the_local_day_of_each_review():
    """Rule 10 counts a review by the day it was made in the department's time zone
    (Europe/London): 23:30 UTC on 30 June is 1 July, in summer time; 23:30 UTC on
    30 December is still 30 December."""
    summer = PersonFactory(profile_reviewed_at=dt.datetime(2025, 6, 30, 23, 30, tzinfo=dt.UTC))
    winter = PersonFactory(profile_reviewed_at=dt.datetime(2025, 12, 30, 23, 30, tzinfo=dt.UTC))
    never = PersonFactory(profile_reviewed_at=None)
    index = build_workforce_index()
    reviewed = index.workforce.people.reviewed_at
    assert reviewed[index.position_of(summer.pk)] == dt.date(2025, 7, 1).toordinal()
    assert reviewed[index.position_of(winter.pk)] == dt.date(2025, 12, 30).toordinal()
    assert reviewed[index.position_of(never.pk)] == 0
