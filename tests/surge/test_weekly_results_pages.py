"""Issue 18 item 4 on the pages: a week-by-week result (DESIGN 11) read in words, as a
chart and a table per line or all lines summed, with the weeks demand is not met and
why, and each person's start date; and the training cohorts report (who needs which
course by when), its download and its audit. Headcount scenarios keep their page."""

import csv
import datetime as dt
import io
import re
from html import unescape
from urllib.parse import parse_qs

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge import selectors
from skills_app.surge.models import Allocation, DemandLine, SurgeScenario
from skills_app.surge.services import LineSpec, scenario_create, scenario_solve
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)
from tests.surge.test_forecasts import MONDAY, create, forecast, world  # noqa: F401

pytestmark = pytest.mark.django_db
TRAINING_TEXT = "Not enough eligible people can be available, trained and up to speed by then"


def text(response) -> str:
    page = response.content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def section(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


def detail(client, scenario, **params):
    return client.get(reverse("surge:detail", args=[scenario.pk]), params)


@pytest.fixture
def short(world):  # noqa: F811
    """The forecast of test_forecasts' world at 3 posts a week: A starts in week 1, B
    (trained) in week 2 and C (available) in week 3, so weeks 1 and 2 fall short for
    the training lead time."""
    return scenario_solve(scenario_id=create(world, forecast([30, 30, 30])).pk)


def rewrite(scenario, change) -> SurgeScenario:
    result = scenario.result
    change(result)
    SurgeScenario.objects.filter(pk=scenario.pk).update(result=result)
    return SurgeScenario.objects.get(pk=scenario.pk)


# --- the results page ----------------------------------------------------------------


def test_the_decision_comes_first_in_words(client_for, short):
    response = detail(client_for(Role.PLANNER), short)
    words = text(response)
    assert (
        "Summary Covers 6 of 9 post-weeks of work (greedy: 6); 3 people start over 3 weeks "
        "(weeks 1 to 3). Solved to optimality: no allocation covers more work." in words
    )
    page = response.content.decode()
    assert page.index('id="results-summary"') < page.index('id="weekly-chart"')
    assert page.index('id="weekly-table"') < page.index('id="unmet-table"')
    assert page.index('id="unmet-table"') < page.index(reverse("surge:approve", args=[short.pk]))
    assert (
        "Approving releases 3 people from 3 units, starting from week 1 to week 3, and leaves "
        "3 post-weeks of work uncovered." in words
    )
    # Not the headcount page's words: posts filled means nothing week by week.
    assert "posts filled." not in words and "Posts left unfilled" not in words


def test_the_figures_come_from_the_stored_result(client_for, short):
    def change(result):
        weekly = result["weekly"]
        weekly.update(covered=6.5, greedy_covered=4.25, people=7)
        line = weekly["lines"][0]
        line.update(covered=[1.5, 2, 3], greedy_covered=[0.25, 1, 3], starters=[4, 0, 3])
        line["unmet"][0]["short"] = 1.5

    scenario = rewrite(short, change)
    words = text(detail(client_for(Role.PLANNER), scenario))
    assert "Covers 6.5 of 9 post-weeks of work (greedy: 4.25); 7 people start over 3 weeks" in (
        words
    )
    # Week, starts on, needed, filled (optimum), filled (greedy), starting, shortfall.
    assert f"1 5 January 2026 3 1.5 0.25 4 1.5 short: Line 1: {TRAINING_TEXT}" in words
    assert f"2 12 January 2026 3 2 1 0 1 short: Line 1: {TRAINING_TEXT}" in words
    assert "3 19 January 2026 3 3 3 3 None" in words
    assert "All lines, weeks 1 to 3: 9 post-weeks needed, 6.5 filled by the optimum and 4.25" in (
        words
    )


def test_the_weeks_not_met_are_listed_with_their_reasons_in_words(client_for, short):
    scenario = rewrite(
        short, lambda r: r["weekly"]["lines"][0]["unmet"][1].update(reason="release_caps")
    )
    page = detail(client_for(Role.PLANNER), scenario).content.decode()
    unmet = unescape(
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", section(page, 'id="unmet"', "</table>")))
    )
    assert "2 weeks short of posts on 1 line" in unmet
    role = short.lines.get().role_profile.title
    assert f"1. {role} 1 5 January 2026 2 {TRAINING_TEXT}" in unmet
    assert f"1. {role} 2 12 January 2026 1 Caps used up: the units that hold" in unmet
    assert "training_lead_time" not in page and "release_caps" not in page


def test_each_person_shows_their_start_date(client_for, short):
    words = text(detail(client_for(Role.PLANNER), short))
    assert "Match Starts In by" in words
    assert re.search(r" A Dept/Unit A 100\.0% 5 January 2026 Match score", words)
    assert re.search(r" B Dept/Unit B 50\.0% 12 January 2026 Match score", words)
    assert re.search(r" C Dept/Unit C 100\.0% 19 January 2026 Match score", words)


@pytest.mark.parametrize(
    ("status", "gap", "expected"),
    [
        ("optimal", 0.0, "Solved to optimality: no allocation covers more work."),
        (
            "time_limit",
            0.0123,
            "The solver stopped at its time limit: the work covered is within 1.23% of the "
            "most that could be covered.",
        ),
        ("time_limit", None, "so this is the greedy one: how far it is from the best"),
        ("time_limit_people", 0.05, "while using as few people as it could (within 5% of"),
        ("time_limit_score", None, "stopped at its time limit while raising the match scores."),
    ],
)
def test_the_solver_status_says_whether_the_time_limit_stopped_it(
    client_for, short, status, gap, expected
):
    scenario = rewrite(short, lambda r: r["weekly"].update(status=status, gap=gap))
    page = detail(client_for(Role.HR), scenario).content.decode()
    assert expected in unescape(section(page, 'id="solver-status"', "</p>"))


@pytest.fixture
def two_lines(world):  # noqa: F811
    sql = SkillFactory(name="SQL")
    role = RoleRequirementFactory(skill=sql, level=3, role__title="Data clerk").role
    person = PersonFactory(
        staff_number="D", org_unit=OrgUnitFactory(name="Unit D", parent=world["A"].org_unit.parent)
    )
    PersonSkillFactory(person=person, skill=sql, level=3)
    scenario = scenario_create(
        actor=None,
        name="Two lines",
        lines=[
            LineSpec(world["role"].pk, 1, min_score=0.4, demand=forecast([30, 30, 30])),
            LineSpec(role.pk, 1, min_score=0.4, demand=forecast([10, 20])),
        ],
        release_cap=1.0,
        cap_org_depth=1,
        weeks_from=MONDAY,
    )
    return scenario_solve(scenario_id=scenario.pk)


def test_the_line_selector_shows_one_line_or_all_lines_summed(client_for, two_lines):
    client = client_for(Role.PLANNER)
    weekly = two_lines.result["weekly"]
    assert [line["need"] for line in weekly["lines"]] == [[3, 3, 3], [1, 2, 0]]
    everything = detail(client, two_lines)
    page = everything.content.decode()
    assert '<select class="govuk-select" id="weekly-line" name="line">' in page
    assert '<option value="all" selected>All lines</option>' in page
    table = text(everything)
    print(table[table.index("The chart’s figures") : table.index("Weeks demand is not met")])
    assert "The chart’s figures by week: All lines" in table
    # Needed, filled (optimum, greedy) and starting summed over both lines; a week
    # with several lines short counts their reasons.
    assert f"1 5 January 2026 4 2 2 2 2 short: Line 1: {TRAINING_TEXT}" in table
    assert (
        f"2 12 January 2026 5 3 3 1 2 short: 2 lines short: {TRAINING_TEXT} (1 line); "
        "Not enough eligible people (1 line)" in table
    )
    assert "3 19 January 2026 3 3 3 1 None" in table

    second = detail(client, two_lines, line="2")
    page = second.content.decode()
    assert '<option value="2" selected>Line 2: Data clerk</option>' in page
    words = text(second)
    assert "The chart’s figures by week: Line 2: Data clerk" in words
    assert "1 5 January 2026 1 1 1 1 None" in words
    assert "2 12 January 2026 2 1 1 0 1 short: Not enough eligible people" in words
    assert "3 19 January 2026 0 0 0 0 None" in words
    assert "Chart: posts needed and filled per week, Line 2: Data clerk" in words

    for bad in ("0", "3", "abc", "-1", "1.5", ""):
        response = detail(client, two_lines, line=bad, unmet_page="x")
        assert response.status_code == 200, bad
        assert "The chart’s figures by week: All lines" in text(response), bad


def test_the_chart_is_an_accessible_image_drawn_from_the_figures(client_for, short):
    page = detail(client_for(Role.PLANNER), short).content.decode()
    svg = section(
        page, '<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="weekly', "</svg>"
    )
    assert 'aria-labelledby="weekly-chart-title weekly-chart-desc"' in svg
    assert '<title id="weekly-chart-title">' in svg and '<desc id="weekly-chart-desc">' in svg
    assert "style=" not in svg
    # Three weeks, the optimum solid and greedy striped: six bars.
    solid = re.findall(
        r'<rect x="[^"]+" y="[^"]+" width="[^"]+" height="[^"]+" fill="#1d70b8">', svg
    )
    striped = re.findall(r'<rect x="[^"]+"[^>]*fill="url\(#weekly-chart-stripes\)"', svg)
    assert len(solid) == 3 + 1  # three weeks' bars and the legend's
    assert len(striped) == 3 + 1
    assert "Needed (black line)" in svg
    assert "Filled, optimum (solid)" in svg and "Filled, greedy (striped)" in svg


def test_the_chart_geometry_scales_bars_and_the_needed_line():
    rows = [
        {"week": 1, "needed": 3.0, "covered": 1.0, "greedy_covered": 0.5, "short": "2"},
        {"week": 2, "needed": 3.0, "covered": 3.0, "greedy_covered": 0.0, "short": ""},
    ]
    chart = selectors.week_chart(rows, "All lines")
    bottom = selectors.WEEK_PLOT_TOP + selectors.WEEK_PLOT_HEIGHT
    optimum = [b for b in chart["bars"] if b["series"] == "optimum"]
    greedy = [b for b in chart["bars"] if b["series"] == "greedy"]
    # The axis runs to 3 posts: 1 post is a third of the plot's height.
    assert [b["height"] for b in optimum] == [80.0, 240.0]
    assert [b["height"] for b in greedy] == [40.0]  # nothing is drawn for 0
    assert all(b["y"] + b["height"] == bottom for b in chart["bars"])
    assert chart["needed_points"].split(" ")[0] == f"{selectors.WEEK_PLOT_LEFT}.0,24.0"
    assert [t["text"] for t in chart["ticks"]] == ["0", "1", "2", "3"]
    assert "1 week short of posts" in chart["desc"]


def test_a_headcount_scenario_keeps_its_page(client_for, world):  # noqa: F811
    scenario = scenario_create(
        actor=None,
        name="Headcount",
        lines=[LineSpec(world["role"].pk, 2, min_score=0.4)],
        release_cap=1.0,
        cap_org_depth=1,
    )
    scenario = scenario_solve(scenario_id=scenario.pk)
    assert "weekly" not in scenario.result
    page = detail(client_for(Role.PLANNER), scenario).content.decode()
    words = text(detail(client_for(Role.PLANNER), scenario))
    assert "2 of 2 posts filled." in words and "Posts left unfilled" in words
    assert "post-weeks" not in words and 'id="weekly-table"' not in page
    assert "Match In by" in words  # no start column
    assert 'aria-labelledby="surge-chart-title surge-chart-desc"' in page


def test_large_results_page_their_weeks_and_lines(client_for, short):
    """100 lines of 52 weeks, every week short: one line (or the sum) at a time, and
    the weeks not met 50 to a page."""

    def grow(result):
        weekly = result["weekly"]
        dates = [MONDAY + dt.timedelta(weeks=w) for w in range(52)]
        weekly.update(weeks=52, week_dates=[d.isoformat() for d in dates], needed=100 * 52 * 3)
        template = {
            "need": [3] * 52,
            "covered": [1.0] * 52,
            "greedy_covered": [1.0] * 52,
            "starters": [1] + [0] * 51,
            "people": 1,
            "greedy_people": 1,
            "forecast": True,
        }
        weekly["lines"] = [
            {
                **template,
                "line_id": 0,
                "role": f"Role number {n}",
                "unmet": [{"week": w, "short": 2.0, "reason": "no_eligible"} for w in range(1, 53)],
            }
            for n in range(1, 101)
        ]
        result["lines"] = [dict(result["lines"][0]) for _ in range(100)]

    scenario = rewrite(short, grow)
    client = client_for(Role.PLANNER)
    response = detail(client, scenario)
    page = response.content.decode()
    assert page.count("<option value=") == 101
    weekly_table = section(page, 'id="weekly-table"', "</table>")
    assert weekly_table.count('<tr class="govuk-table__row">') == 1 + 52
    assert "100 lines short: Not enough eligible people (100 lines)" in text(response)
    unmet = section(page, 'id="unmet-table"', "</table>")
    assert unmet.count('<tr class="govuk-table__row">') == 1 + 50
    assert "5,200 weeks short of posts on 100 lines, line by line: showing 1 to 50" in text(
        response
    )
    last = text(detail(client, scenario, line="100", unmet_page="104"))
    assert "showing 5,151 to 5,200" in last
    assert "The chart’s figures by week: Line 100: Role number 100" in last
    assert "100. Role number 100 52 28 December 2026 2 Not enough eligible people" in last


def long_forecast(scenario, weeks: int) -> SurgeScenario:
    """Two lines over ``weeks`` weeks: line 1 needs 3 posts a week and gets 1 (every
    week short), line 2 needs and gets 5, so the rows tell the lines apart."""

    def grow(result):
        weekly = result["weekly"]
        dates = [MONDAY + dt.timedelta(weeks=w) for w in range(weeks)]
        weekly.update(weeks=weeks, week_dates=[d.isoformat() for d in dates], needed=8 * weeks)
        weekly["lines"] = [
            {
                "line_id": 0,
                "role": f"Role number {n}",
                "need": [need] * weeks,
                "covered": [float(covered)] * weeks,
                "greedy_covered": [float(covered)] * weeks,
                "starters": [1] + [0] * (weeks - 1),
                "people": 1,
                "greedy_people": 1,
                "forecast": True,
                "unmet": [
                    {"week": w, "short": float(need - covered), "reason": "no_eligible"}
                    for w in range(1, weeks + 1)
                    if covered < need
                ],
            }
            for n, need, covered in ((1, 3, 1), (2, 5, 5))
        ]
        result["lines"] = [dict(result["lines"][0]) for _ in range(2)]

    return rewrite(scenario, grow)


def week_rows(page: str) -> list[int]:
    table = section(page, 'id="weekly-table"', "</table>")
    return [int(w) for w in re.findall(r'<th scope="row"[^>]*>(\d+)</th>', table)]


def week_page_links(page: str) -> dict[str, dict[str, list[str]]]:
    """The per-week table's pagination: each link's text (a page number, "Previous" or
    "Next") and its query."""
    nav = section(page, 'aria-label="Pages of weeks"', "</nav>")
    links = re.findall(r'href="\?([^"]*)"[^>]*>(.*?)</a>', nav, flags=re.S)
    return {
        re.sub(r"<[^>]+>", "", label).split()[0]: parse_qs(unescape(query))
        for query, label in links
    }


def test_a_long_forecast_pages_its_weeks_a_year_at_a_time(client_for, short):
    """130 weeks: the table shows 52 a page (1 to 52, 53 to 104, 105 to 130) under a
    chart of every week; the links keep the line and the weeks-not-met page."""
    scenario = long_forecast(short, 130)
    client = client_for(Role.PLANNER)

    first = detail(client, scenario)
    page = first.content.decode()
    assert week_rows(page) == list(range(1, 53))
    words = text(first)
    assert "Showing weeks 1 to 52 of 130." in words
    assert words.index("Showing weeks 1 to 52") < words.index("The chart’s figures by week")
    # The chart stays whole: 130 weeks of both series' bars (and the legend's two).
    chart = section(page, 'id="weekly-chart"', "</svg>")
    assert len(re.findall(r"<rect x=", chart)) >= 2 * 130
    assert "All lines, weeks 1 to 130:" in words
    links = week_page_links(page)
    assert links["2"]["week_page"] == ["2"] and links["Next"]["week_page"] == ["2"]
    assert "Previous" not in links

    # Page 2 of line 2, reached from page 2 of the weeks not met: the links keep both.
    second = detail(client, scenario, line="2", week_page="2", unmet_page="2")
    page = second.content.decode()
    assert week_rows(page) == list(range(53, 105))
    words = text(second)
    assert "Showing weeks 53 to 104 of 130." in words
    assert "The chart’s figures by week: Line 2: Role number 2" in words
    assert "53 4 January 2027 5 5 5 0 None" in words  # line 2's figures, not the sum
    assert "104 27 December 2027 5 5 5 0 None" in words
    assert "1 5 January 2026 5" not in words and "105 3 January 2028" not in words
    assert "Line 2: Role number 2, weeks 1 to 130:" in words  # the chart: every week
    links = week_page_links(page)
    assert set(links) == {"Previous", "1", "2", "3", "Next"}
    for label, page_number in (("Previous", "1"), ("1", "1"), ("3", "3"), ("Next", "3")):
        assert links[label] == {
            "line": ["2"],
            "week_page": [page_number],
            "unmet_page": ["2"],
        }, label
    # The weeks not met keep the week page and the line in their links too.
    unmet_nav = section(page, 'aria-label="Pages of weeks demand is not met"', "</nav>")
    assert "week_page=2" in unmet_nav and "line=2" in unmet_nav

    # All lines summed on page 3: the last 26 weeks.
    third = detail(client, scenario, week_page="3")
    assert week_rows(third.content.decode()) == list(range(105, 131))
    words = text(third)
    assert "Showing weeks 105 to 130 of 130." in words
    assert "105 3 January 2028 8 6 6 0 2 short: Line 1: Not enough eligible people" in words

    # A bad page shows the nearest page there is, never an error.
    for bad, shown in (
        ("abc", range(1, 53)),
        ("", range(1, 53)),
        ("0", range(105, 131)),
        ("-1", range(105, 131)),
        ("999", range(105, 131)),
    ):
        response = detail(client, scenario, line="2", week_page=bad)
        assert response.status_code == 200, bad
        assert week_rows(response.content.decode()) == list(shown), bad
        assert "The chart’s figures by week: Line 2: Role number 2" in text(response), bad


def test_a_year_or_less_is_one_table_without_pages(client_for, short):
    for weeks in (3, 52):
        scenario = long_forecast(short, weeks)
        page = detail(client_for(Role.PLANNER), scenario, week_page="2").content.decode()
        assert week_rows(page) == list(range(1, weeks + 1)), weeks
        assert "Showing weeks" not in page and 'aria-label="Pages of weeks"' not in page, weeks


def test_the_approval_page_speaks_in_post_weeks(client_for, short):
    words = text(client_for(Role.PLANNER).get(reverse("surge:approve", args=[short.pk])))
    assert "3 people are released from 3 units to cover 6 of 9 post-weeks of work" in words
    assert "3 post-weeks of work are left uncovered" in words


# --- the training cohorts report ------------------------------------------------------


@pytest.fixture
def cohorts(world):  # noqa: F811
    """A week-by-week scenario with allocations written as a solve would: B and E
    need Python 4 by week 2, E also SQL 3; F needs Python 4 by week 3; A needs nothing."""
    scenario = create(world, forecast([30, 30, 30]))
    sql = SkillFactory(name="SQL")
    line = scenario.lines.get()
    python = world["python"].pk
    rows = [
        (world["A"], MONDAY, []),
        (world["B"], MONDAY + dt.timedelta(weeks=1), [[python, 4, 2]]),
        (
            PersonFactory(staff_number="E", full_name="Eve Evans"),
            MONDAY + dt.timedelta(weeks=1),
            [[python, 4, 1], [sql.pk, 3, 2]],
        ),
        (
            PersonFactory(staff_number="F", full_name="Fred Foster"),
            MONDAY + dt.timedelta(weeks=2),
            [[python, 4, 3]],
        ),
    ]
    for person, start, training in rows:
        Allocation.objects.create(
            scenario=scenario,
            line=line,
            person=person,
            score=0.5,
            start_date=start,
            training=training,
        )
    world["B"].full_name = "Bob Brown"
    world["B"].save()
    scenario.result = {"lines": [{"line_id": line.pk}], "weekly": {"weeks_from": "2026-01-05"}}
    scenario.save()
    return scenario


def cohort_rows(response) -> list[str]:
    page = response.content.decode()
    table = section(page, 'id="cohorts-table"', "</table>")
    return [
        " ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split())
        for row in re.findall(r"<tr class=\"govuk-table__row\">(.*?)</tr>", table, re.S)[1:]
    ]


def test_cohorts_group_people_by_start_date_and_course(client_for, cohorts):
    response = client_for(Role.HR).get(reverse("surge:training", args=[cohorts.pk]))
    assert response.status_code == 200
    assert cohort_rows(response) == [
        "12 January 2026 2 Python 4 Expert 2",
        "12 January 2026 2 SQL 3 Practitioner 1",
        "19 January 2026 3 Python 4 Expert 1",
    ]
    words = text(response)
    assert "3 cohorts: 3 people need training." in words
    assert (
        "By 12 January 2026 (week 2): Python to level 4 Expert, 2 people Name Staff number "
        "Levels short Line Bob Brown B 2 1. " in words
    )
    assert re.search(r"Eve Evans E 1 1\. Role \d+ By 12 January 2026 \(week 2\): SQL", words)
    assert re.search(r"SQL to level 3 Practitioner, 1 person .*? Eve Evans E 2 1\. ", words)
    assert "By 19 January 2026 (week 3): Python to level 4 Expert, 1 person" in words
    assert "Fred Foster F 3" in words
    assert "Lucy" not in words and " A 0 " not in words  # A needs no training


def test_cohorts_from_a_real_solve_and_the_link_to_them(client_for, short):
    client = client_for(Role.PLANNER)
    page = detail(client, short).content.decode()
    url = reverse("surge:training", args=[short.pk])
    assert f'href="{url}" id="training-cohorts"' in page
    response = client.get(url)
    assert cohort_rows(response) == ["12 January 2026 2 Python 4 Expert 1"]
    assert " B 2 1. " in text(response)


def test_a_headcount_scenario_s_cohorts_start_with_their_line(client_for, world):  # noqa: F811
    scenario = scenario_create(
        actor=None,
        name="Headcount",
        lines=[
            LineSpec(world["role"].pk, 1, min_score=0.4, start_date=dt.date(2026, 3, 2)),
            LineSpec(world["role"].pk, 1, min_score=0.4),
        ],
        release_cap=1.0,
        cap_org_depth=1,
    )
    dated, undated = scenario.lines.order_by("position")
    python = world["python"].pk
    Allocation.objects.create(
        scenario=scenario, line=dated, person=world["B"], score=0.5, training=[[python, 4, 2]]
    )
    Allocation.objects.create(
        scenario=scenario, line=undated, person=world["C"], score=0.5, training=[[python, 4, 1]]
    )
    scenario.result = {"lines": [{"line_id": dated.pk}, {"line_id": undated.pk}]}
    scenario.save()
    response = client_for(Role.PLANNER).get(reverse("surge:training", args=[scenario.pk]))
    # No week column; "On approval" (soonest) first.
    assert cohort_rows(response) == [
        "On approval Python 4 Expert 1",
        "2 March 2026 Python 4 Expert 1",
    ]
    words = text(response)
    assert re.search(r"On approval: Python to level 4 Expert, 1 person .*? C 1 2\. ", words)
    assert re.search(r"By 2 March 2026: Python to level 4 Expert, 1 person .*? B 2 1\. ", words)


def test_cohorts_are_paged_and_a_split_cohort_says_it_continues(client_for, cohorts, monkeypatch):
    monkeypatch.setattr(selectors, "COHORT_PEOPLE_PER_PAGE", 1)
    monkeypatch.setattr(selectors, "COHORTS_PER_PAGE", 2)
    client = client_for(Role.HR)
    url = reverse("surge:training", args=[cohorts.pk])
    first = text(client.get(url))
    assert "showing 1 to 1" in first and "(continued)" not in first
    assert "Bob Brown" in first and "Eve Evans" not in first
    second = text(client.get(url, {"page": "2"}))
    assert "Python to level 4 Expert, 2 people (continued)" in second
    assert "Eve Evans" in second and "Bob Brown" not in second
    assert len(cohort_rows(client.get(url, {"cohorts_page": "2"}))) == 1
    assert client.get(url, {"page": "x", "cohorts_page": "-3"}).status_code == 200


def test_the_cohorts_page_reads_a_fixed_number_of_queries(client_for, cohorts, world):  # noqa: F811
    client = client_for(Role.HR)
    url = reverse("surge:training", args=[cohorts.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    line = cohorts.lines.get()
    for n in range(20):
        Allocation.objects.create(
            scenario=cohorts,
            line=line,
            person=PersonFactory(),
            score=0.5,
            start_date=MONDAY + dt.timedelta(weeks=n % 3),
            training=[[world["python"].pk, 4, 1 + n % 2]],
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert "23 people need training" in text(response)
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD])
def test_roles_without_surge_view_are_refused(client_for, cohorts, role):
    client = client_for(role)
    assert client.get(reverse("surge:training", args=[cohorts.pk])).status_code == 403
    export = reverse("surge:export_training", args=[cohorts.pk, "csv"])
    assert client.post(export).status_code == 403
    assert not AccessEvent.objects.filter(action__in=[Action.VIEW_SCENARIO, Action.EXPORT]).exists()


def test_reading_the_cohorts_is_audited_per_person(client_for, cohorts):
    client_for(Role.HR).get(reverse("surge:training", args=[cohorts.pk]))
    events = AccessEvent.objects.filter(action=Action.VIEW_SCENARIO)
    scenario_rows = events.filter(subject__isnull=True)
    assert scenario_rows.count() == 1
    assert scenario_rows.get().object_id == str(cohorts.pk)
    assert scenario_rows.get().parameters["page"] == "training cohorts"
    # One row per person allocated, so each sees it in "who viewed me".
    assert sorted(
        events.filter(subject__isnull=False).values_list("subject__staff_number", flat=True)
    ) == [
        "A",
        "B",
        "E",
        "F",
    ]


def test_the_cohorts_download_is_escaped_audited_and_named_without_personal_data(
    client_for, cohorts
):
    Allocation.objects.filter(person__staff_number="F").update(
        training=[[SkillFactory(name="+SUM(1)").pk, 2, 1]]
    )
    cohorts.allocations.get(person__staff_number="E").person.__class__.objects.filter(
        staff_number="E"
    ).update(full_name='=HYPERLINK("x")')
    client = client_for(Role.PLANNER)
    url = reverse("surge:export_training", args=[cohorts.pk, "csv"])
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 200
    today = timezone.localdate().isoformat()
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="surge-{cohorts.pk}-training-{today}.csv"'
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == [
        "start_date",
        "week",
        "skill",
        "level_needed",
        "level_name",
        "levels_short",
        "staff_number",
        "name",
        "line",
        "role",
    ]
    role = cohorts.lines.get().role_profile.title
    assert [row[:9] for row in rows[1:]] == [
        # By name within a cohort: "=HYPERLINK" sorts before "Bob".
        ["2026-01-12", "2", "Python", "4", "Expert", "1", "E", '\'=HYPERLINK("x")', "1"],
        ["2026-01-12", "2", "Python", "4", "Expert", "2", "B", "Bob Brown", "1"],
        ["2026-01-12", "2", "SQL", "3", "Practitioner", "2", "E", '\'=HYPERLINK("x")', "1"],
        ["2026-01-19", "3", "'+SUM(1)", "2", "Working", "1", "F", "Fred Foster", "1"],
    ]
    assert {row[9] for row in rows[1:]} == {role}
    events = AccessEvent.objects.filter(action=Action.EXPORT, parameters__export="training")
    assert events.filter(subject__isnull=True).count() == 1
    assert events.filter(subject__isnull=False).count() == 4
    xlsx = client.post(reverse("surge:export_training", args=[cohorts.pk, "xlsx"]))
    assert xlsx.status_code == 200 and "training" in xlsx["Content-Disposition"]
    assert "Eve" not in xlsx["Content-Disposition"]


def test_an_unsolved_scenario_has_no_cohorts(client_for, world):  # noqa: F811
    scenario = create(world, forecast([10]))
    words = text(client_for(Role.PLANNER).get(reverse("surge:training", args=[scenario.pk])))
    assert "There are no cohorts: this scenario has not been solved." in words
    assert DemandLine.objects.filter(scenario=scenario).exists()
