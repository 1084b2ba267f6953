"""The stewards' qualification -> skills table, as the drafting run reads it."""

import pytest

from taxonomy.models import QualificationSkill
from taxonomy.selectors import qualification_skills
from tests.factories import SkillFactory

pytestmark = pytest.mark.django_db


def test_names_match_ignoring_case_and_punctuation_and_keep_the_name_as_given():
    agile, delivery = SkillFactory(name="Agile working"), SkillFactory(name="Delivery")
    QualificationSkill.objects.create(qualification="PRINCE2 Practitioner", skill=agile, level=2)
    QualificationSkill.objects.create(qualification="PRINCE2 Practitioner", skill=delivery, level=3)
    found = qualification_skills(["prince2  practitioner.", "First aid"])
    assert sorted(found["prince2  practitioner."]) == sorted([(agile.pk, 2), (delivery.pk, 3)])
    assert "First aid" not in found
