import csv
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from skills_app.audit.models import AccessEvent, Action
from skills_app.roles.models import RoleFamily, RoleProfile, RoleRequirement
from taxonomy.importers.ddat import import_ddat, seniority
from taxonomy.models import Skill, SkillLevelDescriptor, Source

DDAT = Path(settings.BASE_DIR) / "data" / "ddat"
LEVELS = {"Awareness": 1, "Working": 2, "Practitioner": 3, "Expert": 4}

# The published framework, counted independently of the importer (see data/ddat/README.md).
SKILLS = 188
ROLE_LEVELS = 201  # 205 (role, role level) pairs minus 4 "NOT IN USE" placeholders
REQUIREMENTS = 1781
DESCRIPTORS = 166 * 4  # 22 Senior Civil Service skills describe no levels
FAMILIES = 7  # "Chief digital and data" holds only NOT IN USE rows


def run(*args) -> str:
    out = StringIO()
    call_command("import_ddat", *args, stdout=out)
    return out.getvalue()


def csv_rows(path=DDAT / "roles.csv"):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def snapshot():
    return {
        "skills": sorted(
            Skill.objects.values_list("id", "uri", "name", "description", "updated_at")
        ),
        "descriptors": sorted(
            SkillLevelDescriptor.objects.values_list("id", "skill_id", "level", "description")
        ),
        "families": sorted(RoleFamily.objects.values_list("id", "name")),
        "roles": sorted(
            RoleProfile.objects.values_list(
                "id", "code", "title", "level_rank", "version", "updated_at", "description"
            )
        ),
        "requirements": sorted(
            RoleRequirement.objects.values_list("id", "role_id", "skill_id", "level", "weight")
        ),
    }


@pytest.mark.django_db
def test_import_shipped_framework_counts():
    out = run()
    assert Skill.objects.filter(source=Source.DDAT).count() == SKILLS
    assert RoleProfile.objects.filter(source="ddat").count() == ROLE_LEVELS
    assert RoleRequirement.objects.count() == REQUIREMENTS
    assert SkillLevelDescriptor.objects.count() == DESCRIPTORS
    assert RoleFamily.objects.filter(source="ddat").count() == FAMILIES
    assert f"Skills: {SKILLS} ({SKILLS} created" in out
    assert f"Role profiles: {ROLE_LEVELS} ({ROLE_LEVELS} created" in out
    assert f"Role requirements: {REQUIREMENTS} ({REQUIREMENTS} created" in out
    assert "28 NOT IN USE, 16 duplicate" in out
    assert AccessEvent.objects.filter(action=Action.IMPORT, object_id="ddat").exists()


@pytest.mark.django_db
def test_counts_match_the_csv():
    run()
    rows = csv_rows()
    live = [r for r in rows if r["Skill Level"] != "NOT IN USE"]
    pairs = {(r["Role"], r["Role Level"].strip(), r["Skill Name"]) for r in live}
    assert len(pairs) == RoleRequirement.objects.count()
    assert len({(r["Role"], r["Role Level"].strip()) for r in live}) == RoleProfile.objects.count()
    # No placeholder role was created.
    assert not RoleProfile.objects.filter(title__iexact="NOT IN USE").exists()
    assert not RoleProfile.objects.filter(role_name="Chief data officer").exists()


@pytest.mark.django_db
def test_skill_fields_and_descriptors():
    run()
    skill = Skill.objects.get(name="Accessibility")
    assert skill.uri == "urn:muster:ddat:skill:accessibility"
    assert skill.kind == "skill"
    assert skill.description.startswith("Accessibility involves ensuring your service")
    descriptors = dict(skill.level_descriptors.values_list("level", "description"))
    assert set(descriptors) == {1, 2, 3, 4}
    assert descriptors[3].startswith("You can:")
    assert "build user interfaces that meet a predefined set of standards" in descriptors[3]
    # "MISSING" in roles.csv and blanks in skills.csv become empty descriptions.
    assert Skill.objects.get(name="Analysis and synthesis").description == ""
    assert not Skill.objects.filter(description="MISSING").exists()


