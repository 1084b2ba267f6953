"""HR imports (DESIGN.md section 7): checking, all-or-nothing writes, idempotent upserts.

Runs on SQLite and on PostgreSQL (DATABASE_URL=postgres://...): the write path is
set-based SQL over a staging table on both.
"""

import io
from datetime import date

import openpyxl
import pytest

from skills_app.audit.models import AccessEvent, Action
from skills_app.imports import reading
from skills_app.imports.base import Progress
from skills_app.imports.errors import MAX_ERRORS
from skills_app.imports.service import import_file
from skills_app.people.models import (
    Clearance,
    EvidenceKind,
    ImportJob,
    ImportStatus,
    OrgUnit,
    Person,
    PersonSkill,
    RoleHistory,
)
from skills_app.roles.models import RoleProfile, RoleRequirement
from taxonomy.models import Skill, SkillAlias, SkillStatus
from taxonomy.services import taxonomy_changed
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, RoleProfileFactory

pytestmark = pytest.mark.django_db

PEOPLE_HEADER = (
    "staff_number,full_name,email,grade,org_unit,location,weekly_hours,clearance,"
    "redeployable,protected,available_from,line_manager_staff_number"
)
DEPT = "Department for Tests"


def person_row(sn, manager="", *, name=None, email=None, grade="HEO", unit=None, **extra):
    values = {
        "staff_number": sn,
        "full_name": name or f"Person {sn}",
        "email": email or f"{sn.lower()}@example.gov.uk",
        "grade": grade,
        "org_unit": unit or f"{DEPT}/Digital/Data Team",
        "location": "Leeds",
        "weekly_hours": "37",
        "clearance": "SC",
        "redeployable": "yes",
        "protected": "no",
        "available_from": "2026-01-05",
        "line_manager_staff_number": manager,
    }
    values.update(extra)
    return ",".join(values[c] for c in PEOPLE_HEADER.split(","))


def csv_text(header, *rows):
    return "\n".join([header, *rows]) + "\n"


def run(kind, text, *, dry_run=False, user=None, filename="file.csv"):
    content = text if isinstance(text, bytes) else text.encode("utf-8")
    job = import_file(kind=kind, filename=filename, content=content, dry_run=dry_run, user=user)
    return job.result


def errors_at(result):
    return {(e["row"], e["column"]) for e in result["errors"]}


def messages(result):
    return " | ".join(e["message"] for e in result["errors"])


@pytest.fixture
def skills(db):
    python = Skill.objects.create(name="Python", uri="urn:muster:test:python")
    SkillAlias.objects.create(skill=python, label="Python programming")
    Skill.objects.create(name="Data analysis", uri="urn:muster:test:data-analysis")
    Skill.objects.create(name="Project management", uri="urn:muster:test:pm")
    Skill.objects.create(name="Stakeholder management", uri="urn:muster:test:sm")
    Skill.objects.create(name="Stakeholder managment", uri="urn:muster:test:sm2")
    Skill.objects.create(name="Customer service", uri="urn:muster:test:cs")
    # A taxonomy of realistic size: the normaliser's fuzzy shortlist skips trigrams found
    # on more than 5% of labels, which in a 30-label index is nearly every trigram.
    Skill.objects.bulk_create(
        Skill(name=f"Routine competence {i:02d}", uri=f"urn:muster:test:filler:{i}")
        for i in range(80)
    )
    taxonomy_changed()
    return {s.name: s for s in Skill.objects.all()}


@pytest.fixture
def staff(db):
    """Three people already in Muster: M1 manages S1 and S2."""
    unit = OrgUnitFactory(name="Existing Team", path="Existing Team")
    m1 = PersonFactory(staff_number="M1", org_unit=unit)
    s1 = PersonFactory(staff_number="S1", org_unit=unit, line_manager=m1)
    s2 = PersonFactory(staff_number="S2", org_unit=unit, line_manager=m1)
    return {"M1": m1, "S1": s1, "S2": s2}


# -- people -------------------------------------------------------------------------------


def test_people_import_creates_people_org_units_and_managers_in_any_order():
    text = csv_text(
        PEOPLE_HEADER,
        person_row("A3", "A2", unit=f"{DEPT}/Digital/Data/Analysts"),  # manager comes later
        person_row("A2", "A1", unit=f"{DEPT}/Digital/Data"),
        person_row("A1", "", grade="SCS1", unit=DEPT),
    )
    result = run("people", text)
    assert result["ok"], result
    assert (result["rows"], result["created"], result["updated"], result["unchanged"]) == (
        3,
        3,
        0,
        0,
    )
    assert result["org_units_created"] == 4
    a1, a2, a3 = (Person.objects.get(staff_number=s) for s in ("A1", "A2", "A3"))
    assert a3.line_manager == a2 and a2.line_manager == a1 and a1.line_manager is None
    assert a1.grade == "SCS1" and a3.clearance == 3 and a3.redeployable and not a3.protected
    assert a3.available_from == date(2026, 1, 5) and a3.version == 1
    units = {u.path: u for u in OrgUnit.objects.all()}
    assert units[DEPT].depth == 0 and units[DEPT].kind == "department"
    assert units[f"{DEPT}/Digital"].kind == "directorate"
    assert units[f"{DEPT}/Digital/Data"].kind == "division"
    analysts = units[f"{DEPT}/Digital/Data/Analysts"]
    assert (analysts.depth, analysts.kind) == (3, "team")
    assert analysts.parent == units[f"{DEPT}/Digital/Data"]
    assert a3.org_unit == analysts


def test_reimporting_the_same_people_file_changes_nothing():
    text = csv_text(PEOPLE_HEADER, person_row("B1"), person_row("B2", "B1"))
    run("people", text)
    before = {p.staff_number: (p.version, p.updated_at) for p in Person.objects.all()}
    units = OrgUnit.objects.count()
    again = run("people", text)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert again["org_units_created"] == 0
    assert {p.staff_number: (p.version, p.updated_at) for p in Person.objects.all()} == before
    assert OrgUnit.objects.count() == units


