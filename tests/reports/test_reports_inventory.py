"""The whole skills inventory export (issue 7, item 4): every person in the
exporter's scope with every skill they hold, in CSV, XLSX and JSON, checked
row by row against the database read person by person; audited per person;
refused to roles without reports."""

import csv
import datetime as dt
import io
import json
import random

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import EvidenceKind, Person
from skills_app.reports import inventory
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory, team_of

pytestmark = pytest.mark.django_db

LEVEL_NAMES = {1: "Awareness", 2: "Working", 3: "Practitioner", 4: "Expert"}


@pytest.fixture
def org(make_user):
    """40 people over three units with 0-4 random skills each (levels, evidence,
    last used, verified dates), formula-looking names in a unit, a person and a
    skill, and a line manager whose team spans two units."""
    rng = random.Random(11)
    dept = OrgUnitFactory(name="Dept")
    ops = OrgUnitFactory(name="Ops", parent=dept)
    risky = OrgUnitFactory(name="+Risky unit", parent=dept)
    skills = [SkillFactory() for _ in range(5)] + [SkillFactory(name="@SUM(1,2)")]
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="mgr")
    mgr = PersonFactory(org_unit=ops, user=mgr_user)
    people = [mgr]
    for n in range(40):
        boss = rng.choice(people) if rng.random() < 0.4 else None
        person = PersonFactory(
            org_unit=rng.choice([dept, ops, risky]),
            line_manager=boss,
            full_name='=HYPERLINK("http://x")' if n == 3 else f"Person {n}",
        )
        people.append(person)
        for skill in rng.sample(skills, rng.choice([0, 1, 2, 4])):
            verified = rng.random() < 0.4
            PersonSkillFactory(
                person=person,
                skill=skill,
                level=rng.randint(1, 4),
                evidence=EvidenceKind.MANAGER_VERIFIED if verified else EvidenceKind.SELF,
                last_used=rng.choice([None, dt.date(2021, 3, 4), dt.date(2025, 12, 1)]),
                verified_at=timezone.now() - dt.timedelta(days=3) if verified else None,
            )
    return {"mgr": mgr, "mgr_user": mgr_user, "hr_user": make_user(Role.HR, username="hr")}


