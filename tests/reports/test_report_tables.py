"""Long report tables (issue 14 items 2-4): paged, sorted by any column (links with
aria-sort), filtered by unit and by the smallest unit size, thousands separators;
supply and demand's "where they sit" rolled up to a chosen level; one naming of
organisation levels; the heatmap's DDaT and department columns and its skill picker."""

import re

import pytest
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.core.presenters import count_label
from skills_app.people.models import OrgUnitKind
from skills_app.people.selectors import org_level_choices, org_level_names
from skills_app.reports import tables
from taxonomy.importers.ddat import import_ddat
from taxonomy.models import Skill, SkillGroup, Source
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
ROW = re.compile(
    r'<th scope="row" class="govuk-table__header app-(?:break-words|unit-header)">(.+?)</th>'
)


@pytest.fixture
def tree():
    """Dept / two directorates / teams of 1, 6 and 12 people (all holding Casework,
    some Python); the team kinds name the levels."""
    dept = OrgUnitFactory(name="Dept", kind=OrgUnitKind.DEPARTMENT)
    dir_a = OrgUnitFactory(name="Ops", parent=dept, kind=OrgUnitKind.DIRECTORATE)
    dir_b = OrgUnitFactory(name="Digital", parent=dept, kind=OrgUnitKind.DIRECTORATE)
    teams = {
        "solo": OrgUnitFactory(name="Solo", parent=dir_a, kind=OrgUnitKind.TEAM),
        "six": OrgUnitFactory(name="Six", parent=dir_a, kind=OrgUnitKind.TEAM),
        "twelve": OrgUnitFactory(name="Twelve", parent=dir_b, kind=OrgUnitKind.TEAM),
    }
    casework = SkillFactory(name="Casework", source=Source.LOCAL)
    python = SkillFactory(name="Python", source=Source.LOCAL)
    for key, size in (("solo", 1), ("six", 6), ("twelve", 12)):
        for n in range(size):
            person = PersonFactory(org_unit=teams[key])
            PersonSkillFactory(person=person, skill=casework, level=3)
            if key == "twelve" or n < 2:
                PersonSkillFactory(person=person, skill=python, level=3)
    return {"dept": dept, "teams": teams, "casework": casework, "python": python}


def rows_of(html: str) -> list[str]:
    return [row.replace("<wbr>", "") for row in ROW.findall(html)]


def test_count_label_has_thousands_separators():
    assert count_label(9932) == "9,932" and count_label(1234567) == "1,234,567"
    assert count_label(12) == "12"


# --- smallest unit size and unit filter -----------------------------------------------


def test_data_quality_leaves_out_small_units_by_default_and_the_reader_can_change_it(
    tree, client_for
):
    client = client_for(Role.HR)
    url = reverse("reports:data_quality")
    page = client.get(url).content.decode()
    assert rows_of(page) == ["Dept/Digital/Twelve", "Dept/Ops/Six"] or set(rows_of(page)) == {
        "Dept/Digital/Twelve",
        "Dept/Ops/Six",
    }
    assert "1 unit with fewer than 5 people is left out." in page
    assert 'id="min_people" name="min_people" type="text" value="5"' in page
    every = client.get(url, {"min_people": "0"}).content.decode()
    assert set(rows_of(every)) == {"Dept/Digital/Twelve", "Dept/Ops/Six", "Dept/Ops/Solo"}
    assert 'id="units-left-out"' not in every
    seven = client.get(url, {"min_people": "7"}).content.decode()
    assert rows_of(seven) == ["Dept/Digital/Twelve"]


def test_data_quality_filters_by_unit_name_in_any_case(tree, client_for):
    client = client_for(Role.HR)
    page = client.get(reverse("reports:data_quality"), {"unit": "ops", "min_people": "0"})
    assert set(rows_of(page.content.decode())) == {"Dept/Ops/Six", "Dept/Ops/Solo"}
    none = client.get(reverse("reports:data_quality"), {"unit": "nowhere"}).content.decode()
    assert "No unit matches these filters." in none


# --- sorting ----------------------------------------------------------------------------


def _header(html: str, label: str) -> str:
    match = re.search(
        rf'<th scope="col"[^>]*aria-sort="(\w+)"><a [^>]*href="([^"]+)">{label}<', html
    )
    assert match, label
    return match.group(1), match.group(2).replace("&amp;", "&")


