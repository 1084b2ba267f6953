"""Reads behind "Check your draft skills" and the home page's nudge (DESIGN 9):
one person's drafts, how many are waiting, and what each level means for the
skills on one page of them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from skills_app.people.models import Person, PersonSkill
from taxonomy.models import LEVEL_NAMES, ProficiencyLevel, SkillLevelDescriptor


def my_drafts(*, person: Person) -> QuerySet[PersonSkill]:
    """The person's unconfirmed drafts, by skill name."""
    return (
        PersonSkill.objects.filter(person=person)
        .drafts()
        .select_related("skill")
        .order_by("skill__name", "pk")
    )


def my_draft(*, person: Person, pk: int) -> PersonSkill:
    """One of the person's own drafts; any other row (someone else's, or one
    already confirmed) is "not found"."""
    row = my_drafts(person=person).filter(pk=pk).first()
    if row is None:
        raise Http404("No such draft skill on your profile")
    return row


def draft_count(*, person: Person | None) -> int:
    if person is None:
        return 0
    return PersonSkill.objects.filter(person=person).drafts().count()


def draft_versions(*, person: Person) -> dict[int, int]:
    """{draft id: version} of every draft the person has now."""
    return dict(my_drafts(person=person).values_list("pk", "version"))


def descriptors_for(skill_ids: Iterable[int]) -> dict[int, dict[int, dict]]:
    """{skill id: {level: {level, name, description, own}}} for ``skill_ids``: each
    skill's own level descriptors where its framework has them (DDaT), the
    generic scale otherwise (as ``selectors.level_descriptors`` for one skill),
    in two queries whatever the number of skills."""
    skill_ids = list(skill_ids)
    generic = {p.level: p for p in ProficiencyLevel.objects.all()}
    own: dict[int, dict[int, str]] = {}
    for skill_id, level, text in SkillLevelDescriptor.objects.filter(
        skill_id__in=skill_ids
    ).values_list("skill_id", "level", "description"):
        own.setdefault(skill_id, {})[level] = text
    out = {}
    for skill_id in skill_ids:
        levels = {}
        for level, name in LEVEL_NAMES.items():
            if level in own.get(skill_id, {}):
                levels[level] = {
                    "level": level,
                    "name": name,
                    "description": own[skill_id][level],
                    "own": True,
                }
            else:
                p = generic.get(level)
                levels[level] = {
                    "level": level,
                    "name": p.name if p else name,
                    "description": p.description if p else "",
                    "own": False,
                }
        out[skill_id] = levels
    return out
