"""The database itself refuses impossible data, whatever code writes it."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from skills_app.people.models import Person
from skills_app.people.services import person_set_line_manager
from tests.factories import (
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db


def refused(callable_):
    with pytest.raises(IntegrityError), transaction.atomic():
        callable_()


@pytest.mark.parametrize("level", [0, 5])
def test_person_skill_level_must_be_1_to_4(level):
    refused(lambda: PersonSkillFactory(level=level))


@pytest.mark.parametrize("level", [0, 5])
def test_requirement_level_must_be_1_to_4(level):
    refused(lambda: RoleRequirementFactory(level=level))


def test_requirement_weight_must_be_positive():
    refused(lambda: RoleRequirementFactory(weight=0))


def test_staff_numbers_and_emails_are_unique():
    PersonFactory(staff_number="S1", work_email="a@example.gov.uk")
    refused(lambda: PersonFactory(staff_number="S1"))
    refused(lambda: PersonFactory(work_email="a@example.gov.uk"))


def test_a_person_holds_a_skill_once():
    held = PersonSkillFactory()
    refused(lambda: PersonSkillFactory(person=held.person, skill=held.skill))


def test_skill_uri_is_unique():
    SkillFactory(uri="urn:x")
    refused(lambda: SkillFactory(uri="urn:x"))


def test_nobody_manages_themselves():
    person = PersonFactory()
    person.line_manager = person
    refused(lambda: person.save())


def test_longer_management_loops_are_refused():
    top = PersonFactory()
    middle = PersonFactory(line_manager=top)
    bottom = PersonFactory(line_manager=middle)
    with pytest.raises(ValidationError):
        person_set_line_manager(person=top, manager=bottom)
    top.refresh_from_db()
    assert top.line_manager is None
    with pytest.raises(ValidationError):
        top.line_manager = bottom
        top.full_clean()


def test_valid_manager_change_bumps_the_version():
    person, manager = PersonFactory(), PersonFactory()
    updated = person_set_line_manager(person=person, manager=manager)
    assert updated.line_manager == manager
    assert updated.version == person.version + 1


def test_role_history_cannot_end_before_it_starts():
    from skills_app.people.models import RoleHistory

    refused(
        lambda: RoleHistory.objects.create(
            person=PersonFactory(),
            title="Clerk",
            start=dt.date(2024, 1, 1),
            end=dt.date(2023, 1, 1),
        )
    )


def test_merged_skill_needs_a_target():
    skill = SkillFactory()
    skill.status = "merged"
    refused(lambda: skill.save())


def test_weekly_hours_are_bounded():
    refused(lambda: PersonFactory(weekly_hours=0))
    assert Person.objects.count() == 0