def test_data_quality_sorts_by_a_column_both_ways_with_aria_sort(tree, client_for):
    client = client_for(Role.HR)
    url = reverse("reports:data_quality")
    first = client.get(url, {"min_people": "0"}).content.decode()
    state, href = _header(first, "People")
    assert state == "none" and "sort=people" in href and "dir=desc" in href
    largest = client.get(url + href).content.decode()
    assert rows_of(largest) == ["Dept/Digital/Twelve", "Dept/Ops/Six", "Dept/Ops/Solo"]
    state, href = _header(largest, "People")
    assert state == "descending" and "dir=asc" in href
    smallest = client.get(url + href).content.decode()
    assert rows_of(smallest) == ["Dept/Ops/Solo", "Dept/Ops/Six", "Dept/Digital/Twelve"]
    assert _header(smallest, "People")[0] == "ascending"
    by_name = client.get(url, {"min_people": "0", "sort": "unit", "dir": "asc"}).content.decode()
    assert rows_of(by_name) == ["Dept/Digital/Twelve", "Dept/Ops/Six", "Dept/Ops/Solo"]
    # An unknown column is the report's own order, not an error.
    assert client.get(url, {"sort": "nonsense", "dir": "sideways"}).status_code == 200


# --- paging -----------------------------------------------------------------------------