@pytest.mark.django_db
def test_role_requirements_match_csv():
    run()
    role = RoleProfile.objects.get(code="lead-data-scientist")
    assert role.title == "Lead data scientist"
    assert role.role_name == "Data scientist"
    assert role.family.name == "Data"
    assert role.source == "ddat"
    assert role.source_uri == "urn:muster:ddat:role:data-scientist:lead-data-scientist"
    assert role.description.startswith("A lead data scientist is a leader")
    expected = {
        r["Skill Name"]: LEVELS[r["Skill Level"]]
        for r in csv_rows()
        if r["Role Level"] == "Lead data scientist"
    }
    held = {req.skill.name: req.level for req in role.requirements.select_related("skill")}
    assert held == expected
    assert all(not r.essential and r.weight == 1 for r in role.requirements.all())


@pytest.mark.django_db
def test_level_rank_is_junior_to_senior():
    run()
    ranks = dict(
        RoleProfile.objects.filter(role_name="Data scientist").values_list("title", "level_rank")
    )
    order = sorted(ranks, key=ranks.get)
    assert order == [
        "Trainee data scientist",
        "Associate data scientist",
        "Data scientist",
        "Lead data scientist",
        "Principal data scientist",
        "Head of data science",
    ]
    # Trailing space in the published "End user computing engineer " is trimmed.
    assert RoleProfile.objects.filter(title="End user computing engineer").exists()
    desk = RoleProfile.objects.filter(role_name="Service desk manager").order_by("level_rank")
    assert [r.title for r in desk] == [
        "Service desk analyst",
        "Senior service desk analyst",
        "Service desk manager",
        "Head of service desk",
    ]


def test_seniority_helper():
    assert seniority("Lead developer - management", "Software developer") > seniority(
        "Lead developer", "Software developer"
    )
    assert seniority("Data ethics lead", "Data ethicist") < seniority(
        "Head of data ethics", "Data ethicist"
    )


@pytest.mark.django_db
def test_second_run_changes_nothing():
    run()
    before = snapshot()
    out = run()
    assert snapshot() == before
    assert f"Skills: {SKILLS} (0 created, 0 updated, {SKILLS} unchanged)" in out
    assert f"Role profiles: {ROLE_LEVELS} (0 created, 0 updated, {ROLE_LEVELS} unchanged)" in out
    assert f"Role requirements: {REQUIREMENTS} (0 created, 0 updated, 0 removed)" in out
    assert "no changes" in out


@pytest.mark.django_db
def test_import_is_fast_in_queries(django_assert_max_num_queries):
    with django_assert_max_num_queries(40):
        import_ddat()


@pytest.mark.django_db
def test_missing_folder_and_file(tmp_path):
    with pytest.raises(CommandError, match="not a folder"):
        run(str(tmp_path / "nowhere"))
    shutil.copy(DDAT / "skills.csv", tmp_path / "skills.csv")
    with pytest.raises(CommandError, match="roles.csv not found"):
        run(str(tmp_path))
    assert not Skill.objects.exists()  # nothing written


@pytest.mark.django_db
def test_wrong_header(tmp_path):
    shutil.copy(DDAT / "skills.csv", tmp_path / "skills.csv")
    (tmp_path / "roles.csv").write_text("Role,Level,Skill\nA,B,C\n", encoding="utf-8")
    with pytest.raises(CommandError, match=r"roles.csv does not look like .*missing column"):
        run(str(tmp_path))
    assert not Skill.objects.exists()


ROLE_HEADER = [
    "Role Family",
    "Role",
    "Role Description",
    "Role Level",
    "Role Level Description",
    "Skill Name",
    "Skill Description",
    "Skill Level",
    "Skill Level Description",
    "Role Type",
]


