"""Capability heatmap (issue 7, item 1): people at or above a level per org unit
and skill group (or chosen skills), its drill-down, downloads and API.

Cells are checked against counts computed person by person in Python over
generated data, for HR and for a line manager's team, on SQLite and PostgreSQL.
"""

import csv
import io
import json
import random
import re
from collections import defaultdict
from urllib.parse import urlencode

import openpyxl
import pytest
from django.urls import reverse
from django.utils.html import escape

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import Person
from skills_app.reports import selectors
from skills_app.reports.selectors import rollup_path
from taxonomy.models import Skill, SkillGroup
from tests.factories import OrgUnitFactory, PersonFactory, PersonSkillFactory, SkillFactory, team_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(make_user):
    rng = random.Random(11)
    dept_a = OrgUnitFactory(name="Dept A")
    dept_b = OrgUnitFactory(name="+Dept B")
    dir_a1 = OrgUnitFactory(name="Dir A1", parent=dept_a)
    team_x = OrgUnitFactory(name="Team X", parent=dir_a1)
    dir_b1 = OrgUnitFactory(name="Dir B1", parent=dept_b)
    units = [dept_a, dept_b, dir_a1, team_x, dir_b1]
    digital = SkillGroup.objects.create(name="Digital", uri="urn:t:g:digital")
    data = SkillGroup.objects.create(name="Data", uri="urn:t:g:data", parent=digital)
    dev = SkillGroup.objects.create(name="Development", uri="urn:t:g:dev", parent=digital)
    policy = SkillGroup.objects.create(name="=Policy", uri="urn:t:g:policy")
    skills = [
        SkillFactory(name="SQL", group=data),
        SkillFactory(name="Statistics", group=data),
        SkillFactory(name="Python", group=dev),
        SkillFactory(name="Cloud", group=digital),
        SkillFactory(name="Drafting", group=policy),
        SkillFactory(name="Welsh", group=None),
    ]
    mgr = PersonFactory(org_unit=dir_a1)
    mgr_user = make_user(Role.STAFF, Role.LINE_MANAGER, username="mgr")
    Person.objects.filter(pk=mgr.pk).update(user=mgr_user)
    people = [mgr]
    for _ in range(70):
        boss = rng.choice(people) if rng.random() < 0.35 else None
        person = PersonFactory(org_unit=rng.choice(units), line_manager=boss)
        people.append(person)
        for skill in rng.sample(skills, rng.choice([0, 1, 2, 3, 5])):
            PersonSkillFactory(person=person, skill=skill, level=rng.randint(1, 4))
    groups = {g.pk: g for g in SkillGroup.objects.all()}
    return {
        "mgr": mgr,
        "mgr_user": mgr_user,
        "hr_user": make_user(Role.HR, username="hr"),
        "skills": skills,
        "groups": groups,
        "roots": {"Digital": digital, "=Policy": policy},
    }


def root_name(skill):
    group = skill.group
    if group is None:
        return "Department skills" if skill.source == "local" else "ESCO skills in no group"
    while group.parent_id is not None:
        group = group.parent
    return group.name


def expected_cells(person_ids, depth, level, by_skill=False):
    """{unit path: {column label: people}} and {unit path: headcount}."""
    cells = defaultdict(lambda: defaultdict(int))
    heads = defaultdict(int)
    people = Person.objects.filter(pk__in=person_ids).select_related("org_unit")
    for person in people.prefetch_related("skills__skill__group__parent"):
        unit = rollup_path(person.org_unit.path, depth)
        heads[unit] += 1
        labels = {
            (ps.skill.name if by_skill else root_name(ps.skill))
            for ps in person.skills.all()
            if ps.level >= level
        }
        for label in labels:
            cells[unit][label] += 1
    return {u: dict(c) for u, c in cells.items()}, dict(heads)


def actual_cells(heatmap):
    cells = {
        r.unit: {c.label: n for c, n in zip(heatmap.columns, r.cells, strict=True) if n}
        for r in heatmap.rows
    }
    return {u: c for u, c in cells.items() if c}, {r.unit: r.people for r in heatmap.rows}


@pytest.mark.parametrize(("depth", "level"), [(0, 1), (0, 3), (1, 2), (2, 4)])
def test_hr_cells_equal_independent_counts(org, depth, level):
    heatmap = selectors.capability_heatmap(user=org["hr_user"], depth=depth, level=level)
    assert [c.label for c in heatmap.columns] == ["=Policy", "Digital", "Department skills"]
    everyone = set(Person.objects.values_list("pk", flat=True))
    assert actual_cells(heatmap) == expected_cells(everyone, depth, level)