def test_a_changed_person_is_updated_and_versioned(staff):
    text = csv_text(
        PEOPLE_HEADER,
        person_row("S1", "M1", grade="SEO", email=staff["S1"].work_email),
    )
    result = run("people", text)
    assert (result["created"], result["updated"]) == (0, 1)
    s1 = Person.objects.get(staff_number="S1")
    assert s1.grade == "SEO" and s1.version == 2
    assert s1.org_unit.path == f"{DEPT}/Digital/Data Team"
    assert Person.objects.get(staff_number="S2").version == 1


def test_blank_optional_people_cells_keep_every_stored_value(staff):
    s1 = staff["S1"]
    Person.objects.filter(pk=s1.pk).update(
        location="York",
        weekly_hours=22,
        clearance=Clearance.DV,
        redeployable=False,
        protected=True,
        available_from=date(2026, 9, 1),
    )
    blanks = dict.fromkeys(
        (
            "location",
            "weekly_hours",
            "clearance",
            "redeployable",
            "protected",
            "available_from",
        ),
        "",
    )
    row = person_row(
        "S1", "", email=s1.work_email, unit=s1.org_unit.path, name=s1.full_name, **blanks
    )
    result = run("people", csv_text(PEOPLE_HEADER, row))
    assert result["ok"] and (result["updated"], result["unchanged"]) == (0, 1), result
    s1.refresh_from_db()
    assert (
        s1.location,
        s1.weekly_hours,
        s1.clearance,
        s1.redeployable,
        s1.protected,
        s1.available_from,
        s1.line_manager,
        s1.version,
    ) == ("York", 22, Clearance.DV, False, True, date(2026, 9, 1), staff["M1"], 1)
    # A new person with the same blanks gets the defaults.
    new = person_row("N9", "", **blanks)
    assert run("people", csv_text(PEOPLE_HEADER, new))["created"] == 1
    n9 = Person.objects.get(staff_number="N9")
    assert (n9.location, n9.weekly_hours, n9.clearance, n9.redeployable, n9.protected) == (
        "",
        37,
        Clearance.BPSS,
        True,
        False,
    )
    assert n9.available_from is None and n9.line_manager is None


def test_changing_or_clearing_a_line_manager_is_an_update(staff):
    def same(person, manager):
        return person_row(
            person.staff_number,
            manager,
            name=person.full_name,
            email=person.work_email,
            grade=person.grade,
            unit=person.org_unit.path,
            location=person.location,
            weekly_hours="",
            clearance="",
            redeployable="",
            protected="",
            available_from="",
        )

    text = csv_text(PEOPLE_HEADER, same(staff["S1"], "S2"), same(staff["S2"], "None"))
    result = run("people", text)
    assert (result["created"], result["updated"], result["unchanged"]) == (0, 2, 0)
    s1, s2 = Person.objects.get(staff_number="S1"), Person.objects.get(staff_number="S2")
    assert s1.line_manager == s2 and s2.line_manager is None
    assert s1.version == s2.version == 2
    again = run("people", text)
    assert (again["updated"], again["unchanged"]) == (0, 2)


def test_two_people_can_swap_email_addresses(staff):
    s1, s2 = staff["S1"], staff["S2"]
    text = csv_text(
        PEOPLE_HEADER,
        person_row("S1", "M1", email=s2.work_email, unit=s1.org_unit.path),
        person_row("S2", "M1", email=s1.work_email, unit=s2.org_unit.path),
    )
    result = run("people", text)
    assert result["ok"], result
    assert Person.objects.get(staff_number="S1").work_email == s2.work_email


BAD_PEOPLE = [
    (
        "duplicate staff number",
        [person_row("C1"), person_row("C1", email="x@example.gov.uk")],
        (3, "staff_number"),
        "also on row 3",
    ),
    (
        "unknown line manager",
        [person_row("C1", "NOPE")],
        (2, "line_manager_staff_number"),
        "not in this file or in Muster",
    ),
    (
        "own line manager",
        [person_row("C1", "C1")],
        (2, "line_manager_staff_number"),
        "own line manager",
    ),
    (
        "date in the wrong format",
        [person_row("C1", available_from="05/13/2026")],
        (2, "available_from"),
        "not a real date",
    ),
    (
        "date as words",
        [person_row("C1", available_from="next week")],
        (2, "available_from"),
        "YYYY-MM-DD",
    ),
    ("unknown grade", [person_row("C1", grade="Grade 9")], (2, "grade"), "Unknown grade"),
    (
        "unknown clearance",
        [person_row("C1", clearance="Top secret")],
        (2, "clearance"),
        "Unknown clearance",
    ),
    ("bad yes/no", [person_row("C1", redeployable="maybe")], (2, "redeployable"), "yes or no"),
    (
        "invalid email",
        [person_row("C1", email="not-an-email")],
        (2, "email"),
        "valid email address",
    ),
    (
        "duplicate email",
        [person_row("C1", email="a@example.gov.uk"), person_row("C2", email="A@example.gov.uk")],
        (3, "email"),
        "same email address is on row 3",
    ),
    (
        "weekly hours too many",
        [person_row("C1", weekly_hours="61")],
        (2, "weekly_hours"),
        "at most 60",
    ),
    ("weekly hours zero", [person_row("C1", weekly_hours="0")], (2, "weekly_hours"), "more than 0"),
    (
        "weekly hours not a number",
        [person_row("C1", weekly_hours="full time")],
        (2, "weekly_hours"),
        "as a number",
    ),
    (
        "empty org path part",
        [person_row("C1", unit=f"{DEPT}//Team")],
        (2, "org_unit"),
        "empty part",
    ),
    ("missing name", [person_row("C1", name=" ")], (2, "full_name"), "full name"),
]