def write_small_framework(folder: Path, extra_rows=()):
    with open(folder / "skills.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "Skill Name",
                "Skill Description",
                "Awareness",
                "Working",
                "Practitioner",
                "Expert",
                "Roles that require Skill",
            ]
        )
        writer.writerow(["Testing", "Testing things.", "a1", "w1", "p1", "e1", "Data engineer"])
        writer.writerow(["Coding", "Writing code.", "a2", "w2", "p2", "e2", "Data engineer"])

    def row(role, level, skill, skill_desc, skill_level, rtype=""):
        return [
            "Data",
            role,
            f"{role} does data.",
            level,
            f"{level} desc.",
            skill,
            skill_desc,
            skill_level,
            f"{skill} at {skill_level}",
            rtype,
        ]

    rows = [
        row("Data engineer", "Senior data engineer", "Testing", "Testing things.", "Practitioner"),
        row("Data engineer", "Senior data engineer", "Testing", "Testing things.", "Practitioner"),
        row("Data engineer", "Senior data engineer", "Coding", "Writing code.", "Expert"),
        row("Data engineer", "Data engineer", "Coding", "Writing code.", "Working"),
        row("Data engineer", "Data engineer", "Quantum wrangling", "Wrangling qubits.", "Working"),
        row("Data engineer", "Data engineer", "Ghost skill", "MISSING", "Awareness"),
        # The same level name in two different roles: codes must be disambiguated.
        row("Platform engineer", "Senior data engineer", "Coding", "Writing code.", "Practitioner"),
        row(
            "Chief data officer",
            "NOT IN USE",
            "Coding",
            "Writing code.",
            "NOT IN USE",
            "Senior Civil Service",
        ),
        *extra_rows,
    ]
    with open(folder / "roles.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(ROLE_HEADER)
        writer.writerows(rows)
    return row


@pytest.mark.django_db
def test_small_framework_reports_missing_skills(tmp_path):
    write_small_framework(tmp_path)
    out = run(str(tmp_path))
    assert "'Quantum wrangling' is not in skills.csv; created from the description" in out
    assert "'Ghost skill' is not in skills.csv and has no description" in out
    assert "1 NOT IN USE, 1 duplicate, 1 unusable" in out

    quantum = Skill.objects.get(name="Quantum wrangling")
    assert quantum.description == "Wrangling qubits."
    assert quantum.uri == "urn:muster:ddat:skill:quantum-wrangling"
    assert list(quantum.level_descriptors.values_list("level", "description")) == [
        (2, "Quantum wrangling at Working")
    ]
    assert not Skill.objects.filter(name="Ghost skill").exists()

    codes = set(RoleProfile.objects.values_list("code", flat=True))
    assert codes == {
        "data-engineer-senior-data-engineer",
        "platform-engineer-senior-data-engineer",
        "data-engineer",
    }
    senior = RoleProfile.objects.get(code="data-engineer-senior-data-engineer")
    assert senior.level_rank == 2
    assert RoleProfile.objects.get(code="data-engineer").level_rank == 1
    assert dict(senior.requirements.values_list("skill__name", "level")) == {
        "Testing": 3,
        "Coding": 4,
    }
    junior = RoleProfile.objects.get(code="data-engineer")
    assert dict(junior.requirements.values_list("skill__name", "level")) == {
        "Coding": 2,
        "Quantum wrangling": 2,
    }


@pytest.mark.django_db
def test_reimport_updates_and_removes(tmp_path):
    write_small_framework(tmp_path)
    run(str(tmp_path))
    senior = RoleProfile.objects.get(code="data-engineer-senior-data-engineer")
    ids = set(Skill.objects.values_list("id", flat=True))

    # Drop the Testing requirement, raise Coding for the junior level, reword a skill.
    text = (tmp_path / "roles.csv").read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    kept = [
        line
        for line in lines
        if "Senior data engineer,Senior data engineer desc.,Testing" not in line
    ]
    new = "".join(kept).replace(
        "Data engineer desc.,Coding,Writing code.,Working",
        "Data engineer desc.,Coding,Writing code.,Practitioner",
    )
    (tmp_path / "roles.csv").write_text(new, encoding="utf-8")
    skills_text = (tmp_path / "skills.csv").read_text(encoding="utf-8")
    (tmp_path / "skills.csv").write_text(
        skills_text.replace("Writing code.", "Writing good code."), encoding="utf-8"
    )

    out = run(str(tmp_path))
    assert "1 removed" in out
    senior.refresh_from_db()
    assert dict(senior.requirements.values_list("skill__name", "level")) == {"Coding": 4}
    assert senior.version == 2
    junior = RoleProfile.objects.get(code="data-engineer")
    assert dict(junior.requirements.values_list("skill__name", "level"))["Coding"] == 3
    assert Skill.objects.get(name="Coding").description == "Writing good code."
    assert set(Skill.objects.values_list("id", flat=True)) == ids  # ids are stable


@pytest.mark.django_db
def test_a_local_role_holding_a_ddat_code_in_another_case_is_left_alone(tmp_path):
    local = RoleProfile.objects.create(code="Data-Engineer", title="Our data engineer")
    write_small_framework(tmp_path)
    out = run(str(tmp_path))
    assert "role code 'data-engineer' (Data engineer) already belongs to a local role" in out
    local.refresh_from_db()
    assert (local.code, local.title, local.source) == (
        "Data-Engineer",
        "Our data engineer",
        "local",
    )
    assert not local.requirements.exists()
    assert RoleProfile.objects.filter(source="ddat").count() == 2
