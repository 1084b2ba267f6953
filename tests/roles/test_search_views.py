"""The search page, explanations and shortlist downloads through Django's test
client, on numbers worked out by hand from DESIGN.md section 4.

The role needs Python at 4 (weight 2, essential) and SQL at 4 (weight 1):

- Ada: Python 4 (certified), SQL 2 last used exactly 4 years ago (recency 0.8,
  self-assessed): (2 x 1 + 1 x 1.6/4) / 3 = 2.4/3 = 80.0%, essentials met.
- Bo: Python 3, SQL 4 (both certified): (2 x 0.75 + 1 x 1) / 3 = 83.3%,
  essentials not met; confidence 1.0 x 0.8 (never reviewed) = B.
- Cy: SQL 1 only: (0 + 1 x 0.25) / 3 = 8.3%; held this very role until last
  year, so a recent role with coverage 1.0 (ranking 8.3% + 10 = 18.3%), listed
  under its own heading, not among the 80% matches.
"""

import csv
import datetime as dt
import io
import re
import uuid
from urllib.parse import urlencode

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.people.models import EvidenceKind, RoleHistory
from skills_app.roles import views_search
from skills_app.roles.models import RoleRequirement, RoleSource
from skills_app.roles.search import SearchFilters
from taxonomy.models import SkillRelation
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db


def html(response) -> str:
    return response.content.decode()


def result_rows(page: str, table: int = 0) -> list[list[str]]:
    """One results table's rows as cell texts (panel rows left out): table 0 is
    the people in by score, table 1 the people in through a recent role."""
    bodies = re.findall(r'<tbody class="govuk-table__body">(.*?)</tbody>', page, re.S)
    if len(bodies) <= table:
        return []
    rows = []
    for tr in re.findall(
        r'<tr class="govuk-table__row" id="result-[0-9a-f-]{36}">(.*?)</tr>', bodies[table], re.S
    ):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells])
    return rows


def names(page: str, table: int = 0) -> list[str]:
    return [row[1].split(":")[0].strip() for row in result_rows(page, table)]


def error_summary(page: str) -> list[str]:
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    assert match, "no error summary on the page"
    return [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", match.group(0), re.S)
    ]


def events(client, **lookups):
    """Audit rows written by the user ``client`` is signed in as, so rows from
    anywhere else can never make a test pass or fail."""
    return AccessEvent.objects.filter(actor_id=int(client.session["_auth_user_id"]), **lookups)


@pytest.fixture
def world(db):
    today = timezone.localdate()
    python, sql, programming = (SkillFactory(name=n) for n in ("Python", "SQL", "Programming"))
    SkillRelation.objects.create(from_skill=programming, to_skill=python, kind="narrower")
    dept = OrgUnitFactory(name="DWP")
    digital = OrgUnitFactory(name="Digital", parent=dept)
    ops = OrgUnitFactory(name="Operations", parent=dept)
    ada = PersonFactory(
        staff_number="S1", full_name="Ada Lovelace", org_unit=digital, grade="SEO", location="Leeds"
    )
    bo = PersonFactory(
        staff_number="S2", full_name="Bo Smith", org_unit=digital, grade="HEO", location="York"
    )
    cy = PersonFactory(
        staff_number="S3", full_name="Cy Jones", org_unit=ops, grade="EO", location="Leeds"
    )
    PersonSkillFactory(person=ada, skill=python, level=4, evidence=EvidenceKind.CERTIFIED)
    PersonSkillFactory(
        person=ada, skill=sql, level=2, last_used=today - dt.timedelta(days=1461)
    )  # 1461 / 365.25 = 4.0 years exactly: recency 0.8
    PersonSkillFactory(person=bo, skill=python, level=3, evidence=EvidenceKind.CERTIFIED)
    PersonSkillFactory(person=bo, skill=sql, level=4, evidence=EvidenceKind.CERTIFIED)
    PersonSkillFactory(person=cy, skill=sql, level=1)
    role = RoleProfileFactory(
        code="data-surge", title="Data surge analyst", source=RoleSource.LOCAL
    )
    RoleRequirement.objects.create(role=role, skill=python, level=4, weight=2, essential=True)
    RoleRequirement.objects.create(role=role, skill=sql, level=4, weight=1)
    RoleHistory.objects.create(
        person=cy,
        title="Data surge analyst",
        role_profile=role,
        start=today - dt.timedelta(days=900),
        end=today - dt.timedelta(days=200),
    )
    return {
        "role": role,
        "python": python,
        "sql": sql,
        "programming": programming,
        "ada": ada,
        "bo": bo,
        "cy": cy,
        "digital": digital,
        "ops": ops,
        "dept": dept,
    }


