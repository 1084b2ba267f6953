import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction

from taxonomy.importers.esco import import_esco
from taxonomy.models import (
    Occupation,
    OccupationSkill,
    Skill,
    SkillAlias,
    SkillGroup,
    SkillRelation,
    SkillStatus,
)

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "esco-v1.1.1"
# The full published set when it is beside the repository, else the copy we ship.
ESCO_PATH = SHARED if SHARED.is_dir() else None
PYTHON_URI = "http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d"


@pytest.fixture(scope="module")
def esco(django_db_setup, django_db_blocker):
    # Module-scoped data lives outside the per-test transactions: import it inside a
    # transaction of its own and roll it back, so nothing (not even the append-only
    # audit row the import writes) outlives this module.
    with django_db_blocker.unblock(), transaction.atomic():
        yield import_esco(path=ESCO_PATH)
        transaction.set_rollback(True)


@pytest.mark.django_db
def test_imports_every_skill_label_group_and_occupation(esco):
    assert Skill.objects.filter(source="esco").count() == 13_896
    # 97,483 alternative labels are published; 12,302 repeat another label of the same skill
    # (exactly, or differing only in letter case) and are kept once.
    assert SkillAlias.objects.filter(source="esco").count() == 85_181
    assert SkillAlias.objects.filter(source="esco-hidden").count() > 0
    assert SkillGroup.objects.filter(source="esco").count() == 640
    assert Occupation.objects.count() == 3_007
    assert OccupationSkill.objects.count() == 123_855 - 67
    assert SkillRelation.objects.filter(kind="related").exists()
    assert SkillRelation.objects.filter(kind="narrower").exists()


@pytest.mark.django_db
def test_reports_rows_it_cannot_join_instead_of_failing(esco):
    assert esco.unjoined["occupation skills"] == 67
    assert esco.unjoined["group links"] == 7
    assert any("unknown occupation" in w for w in esco.warnings)


@pytest.mark.django_db
def test_alternative_labels_point_at_their_preferred_skill(esco):
    python = Skill.objects.get(uri=PYTHON_URI)
    assert python.name == "Python (computer programming)"
    assert python.kind == "knowledge"
    assert "Python" in set(python.aliases.values_list("label", flat=True))
    assert python.group is not None


@pytest.mark.django_db
def test_occupations_keep_essential_and_optional_skills(esco):
    occupation = Occupation.objects.get(name="ICT project manager")
    assert occupation.skills.filter(essential=True).exists()
    assert occupation.skills.filter(essential=False).exists()


@pytest.mark.django_db
def test_reimport_changes_nothing_and_keeps_steward_decisions(esco):
    python = Skill.objects.get(uri=PYTHON_URI)
    python.status = SkillStatus.DEPRECATED
    python.save()
    before = (Skill.objects.count(), SkillAlias.objects.count(), SkillRelation.objects.count())
    second = import_esco(path=ESCO_PATH)
    assert not second.changed, second.summary_lines()
    after = (Skill.objects.count(), SkillAlias.objects.count(), SkillRelation.objects.count())
    assert before == after
    assert Skill.objects.get(uri=PYTHON_URI).status == SkillStatus.DEPRECATED


def write_csv(folder: Path, name: str, header: list[str], rows: list[list[str]]):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    (folder / name).write_text(buffer.getvalue())


@pytest.mark.django_db
def test_a_missing_file_or_column_is_a_clear_error(tmp_path):
    skills_before = Skill.objects.count()
    with pytest.raises(CommandError, match="skills_en.csv"):
        call_command("import_esco", str(tmp_path), stdout=io.StringIO())
    write_csv(tmp_path, "skills_en.csv", ["conceptUri", "preferredLabel"], [])
    for name in [
        "skillGroups_en.csv",
        "broaderRelationsSkillPillar.csv",
        "skillSkillRelations.csv",
        "occupations_en.csv",
        "occupationSkillRelations.csv",
    ]:
        (tmp_path / name).write_text("x\n")
    with pytest.raises(CommandError, match="lacks column"):
        call_command("import_esco", str(tmp_path), stdout=io.StringIO())
    assert Skill.objects.count() == skills_before
