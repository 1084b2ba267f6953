"""DDaT skills get real skill groups: one top-level group per role family (issue 14
item 2), so reports can count them by family."""

import csv
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from django.conf import settings

from taxonomy.importers.ddat import FAMILY_GROUP_URI_PREFIX, import_ddat
from taxonomy.models import Skill, SkillGroup, Source

DDAT = Path(settings.BASE_DIR) / "data" / "ddat"


def _main_family_by_csv() -> dict[str, str]:
    """Counted independently of the importer: skill name -> family requiring it most."""
    with open(DDAT / "roles.csv", encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if "NOT IN USE" not in r["Role Level"]]
    per_skill: dict[str, Counter] = defaultdict(Counter)
    seen = set()
    for r in rows:
        key = (r["Role"], r["Role Level"], r["Skill Name"])
        if key in seen:
            continue
        seen.add(key)
        per_skill[r["Skill Name"].strip()][r["Role Family"].strip()] += 1
    return {name: min(c, key=lambda family: (-c[family], family)) for name, c in per_skill.items()}


@pytest.mark.django_db
def test_every_required_ddat_skill_sits_in_its_main_family_group():
    result = import_ddat()
    groups = SkillGroup.objects.filter(source=Source.DDAT)
    assert result.groups_created == groups.count() == 7
    assert all(g.parent_id is None and g.uri.startswith(FAMILY_GROUP_URI_PREFIX) for g in groups)
    expected = _main_family_by_csv()
    placed = dict(
        Skill.objects.filter(source=Source.DDAT, group__isnull=False).values_list(
            "name", "group__name"
        )
    )
    assert placed == expected
    # "Accessibility" is required by several families; it goes to the one needing it most.
    assert placed["Accessibility"] == expected["Accessibility"]


@pytest.mark.django_db
def test_reimport_keeps_groups_and_puts_back_a_moved_skill():
    import_ddat()
    skill = Skill.objects.filter(source=Source.DDAT, group__isnull=False).first()
    home = skill.group_id
    other = SkillGroup.objects.filter(source=Source.DDAT).exclude(pk=home).first()
    Skill.objects.filter(pk=skill.pk).update(group=other)
    result = import_ddat()
    assert result.groups_created == 0
    assert result.skills_regrouped == 1
    skill.refresh_from_db()
    assert skill.group_id == home
    again = import_ddat()
    assert again.skills_regrouped == 0 and not again.changed