@pytest.fixture
def planner(client_for):
    return client_for(Role.PLANNER)


def search(client, world, **params):
    if params:
        params.setdefault("filtered", "1")
        params.setdefault("threshold", "80")
        params.setdefault("prior", "yes")
        params.setdefault("redeployable", "yes")
    return client.get(reverse("roles:search", args=[world["role"].code]), params)


def test_results_show_the_hand_computed_numbers(planner, world):
    response = search(planner, world, prior="no")
    page = html(response)
    assert response.status_code == 200
    assert "2 people found" in page
    assert re.search(r"The search took \d+ ms", page)
    rows = result_rows(page)
    assert [[r[0], *r[2:8]] for r in rows] == [
        ["1", "S2", "HEO", "Digital", "York", "83.3%", "No"],
        ["2", "S1", "SEO", "Digital", "Leeds", "80.0%", "Yes"],
    ]
    assert names(page) == ["Bo Smith", "Ada Lovelace"]
    assert rows[0][9] == "B Good evidence"
    assert rows[0][8] == "None"  # no prior role
    # The bar is decorative; the number is the content.
    assert (
        '<span class="app-bar" aria-hidden="true"><span class="app-bar__fill app-bar__fill--80">'
        in page
    )
    assert "How the match score works" in page
    # Names go in no URL: people are addressed by their primary key.
    for href in re.findall(r'href="([^"]+)"', page):
        assert "Smith" not in href and "Lovelace" not in href and "S2" not in href


def test_prior_roles_qualify_people_below_the_threshold_under_their_own_heading(planner, world):
    # First opening: threshold 80%, prior roles included.
    page = html(search(planner, world))
    assert "3 people found" in page
    assert "2 people have a match of 80% or more; 1 more person is in through a recent role" in (
        " ".join(page.split())
    )
    assert names(page) == ["Bo Smith", "Ada Lovelace"]
    assert names(page, table=1) == ["Cy Jones"]
    by_score_at = page.index('id="by-score"')
    by_prior_at = page.index('id="by-prior-role"')
    assert by_score_at < page.index("Ada Lovelace") < by_prior_at < page.index("Cy Jones")
    cy = result_rows(page, table=1)[0]
    assert cy[6] == "8.3%"
    assert cy[8].startswith("Recent role Data surge analyst")
    assert "covers 100%" in cy[8]
    assert 'name="threshold" type="text" value="80"' in page
    page = html(search(planner, world, threshold="80", prior="no"))
    assert names(page) == ["Bo Smith", "Ada Lovelace"]
    assert 'id="by-prior-role"' not in page and names(page, table=1) == []


def test_the_threshold_changes_who_is_listed(planner, world):
    assert names(html(search(planner, world, threshold="81", prior="no"))) == ["Bo Smith"]
    assert names(html(search(planner, world, threshold="0", prior="no"))) == [
        "Bo Smith",
        "Ada Lovelace",
        "Cy Jones",
    ]
    page = html(search(planner, world, threshold="90", prior="no"))
    assert "0 people found" in page and "No one matches" in page


def test_filters_change_who_is_listed(planner, world):
    def found(**filters):
        return names(html(search(planner, world, threshold="0", prior="no", **filters)))

    assert found(locations=["York"]) == ["Bo Smith"]
    assert found(other_locations="leeds") == []  # locations match exactly as recorded
    assert found(other_locations="Leeds") == ["Ada Lovelace", "Cy Jones"]
    assert found(grades=["SEO", "EO"]) == ["Ada Lovelace", "Cy Jones"]
    assert found(units=[str(world["dept"].pk)]) == ["Bo Smith", "Ada Lovelace", "Cy Jones"]
    assert found(unit_paths="DWP/Operations") == ["Cy Jones"]
    assert found(exclude_units=[str(world["digital"].pk)]) == ["Cy Jones"]
    world["bo"].protected = True
    world["bo"].save()
    assert found() == ["Ada Lovelace", "Cy Jones"]
    assert found(redeployable="no") == ["Bo Smith", "Ada Lovelace", "Cy Jones"]