def test_chosen_skills_are_the_columns(org):
    chosen = [s.pk for s in org["skills"][:3]]
    heatmap = selectors.capability_heatmap(user=org["hr_user"], depth=1, level=2, skill_ids=chosen)
    assert [c.label for c in heatmap.columns] == ["Python", "SQL", "Statistics"]
    everyone = set(Person.objects.values_list("pk", flat=True))
    cells, heads = expected_cells(everyone, 1, 2, by_skill=True)
    cells = {
        u: {k: v for k, v in c.items() if k in {"Python", "SQL", "Statistics"}}
        for u, c in cells.items()
    }
    assert actual_cells(heatmap) == ({u: c for u, c in cells.items() if c}, heads)


def test_line_manager_cells_are_their_team(org):
    team = team_of(org["mgr"])
    assert len(team) >= 5
    heatmap = selectors.capability_heatmap(user=org["mgr_user"], depth=0, level=2)
    assert heatmap.scope == selectors.Scope.TEAM
    assert actual_cells(heatmap) == expected_cells(team, 0, 2)


def _cell(heatmap, label):
    """A non-empty cell of column ``label``: (row, column)."""
    number = [c.label for c in heatmap.columns].index(label)
    row = next(r for r in heatmap.rows if r.cells[number])
    return row, heatmap.columns[number], row.cells[number]


@pytest.mark.parametrize("user_key", ["hr_user", "mgr_user"])
def test_drilldown_lists_exactly_the_people_counted(org, client, user_key):
    user = org[user_key]
    heatmap = selectors.capability_heatmap(user=user, depth=1, level=2)
    row, column, count = _cell(heatmap, "Digital")
    client.force_login(user)
    url = reverse("reports:capability_people", kwargs={"unit": row.unit_id, "column": column.key})
    response = client.get(url, {"depth": "1", "level": "2"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.paginator.count == count
    scope = set(Person.objects.values_list("pk", flat=True))
    if user_key == "mgr_user":
        scope = team_of(org["mgr"])
    assert {p.pk for p in page.object_list} <= scope
    for person in page.object_list:
        assert rollup_path(person.org_unit.path, 1) == row.unit
        assert escape(person.full_name) in response.content.decode()  # e.g. O&#x27;Neill
    searches = AccessEvent.objects.filter(action=Action.SEARCH)
    assert {e.subject_id for e in searches} == {p.pk for p in page.object_list}


def test_line_manager_drilldown_never_shows_people_outside_the_team(org, client):
    heatmap = selectors.capability_heatmap(user=org["hr_user"], depth=0, level=1)
    row, column, count = _cell(heatmap, "Digital")
    client.force_login(org["mgr_user"])
    url = reverse("reports:capability_people", kwargs={"unit": row.unit_id, "column": column.key})
    people = client.get(url, {"depth": "0", "level": "1"}).context["page"].paginator.object_list
    assert set(people.values_list("pk", flat=True)) <= team_of(org["mgr"])


def test_unknown_cell_is_not_found(org, client):
    client.force_login(org["hr_user"])
    unit = Person.objects.first().org_unit_id
    data = next(g for g in org["groups"].values() if g.name == "Data")  # not a top-level group
    for column in ("x1", "g999999", "s999999", f"g{data.pk}", "g0", "unowhere", "u"):
        url = reverse("reports:capability_people", kwargs={"unit": unit, "column": column})
        assert client.get(url).status_code == 404, column
    url = reverse("reports:capability_people", kwargs={"unit": 999999, "column": "ulocal"})
    assert client.get(url).status_code == 404


def test_page_shows_numbers_and_a_chart_with_a_table_alternative(org, client):
    client.force_login(org["hr_user"])
    response = client.get(reverse("reports:capability"), {"depth": "0", "level": "2"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "<desc" in html and "<table" in html
    heatmap = response.context["heatmap"]
    for row in heatmap.rows:
        assert row.unit in html.replace("&#x2B;", "+")
    # Each non-zero cell is a link whose text is the number.
    _, column, count = _cell(heatmap, "Digital")
    assert re.search(rf">{count}<span class=\"govuk-visually-hidden\"> people in ", html)


@pytest.mark.parametrize("role", [Role.STAFF, Role.PLANNER, Role.STEWARD])
def test_other_roles_are_refused(org, client_for, role):
    client = client_for(role)
    unit = Person.objects.first().org_unit_id
    assert client.get(reverse("reports:capability")).status_code == 403
    url = reverse("reports:capability_people", kwargs={"unit": unit, "column": "ulocal"})
    assert client.get(url).status_code == 403
    export = reverse("reports:capability_export", kwargs={"fmt": "csv"})
    assert client.get(export).status_code == 403
    assert client.get("/api/v1/reports/capability").status_code == 403
    assert not AccessEvent.objects.exists()


def test_csv_export_escapes_audits_and_names_without_personal_data(org, client):
    client.force_login(org["hr_user"])
    response = client.post(
        reverse("reports:capability_export", kwargs={"fmt": "csv"}) + "?depth=0&level=2"
    )
    assert re.fullmatch(
        r'attachment; filename="capability-level-2-\d{4}-\d{2}-\d{2}\.csv"',
        response["Content-Disposition"],
    )
    body = b"".join(response.streaming_content).decode("utf-8").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["org_unit", "people", "'=Policy", "Digital", "Department skills"]
    assert {r[0] for r in rows[1:]} == {"Dept A", "'+Dept B"}
    cells, heads = expected_cells(set(Person.objects.values_list("pk", flat=True)), 0, 2)
    dept_b = next(r for r in rows[1:] if r[0] == "'+Dept B")
    assert int(dept_b[1]) == heads["+Dept B"]
    assert int(dept_b[3]) == cells["+Dept B"].get("Digital", 0)
    event = AccessEvent.objects.get(action=Action.EXPORT)
    assert event.object_id == "capability"
    assert event.parameters["scope"] == "all" and event.parameters["level"] == 2


def test_xlsx_export_for_a_line_manager_is_their_team(org, client):
    client.force_login(org["mgr_user"])
    response = client.post(reverse("reports:capability_export", kwargs={"fmt": "xlsx"}))
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][2] == "'=Policy"
    assert sum(r[1] for r in rows[1:]) == len(team_of(org["mgr"]))
    assert AccessEvent.objects.get(action=Action.EXPORT).parameters["scope"] == "team"


def test_api_json_and_downloads(org, client):
    client.force_login(org["hr_user"])
    digital = org["roots"]["Digital"]
    body = client.get("/api/v1/reports/capability", {"depth": 1, "level": 3}).json()
    assert body["scope"] == "all" and body["level"] == 3
    labels = [c["label"] for c in body["columns"]]
    got = {
        u["org_unit"]: {labels[n]: v for n, v in enumerate(u["cells"]) if v} for u in body["units"]
    }
    cells, _ = expected_cells(set(Person.objects.values_list("pk", flat=True)), 1, 3)
    assert {u: c for u, c in got.items() if c} == cells
    by_group = client.get("/api/v1/reports/capability", {"by": "skill", "group": digital.pk})
    assert [c["label"] for c in by_group.json()["columns"]] == [
        "Cloud",
        "Python",
        "SQL",
        "Statistics",
    ]
    python = Skill.objects.get(name="Python")
    chosen = client.get("/api/v1/reports/capability", {"by": "skill", "skill": [python.pk]})
    assert [c["label"] for c in chosen.json()["columns"]] == ["Python"]
    response = client.get("/api/v1/reports/capability", {"format": "xlsx"})
    assert response["Content-Disposition"].endswith('.xlsx"')
    assert AccessEvent.objects.filter(action=Action.EXPORT).count() == 1
    assert client.get("/api/v1/reports/capability?level=5").status_code == 422


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"by": "skill"}, "skill"),
        ({"group": 1}, "by"),
        ({"skill": [1]}, "by"),
        ({"by": "unit"}, "by"),
    ],
)
def test_api_by_refuses_columns_it_cannot_show(org, client, params, field):
    client.force_login(org["hr_user"])
    response = client.get("/api/v1/reports/capability", params)
    assert response.status_code == 422
    assert field in json.dumps(response.json())