def test_data_quality_pages_and_keeps_sort_and_filters_across_pages(tree, client_for, monkeypatch):
    monkeypatch.setattr(tables, "PER_PAGE", 2)
    client = client_for(Role.HR)
    url = reverse("reports:data_quality")
    params = {"min_people": "0", "sort": "people", "dir": "desc"}
    first = client.get(url, params).content.decode()
    assert rows_of(first) == ["Dept/Digital/Twelve", "Dept/Ops/Six"]
    assert "3 units (1 to 2 shown)" in first
    nxt = re.search(r'href="([^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    assert "sort=people" in nxt and "min_people=0" in nxt and "page=2" in nxt
    second = client.get(url + nxt).content.decode()
    assert rows_of(second) == ["Dept/Ops/Solo"]
    # A sort link goes back to the first page.
    assert "page=" not in _header(second, "Unit")[1]


def test_heatmap_rows_are_paged_sorted_filtered_and_sized(tree, client_for, monkeypatch):
    monkeypatch.setattr(tables, "PER_PAGE", 1)
    client = client_for(Role.HR)
    url = reverse("reports:capability")
    python = tree["python"]
    params = {"depth": "2", "level": "3", "skill": [python.pk], "sort": f"s{python.pk}"}
    page = client.get(url, {**params, "dir": "asc"}).content.decode()
    assert rows_of(page) == ["Dept/Ops/Six"]  # Solo (1 person) is left out by default
    assert "2 units (1 to 1 shown)" in page
    top = client.get(url, {**params, "dir": "desc"}).content.decode()
    assert rows_of(top) == ["Dept/Digital/Twelve"]
    assert 'aria-sort="descending"><a class="govuk-link app-sort-link" href="?' in top
    ops = client.get(url, {**params, "unit": "OPS", "min_people": "1"}).content.decode()
    assert rows_of(ops) == ["Dept/Ops/Solo"] and "2 units (1 to 1 shown)" in ops


def test_numbers_have_thousands_separators_on_the_page(client_for):
    dept = OrgUnitFactory(name="Big")
    skill = SkillFactory(name="Casework")
    people = [PersonFactory(org_unit=dept) for _ in range(1200)]
    PersonSkillFactory.create_batch(1, person=people[0], skill=skill)
    client = client_for(Role.HR)
    html = client.get(reverse("reports:data_quality")).content.decode()
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,200</td>' in html
    heat = client.get(reverse("reports:capability")).content.decode()
    assert '<td class="govuk-table__cell govuk-table__cell--numeric">1,200</td>' in heat


# --- supply and demand ------------------------------------------------------------------


def _supply_row(html: str) -> str:
    return re.search(r'<td class="govuk-table__cell app-break-words">([^<]*)</td>', html).group(1)


def test_where_they_sit_rolls_up_to_the_chosen_level(tree, client_for):
    RoleRequirementFactory(role__title="Caseworker", skill=tree["casework"], level=3)
    client = client_for(Role.HR)
    url = reverse("reports:supply_demand")
    assert _supply_row(client.get(url).content.decode()) == "Dept: 19"
    directorates = client.get(url, {"depth": "1"}).content.decode()
    assert _supply_row(directorates) == "Dept/Digital: 12; Dept/Ops: 7"
    assert "Where the people who match sit (directorate)" in directorates
    teams = client.get(url, {"depth": "2"}).content.decode()
    assert _supply_row(teams) == "Dept/Digital/Twelve: 12; Dept/Ops/Six: 6; Dept/Ops/Solo: 1"
    # The level choice is named as everywhere else.
    assert '<option value="1" selected>Directorate</option>' in directorates


def test_supply_filters_by_unit_and_sorts_and_pages(tree, client_for, monkeypatch):
    RoleRequirementFactory(role__title="Caseworker", skill=tree["casework"], level=3)
    RoleRequirementFactory(role__title="Developer", skill=tree["python"], level=3)
    client = client_for(Role.HR)
    url = reverse("reports:supply_demand")
    ops = client.get(url, {"unit": "ops", "depth": "2"}).content.decode()
    assert "Dept/Ops/Six: 6; Dept/Ops/Solo: 1" in ops and "Twelve" not in _supply_row(ops)
    monkeypatch.setattr(tables, "PER_PAGE", 1)
    most = client.get(url, {"sort": "qualify", "dir": "desc"}).content.decode()
    assert re.search(r">Caseworker</a></th>", most) and "Developer</a>" not in most
    assert 'rel="next"' in most
    fewest = client.get(url, {"sort": "qualify", "dir": "asc"}).content.decode()
    assert "Developer</a>" in fewest and "Caseworker</a>" not in fewest


# --- drill-down -------------------------------------------------------------------------


def test_drill_down_sorts_and_filters_by_unit(tree, client_for):
    client = client_for(Role.HR)
    python = tree["python"]
    url = reverse(
        "reports:capability_people", kwargs={"unit": tree["dept"].pk, "column": f"s{python.pk}"}
    )
    params = {"depth": "0", "level": "3", "skill": [python.pk]}
    everyone = client.get(url, params).context["page"]
    assert everyone.paginator.count == 15
    ops = client.get(url, {**params, "unit": "six"}).context["page"]
    assert ops.paginator.count == 2
    assert {p.org_unit.name for p in ops.object_list} == {"Six"}
    by_unit = client.get(url, {**params, "sort": "unit", "dir": "desc"})
    units = [p.org_unit.path for p in by_unit.context["page"].object_list]
    assert units == sorted(units, reverse=True) and units[0] == "Dept/Ops/Solo"
    assert 'aria-sort="descending"' in by_unit.content.decode()


# --- one naming of organisation levels ---------------------------------------------------


def test_org_level_names_come_from_the_tree(tree):
    assert org_level_names() == {0: "Department", 1: "Directorate", 2: "Team"}
    OrgUnitFactory(name="Odd", parent=tree["teams"]["six"].parent, kind=OrgUnitKind.DIVISION)
    assert org_level_names()[2] == "Team or division"
    assert org_level_names(include=5)[5] == "Level 5 (no units at this level)"
    assert org_level_choices(depths=[0, 1]) == [
        (0, "Department (Dept)"),
        (1, "Directorate (for example Digital and Ops)"),
    ]
    # The top is the department whatever kind an import gave it.
    OrgUnitFactory(name="Agency", kind=OrgUnitKind.TEAM)
    OrgUnitFactory(name="Board", kind=OrgUnitKind.TEAM)
    assert org_level_names()[0] == "Department"


def test_reports_and_the_surge_editor_name_levels_the_same_way(tree, client_for):
    client = client_for(Role.ADMIN)
    quality = client.get(reverse("reports:data_quality")).content.decode()
    heatmap = client.get(reverse("reports:capability")).content.decode()
    surge = client.get(reverse("surge:new")).content.decode()
    for name in ("Department", "Directorate", "Team"):
        assert f">{name}</option>" in quality and f">{name}</option>" in heatmap
        assert re.search(rf">{name} \(", surge), name
    for page in (quality, heatmap, surge):
        assert "of the organisation" not in page and "Level 2:" not in page


# --- the heatmap's columns ---------------------------------------------------------------


def test_default_heatmap_has_ddat_family_and_department_columns_populated(client_for):
    import_ddat()
    dept = OrgUnitFactory(name="Dept", kind=OrgUnitKind.DEPARTMENT)
    ddat = Skill.objects.filter(source=Source.DDAT, group__isnull=False).select_related("group")
    by_family = {}
    for skill in ddat:
        by_family.setdefault(skill.group.name, skill)
    local = SkillFactory(name="Customer service", source=Source.LOCAL)
    for skill in [*by_family.values(), local]:
        for _ in range(2):
            PersonSkillFactory(person=PersonFactory(org_unit=dept), skill=skill, level=3)
    client = client_for(Role.HR)
    response = client.get(reverse("reports:capability"))
    heatmap = response.context["heatmap"]
    labels = [c.label for c in heatmap.columns]
    assert labels[0] == "Department skills"
    families = set(SkillGroup.objects.filter(source=Source.DDAT).values_list("name", flat=True))
    assert set(labels[1 : 1 + len(families)]) == families
    assert "Skills in no group" not in labels
    (row,) = heatmap.rows
    cells = dict(zip(labels, row.cells, strict=True))
    assert cells["Department skills"] == 2
    assert all(cells[f] == 2 for f in families)
    html = response.content.decode()
    # Whole labels in the chart: nothing cut short with an ellipsis.
    longest = max(families, key=len)
    assert f">{longest}</text>" in html and "…</text>" not in html
    # The drill-down of a family column lists its holders.
    family_column = next(c for c in heatmap.columns if c.label == longest)
    url = reverse(
        "reports:capability_people", kwargs={"unit": dept.pk, "column": family_column.key}
    )
    assert client.get(url).context["page"].paginator.count == 2
    dept_url = reverse("reports:capability_people", kwargs={"unit": dept.pk, "column": "ulocal"})
    assert client.get(dept_url).context["page"].paginator.count == 2


def test_a_picked_skill_becomes_a_column(tree, client_for):
    client = client_for(Role.HR)
    url = reverse("reports:capability")
    page = client.get(url).content.decode()
    assert 'data-module="app-skill-autocomplete"' in page and 'name="add_skill"' in page
    # With JavaScript the picker fills the skill id.
    response = client.get(url, {"depth": "2", "level": "3", "add_skill": tree["python"].pk})
    assert response.status_code == 302
    assert f"skill={tree['python'].pk}" in response["Location"]
    assert "add_skill" not in response["Location"]
    shown = client.get(response["Location"])
    assert [c.label for c in shown.context["heatmap"].columns] == ["Python"]
    # Without JavaScript the typed name is resolved; the chosen columns stay.
    more = client.get(response["Location"] + "&add_skill_query=casework")
    assert more.status_code == 302
    both = client.get(more["Location"])
    assert [c.label for c in both.context["heatmap"].columns] == ["Casework", "Python"]
    assert 'Remove<span class="govuk-visually-hidden"> Python' in both.content.decode()
    unknown = client.get(url, {"add_skill_query": "zzzz qqqq"})
    assert unknown.status_code == 200
    assert "We could not find that skill" in unknown.content.decode()


def test_the_default_size_gives_way_when_no_unit_reaches_it(client_for):
    for name in ("Alpha", "Beta"):
        unit = OrgUnitFactory(name=name)
        PersonFactory.create_batch(2, org_unit=unit)
    client = client_for(Role.HR)
    url = reverse("reports:data_quality")
    assert set(rows_of(client.get(url).content.decode())) == {"Alpha", "Beta"}
    # A size the reader chose is kept, even when it leaves nothing.
    assert set(rows_of(client.get(url, {"min_people": "5"}).content.decode())) == {"Alpha", "Beta"}
    chosen = client.get(url, {"min_people": "3"}).content.decode()
    assert rows_of(chosen) == [] and "2 units with fewer than 3 people are left out." in chosen


def test_a_group_chosen_in_the_form_wins_over_skills_chosen_before(tree, client_for):
    group = SkillGroup.objects.create(name="Casework group", uri="urn:t:g:case")
    Skill.objects.filter(pk=tree["casework"].pk).update(group=group)
    client = client_for(Role.HR)
    response = client.get(
        reverse("reports:capability"), {"skill": [tree["python"].pk], "group": group.pk}
    )
    assert [c.label for c in response.context["heatmap"].columns] == ["Casework"]


def test_heatmap_units_wrap_at_slashes_and_the_chart_tells_rows_apart(tree, client_for):
    """At 100,000 people a heatmap by team squeezed the unit column to a few letters
    (rows 971 px tall) and cut every chart label to the same department prefix."""
    long_name = "Department for Public Services"
    dept = OrgUnitFactory(name=long_name, kind=OrgUnitKind.DEPARTMENT)
    group = OrgUnitFactory(name="Digital Group", parent=dept, kind=OrgUnitKind.DIRECTORATE)
    for name in ("Data Engineering Team", "Data Science Team"):
        team = OrgUnitFactory(name=name, parent=group, kind=OrgUnitKind.TEAM)
        for _ in range(5):
            PersonSkillFactory(person=PersonFactory(org_unit=team), skill=tree["casework"])
    page = client_for(Role.HR).get(reverse("reports:capability"), {"depth": "2"}).content.decode()
    assert f"{long_name}/<wbr>Digital Group/<wbr>Data Science Team</th>" in page
    assert 'class="app-table-scroll" role="region" aria-labelledby="heatmap-caption"' in page
    labels = re.findall(r'<text x="\d+" y="\d+" text-anchor="end">([^<]+)</text>', page)
    ours = [label for label in labels if "Data" in label]
    assert len(set(ours)) == 2, labels  # the two teams' labels differ
    assert all(label.startswith("…") and len(label) == 32 for label in ours)