def _escaped(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def expected_rows(person_ids, *, spreadsheet: bool = True) -> list[tuple]:
    """The export's rows built person by person through the ORM, as strings the
    way a CSV carries them (``spreadsheet=False``: text as held, the JSON way)."""
    escaped = _escaped if spreadsheet else str
    rows = []
    people = Person.objects.filter(pk__in=person_ids).select_related("org_unit")
    for person in people.prefetch_related("skills__skill"):
        head = (
            escaped(person.staff_number),
            escaped(person.full_name),
            person.grade,
            escaped(person.org_unit.path),
            person.location,
        )
        held = sorted(person.skills.all(), key=lambda s: s.skill.name)
        if not held:
            rows.append((*head, *[""] * 7))
        for s in held:
            verified = timezone.localdate(s.verified_at).isoformat() if s.verified_at else ""
            rows.append(
                (
                    *head,
                    escaped(s.skill.name),
                    s.skill.uri,
                    str(s.level),
                    LEVEL_NAMES[s.level],
                    EvidenceKind(s.evidence).label,
                    s.last_used.isoformat() if s.last_used else "",
                    verified,
                )
            )
    return sorted(rows, key=lambda r: (r[3], r[0], r[5]))


def csv_rows(response) -> list[tuple]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    header, *rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    assert header == inventory.COLUMNS
    return [tuple(r) for r in rows]


def test_hr_csv_holds_everyone_and_every_skill(org, client):
    client.force_login(org["hr_user"])
    response = client.post(reverse("reports:inventory_export", args=["csv"]))
    assert response.status_code == 200 and response.streaming
    rows = csv_rows(response)
    assert rows == expected_rows(Person.objects.values_list("pk", flat=True))
    assert {r[0] for r in rows} == set(Person.objects.values_list("staff_number", flat=True))
    assert any(r[1] == '\'=HYPERLINK("http://x")' for r in rows)
    assert any(r[3] == "'+Risky unit" or r[3].startswith("Dept/") for r in rows)
    assert any(r[5] == "'@SUM(1,2)" for r in rows)


def test_a_line_manager_exports_their_team_only(org, client):
    client.force_login(org["mgr_user"])
    team = team_of(org["mgr"])
    assert 2 < len(team) < Person.objects.count() - 1
    rows = csv_rows(client.post(reverse("reports:inventory_export", args=["csv"])))
    assert rows == expected_rows(team)
    assert org["mgr"].staff_number not in {r[0] for r in rows}


def test_xlsx_holds_the_same_rows_with_numbers_and_dates_typed(org, client):
    client.force_login(org["hr_user"])
    response = client.post(reverse("reports:inventory_export", args=["xlsx"]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["Skills inventory"]
    header, *body = list(sheet.iter_rows(values_only=True))
    assert list(header) == inventory.COLUMNS

    def as_text(value):
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return value.date().isoformat()
        return str(value)

    assert [tuple(as_text(v) for v in r) for r in body] == expected_rows(
        Person.objects.values_list("pk", flat=True)
    )
    levels = [r[7] for r in body if r[7] is not None]
    assert levels and all(isinstance(v, int) for v in levels)
    for row in sheet.iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in row)


def test_api_streams_json_csv_and_xlsx_in_scope(org, client):
    client.force_login(org["mgr_user"])
    response = client.get("/api/v1/reports/inventory?format=json")
    body = json.loads(b"".join(response.streaming_content))
    got = [
        tuple("" if v is None else str(v) for v in (r[c] for c in inventory.COLUMNS)) for r in body
    ]
    # JSON carries text as held (its clients are programs): no spreadsheet apostrophe.
    assert got == expected_rows(team_of(org["mgr"]), spreadsheet=False)
    csv_response = client.get("/api/v1/reports/inventory")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_rows(csv_response) == expected_rows(team_of(org["mgr"]))
    client.force_login(org["hr_user"])
    everyone = json.loads(
        b"".join(client.get("/api/v1/reports/inventory?format=json").streaming_content)
    )
    assert '=HYPERLINK("http://x")' in {r["full_name"] for r in everyone}
    assert "@SUM(1,2)" in {r["skill"] for r in everyone}
    assert client.get("/api/v1/reports/inventory?format=pdf").status_code == 422


def test_file_names_carry_no_personal_data(org, client):
    client.force_login(org["hr_user"])
    day = timezone.localdate().isoformat()
    for fmt in ("csv", "xlsx"):
        response = client.post(reverse("reports:inventory_export", args=[fmt]))
        assert response["Content-Disposition"] == (
            f'attachment; filename="skills-inventory-{day}.{fmt}"'
        )


def test_every_exported_person_can_see_the_export(org, client):
    """Audited before the first byte: the rows exist even if the body is never read."""
    client.force_login(org["mgr_user"])
    team = team_of(org["mgr"])
    client.post(reverse("reports:inventory_export", args=["xlsx"]))
    summary = AccessEvent.objects.get(action=Action.EXPORT, object_type="report")
    assert summary.object_id == "skills-inventory"
    assert summary.parameters == {"format": "xlsx", "scope": "team", "people": len(team)}
    per_person = AccessEvent.objects.filter(action=Action.EXPORT, object_type="person")
    assert set(per_person.values_list("subject_id", flat=True)) == team
    event = per_person.first()
    assert event.actor == org["mgr_user"] and event.actor_label == "mgr"
    assert event.object_id == str(event.subject_id)
    assert event.parameters == {"report": "skills-inventory"}
    assert event.at is not None and abs(event.at - timezone.now()) < dt.timedelta(minutes=5)


def test_the_page_shows_what_the_download_holds(org, client):
    client.force_login(org["mgr_user"])
    page = client.get(reverse("reports:inventory")).content.decode()
    team = team_of(org["mgr"])
    skills = sum(Person.objects.get(pk=pk).skills.count() for pk in team)
    assert f'id="inventory-people">{len(team)}<' in page
    assert f'id="inventory-skills">{skills}<' in page
    assert reverse("reports:inventory_export", args=["xlsx"]) in page
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.PLANNER, Role.STEWARD])
def test_roles_without_reports_are_refused(org, client, make_user, role):
    client.force_login(make_user(role))
    assert client.get(reverse("reports:inventory")).status_code == 403
    for fmt in ("csv", "xlsx"):
        assert client.get(reverse("reports:inventory_export", args=[fmt])).status_code == 403
    assert client.get("/api/v1/reports/inventory").status_code == 403
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


def test_an_unknown_format_is_not_found(org, client):
    client.force_login(org["hr_user"])
    assert client.post(reverse("reports:inventory_export", args=["pdf"])).status_code == 404
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()
