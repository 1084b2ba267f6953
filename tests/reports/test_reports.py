"""Capability reports (issue 7): data quality per org unit.

Figures are checked against counts computed independently in Python over
generated data, for HR (everyone) and for a line manager (their team only), on
whichever database the run uses (SQLite and PostgreSQL in CI).
"""

import csv
import datetime as dt
import io
import random
import re
from collections import defaultdict

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import EvidenceKind, Person, Qualification
from skills_app.reports import selectors, services
from skills_app.reports.selectors import rollup_path
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory, team_of

pytestmark = pytest.mark.django_db

NOW = timezone.now()
TODAY = timezone.localdate(NOW)
VERIFIED = {EvidenceKind.MANAGER_VERIFIED, EvidenceKind.ASSESSED, EvidenceKind.CERTIFIED}
CONFIRMED = [e for e in EvidenceKind if e != EvidenceKind.INFERRED]


@pytest.fixture
def org(make_user):
    """Two departments, directorates and teams; 60 people with random review
    dates, skills, evidence and qualifications; a line manager (``mgr``) with
    direct and indirect reports spread over several units."""
    rng = random.Random(7)
    dept_a = OrgUnitFactory(name="Dept A")
    dept_b = OrgUnitFactory(name="=Dept B")  # a formula-looking name, for the exports
    dir_a1 = OrgUnitFactory(name="Dir A1", parent=dept_a)
    dir_a2 = OrgUnitFactory(name="Dir A2", parent=dept_a)
    team_a1x = OrgUnitFactory(name="Team X", parent=dir_a1)
    dir_b1 = OrgUnitFactory(name="Dir B1", parent=dept_b)
    units = [dept_a, dept_b, dir_a1, dir_a2, team_a1x, dir_b1]
    skills = [SkillFactory() for _ in range(6)]
    reviewed_choices = [
        None,
        NOW - dt.timedelta(days=10),
        NOW - dt.timedelta(days=364),
        NOW - dt.timedelta(days=366),
        NOW - dt.timedelta(days=900),
    ]
    expiry_choices = [
        None,
        TODAY - dt.timedelta(days=1),
        TODAY,
        TODAY + dt.timedelta(days=30),
        TODAY - dt.timedelta(days=400),
    ]
    mgr = PersonFactory(org_unit=dir_a1)
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="mgr")
    Person.objects.filter(pk=mgr.pk).update(user=mgr_user)
    people = [mgr]
    for _ in range(60):
        # A third report to someone already in mgr's tree (direct or indirect).
        boss = rng.choice(people) if rng.random() < 0.35 else None
        person = PersonFactory(
            org_unit=rng.choice(units),
            line_manager=boss,
            profile_reviewed_at=rng.choice(reviewed_choices),
        )
        people.append(person)
        for skill in rng.sample(skills, rng.choice([0, 0, 1, 2, 4])):
            PersonSkillFactory(
                person=person,
                skill=skill,
                level=rng.randint(1, 4),
                evidence=rng.choice(CONFIRMED),
            )
        for number in range(rng.choice([0, 1, 2])):
            Qualification.objects.create(
                person=person, name=f"Cert {number}", expires=rng.choice(expiry_choices)
            )
    # Drafts beside them (their own generator, so the tree above stays as it was):
    # no report may count them.
    drafts = random.Random(11)
    for person in drafts.sample(people, 15):
        held = set(person.skills.values_list("skill_id", flat=True))
        for skill in [s for s in skills if s.pk not in held][:2]:
            PersonSkillFactory(
                person=person, skill=skill, level=drafts.randint(1, 4), evidence="inferred"
            )
    hr_user = make_user(Role.HR, username="hr")
    return {"mgr": mgr, "mgr_user": mgr_user, "hr_user": hr_user, "units": units}