@pytest.mark.parametrize(
    ("rows", "where", "fragment"), [case[1:] for case in BAD_PEOPLE], ids=[c[0] for c in BAD_PEOPLE]
)
def test_a_bad_people_row_is_reported_and_nothing_is_written(rows, where, fragment):
    good = person_row("GOOD1")
    result = run("people", csv_text(PEOPLE_HEADER, good, *[r for r in rows]))
    # Row numbers count the good row on row 2: shift the expectation by one.
    expected = (where[0] + 1, where[1])
    assert not result["ok"]
    assert expected in errors_at(result), result["errors"]
    assert fragment in messages(result)
    assert result["created"] == result["updated"] == 0
    assert result["detail"].endswith("nothing was imported.")
    assert Person.objects.count() == 0
    assert OrgUnit.objects.count() == 0


def test_a_manager_cycle_in_the_file_is_reported_on_every_row_in_it():
    text = csv_text(
        PEOPLE_HEADER,
        person_row("D1", "D2"),
        person_row("D2", "D3"),
        person_row("D3", "D1"),
        person_row("D4", "D1"),  # reports into the loop, but is not in it
    )
    result = run("people", text)
    assert not result["ok"]
    loop_rows = {e["row"] for e in result["errors"] if "loop" in e["message"]}
    assert loop_rows == {2, 3, 4}
    assert "D1 → D2 → D3 → D1" in messages(result)
    assert Person.objects.count() == 0


def test_a_manager_cycle_through_people_already_in_muster_is_found(staff):
    # In Muster M1 manages S1; the file makes S1 manage M1.
    m1 = staff["M1"]
    text = csv_text(PEOPLE_HEADER, person_row("M1", "S1", email=m1.work_email))
    result = run("people", text)
    assert not result["ok"]
    assert errors_at(result) == {(2, "line_manager_staff_number")}
    assert "M1 → S1 → M1" in messages(result)
    assert Person.objects.get(staff_number="M1").line_manager is None


def test_an_email_held_by_someone_else_in_muster_is_refused(staff):
    text = csv_text(PEOPLE_HEADER, person_row("N1", email=staff["S1"].work_email))
    result = run("people", text)
    assert errors_at(result) == {(2, "email")}
    assert "staff number S1" in messages(result)


def test_every_bad_row_is_listed_not_just_the_first():
    rows = [person_row(f"E{i}", grade="X") for i in range(5)]
    result = run("people", csv_text(PEOPLE_HEADER, *rows))
    assert result["error_count"] == 5
    assert [e["row"] for e in result["errors"]] == [2, 3, 4, 5, 6]


def test_the_error_list_is_capped_but_the_count_is_not():
    rows = [f"F{i},Name,f{i}@example.gov.uk,ZZ,{DEPT}" for i in range(MAX_ERRORS + 200)]
    result = run("people", csv_text("staff_number,full_name,email,grade,org_unit", *rows))
    assert result["error_count"] == MAX_ERRORS + 200
    assert len(result["errors"]) == MAX_ERRORS
    assert "The first 1,000 are listed" in result["detail"]


def test_optional_columns_may_be_left_out_and_then_keep_current_values(staff):
    s1 = staff["S1"]
    text = csv_text(
        "Staff Number,Full Name,Email,Grade,Org-Unit",
        f"S1,{s1.full_name},{s1.work_email},SEO,{s1.org_unit.path}",
    )
    result = run("people", text)
    assert result["ok"] and result["updated"] == 1, result
    s1.refresh_from_db()
    assert s1.grade == "SEO" and s1.line_manager == staff["M1"] and s1.location == "Leeds"


def test_dry_run_reports_counts_and_writes_nothing(staff):
    text = csv_text(
        PEOPLE_HEADER,
        person_row("S1", "M1", grade="G7", email=staff["S1"].work_email),
        person_row("NEW1", "S1", unit="Brand New Dept/Team"),
    )
    result = run("people", text, dry_run=True)
    assert result["ok"] and result["dry_run"]
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 1, 0)
    assert result["org_units_created"] == 5  # Department for Tests (3) and Brand New (2)
    assert "Nothing was imported" in result["detail"]
    assert not Person.objects.filter(staff_number="NEW1").exists()
    assert Person.objects.get(staff_number="S1").grade == "HEO"
    assert not OrgUnit.objects.filter(path__startswith="Brand New").exists()


# -- file-level problems ------------------------------------------------------------------


def _xlsx(rows):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


FILE_PROBLEMS = [
    ("empty", b"", "The file is empty"),
    ("only whitespace", b"\n\n  \n", "The file is empty"),
    ("header only", (PEOPLE_HEADER + "\n").encode(), "no rows of data"),
    ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
    ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
    ("old excel", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "97-2003"),
    ("binary", b"abc\x00\x01\x02def", "binary data"),
    ("zip that is not xlsx", None, "ZIP archive"),
    ("windows-1252", None, "must be UTF-8"),
    ("semicolons", b"staff_number;full_name;email\nA;B;C\n", "semicolons"),
]


def _zip():
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "fragment"), [c[1:] for c in FILE_PROBLEMS], ids=[c[0] for c in FILE_PROBLEMS]
)
def test_file_problems_are_one_clear_error(content, fragment):
    if fragment == "ZIP archive":
        content = _zip()
    if fragment == "must be UTF-8":
        content = csv_text(PEOPLE_HEADER, person_row("G1", name="Zoë £ Brontë")).encode("cp1252")
    result = run("people", content)
    assert not result["ok"]
    assert len(result["errors"]) == 1 and result["error_count"] == 1
    error = result["errors"][0]
    assert error["row"] is None and error["column"] is None
    assert fragment in error["message"], error["message"]
    assert result["detail"] == error["message"]
    assert Person.objects.count() == 0


def test_windows_1252_message_names_the_line():
    content = csv_text(PEOPLE_HEADER, person_row("G1"), person_row("G2", name="Zoë")).encode(
        "cp1252"
    )
    message = run("people", content)["errors"][0]["message"]
    assert "line 3" in message and "CSV UTF-8" in message