def test_the_roles_stored_filters_apply_until_changed(planner, world):
    role = world["role"]
    role.filters = SearchFilters(locations=("York",)).to_json()
    role.save()
    page = html(search(planner, world))
    assert names(page) == ["Bo Smith"]
    assert re.search(r'name="locations" type="checkbox" value="York" checked', page)
    assert "Filters (1 in use)" in page
    # A submitted form with the box unticked means "every location".
    page = html(search(planner, world, prior="no"))
    assert names(page) == ["Bo Smith", "Ada Lovelace"]
    assert "Filters (0 in use)" in page


def test_bad_input_is_listed_and_nothing_is_searched(planner, world):
    response = search(
        planner,
        world,
        threshold="eighty",
        available_day="1",
        available_month="13",
        available_year="2030",
    )
    page = html(response)
    assert error_summary(page) == [
        "Minimum match must be a number from 0 to 100, like 80",
        "The date people must be available by must be a real date",
    ]
    assert 'href="#id_threshold"' in page and 'href="#id_available_month"' in page
    assert '<details class="govuk-details" open>' in page  # the filters with the error
    assert result_rows(page) == []
    assert not events(planner, action=Action.SEARCH).exists()


def test_pagination(planner, world, monkeypatch):
    monkeypatch.setattr(views_search, "PER_PAGE", 2)
    first = html(search(planner, world, threshold="0", prior="no"))
    assert names(first) == ["Bo Smith", "Ada Lovelace"]
    assert (
        '<nav class="govuk-pagination" aria-label="Pages of people with a match of 0% or more">'
        in first
    )
    assert "page=2" in first
    second = html(search(planner, world, threshold="0", prior="no", page="2"))
    assert [row[0] for row in result_rows(second)] == ["3"]
    assert names(second) == ["Cy Jones"]
    assert "3 people found" in second
    # A page past the end shows the last one.
    assert names(html(search(planner, world, threshold="0", prior="no", page="9"))) == ["Cy Jones"]
    # Each page shown is audited with the people on it.
    shown = events(planner, action=Action.SEARCH, subject__isnull=False)
    assert shown.filter(subject=world["cy"]).count() == 2


def test_a_search_is_audited_with_everyone_it_showed(planner, world):
    search(planner, world, threshold="80", prior="no")
    summary = events(planner).get(action=Action.SEARCH, subject__isnull=True)
    assert summary.object_id == "data-surge"
    assert summary.parameters["total"] == 2
    assert summary.parameters["threshold"] == 0.8
    assert summary.parameters["include_prior_role"] is False
    shown = events(planner, action=Action.SEARCH, subject__isnull=False)
    assert {e.subject.staff_number for e in shown} == {"S1", "S2"}
    assert all(e.actor.username == "planner" for e in shown)