def test_the_page_shows_units_fifty_at_a_time_and_downloads_hold_all(client, make_user):
    from skills_app.reports.tables import PER_PAGE as UNITS_PER_PAGE

    skill = SkillFactory(name="Casework")
    dept = OrgUnitFactory(name="Dept")
    for number in range(UNITS_PER_PAGE + 10):
        unit = OrgUnitFactory(name=f"Unit {number:03d}", parent=dept)
        PersonSkillFactory(person=PersonFactory(org_unit=unit), skill=skill, level=3)
    client.force_login(make_user(Role.HR, username="hr"))
    params = {"depth": 1, "level": 3, "skill": [skill.pk], "min_people": "0"}
    first = client.get(reverse("reports:capability"), params).content.decode()
    units = [
        unit.replace("<wbr>", "")
        for unit in re.findall(
            r'<th scope="row" class="govuk-table__header app-unit-header">(.+?)</th>', first
        )
    ]
    assert units == [f"Dept/Unit {n:03d}" for n in range(UNITS_PER_PAGE)]
    assert f"{UNITS_PER_PAGE + 10} units (1 to {UNITS_PER_PAGE} shown)" in first
    assert 'class="govuk-pagination"' in first
    last = client.get(reverse("reports:capability"), {**params, "page": 2}).content.decode()
    units = [
        unit.replace("<wbr>", "")
        for unit in re.findall(
            r'<th scope="row" class="govuk-table__header app-unit-header">(.+?)</th>', last
        )
    ]
    assert units == [f"Dept/Unit {n:03d}" for n in range(UNITS_PER_PAGE, UNITS_PER_PAGE + 10)]
    assert "desc" in last and "10 units by 1 columns" in last
    export = client.post(
        f"{reverse('reports:capability_export', args=['csv'])}?{urlencode(params)}"
    )
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1 + UNITS_PER_PAGE + 10