def test_a_wrong_header_names_the_missing_and_unexpected_columns():
    text = csv_text("staff_number,fullname,email,grade,org_unit,shoe_size", "H1,x,y,HEO,D")
    message = run("people", text)["errors"][0]["message"]
    assert "missing full_name" in message
    assert "not expected fullname, shoe_size" in message
    assert "staff_number, full_name, email" in message


def test_a_file_that_is_too_large_is_refused(monkeypatch):
    monkeypatch.setattr(reading, "MAX_FILE_BYTES", 100)
    result = run("people", csv_text(PEOPLE_HEADER, person_row("J1"), person_row("J2")))
    assert "smaller than" in result["errors"][0]["message"]


def test_a_utf8_bom_is_accepted():
    content = (
        "\ufeff".encode() + csv_text(PEOPLE_HEADER, person_row("K1", name="Zoë Brontë")).encode()
    )
    result = run("people", content)
    assert result["ok"], result
    assert Person.objects.get(staff_number="K1").full_name == "Zoë Brontë"


def test_xlsx_with_dates_and_numbers_imports_like_csv():
    header = PEOPLE_HEADER.split(",")
    content = _xlsx(
        [
            header,
            [
                "L1",
                "Lee One",
                "l1@example.gov.uk",
                "heo",
                f"{DEPT}/Ops",
                "Leeds",
                22.5,
                "bpss",
                "Yes",
                "No",
                date(2026, 2, 1),
                None,
            ],
            [],  # a blank row is skipped but still counted
            [
                1234,
                "Lee Two",
                "l2@example.gov.uk",
                "EO",
                f"{DEPT}/Ops",
                None,
                37,
                None,
                None,
                None,
                None,
                "L1",
            ],
        ]
    )
    result = run("people", content, filename="people.xlsx")
    assert result["ok"], result
    assert result["rows"] == 2
    l1 = Person.objects.get(staff_number="L1")
    assert l1.weekly_hours == 22.5 and l1.available_from == date(2026, 2, 1)
    assert Person.objects.get(staff_number="1234").line_manager == l1


def test_xlsx_row_numbers_match_the_sheet():
    header = PEOPLE_HEADER.split(",")
    content = _xlsx(
        [header, [], ["L1", "Lee", "l1@example.gov.uk", "NOPE", f"{DEPT}/Ops"] + [None] * 7]
    )
    result = run("people", content, filename="people.xlsx")
    assert errors_at(result) == {(3, "grade")}  # row 2 is blank


def _people_cells(sn, **overrides):
    cells = dict(
        zip(PEOPLE_HEADER.split(","), person_row(sn).split(","), strict=True),
        line_manager_staff_number=None,
    )
    cells.update(overrides)
    return list(cells.values())


