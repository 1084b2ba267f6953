"""Two planners approving overlapping scenarios at the same moment (PostgreSQL):
exactly one wins and nobody is ever allocated twice."""

import threading

import pytest
from django.db import connections

from skills_app.surge.models import Allocation, ScenarioStatus
from skills_app.surge.services import (
    LineSpec,
    SurgeError,
    scenario_approve,
    scenario_create,
    scenario_solve,
)
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_overlapping_approvals_never_double_allocate(postgres_only):
    python = SkillFactory(name="Python")
    role = RoleRequirementFactory(skill=python, level=3).role
    unit = OrgUnitFactory(name="Unit")
    for i in range(6):
        PersonSkillFactory(
            person=PersonFactory(staff_number=f"P{i}", org_unit=unit), skill=python, level=3
        )

    for round_number in range(4):
        scenarios = [
            scenario_solve(
                scenario_id=scenario_create(
                    actor=None,
                    name=f"Round {round_number} / {n}",
                    lines=[LineSpec(role.pk, 3)],
                    release_cap=1.0,
                    cap_org_depth=0,
                ).pk
            )
            for n in range(2)
        ]
        start = threading.Barrier(2)
        outcomes = []

        def approve(scenario):
            try:
                start.wait(5)
                scenario_approve(
                    actor=None, scenario_id=scenario.pk, expected_version=scenario.version
                )
                outcomes.append("approved")
            except SurgeError:
                outcomes.append("refused")
            except Exception as exc:
                outcomes.append(repr(exc))
            finally:
                connections.close_all()

        threads = [threading.Thread(target=approve, args=(s,)) for s in scenarios]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(20)
        assert sorted(outcomes) == ["approved", "refused"]
        approved = Allocation.objects.filter(scenario__status=ScenarioStatus.APPROVED)
        people = list(approved.values_list("person_id", flat=True))
        assert len(people) == len(set(people)) == 3
        # Free everyone for the next round.
        from skills_app.surge.services import scenario_close

        for scenario in scenarios:
            scenario.refresh_from_db()
            if scenario.status == ScenarioStatus.APPROVED:
                scenario_close(
                    actor=None, scenario_id=scenario.pk, expected_version=scenario.version
                )
