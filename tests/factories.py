import datetime as dt

import factory
from django.contrib.auth import get_user_model

from skills_app.people.models import OrgUnit, Person, PersonSkill
from skills_app.roles.models import RoleProfile, RoleRequirement
from taxonomy.models import Skill


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")


class OrgUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrgUnit
        django_get_or_create = ("path",)

    name = factory.Sequence(lambda n: f"Team {n}")
    path = factory.LazyAttribute(lambda o: f"{o.parent.path}/{o.name}" if o.parent else o.name)
    depth = factory.LazyAttribute(lambda o: o.parent.depth + 1 if o.parent else 0)
    parent = None


class PersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Person

    staff_number = factory.Sequence(lambda n: f"S{n:06d}")
    full_name = factory.Faker("name", locale="en_GB")
    work_email = factory.LazyAttribute(lambda o: f"{o.staff_number.lower()}@example.gov.uk")
    grade = "HEO"
    org_unit = factory.SubFactory(OrgUnitFactory)
    location = "Leeds"
    available_from = dt.date(2026, 1, 1)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill

    name = factory.Sequence(lambda n: f"Skill {n}")
    uri = factory.Sequence(lambda n: f"urn:muster:test:skill:{n}")


class PersonSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PersonSkill

    person = factory.SubFactory(PersonFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class RoleProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleProfile

    code = factory.Sequence(lambda n: f"role-{n}")
    title = factory.Sequence(lambda n: f"Role {n}")


class RoleRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleRequirement

    role = factory.SubFactory(RoleProfileFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


def team_of(manager) -> set[int]:
    """Everyone below ``manager`` in the line-management tree, by walking it in
    Python: the independent answer the reports' team scope is checked against."""
    found, frontier = set(), {manager.pk}
    while frontier:
        frontier = (
            set(Person.objects.filter(line_manager_id__in=frontier).values_list("pk", flat=True))
            - found
        )
        found |= frontier
    return found