def expected_quality(person_ids, depth):
    """Data quality counts per (rolled-up) unit path, computed row by row."""
    cutoff = NOW - dt.timedelta(days=365)
    rows = defaultdict(lambda: defaultdict(int))
    people = Person.objects.filter(pk__in=person_ids).select_related("org_unit")
    for person in people.prefetch_related("skills", "qualifications"):
        r = rows[rollup_path(person.org_unit.path, depth)]
        r["people"] += 1
        if person.profile_reviewed_at and person.profile_reviewed_at >= cutoff:
            r["reviewed"] += 1
        # Drafts (evidence "inferred") count in no report until confirmed (DESIGN 9).
        held = [s for s in person.skills.all() if s.evidence != EvidenceKind.INFERRED]
        r["skills"] += len(held)
        r["verified"] += sum(1 for s in held if s.evidence in VERIFIED)
        r["no_skills"] += not held
        r["expired"] += sum(
            1 for q in person.qualifications.all() if q.expires and q.expires < TODAY
        )
    return {unit: dict(r) for unit, r in rows.items()}


def actual_quality(report):
    return {
        r.unit: {
            "people": r.people,
            "reviewed": r.reviewed,
            "skills": r.skills,
            "verified": r.verified,
            "no_skills": r.no_skills,
            "expired": r.expired_qualifications,
        }
        for r in report.rows
    }


def _nonzero(expected):
    return {
        u: {
            k: r.get(k, 0)
            for k in ("people", "reviewed", "skills", "verified", "no_skills", "expired")
        }
        for u, r in expected.items()
    }


@pytest.mark.parametrize("depth", [None, 0, 1, 2])
def test_hr_figures_equal_independent_counts(org, depth):
    report = selectors.data_quality(user=org["hr_user"], depth=depth, now=NOW)
    everyone = set(Person.objects.values_list("pk", flat=True))
    assert report.scope == selectors.Scope.ALL
    assert actual_quality(report) == _nonzero(expected_quality(everyone, depth))
    assert report.total.people == len(everyone)


@pytest.mark.parametrize("depth", [None, 0])
def test_line_manager_sees_only_their_team(org, depth):
    team = team_of(org["mgr"])
    assert len(team) >= 5  # the generated tree gives the manager a real team
    report = selectors.data_quality(user=org["mgr_user"], depth=depth, now=NOW)
    assert report.scope == selectors.Scope.TEAM
    assert actual_quality(report) == _nonzero(expected_quality(team, depth))
    assert report.total.people == len(team)


def test_worst_units_come_first(org):
    report = selectors.data_quality(user=org["hr_user"], now=NOW)
    scores = [r.score for r in report.rows]
    assert scores == sorted(scores)
    assert all(0 <= s <= 1 for s in scores)


def test_a_line_manager_without_a_staff_record_sees_nobody(org, make_user):
    report = selectors.data_quality(user=make_user(Role.LINE_MANAGER, username="lonely"))
    assert report.rows == [] and report.total.people == 0


# --- pages -------------------------------------------------------------------------


def test_hr_page_lists_every_unit_worst_first(org, client):
    client.force_login(org["hr_user"])
    response = client.get(reverse("reports:data_quality"))
    assert response.status_code == 200
    html = response.content.decode()
    for row in selectors.data_quality(user=org["hr_user"]).rows:
        assert f">{row.unit}<" in html
    assert "worst first" in html


def test_line_manager_page_is_their_team(org, client):
    client.force_login(org["mgr_user"])
    response = client.get(reverse("reports:data_quality"), {"depth": "0"})
    assert response.status_code == 200
    report = response.context["report"]
    assert report.total.people == len(team_of(org["mgr"]))


@pytest.mark.parametrize("role", [Role.STAFF, Role.PLANNER, Role.STEWARD])
def test_other_roles_are_refused(org, client_for, role):
    client = client_for(role)
    # Planners open the reports index for supply and demand (tests/test_reports_supply.py).
    assert client.get(reverse("reports:index")).status_code == (
        200 if role == Role.PLANNER else 403
    )
    assert client.get(reverse("reports:data_quality")).status_code == 403
    url = reverse("reports:data_quality_export", kwargs={"fmt": "csv"})
    assert client.get(url).status_code == 403
    assert client.get("/api/v1/reports/data-quality").status_code == 403
    assert client.get("/api/v1/reports/data-quality?format=csv").status_code == 403
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


def test_api_needs_a_signed_in_caller(client):
    assert client.get("/api/v1/reports/data-quality").status_code == 401