def _save_values(content, saved):
    """Give formula cells (written by openpyxl with no saved value) a saved value, as a
    spreadsheet program does: ``saved`` maps a cell (``"D2"``) to its value as text."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = data.decode()
                for cell, value in saved.items():
                    text, found = re.subn(
                        rf'<c r="{cell}"([^>]*)><f>(.*?)</f><v\s*/>',
                        rf'<c r="{cell}"\1 t="str"><f>\2</f><v>{value}</v>',
                        text,
                    )
                    assert found == 1, cell
                data = text.encode()
            target.writestr(item, data)
    return out.getvalue()


def test_an_xlsx_formula_with_no_saved_value_is_a_row_error_naming_the_cell(staff):
    header = PEOPLE_HEADER.split(",")
    content = _xlsx(
        [
            header,
            _people_cells("F1"),
            _people_cells("F2", grade='=UPPER("heo")'),  # D3: a required column
            # G4: an optional column, where a blank would keep what Muster holds
            _people_cells("S1", email=staff["S1"].work_email, weekly_hours="=20+2"),
            ["", None, None, None, None, None, None, None, None, None, None, None, "=1+1"],
        ]
    )
    result = run("people", content, filename="people.xlsx")
    assert not result["ok"]
    assert [(e["row"], e["column"]) for e in result["errors"]] == [
        (3, "grade"),
        (4, "weekly_hours"),
    ], result["errors"]  # the formula in M5, a column with no header, is not read
    assert result["errors"][0]["message"].startswith(
        "Cell D3 holds a formula with no saved value: open the file in a spreadsheet "
        "program and save it, or paste the values"
    )
    assert "Cell G4 holds a formula" in result["errors"][1]["message"]
    assert not Person.objects.filter(staff_number__in=["F1", "F2"]).exists()
    assert Person.objects.get(staff_number="S1").weekly_hours != 22


def test_an_xlsx_formula_with_a_saved_value_uses_the_value(staff):
    header = PEOPLE_HEADER.split(",")
    written = _xlsx(
        [
            header,
            _people_cells("F1", grade='=UPPER("heo")', location='=IF(TRUE,"","x")'),
        ]
    )
    content = _save_values(written, {"D2": "HEO", "F2": ""})
    result = run("people", content, filename="people.xlsx")
    assert result["ok"], result["errors"]
    f1 = Person.objects.get(staff_number="F1")
    assert (f1.grade, f1.location) == ("HEO", "")  # "" saved: a blank, not an error


def test_a_row_with_too_many_cells_is_reported():
    text = csv_text(
        "staff_number,full_name,email,grade,org_unit", "Q1,Smith, John,q@x.gov.uk,HEO,D"
    )
    result = run("people", text)
    assert errors_at(result) == {(2, None)}
    assert "comma inside a value" in messages(result)


# -- person skills ------------------------------------------------------------------------

SKILLS_HEADER = "staff_number,skill,level,last_used,evidence"


def test_person_skills_import_resolves_names_aliases_uris_and_misspellings(staff, skills):
    text = csv_text(
        SKILLS_HEADER,
        "S1,Pyhton,3,,",  # misspelt: auto-resolved
        "S1,data analysis,Expert,2023,certified",
        "S2,Python programming,working,2021-06,manager_verified",  # an alias
        "S2,urn:muster:test:pm,1,2020-02-03,assessed",  # a URI
    )
    result = run("person-skills", text)
    assert result["ok"], result
    assert (result["created"], result["updated"], result["unchanged"]) == (4, 0, 0)
    held = {
        (ps.person.staff_number, ps.skill.name): (ps.level, ps.last_used, ps.evidence)
        for ps in PersonSkill.objects.select_related("person", "skill")
    }
    assert held == {
        ("S1", "Python"): (3, None, "self"),
        ("S1", "Data analysis"): (4, date(2023, 1, 1), "certified"),
        ("S2", "Python"): (2, date(2021, 6, 1), "manager_verified"),
        ("S2", "Project management"): (1, date(2020, 2, 3), "assessed"),
    }


@pytest.mark.parametrize("dry_run", [True, False])
def test_matched_skills_lists_close_spellings_but_not_exact_matches(staff, skills, dry_run):
    text = csv_text(
        SKILLS_HEADER,
        "S1,Pyhton,3,,",  # row 2: misspelt
        "S1,data analysis,3,,",  # the name, but for case
        "S2,Python programming,2,,",  # an alias
        "S2,urn:muster:test:pm,1,,",  # a URI
        "M1,Pyhton,2,,",  # row 6: the same misspelling again
        "M1,Project management,2,,",  # the name
        "S2,analysis data,2,,",  # row 8: words in another order
    )
    result = run("person-skills", text, dry_run=dry_run)
    assert result["ok"], result
    python, analysis = skills["Python"], skills["Data analysis"]
    assert result["matched_skills"] == [
        {
            "row": 2,
            "rows": [2, 6],
            "row_count": 2,
            "given": "Pyhton",
            "skill": {"id": python.pk, "name": "Python"},
        },
        {
            "row": 8,
            "rows": [8],
            "row_count": 1,
            "given": "analysis data",
            "skill": {"id": analysis.pk, "name": "Data analysis"},
        },
    ]


def test_matched_skills_are_listed_for_role_profiles_and_rejected_files_too(staff, skills):
    roles = run("role-profiles", csv_text(ROLES_HEADER, "analyst,Analyst,Pyhton,2,,"))
    assert [(m["row"], m["given"], m["skill"]["name"]) for m in roles["matched_skills"]] == [
        (2, "Pyhton", "Python")
    ]
    rejected = run("person-skills", csv_text(SKILLS_HEADER, "S1,Pyhton,9,,"))
    assert not rejected["ok"]
    assert [m["given"] for m in rejected["matched_skills"]] == ["Pyhton"]
    assert run("people", csv_text(PEOPLE_HEADER, person_row("Z1")))["matched_skills"] == []


def test_reimporting_person_skills_changes_nothing_and_updates_bump_versions(staff, skills):
    text = csv_text(SKILLS_HEADER, "S1,Python,3,2024,", "S2,Python,2,,assessed")
    run("person-skills", text)
    before = {ps.pk: (ps.version, ps.updated_at) for ps in PersonSkill.objects.all()}
    again = run("person-skills", text)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert {ps.pk: (ps.version, ps.updated_at) for ps in PersonSkill.objects.all()} == before

    changed = run("person-skills", csv_text(SKILLS_HEADER, "S1,Python,4,2024,", "S2,Python,2,,"))
    assert (changed["created"], changed["updated"], changed["unchanged"]) == (0, 1, 1)
    s1 = PersonSkill.objects.get(person__staff_number="S1")
    assert (s1.level, s1.version) == (4, 2)
    # Blank evidence keeps what was recorded (here: assessed).
    assert PersonSkill.objects.get(person__staff_number="S2").evidence == "assessed"


def test_blank_optional_person_skill_cells_keep_the_stored_values(staff, skills):
    held = PersonSkillFactory(
        person=staff["S1"],
        skill=skills["Python"],
        level=3,
        last_used=date(2022, 6, 1),
        evidence=EvidenceKind.MANAGER_VERIFIED,
    )
    result = run("person-skills", csv_text(SKILLS_HEADER, "S1,Python,3,,", "S2,Python,2,,"))
    assert (result["created"], result["updated"], result["unchanged"]) == (1, 0, 1), result
    held.refresh_from_db()
    assert (held.last_used, held.evidence, held.version) == (
        date(2022, 6, 1),
        EvidenceKind.MANAGER_VERIFIED,
        1,
    )
    # A new skill with a blank last_used is in current use.
    assert PersonSkill.objects.get(person=staff["S2"]).last_used is None
    # Leaving the columns out of the file keeps them too.
    left_out = run("person-skills", csv_text("staff_number,skill,level", "S1,Python,4"))
    assert left_out["updated"] == 1
    held.refresh_from_db()
    assert (held.level, held.last_used, held.evidence) == (
        4,
        date(2022, 6, 1),
        EvidenceKind.MANAGER_VERIFIED,
    )


@pytest.mark.parametrize("word", ["current", " CURRENT ", "Current"])
def test_current_clears_last_used(staff, skills, word):
    held = PersonSkillFactory(
        person=staff["S1"], skill=skills["Python"], level=3, last_used=date(2022, 6, 1)
    )
    result = run("person-skills", csv_text(SKILLS_HEADER, f"S1,Python,3,{word},"))
    assert (result["updated"], result["unchanged"]) == (1, 0), result
    held.refresh_from_db()
    assert held.last_used is None and held.version == 2
    again = run("person-skills", csv_text(SKILLS_HEADER, f"S1,Python,3,{word},"))
    assert (again["updated"], again["unchanged"]) == (0, 1)


def test_existing_skills_not_in_the_file_are_left_alone(staff, skills):
    PersonSkillFactory(person=staff["S1"], skill=skills["Customer service"], level=2)
    run("person-skills", csv_text(SKILLS_HEADER, "S1,Python,3,,"))
    assert PersonSkill.objects.filter(person=staff["S1"]).count() == 2


def test_an_ambiguous_skill_gets_did_you_mean_suggestions(staff, skills):
    result = run("person-skills", csv_text(SKILLS_HEADER, "S1,Stakeholder managemnt,3,,"))
    assert not result["ok"]
    (error,) = result["errors"]
    assert (error["row"], error["column"]) == (2, "skill")
    assert error["message"].startswith("Not sure which skill this is. Did you mean")
    assert set(error["suggestions"]) >= {"Stakeholder management", "Stakeholder managment"}


def test_an_unknown_skill_lists_the_nearest_names(staff, skills):
    result = run("person-skills", csv_text(SKILLS_HEADER, "S1,Underwater basket weaving,3,,"))
    (error,) = result["errors"]
    assert error["column"] == "skill"
    assert "No skill in the taxonomy has this name" in error["message"]
    assert isinstance(error["suggestions"], list)


def test_a_skill_label_is_resolved_once_however_often_it_appears(staff, skills, monkeypatch):
    from skills_app.imports import skills as skills_module

    calls = []
    real = skills_module.SkillResolver._resolve
    monkeypatch.setattr(
        skills_module.SkillResolver,
        "_resolve",
        lambda self, label: calls.append(label) or real(self, label),
    )
    rows = [f"S{1 + i % 2},Pyhton,{1 + i % 4},," for i in range(2)] + ["M1,Pyhton,2,,"]
    run("person-skills", csv_text(SKILLS_HEADER, *rows))
    assert calls == ["Pyhton"]


def test_a_merged_skill_uri_lands_on_its_target_and_a_deprecated_one_is_refused(staff, skills):
    old = Skill.objects.create(
        name="Py",
        uri="urn:muster:test:old-py",
        status=SkillStatus.MERGED,
        merged_into=skills["Python"],
    )
    Skill.objects.create(name="COBOL", uri="urn:muster:test:cobol", status=SkillStatus.DEPRECATED)
    ok = run("person-skills", csv_text(SKILLS_HEADER, f"S1,{old.uri},2,,"))
    assert ok["ok"], ok
    assert PersonSkill.objects.get(person=staff["S1"]).skill == skills["Python"]
    refused = run("person-skills", csv_text(SKILLS_HEADER, "S1,urn:muster:test:cobol,2,,"))
    assert "deprecated" in messages(refused)


BAD_SKILLS = [
    ("unknown staff number", "NOBODY,Python,3,,", (2, "staff_number"), "No one in Muster"),
    ("level outside 1-4", "S1,Python,5,,", (2, "level"), "from 1 to 4"),
    ("level zero", "S1,Python,0,,", (2, "level"), "from 1 to 4"),
    ("level words", "S1,Python,guru,,", (2, "level"), "Awareness, Working"),
    ("missing level", "S1,Python,,,", (2, "level"), "Enter the level"),
    ("last used wrong format", "S1,Python,3,June 2021,", (2, "last_used"), "YYYY"),
    ("last used impossible", "S1,Python,3,2021-13,", (2, "last_used"), "not a real date"),
    ("last used in the future", "S1,Python,3,2999,", (2, "last_used"), "future"),
    ("bad evidence", "S1,Python,3,,hearsay", (2, "evidence"), "manager_verified"),
    ("missing skill", "S1,,3,,", (2, "skill"), "Enter the skill"),
]


@pytest.mark.parametrize(
    ("row", "where", "fragment"), [c[1:] for c in BAD_SKILLS], ids=[c[0] for c in BAD_SKILLS]
)
def test_a_bad_person_skill_row_is_reported_and_nothing_is_written(
    staff, skills, row, where, fragment
):
    result = run("person-skills", csv_text(SKILLS_HEADER, "S2,Python,3,,", row))
    assert not result["ok"]
    assert (where[0] + 1, where[1]) in errors_at(result), result["errors"]
    assert fragment in messages(result)
    assert PersonSkill.objects.count() == 0


def test_duplicate_person_skill_rows_are_reported_even_through_an_alias(staff, skills):
    text = csv_text(SKILLS_HEADER, "S1,Python,3,,", "S2,Python,3,,", "S1,Python programming,2,,")
    result = run("person-skills", text)
    assert errors_at(result) == {(4, "skill")}
    assert "also on row 2" in messages(result)
    assert PersonSkill.objects.count() == 0


def test_person_skills_dry_run_writes_nothing(staff, skills):
    result = run("person-skills", csv_text(SKILLS_HEADER, "S1,Python,3,,"), dry_run=True)
    assert result["ok"] and result["created"] == 1
    assert PersonSkill.objects.count() == 0


# -- role history ---------------------------------------------------------------------------

HISTORY_HEADER = "staff_number,role_title,role_profile_code,start_date,end_date"


def test_role_history_import_upserts_on_person_title_and_start(staff):
    coach = RoleProfileFactory(code="work-coach", title="Work coach")
    text = csv_text(
        HISTORY_HEADER,
        "S1,Work coach,,2019-04-01,2021-03-31",  # linked by its title
        "S1,Decision maker,work-coach,01/04/2021,",
    )
    result = run("role-history", text)
    assert result["ok"] and result["created"] == 2, result
    held = {h.title: h for h in RoleHistory.objects.filter(person=staff["S1"])}
    assert held["Work coach"].role_profile == coach
    assert held["Work coach"].end == date(2021, 3, 31)
    assert held["Decision maker"].start == date(2021, 4, 1) and held["Decision maker"].end is None

    again = run("role-history", text)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    ended = run(
        "role-history", csv_text(HISTORY_HEADER, "S1,Decision maker,,2021-04-01,2024-01-31")
    )
    assert (ended["updated"], ended["unchanged"]) == (1, 0)
    decision = RoleHistory.objects.get(title="Decision maker")
    assert decision.end == date(2024, 1, 31) and decision.version == 2
    assert decision.role_profile == coach  # a blank code keeps the link


def test_role_history_finds_the_role_profile_code_in_any_case(staff):
    oracle = RoleProfileFactory(code="ORACLE-1234", title="Oracle DBA")
    text = csv_text(
        HISTORY_HEADER, "S1,DBA,oracle-1234,2019-04-01,2021-03-31", "S2,DBA,Oracle-1234,2020-01-01,"
    )
    result = run("role-history", text)
    assert result["ok"] and result["created"] == 2, result
    assert {h.role_profile for h in RoleHistory.objects.all()} == {oracle}


def test_blank_optional_role_history_cells_keep_the_stored_values(staff):
    coach = RoleProfileFactory(code="work-coach", title="Work coach")
    ended = RoleHistory.objects.create(
        person=staff["S1"],
        title="Case worker",
        start=date(2018, 1, 1),
        end=date(2019, 12, 31),
        role_profile=coach,
    )
    result = run("role-history", csv_text(HISTORY_HEADER, "S1,Case worker,,2018-01-01,"))
    assert (result["updated"], result["unchanged"]) == (0, 1), result
    ended.refresh_from_db()
    assert (ended.end, ended.role_profile, ended.version) == (date(2019, 12, 31), coach, 1)
    # Blank beside a change that is written keeps the end date too.
    officer = RoleProfileFactory(code="officer", title="Officer")
    relinked = run("role-history", csv_text(HISTORY_HEADER, "S1,Case worker,officer,2018-01-01,"))
    assert relinked["updated"] == 1, relinked
    ended.refresh_from_db()
    assert (ended.end, ended.role_profile, ended.version) == (date(2019, 12, 31), officer, 2)
    # A new role with a blank end date is current.
    run("role-history", csv_text(HISTORY_HEADER, "S1,Work coach,,2020-01-01,"))
    assert RoleHistory.objects.get(title="Work coach").end is None
    # "current" reopens a role on purpose, and keeps the link.
    reopened = run("role-history", csv_text(HISTORY_HEADER, "S1,Case worker,,2018-01-01,Current"))
    assert (reopened["updated"], reopened["unchanged"]) == (1, 0), reopened
    ended.refresh_from_db()
    assert (ended.end, ended.role_profile, ended.version) == (None, officer, 3)


BAD_HISTORY = [
    (
        "unknown role profile code",
        "S1,Coach,no-such-role,2020-01-01,",
        (2, "role_profile_code"),
        "No role profile",
    ),
    ("end before start", "S1,Coach,,2020-01-01,2019-12-31", (2, "end_date"), "after the start"),
    ("start in the wrong format", "S1,Coach,,2020/01/01,", (2, "start_date"), "YYYY-MM-DD"),
    ("missing start", "S1,Coach,,,", (2, "start_date"), "Enter the date"),
    ("unknown staff number", "ZZ9,Coach,,2020-01-01,", (2, "staff_number"), "No one in Muster"),
]


@pytest.mark.parametrize(
    ("row", "where", "fragment"), [c[1:] for c in BAD_HISTORY], ids=[c[0] for c in BAD_HISTORY]
)
def test_a_bad_role_history_row_is_reported_and_nothing_is_written(staff, row, where, fragment):
    result = run("role-history", csv_text(HISTORY_HEADER, "S2,Coach,,2020-01-01,", row))
    assert (where[0] + 1, where[1]) in errors_at(result), result["errors"]
    assert fragment in messages(result)
    assert RoleHistory.objects.count() == 0


def test_duplicate_role_history_rows_are_reported(staff):
    text = csv_text(HISTORY_HEADER, "S1,Coach,,2020-01-01,", "S1,Coach,,2020-01-01,2021-01-01")
    result = run("role-history", text)
    assert errors_at(result) == {(3, "role_title")}


# -- role profiles --------------------------------------------------------------------------

ROLES_HEADER = "role_code,title,skill,level,weight,essential"


def test_role_profiles_import_creates_replaces_and_then_leaves_alone(skills):
    text = csv_text(
        ROLES_HEADER,
        "analyst,Data analyst,Data analysis,3,2,yes",
        "analyst,Data analyst,Pyhton,Working,,",
        "pm,Project manager,Project management,4,1,yes",
    )
    result = run("role-profiles", text)
    assert result["ok"], result
    assert (result["created"], result["rows"], result["requirements"]) == (2, 3, 3)
    analyst = RoleProfile.objects.get(code="analyst")
    assert analyst.source == "local" and analyst.title == "Data analyst"
    reqs = {r.skill.name: (r.level, r.weight, r.essential) for r in analyst.requirements.all()}
    assert reqs == {"Data analysis": (3, 2.0, True), "Python": (2, 1.0, False)}

    again = run("role-profiles", text)
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert RoleProfile.objects.get(code="analyst").version == 1

    changed = run("role-profiles", csv_text(ROLES_HEADER, "analyst,Data analyst,Python,4,,yes"))
    assert (changed["updated"], changed["unchanged"]) == (1, 0)
    analyst.refresh_from_db()
    assert analyst.version == 2
    assert [(r.skill.name, r.level) for r in analyst.requirements.all()] == [("Python", 4)]
    assert RoleRequirement.objects.filter(role__code="pm").count() == 1


def test_role_profile_rows_must_agree_on_the_title_and_not_repeat_a_skill(skills):
    text = csv_text(
        ROLES_HEADER,
        "analyst,Data analyst,Data analysis,3,,",
        "analyst,Analyst,Python,2,,",
        "analyst,Data analyst,Python programming,2,,",
        "bad code!,X,Python,2,,",
        "x,X,Python,2,-1,perhaps",
    )
    result = run("role-profiles", text)
    assert errors_at(result) >= {
        (3, "title"),
        (4, "skill"),
        (5, "role_code"),
        (6, "weight"),
        (6, "essential"),
    }
    assert RoleProfile.objects.count() == 0


def test_role_codes_are_kept_as_created_and_matched_ignoring_case(skills):
    first = run(
        "role-profiles",
        csv_text(
            ROLES_HEADER,
            "ORACLE-1234,Oracle DBA,Python,3,,",
            "oracle-1234,Oracle DBA,Data analysis,2,,",  # the same role, however spelt
        ),
    )
    assert (first["created"], first["requirements"]) == (1, 2), first
    oracle = RoleProfile.objects.get()
    assert oracle.code == "ORACLE-1234"
    RoleProfile.objects.filter(pk=oracle.pk).update(description="Kept by the import")

    again = run("role-profiles", csv_text(ROLES_HEADER, "Oracle-1234,Oracle DBA,Python,4,,"))
    assert (again["created"], again["updated"]) == (0, 1), again
    oracle = RoleProfile.objects.get()  # still one role, with the code it was created with
    assert (oracle.code, oracle.version, oracle.description) == (
        "ORACLE-1234",
        2,
        "Kept by the import",
    )
    assert [(r.skill.name, r.level) for r in oracle.requirements.all()] == [("Python", 4)]


def test_a_row_naming_a_framework_role_is_an_error_and_nothing_is_written(skills):
    ddat = RoleProfileFactory(code="data-engineer", title="Data engineer", source="ddat")
    RoleRequirement.objects.create(role=ddat, skill=skills["Python"], level=3)
    esco = RoleProfileFactory(code="esco-nurse", title="Nurse", source="esco")
    text = csv_text(
        ROLES_HEADER,
        "analyst,Data analyst,Data analysis,3,,",  # a good row: not written either
        "Data-Engineer,My data engineer,Python,4,,",
        "data-engineer,My data engineer,Data analysis,2,,",
        "ESCO-NURSE,Nurse,Customer service,2,,",
    )
    result = run("role-profiles", text)
    assert not result["ok"]
    assert errors_at(result) == {(3, "role_code"), (4, "role_code"), (5, "role_code")}
    assert "data-engineer is a DDaT framework role, kept as published" in messages(result)
    assert "esco-nurse is an ESCO occupation, kept as published" in messages(result)
    assert list(RoleProfile.objects.order_by("pk").values_list("code", flat=True)) == [
        "data-engineer",
        "esco-nurse",
    ]
    ddat.refresh_from_db()
    assert (ddat.title, ddat.version) == ("Data engineer", 1)
    assert [(r.skill.name, r.level) for r in ddat.requirements.all()] == [("Python", 3)]
    assert not esco.requirements.exists()


def test_a_role_may_have_at_most_the_builders_number_of_requirements(skills):
    from skills_app.roles.services import MAX_REQUIREMENTS

    names = sorted(n for n in skills if n.startswith("Routine"))[: MAX_REQUIREMENTS + 1]
    rows = [f"big,Big role,{name},2,," for name in names]
    result = run("role-profiles", csv_text(ROLES_HEADER, *rows))
    assert errors_at(result) == {(MAX_REQUIREMENTS + 2, "skill")}
    assert "at most" in messages(result)
    assert not RoleProfile.objects.exists()


# -- audit, jobs, progress ------------------------------------------------------------------


def test_each_import_records_one_access_event_with_counts_not_contents(make_user):
    from skills_app.accounts.permissions import Role

    user = make_user(Role.HR)
    run("people", csv_text(PEOPLE_HEADER, person_row("R1", name="Rosalind Secret")), user=user)
    (event,) = AccessEvent.objects.filter(action=Action.IMPORT, object_type="import_job")
    assert event.actor == user
    assert event.parameters == {
        "kind": "people",
        "filename": "file.csv",
        "dry_run": False,
        "status": "succeeded",
        "rows": 1,
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "errors": 0,
    }
    assert "Rosalind" not in str(event.parameters)


def test_a_finished_job_keeps_its_result_but_not_the_file():
    job = import_file(
        kind="people", filename="p.csv", content=csv_text(PEOPLE_HEADER, person_row("T1")).encode()
    )
    job = ImportJob.objects.get(pk=job.pk)
    assert job.status == ImportStatus.SUCCEEDED and job.phase == "done"
    assert bytes(job.content) == b""
    assert (job.total_rows, job.processed_rows) == (1, 1)
    assert job.started_at and job.finished_at


def test_progress_is_reported_every_few_thousand_rows():
    seen = []
    progress = Progress(lambda phase, done, total: seen.append((phase, done, total)), every=2)
    progress.begin("validating", 5)
    for _ in range(5):
        progress.advance()
    assert seen == [("validating", 0, 5), ("validating", 2, 5), ("validating", 4, 5)]


def test_people_import_records_leaving_days_keeps_them_when_blank_and_clears_with_none():
    header = "staff_number,full_name,email,grade,org_unit,left_on"
    first = run(
        "people",
        f"{header}\nL1,Lee Leaving,l1@x.gov.uk,HEO,{DEPT},2026-12-31\n"
        f"L2,Stay Here,l2@x.gov.uk,HEO,{DEPT},\n",
    )
    assert first["ok"], first
    assert Person.objects.get(staff_number="L1").left_on == date(2026, 12, 31)
    assert Person.objects.get(staff_number="L2").left_on is None
    # Blank keeps the day held (nothing changes); "none" clears it; a bad date is a row error.
    kept = run("people", f"{header}\nL1,Lee Leaving,l1@x.gov.uk,HEO,{DEPT},\n")
    assert kept["unchanged"] == 1
    assert Person.objects.get(staff_number="L1").left_on == date(2026, 12, 31)
    cleared = run("people", f"{header}\nL1,Lee Leaving,l1@x.gov.uk,HEO,{DEPT},none\n")
    assert cleared["updated"] == 1
    assert Person.objects.get(staff_number="L1").left_on is None
    bad = run("people", f"{header}\nL1,Lee Leaving,l1@x.gov.uk,HEO,{DEPT},31/31/2026\n")
    assert not bad["ok"] and ("left_on" in {e["column"] for e in bad["errors"]})