def test_htmx_gets_only_the_results(planner, world):
    url = reverse("roles:search", args=[world["role"].code])
    params = {"filtered": "1", "threshold": "81", "prior": "no", "redeployable": "yes"}
    response = planner.get(
        url, params, headers={"HX-Request": "true", "HX-Target": "search-results"}
    )
    page = html(response)
    assert "<html" not in page
    assert page.lstrip().startswith('<div id="search-results" hx-history="false">')
    assert '<div id="search-status" hx-swap-oob="innerHTML">1 person found</div>' in page
    assert names(page) == ["Bo Smith"]
    # Back/forward asks for the whole page again.
    restore = planner.get(
        url, params, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in html(restore)
    # Bad input with htmx: the whole page, so the errors sit with their fields.
    bad = planner.get(url, {**params, "threshold": "x"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200
    assert bad["HX-Redirect"].startswith(url + "?")


def test_explanation_page_shows_the_numbers(planner, world):
    url = reverse("roles:explanation", args=[world["role"].code, world["ada"].public_id])
    page = html(planner.get(url, {"threshold": "70", "filtered": "1"}))
    assert '<h1 class="govuk-heading-l">Ada Lovelace</h1>' in page
    assert "How the 80.0% match was worked out" in page
    assert "weighted credit 2.40 out of a total weight of 3" in page
    cells = [
        [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        ]
        for tr in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', page, re.S)
    ]
    assert cells[1:] == [
        [
            "Python Essential",
            "4 Expert",
            "4 Expert",
            "This skill",
            "100%",
            "4.00",
            "100%",
            "2",
            "None",
            "Certified",
        ],
        [
            "SQL",
            "4 Expert",
            "2 Working",
            "This skill",
            "80%",
            "1.60",
            "40%",
            "1",
            "3 levels",
            "Self-assessed",
        ],
    ]
    assert "1 skill below the level needed" in page
    assert "No role held now or in the last 3 years covers at least 80% of this one" in page
    back = reverse("roles:search", args=[world["role"].code]) + "?threshold=70&amp;filtered=1"
    assert f'href="{back}"' in page
    event = events(planner).get(action=Action.VIEW_EXPLANATION)
    assert event.subject == world["ada"]
    assert event.parameters["role"] == "data-surge"


def test_explanation_of_a_related_skill_and_a_prior_role(planner, world):
    role = RoleProfileFactory(code="programmer", title="Programmer")
    RoleRequirement.objects.create(role=role, skill=world["programming"], level=4)
    page = html(planner.get(reverse("roles:explanation", args=[role.code, world["ada"].public_id])))
    # Python 4 through a narrower relation (strength 0.8): 3.2 of 4 = 80%.
    assert "How the 80.0% match was worked out" in page
    row = re.search(r"<th[^>]*>Programming</th>(.*?)</tr>", page, re.S).group(1)
    texts = [
        " ".join(re.sub(r"<[^>]+>", " ", c).split())
        for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert texts == [
        "4 Expert",
        "4 Expert",
        "Python",
        "100%",
        "3.20",
        "80%",
        "1",
        "1 level",
        "Certified",
    ]
    page = html(
        planner.get(reverse("roles:explanation", args=[world["role"].code, world["cy"].public_id]))
    )
    assert "How the 8.3% match was worked out" in page
    assert "18.3%: the match score plus a tenth of the recent role’s coverage" in page
    assert "Data surge analyst, from" in page and "its profile covers 100% of this role" in page
    assert "Yes, through a recent role" in page


def test_explanation_panel_for_htmx(planner, world):
    url = reverse("roles:explanation", args=[world["role"].code, world["bo"].public_id])
    page = html(planner.get(url, headers={"HX-Request": "true"}))
    assert "<html" not in page
    assert (
        f'<h3 class="govuk-heading-m" id="explain-{world["bo"].public_id}-heading" tabindex="-1">'
        in page
    )
    assert "How Bo Smith’s 83.3% match was worked out" in page
    assert "Open this explanation on its own page" in page


def test_explanation_of_unknown_people_and_empty_roles(planner, world):
    assert (
        planner.get(reverse("roles:explanation", args=["data-surge", uuid.uuid4()])).status_code
        == 404
    )
    # The old address by primary key no longer resolves.
    old = f"/roles/{world['role'].code}/search/people/{world['ada'].pk}/"
    assert planner.get(old).status_code == 404
    empty = RoleProfileFactory(code="empty")
    assert (
        planner.get(
            reverse("roles:explanation", args=["empty", world["ada"].public_id])
        ).status_code
        == 404
    )
    page = html(planner.get(reverse("roles:search", args=[empty.code])))
    assert "This role does not need any skills yet" in page
    assert not events(planner).exists()


# --- shortlist downloads ------------------------------------------------------------


@pytest.fixture
def villain(world):
    person = PersonFactory(
        staff_number="S9", full_name='=HYPERLINK("http://evil.example","click")', location="+44"
    )
    PersonSkillFactory(person=person, skill=world["python"], level=4)
    PersonSkillFactory(person=person, skill=world["sql"], level=4)
    return person


def export(client, world, fmt, **params):
    params.setdefault("filtered", "1")
    params.setdefault("threshold", "80")
    params.setdefault("prior", "no")
    params.setdefault("redeployable", "yes")
    url = reverse("roles:export", args=[world["role"].code, fmt])
    return client.post(f"{url}?{urlencode(params)}")


def test_csv_shortlist_is_formula_safe_and_audited(planner, world, villain):
    response = export(planner, world, "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="shortlist-data-surge-{today}.csv"'
    )
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:4] == ["rank", "staff_number", "name", "grade"]
    assert [r[1] for r in rows[1:]] == ["S9", "S2", "S1"]
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example","click")'
    assert rows[1][5] == "'+44"
    header = rows[0]
    bo = dict(zip(header, rows[2], strict=True))
    assert [bo[c] for c in ("match_percent", "ranking_percent", "meets_essentials")] == [
        "83.3",
        "83.3",
        "no",
    ]
    assert (bo["qualifies_by"], bo["confidence"]) == ("score", "B")
    assert bo["training_needed"] == "Python: 1 level"
    assert dict(zip(header, rows[3], strict=True))["training_needed"] == "SQL: 3 levels"
    summary = events(planner).get(action=Action.EXPORT, subject__isnull=True)
    assert summary.object_id == "data-surge"
    assert summary.parameters["shown"] == 3
    exported = events(planner, action=Action.EXPORT, subject__isnull=False)
    assert {e.subject.staff_number for e in exported} == {"S1", "S2", "S9"}
    assert not events(planner, action=Action.SEARCH).exists()


def test_shortlist_marks_who_is_in_through_a_recent_role(planner, world):
    response = export(planner, world, "csv", prior="yes")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    by_person = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    assert {sn: r["qualifies_by"] for sn, r in by_person.items()} == {
        "S2": "score",
        "S1": "score",
        "S3": "prior_role",
    }
    cy = by_person["S3"]
    assert (cy["match_percent"], cy["prior_role"]) == ("8.3", "Data surge analyst")
    assert cy["prior_role_coverage_percent"] == "100.0"
    assert by_person["S1"]["prior_role"] == ""


def test_xlsx_shortlist_is_formula_safe(planner, world, villain):
    response = export(planner, world, "xlsx", threshold="81")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="shortlist-data-surge-')
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("rank", "staff_number", "name")
    assert [r[1] for r in rows[1:]] == ["S9", "S2"]
    name_cell = sheet.cell(row=2, column=3)
    assert name_cell.data_type == "s"
    assert name_cell.value == '\'=HYPERLINK("http://evil.example","click")'
    assert sheet.cell(row=3, column=7).value == 83.3
    assert events(planner, action=Action.EXPORT, subject__isnull=False).count() == 2


def test_a_download_with_bad_input_goes_back_to_the_search(planner, world):
    response = export(planner, world, "csv", threshold="lots")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("roles:search", args=[world["role"].code]) + "?")
    assert not events(planner).exists()
    assert planner.post(reverse("roles:export", args=["data-surge", "pdf"])).status_code == 404


# --- who may search ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD])
def test_staff_managers_and_stewards_cannot_search(client_for, role, world):
    client = client_for(role)
    code = world["role"].code
    assert client.get(reverse("roles:search", args=[code])).status_code == 403
    assert (
        client.get(reverse("roles:explanation", args=[code, world["ada"].public_id])).status_code
        == 403
    )
    assert client.get(reverse("roles:export", args=[code, "csv"])).status_code == 403
    assert client.get(reverse("roles:export", args=[code, "xlsx"])).status_code == 403
    assert not events(client).exists()


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN])
def test_hr_and_admins_may_search(client_for, role, world):
    client = client_for(role)
    code = world["role"].code
    page = html(client.get(reverse("roles:search", args=[code])))
    assert names(page) == ["Bo Smith", "Ada Lovelace"]
    assert names(page, table=1) == ["Cy Jones"]
    assert (
        client.get(reverse("roles:explanation", args=[code, world["ada"].public_id])).status_code
        == 200
    )
    assert export(client, world, "csv").status_code == 200


def test_a_draft_counts_only_when_the_planner_says_yes_to_drafts(planner, world):
    # Cy's draft Python 4 would lift Cy to (2 x 1 + 0.25) / 3 = 75%.
    PersonSkillFactory(
        person=world["cy"], skill=world["python"], level=4, evidence=EvidenceKind.INFERRED
    )
    without = html(search(planner, world, prior="no", threshold="70"))
    assert "Cy Jones" not in names(without)
    page = html(search(planner, world, prior="no", threshold="70", drafts="yes"))
    assert "Cy Jones" in names(page)
    assert "Count skills people have not confirmed yet?" in page


def test_a_large_organisation_is_searched_by_path_not_thousands_of_checkboxes(planner, world):
    from skills_app.roles.forms import MAX_UNIT_CHECKBOXES

    for number in range(MAX_UNIT_CHECKBOXES):
        OrgUnitFactory(name=f"Directorate {number}", parent=world["dept"])
    page = html(search(planner, world, prior="no", threshold="0", unit_paths="DWP/Operations"))
    assert 'name="units"' not in page and 'name="exclude_units"' not in page
    assert "Only people in these parts of the organisation" in page
    assert names(page) == ["Cy Jones"]  # Operations only