# --- exports -----------------------------------------------------------------------


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_export_is_escaped_audited_and_named_without_personal_data(org, client):
    client.force_login(org["hr_user"])
    url = reverse("reports:data_quality_export", kwargs={"fmt": "csv"})
    response = client.post(f"{url}?depth=0")
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="data-quality-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    rows = _csv(response)
    assert rows[0] == services.QUALITY_COLUMNS
    units = {row[0]: row for row in rows[1:]}
    assert set(units) == {"Dept A", "'=Dept B"}
    expected = expected_quality(set(Person.objects.values_list("pk", flat=True)), 0)
    assert int(units["'=Dept B"][1]) == expected["=Dept B"]["people"]
    event = AccessEvent.objects.get(action=Action.EXPORT)
    assert event.object_id == "data-quality"
    assert event.parameters == {"format": "csv", "scope": "all", "depth": 0, "rows": 2}


def test_xlsx_export_keeps_formula_looking_names_as_text(org, client):
    client.force_login(org["mgr_user"])
    response = client.post(reverse("reports:data_quality_export", kwargs={"fmt": "xlsx"}))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == services.QUALITY_COLUMNS
    report = selectors.data_quality(user=org["mgr_user"])
    assert [r[0] for r in rows[1:]] == [
        "'" + r.unit if r.unit.startswith("=") else r.unit for r in report.rows
    ]
    assert sum(r[1] for r in rows[1:]) == len(team_of(org["mgr"]))
    event = AccessEvent.objects.get(action=Action.EXPORT)
    assert event.parameters["scope"] == "team"


def test_unknown_export_format_is_not_found(org, client):
    client.force_login(org["hr_user"])
    url = reverse("reports:data_quality_export", kwargs={"fmt": "pdf"})
    assert client.post(url).status_code == 404


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.text(alphabet=st.sampled_from("=+-@\t\rAb1 (),;\"'"), min_size=1, max_size=12).filter(
        lambda s: s.strip() and "/" not in s
    )
)
def test_formula_injection_property(name):
    """Whatever a unit is called, it comes back as text: a leading =, +, -, @,
    tab or CR, also after leading spaces, is neutralised in CSV and XLSX alike."""
    report = selectors.QualityReport(
        scope=selectors.Scope.ALL, depth=None, rows=[selectors.QualityRow(unit=name, people=1)]
    )
    (row,) = list(services.quality_rows(report))
    cell = row[0]
    if name.lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r")):
        assert cell == "'" + name
    else:
        assert cell == name
    # And the XLSX writer stores it as a string, not a formula.
    from skills_app.exports import xlsx_download

    response = xlsx_download(services.QUALITY_COLUMNS, [row], "x.xlsx", sheet_title="t")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    value = sheet.cell(row=2, column=1)
    assert value.data_type == "s" and value.value == cell


# --- API ---------------------------------------------------------------------------


def test_api_json_matches_the_report(org, client):
    client.force_login(org["hr_user"])
    response = client.get("/api/v1/reports/data-quality", {"depth": "1"})
    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == "all" and body["depth"] == 1
    expected = _nonzero(expected_quality(set(Person.objects.values_list("pk", flat=True)), 1))
    got = {
        u["org_unit"]: {
            "people": u["people"],
            "reviewed": u["reviewed_last_12_months"],
            "skills": u["person_skills"],
            "verified": u["verified_or_assessed"],
            "no_skills": u["people_without_skills"],
            "expired": u["expired_qualifications"],
        }
        for u in body["units"]
    }
    assert got == expected
    assert body["total"]["people"] == Person.objects.count()
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


def test_api_line_manager_json_is_their_team(org, client):
    client.force_login(org["mgr_user"])
    body = client.get("/api/v1/reports/data-quality").json()
    assert body["scope"] == "team"
    assert body["total"]["people"] == len(team_of(org["mgr"]))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_api_downloads_are_audited(org, client, fmt):
    client.force_login(org["hr_user"])
    response = client.get("/api/v1/reports/data-quality", {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    assert AccessEvent.objects.get(action=Action.EXPORT).parameters["format"] == fmt


def test_api_rejects_a_bad_format_or_depth(org, client):
    client.force_login(org["hr_user"])
    assert client.get("/api/v1/reports/data-quality?format=pdf").status_code == 422
    assert client.get("/api/v1/reports/data-quality?depth=-1").status_code == 422
