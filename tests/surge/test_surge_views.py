"""The surge scenario pages through Django's test client: the editor (every bad input,
add and remove lines without JavaScript, edit and conflict), solving through the page
with the progress page, the results with hand-checked figures, approve, refusals,
close, the downloads (formula-safe, audited, no names in file names) and who may
do what."""

import csv
import datetime as dt
import io
import re
from html import unescape

import openpyxl
import pytest
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge.models import (
    Allocation,
    AllocationStatus,
    DemandLine,
    ScenarioStatus,
    SurgeScenario,
)
from skills_app.surge.services import LineSpec, scenario_approve, scenario_create, scenario_solve
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleProfileFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
NEW = reverse("surge:new")


def html(response) -> str:
    return response.content.decode()


def text(response) -> str:
    """The page's text with tags dropped and whitespace collapsed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html(response))))


@pytest.fixture
def world():
    return build_world()


def build_world() -> dict:
    """Two roles; A is the only all-rounder. Taking the top names role by role (greedy)
    gives A to line 1 (analyst) and leaves line 2 (DBA) empty; the optimum sends B to
    line 1 and A to line 2. Each unit has enough staff for a 50% cap to release two."""
    python, sql = SkillFactory(name="Python"), SkillFactory(name="SQL")
    analyst = RoleRequirementFactory(skill=python, level=4, role__title="Analyst").role
    dba = RoleRequirementFactory(skill=sql, level=4, role__title="Database administrator").role
    dept = OrgUnitFactory(name="Dept")
    team = OrgUnitFactory(name="Team", parent=dept)
    other = OrgUnitFactory(name="Other", parent=dept)
    manager = PersonFactory(staff_number="M1", full_name="Mary Manager", org_unit=other)
    a = PersonFactory(staff_number="A", full_name="Alice Allrounder", org_unit=team)
    a.line_manager = manager
    a.save()
    b = PersonFactory(staff_number="B", full_name='=HYPERLINK("x")', org_unit=team)
    PersonSkillFactory(person=a, skill=python, level=4)
    PersonSkillFactory(person=a, skill=sql, level=4)
    PersonSkillFactory(person=b, skill=python, level=4)
    for i in range(4):
        PersonFactory(staff_number=f"T{i}", org_unit=team)
        PersonFactory(staff_number=f"O{i}", org_unit=other)
    return {"analyst": analyst, "dba": dba, "a": a, "b": b, "team": team, "manager": manager}


def form_data(world, *, lines=None, **overrides) -> dict:
    """A valid editor submission with two lines (analyst, then DBA), 50% cap at level 1."""
    lines = (
        lines if lines is not None else [{"role": world["analyst"].pk}, {"role": world["dba"].pk}]
    )
    data = {
        "name": "Flood response",
        "description": "Winter floods",
        "release_cap": "50",
        "cap_org_depth": "1",
        "version": "",
        "line_count": str(len(lines)),
        "action": "save",
    }
    for i, line in enumerate(lines):
        row = {
            "role": "",
            "headcount": "1",
            "location": "",
            "start_day": "",
            "start_month": "",
            "start_year": "",
            "min_score": "80",
            **line,
        }
        data.update({f"line-{i}-{k}": str(v) for k, v in row.items()})
    data.update(overrides)
    return data


def create(world, **kwargs):
    kwargs.setdefault("release_cap", 0.5)
    kwargs.setdefault("cap_org_depth", 1)
    return scenario_create(
        actor=None,
        name="Flood response",
        lines=[LineSpec(world["analyst"].pk, 1), LineSpec(world["dba"].pk, 1)],
        **kwargs,
    )


# --- the list -----------------------------------------------------------------------


def test_list_shows_scenarios_with_their_figures(client_for, world):
    solved = scenario_solve(scenario_id=create(world).pk)
    scenario_create(
        actor=None, name="Draft one", lines=[LineSpec(world["analyst"].pk, 3)], release_cap=0.2
    )
    response = client_for(Role.PLANNER).get(reverse("surge:list"))
    page = text(response)
    assert response.status_code == 200
    assert "2 scenarios" in page
    assert f'href="{reverse("surge:detail", args=[solved.pk])}"' in html(response)
    # name, status, lines, posts, filled
    assert re.search(r"Flood response Solved 2 2 2 ", page)
    assert re.search(r"Draft one Draft 1 3 Not solved", page)
    assert "Create a scenario" in page


def test_hr_sees_the_list_without_the_create_button(client_for, world):
    create(world)
    response = client_for(Role.HR).get(reverse("surge:list"))
    assert response.status_code == 200
    assert "Flood response" in text(response)
    assert "Create a scenario" not in text(response)


# --- the editor ---------------------------------------------------------------------


def test_new_form_offers_roles_with_requirements_levels_and_locations(client_for, world):
    RoleProfileFactory(title="Empty role")  # no requirements: cannot be scored, not offered
    response = client_for(Role.PLANNER).get(NEW)
    page = html(response)
    assert response.status_code == 200
    assert "<title>Create a scenario - Surge scenarios - Muster</title>" in page
    assert ">Analyst</option>" in page and ">Database administrator</option>" in page
    assert "Empty role" not in page
    # The org levels that exist, named by example units.
    assert ">Department (Dept)</option>" in page
    assert ">Team (for example Other and Team)</option>" in page
    assert '<option value="Leeds">Leeds</option>' in page
    assert "people who chose not to be redeployed are never used" in text(response)
    assert "anyone already allocated in another approved scenario" in text(response)
    assert 'name="line_count" value="1"' in page
    assert 'value="80"' in page  # the default minimum match


def test_create_saves_the_scenario_and_its_lines(client_for, world):
    data = form_data(
        world,
        lines=[
            {
                "role": world["analyst"].pk,
                "headcount": "3",
                "location": "Leeds",
                "start_day": "2",
                "start_month": "3",
                "start_year": "2027",
                "min_score": "72.5",
            },
            {"role": world["dba"].pk},
        ],
    )
    response = client_for(Role.PLANNER).post(NEW, data)
    scenario = SurgeScenario.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("surge:detail", args=[scenario.pk])
    assert (scenario.name, scenario.description) == ("Flood response", "Winter floods")
    assert float(scenario.release_cap) == 0.5 and scenario.cap_org_depth == 1
    first, second = DemandLine.objects.order_by("position")
    assert first.role_profile == world["analyst"] and first.headcount == 3
    assert first.location == "Leeds" and first.start_date == dt.date(2027, 3, 2)
    assert float(first.min_score) == 0.725
    assert second.role_profile == world["dba"] and second.start_date is None
    assert float(second.min_score) == 0.8


BAD_INPUTS = [
    ({"name": ""}, "Enter a name for the scenario", "id_name"),
    ({"name": "x" * 256}, "Scenario name must be 255 characters or fewer", "id_name"),
    ({"release_cap": ""}, "Enter the release cap, for example 20", "id_release_cap"),
    (
        {"release_cap": "lots"},
        "The release cap must be a number from 0 to 100, like 20",
        "id_release_cap",
    ),
    ({"release_cap": "120"}, "The release cap must be 100 or less", "id_release_cap"),
    ({"release_cap": "-5"}, "The release cap must be 0 or more", "id_release_cap"),
    (
        {"release_cap": "12.25"},
        "The release cap can have one decimal place, like 12.5",
        "id_release_cap",
    ),
    (
        {"cap_org_depth": "7"},
        "Select the organisation level the cap applies to",
        "id_cap_org_depth",
    ),
    ({"line-1-role": ""}, "Select the role profile for line 2", "id_line-1-role"),
    ({"line-1-role": "999999"}, "Select the role profile for line 2", "id_line-1-role"),
    (
        {"line-0-headcount": ""},
        "Enter the number of posts to fill for line 1",
        "id_line-0-headcount",
    ),
    (
        {"line-0-headcount": "two"},
        "Posts to fill for line 1 must be a whole number, like 12",
        "id_line-0-headcount",
    ),
    (
        {"line-0-headcount": "0"},
        "Posts to fill for line 1 must be 1 or more",
        "id_line-0-headcount",
    ),
    (
        {"line-0-headcount": "100001"},
        "Posts to fill for line 1 must be 100,000 or fewer",
        "id_line-0-headcount",
    ),
    (
        {"line-0-location": "Mars"},
        "Select the location for line 1, or Anywhere",
        "id_line-0-location",
    ),
    (
        {"line-1-min_score": ""},
        "Enter the minimum match for line 2, for example 80",
        "id_line-1-min_score",
    ),
    (
        {"line-1-min_score": "101"},
        "The minimum match for line 2 must be 100 or less",
        "id_line-1-min_score",
    ),
    (
        {"line-1-min_score": "high"},
        "The minimum match for line 2 must be a number from 0 to 100, like 80",
        "id_line-1-min_score",
    ),
    (
        {"line-0-start_day": "31", "line-0-start_month": "2", "line-0-start_year": "2027"},
        "The start date for line 1 must be a real date",
        "id_line-0-start_day",
    ),
    (
        {"line-0-start_month": "3", "line-0-start_year": "2027"},
        "The start date for line 1 must include a day",
        "id_line-0-start_day",
    ),
    (
        {"line-0-start_day": "1", "line-0-start_month": "3", "line-0-start_year": "27"},
        "Year must include 4 numbers",
        "id_line-0-start_year",
    ),
    ({"line_count": "0"}, "Add at least one demand line", "add-line"),
]


@pytest.mark.parametrize(("overrides", "message", "anchor"), BAD_INPUTS)
def test_each_bad_input_is_reported_and_nothing_is_lost(
    client_for, world, overrides, message, anchor
):
    data = form_data(world, **overrides)
    response = client_for(Role.PLANNER).post(NEW, data)
    page = html(response)
    assert response.status_code == 200
    assert page.count("<title>Error: Create a scenario") == 1
    assert 'class="govuk-error-summary"' in page
    # In the summary, linking to the field, and again beside the field.
    assert f'<a href="#{anchor}">{message}</a>' in page
    assert f'<span class="govuk-visually-hidden">Error:</span> {message}' in page
    assert not SurgeScenario.objects.exists()
    # Everything typed comes back.
    if overrides.get("name", "Flood response") == "Flood response":
        assert 'value="Flood response"' in page
    assert ">Winter floods</textarea>" in page
    if "line_count" not in overrides:
        assert f'<option value="{world["dba"].pk}" selected>' in page or "line-1-role" in overrides


def test_every_bad_input_at_once_is_listed_in_page_order(client_for, world):
    data = form_data(
        world,
        name="",
        release_cap="lots",
        **{"line-0-headcount": "0", "line-1-min_score": "101", "line-1-role": ""},
    )
    response = client_for(Role.PLANNER).post(NEW, data)
    summary = re.search(r'govuk-error-summary__list">(.*?)</ul>', html(response), re.S).group(1)
    assert re.findall(r">([^<]+)</a>", summary) == [
        "Enter a name for the scenario",
        "The release cap must be a number from 0 to 100, like 20",
        "Posts to fill for line 1 must be 1 or more",
        "Select the role profile for line 2",
        "The minimum match for line 2 must be 100 or less",
    ]
    assert 'value="lots"' in html(response)


def test_lines_are_added_and_removed_without_javascript(client_for, world):
    client = client_for(Role.PLANNER)
    data = form_data(world, action="add", **{"line-1-headcount": "7", "line-1-location": "Leeds"})
    added = html(client.post(NEW, data))
    assert 'name="line_count" value="3"' in added
    assert "Line 3" in added and "Remove line 3" in added
    assert "govuk-error-summary" not in added  # nothing is checked yet
    assert 'name="line-1-headcount" type="text" value="7"' in added
    assert 'formaction="/surges/new/#line-4"' in added  # the next "add" scrolls to its line

    data = form_data(world, action="remove-1", **{"line-1-headcount": "7"})
    removed = html(client.post(NEW, data))
    assert 'name="line_count" value="1"' in removed
    # Line 2 is now line 1, with everything typed.
    assert 'name="line-0-headcount" type="text" value="7"' in removed
    assert f'<option value="{world["dba"].pk}" selected>' in removed
    assert "Remove line 2" not in removed
    assert 'value="Flood response"' in removed
    assert not SurgeScenario.objects.exists()


def test_edit_shows_the_saved_values_and_saves_a_new_version(client_for, world):
    scenario = create(world)
    client = client_for(Role.PLANNER)
    url = reverse("surge:edit", args=[scenario.pk])
    page = html(client.get(url))
    assert 'value="Flood response"' in page and 'name="release_cap" type="text" value="50"' in page
    assert f'name="version" value="{scenario.version}"' in page
    assert '<option value="1" selected>' in page
    assert f'<option value="{world["dba"].pk}" selected>' in page

    data = form_data(world, name="Renamed", version=str(scenario.version))
    response = client.post(url, data)
    assert response.status_code == 302
    scenario.refresh_from_db()
    assert scenario.name == "Renamed" and scenario.version == 2


def test_an_edit_keeps_the_ids_of_the_lines_it_keeps(client_for, world):
    scenario = create(world)
    analyst, dba = scenario.lines.order_by("position")
    client = client_for(Role.PLANNER)
    url = reverse("surge:edit", args=[scenario.pk])
    page = html(client.get(url))
    # Each saved line carries its id through the page, and through "Add another line".
    assert f'name="line-0-line_id" value="{analyst.pk}"' in page
    assert f'name="line-1-line_id" value="{dba.pk}"' in page
    lines = [
        {"role": world["analyst"].pk, "line_id": analyst.pk},
        {"role": world["dba"].pk, "line_id": dba.pk},
    ]
    added = html(client.post(url, form_data(world, lines=lines, action="add")))
    assert f'name="line-1-line_id" value="{dba.pk}"' in added
    assert 'name="line-2-line_id" value=""' in added
    data = form_data(
        world,
        name="Renamed",
        version=str(scenario.version),
        lines=[*lines, {"role": world["dba"].pk, "headcount": "3"}],
    )
    assert client.post(url, data).status_code == 302
    first, second, third = scenario.lines.order_by("position")
    assert (first.pk, second.pk) == (analyst.pk, dba.pk)
    assert third.pk not in (analyst.pk, dba.pk) and third.headcount == 3
    # Removing line 1 moves line 2 up with its id; saving deletes line 1 only.
    scenario.refresh_from_db()
    posted = form_data(
        world,
        version=str(scenario.version),
        lines=[
            {"role": world["analyst"].pk, "line_id": analyst.pk},
            {"role": world["dba"].pk, "line_id": dba.pk},
        ],
        action="remove-1",
    )
    removed = html(client.post(url, posted))
    assert f'name="line-0-line_id" value="{dba.pk}"' in removed
    posted = form_data(
        world,
        version=str(scenario.version),
        lines=[{"role": world["dba"].pk, "line_id": dba.pk}],
    )
    assert client.post(url, posted).status_code == 302
    assert list(scenario.lines.values_list("pk", flat=True)) == [dba.pk]


def test_a_stale_edit_is_a_conflict_and_writes_nothing(client_for, world):
    scenario = create(world)
    client = client_for(Role.PLANNER)
    url = reverse("surge:edit", args=[scenario.pk])
    opened = scenario.version
    client.post(url, form_data(world, name="Someone else's name", version=str(opened)))

    response = client.post(url, form_data(world, name="My name", version=str(opened)))
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this scenario since you opened it" in page
    assert "What you entered and what is saved now" in page
    assert "Someone else&#x27;s name" in page and 'value="My name"' in page
    scenario.refresh_from_db()
    assert scenario.name == "Someone else's name"
    # The form now carries the current version: saving again replaces it deliberately.
    assert f'name="version" value="{scenario.version}"' in page
    again = client.post(url, form_data(world, name="My name", version=str(scenario.version)))
    assert again.status_code == 302
    scenario.refresh_from_db()
    assert scenario.name == "My name"


def test_an_edit_without_a_version_is_refused(client_for, world):
    scenario = create(world)
    response = client_for(Role.PLANNER).post(
        reverse("surge:edit", args=[scenario.pk]), form_data(world, name="X", version="")
    )
    assert response.status_code == 200
    assert "This form is out of date: open the scenario again" in html(response)
    scenario.refresh_from_db()
    assert scenario.name == "Flood response"


def test_an_approved_scenario_cannot_be_edited(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    scenario = scenario_approve(
        actor=None, scenario_id=scenario.pk, expected_version=scenario.version
    )
    client = client_for(Role.PLANNER)
    url = reverse("surge:edit", args=[scenario.pk])
    response = client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("surge:detail", args=[scenario.pk])
    assert "This scenario is approved: it cannot change" in text(response)
    posted = client.post(url, form_data(world, name="X", version=str(scenario.version)))
    assert posted.status_code == 409
    assert "This scenario is approved: it cannot change" in html(posted)
    scenario.refresh_from_db()
    assert scenario.name == "Flood response"


# --- solving, the results, approval -------------------------------------------------


@override_settings(TASKS=IMMEDIATE)
def test_solve_through_the_page_then_approve_refuse_and_close(
    client_for, world, django_capture_on_commit_callbacks
):
    scenario = create(world)
    client = client_for(Role.PLANNER)
    detail = reverse("surge:detail", args=[scenario.pk])
    before = html(client.get(detail))
    assert "Solve scenario" in before and "This scenario has not been solved" in before

    with django_capture_on_commit_callbacks(execute=True):
        solved = client.post(reverse("surge:solve", args=[scenario.pk]))
    assert solved.status_code == 302
    assert solved["Location"] == reverse("surge:progress", args=[scenario.pk])
    progress = client.get(solved["Location"])
    assert progress.status_code == 302 and progress["Location"] == detail + "#results"

    response = client.get(detail)
    page, words = html(response), text(response)
    assert "2 of 2 posts filled." in words
    assert "The optimum fills 1 more post than taking the top names role by role." in words
    # Optimum against greedy: posts, total score, mean score.
    assert "Posts filled 2 of 2 1 of 2" in words
    assert "Total match score each person counts from 0 to 1 2.00 1.00" in words
    assert "Mean match score 100.0% 100.0%" in words
    # Per line: posts, eligible, filled optimum/greedy, means, why unfilled.
    assert "1. Analyst 1 2 1 1 100.0% 100.0% All filled" in words
    assert "2. Database administrator 1 1 1 0 100.0% – All filled" in words
    # Releases per unit against the cap: Dept/Team has 6 staff, cap floor(0.5 x 6) = 3.
    assert "Dept/Team 6 3 2 1" in words
    assert "No training needed" in words
    # The summary and the decision come before every long list.
    assert "Posts left unfilled None: every post is filled." in words
    approve_link = f'href="{reverse("surge:approve", args=[scenario.pk])}"'
    assert page.index('id="results-summary"') < page.index(approve_link)
    assert page.index(approve_link) < page.index('id="lines-table"')
    assert page.index(approve_link) < page.index('id="allocations-table"')
    assert "Approving releases 2 people from 1 unit. They become unavailable" in words
    # Allocations line by line, with the explanation link at the line's minimum score.
    assert "Allocations 1 to 2 of 2, line by line, best match first" in words
    assert re.search(r"1\. Analyst.*?=HYPERLINK\(&quot;x&quot;\).*?2\. Database", page, re.S)
    assert re.search(r"2\. Database administrator</td>\s*<th[^>]*>Alice Allrounder", page)
    try:
        explain = reverse(
            "roles:explanation",
            kwargs={"code": world["dba"].code, "public_id": world["a"].public_id},
        )
    except NoReverseMatch:  # the role search's explanation page is not installed
        assert "Why they match" not in page
    else:
        link = f"{explain}?threshold=80&scenario={scenario.pk}"
        assert f'href="{link.replace("&", "&amp;")}"' in page
        explained = client.get(link)
        assert explained.status_code == 200
        # "Why they match" opened from a scenario returns to that scenario.
        back = reverse("surge:detail", args=[scenario.pk])
        assert (
            f'<a href="{back}" class="govuk-back-link app-no-print">Back to {scenario.name}</a>'
            in (explained.content.decode())
        )
    # The chart: an accessible SVG, bars labelled in words, its table right after.
    assert 'role="img" aria-labelledby="surge-chart-title surge-chart-desc"' in page
    assert "Optimum: 1 of 1" in page and "Greedy: 0 of 1" in page and "Greedy: no one" in page
    assert page.index('role="img"') < page.index('id="lines-table"')
    assert AccessEvent.objects.filter(
        action=Action.VIEW_SCENARIO, object_id=str(scenario.pk)
    ).exists()

    scenario.refresh_from_db()
    # Approve is a link to the confirmation page, which says what will happen.
    confirm = text(client.get(reverse("surge:approve", args=[scenario.pk])))
    assert "2 people are released from 1 unit to fill 2 of 2 posts" in confirm
    assert "no post is left unfilled" in confirm
    approved = client.post(
        reverse("surge:approve", args=[scenario.pk]), {"version": scenario.version}, follow=True
    )
    words = text(approved)
    assert "Scenario approved: 2 people are now allocated" in words
    assert "Approved" in words
    assert "Solve again" not in words and "Solve scenario" not in words
    assert "Change scenario" not in words
    assert set(Allocation.objects.values_list("status", flat=True)) == {AllocationStatus.APPROVED}

    refused = client.post(reverse("surge:solve", args=[scenario.pk]))
    assert refused.status_code == 409
    assert "This scenario is approved: it cannot be solved again" in html(refused)
    assert "The scenario was not solved" in html(refused)
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.APPROVED and scenario.solve_state == "done"

    closed = client.post(
        reverse("surge:close", args=[scenario.pk]), {"version": scenario.version}, follow=True
    )
    assert "Scenario closed: its people are free for other scenarios again" in text(closed)
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.CLOSED
    assert set(Allocation.objects.values_list("status", flat=True)) == {AllocationStatus.RELEASED}


def test_unfilled_posts_say_why_in_plain_english(client_for, world):
    # A 20% cap lets Dept/Team release floor(0.2 x 6) = 1 of its two eligible people.
    scenario = scenario_solve(scenario_id=create(world, release_cap=0.2).pk)
    words = text(client_for(Role.PLANNER).get(reverse("surge:detail", args=[scenario.pk])))
    assert "1 of 2 posts filled." in words
    assert (
        "Line 2: Database administrator 1 of 1 post unfilled. Caps used up: the units that "
        "hold the eligible people left have already released as many people as their caps allow."
    ) in words
    assert "Dept/Team 6 1 1 At cap 1" in words


def test_the_optimum_equal_to_greedy_is_said_plainly(client_for, world):
    scenario = scenario_create(
        actor=None,
        name="One line",
        lines=[LineSpec(world["dba"].pk, 1)],
        release_cap=0.5,
        cap_org_depth=1,
    )
    scenario = scenario_solve(scenario_id=scenario.pk)
    words = text(client_for(Role.PLANNER).get(reverse("surge:detail", args=[scenario.pk])))
    assert "Here the optimum does no better than taking the top names role by role" in words


def test_approving_with_a_stale_version_is_a_conflict(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    response = client_for(Role.PLANNER).post(
        reverse("surge:approve", args=[scenario.pk]), {"version": scenario.version - 1}
    )
    assert response.status_code == 409
    assert "The scenario changed since you opened it. Nothing was approved" in html(response)
    # The page offers approval again at the current version.
    assert f'name="version" value="{scenario.version}"' in html(response)
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED


def test_while_a_solve_runs_the_scenario_cannot_be_changed_from_its_page(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    SurgeScenario.objects.filter(pk=scenario.pk).update(solve_state="running")
    words = text(client_for(Role.PLANNER).get(reverse("surge:detail", args=[scenario.pk])))
    assert "This scenario is being solved. See the progress" in words
    for button in ("Solve again", "Change scenario", "Approve scenario"):
        assert button not in words
    assert "Close scenario" in words


def test_a_draft_cannot_be_approved(client_for, world):
    scenario = create(world)
    client = client_for(Role.PLANNER)
    assert "Approve scenario" not in html(client.get(reverse("surge:detail", args=[scenario.pk])))
    response = client.post(
        reverse("surge:approve", args=[scenario.pk]), {"version": scenario.version}
    )
    assert response.status_code == 409
    assert "Only a solved scenario can be approved" in html(response)


def test_confirmation_pages_work_without_the_scenario_page(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    client = client_for(Role.PLANNER)
    page = text(client.get(reverse("surge:approve", args=[scenario.pk])))
    assert "the 2 allocated people become unavailable to every other scenario" in page
    assert f'name="version" value="{scenario.version}"' in html(
        client.get(reverse("surge:approve", args=[scenario.pk]))
    )
    assert "Close scenario" in html(client.get(reverse("surge:close", args=[scenario.pk])))
    assert "Solve scenario" in html(client.get(reverse("surge:solve", args=[scenario.pk])))


# --- the progress page --------------------------------------------------------------


def test_progress_page_polls_and_works_without_javascript(client_for, world):
    scenario = create(world)
    SurgeScenario.objects.filter(pk=scenario.pk).update(solve_state="queued")
    client = client_for(Role.PLANNER)
    url = reverse("surge:progress", args=[scenario.pk])
    page = html(client.get(url))
    assert "Solving the scenario" in page
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert f'hx-get="{url}?message=Waiting%20for%20the%20solver%20to%20start"' in page
    assert 'hx-trigger="every 1s"' in page
    assert 'max="100" value="0"' in page and "Refresh this page" in page

    SurgeScenario.objects.filter(pk=scenario.pk).update(
        solve_state="running", solve_progress=40, solve_message="Scored line 1 of 2"
    )
    fragment = client.get(url, HTTP_HX_REQUEST="true")
    body = html(fragment)
    assert "<html" not in body
    assert 'value="40"' in body and "40% complete" in body
    assert '<div id="solve-announcement" hx-swap-oob="innerHTML">Scored line 1 of 2</div>' in body
    same = html(client.get(url + "?message=Scored%20line%201%20of%202", HTTP_HX_REQUEST="true"))
    assert "hx-swap-oob" not in same  # announced once, not every second

    SurgeScenario.objects.filter(pk=scenario.pk).update(solve_state="failed", solve_message="Boom")
    refreshed = client.get(url, HTTP_HX_REQUEST="true")
    assert refreshed["HX-Refresh"] == "true"
    failed = html(client.get(url))
    assert "The solve failed" in failed and "Boom" in failed and "noscript" not in failed

    SurgeScenario.objects.filter(pk=scenario.pk).update(solve_state="done")
    done = client.get(url, HTTP_HX_REQUEST="true")
    assert done["HX-Redirect"] == reverse("surge:detail", args=[scenario.pk]) + "#results"


def test_progress_of_a_scenario_not_being_solved(client_for, world):
    scenario = create(world)
    page = html(client_for(Role.HR).get(reverse("surge:progress", args=[scenario.pk])))
    assert "This scenario is not being solved" in page


# --- downloads ----------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def _xlsx_rows(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type in ("s", "n"), cell.coordinate  # never a formula
    return [tuple(c.value for c in row) for row in sheet.iter_rows()]


@pytest.mark.parametrize("role", [Role.PLANNER, Role.HR])
def test_allocation_exports_are_formula_safe_audited_and_anonymous_by_name(client_for, world, role):
    scenario = scenario_solve(scenario_id=create(world).pk)
    client = client_for(role)
    today = dt.date.today().isoformat()

    response = client.post(reverse("surge:export_allocations", args=[scenario.pk, "csv"]))
    assert response.status_code == 200 and response.streaming
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="surge-{scenario.pk}-allocations-{today}.csv"'
    )
    rows = _csv_rows(response)
    assert rows[0] == [
        "line",
        "role",
        "staff_number",
        "name",
        "grade",
        "org_unit",
        "location",
        "score_percent",
        "qualifies_by",
        "status",
    ]
    assert rows[1] == [
        "1",
        "Analyst",
        "B",
        '\'=HYPERLINK("x")',
        "HEO",
        "Dept/Team",
        "Leeds",
        "100.0",
        "score",
        "Proposed",
    ]
    assert rows[2][:4] == ["2", "Database administrator", "A", "Alice Allrounder"]

    xlsx = client.post(reverse("surge:export_allocations", args=[scenario.pk, "xlsx"]))
    assert xlsx.status_code == 200
    assert (
        xlsx["Content-Disposition"]
        == f'attachment; filename="surge-{scenario.pk}-allocations-{today}.xlsx"'
    )
    sheet = _xlsx_rows(xlsx)
    assert sheet[1][:4] == (1, "Analyst", "B", '\'=HYPERLINK("x")')
    assert sheet[1][7] == 100.0

    events = AccessEvent.objects.filter(action=Action.EXPORT, object_type="scenario")
    assert sorted(e.parameters["format"] for e in events) == ["csv", "xlsx"]
    assert {e.parameters["export"] for e in events} == {"allocations"}
    assert {e.object_id for e in events} == {str(scenario.pk)}
    assert {e.parameters["rows"] for e in events} == {2}


def test_release_lists_group_people_by_line_manager(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    client = client_for(Role.HR)
    rows = _csv_rows(client.post(reverse("surge:export_releases", args=[scenario.pk, "csv"])))
    assert rows[0][:4] == ["line_manager_name", "line_manager_staff_number", "staff_number", "name"]
    assert [r[:4] for r in rows[1:]] == [
        ["Mary Manager", "M1", "A", "Alice Allrounder"],
        ["No line manager recorded", "", "B", '\'=HYPERLINK("x")'],
    ]
    assert rows[1][7] == "Database administrator"
    xlsx = client.post(reverse("surge:export_releases", args=[scenario.pk, "xlsx"]))
    assert "releases" in xlsx["Content-Disposition"]
    assert "Mary" not in xlsx["Content-Disposition"]
    # An empty text is a blank cell in the workbook.
    assert _xlsx_rows(xlsx)[2][:4] == ("No line manager recorded", None, "B", '\'=HYPERLINK("x")')
    releases = AccessEvent.objects.filter(action=Action.EXPORT, parameters__export="releases")
    # Per download: one scenario-level row and one per person listed (two people).
    assert releases.filter(subject__isnull=True).count() == 2
    assert releases.filter(subject__isnull=False).count() == 4


def test_unknown_export_format_is_not_found(client_for, world):
    scenario = create(world)
    url = reverse("surge:export_allocations", args=[scenario.pk, "pdf"])
    assert client_for(Role.PLANNER).post(url).status_code == 404
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


# --- who may do what ----------------------------------------------------------------

VIEW_NAMES = ["detail", "progress"]
EDIT_NAMES = ["edit", "solve", "approve", "close"]


def _urls(scenario) -> dict[str, str]:
    urls = {"list": reverse("surge:list"), "new": NEW}
    for name in VIEW_NAMES + EDIT_NAMES:
        urls[name] = reverse(f"surge:{name}", args=[scenario.pk])
    for kind in ("allocations", "releases"):
        for fmt in ("csv", "xlsx"):
            urls[f"{kind}.{fmt}"] = reverse(f"surge:export_{kind}", args=[scenario.pk, fmt])
    return urls


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD])
def test_roles_without_surge_access_are_refused_everything(client_for, world, role):
    scenario = scenario_solve(scenario_id=create(world).pk)
    client = client_for(role)
    for name, url in _urls(scenario).items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, {"version": scenario.version}).status_code == 403, name
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED
    assert not AccessEvent.objects.filter(action=Action.EXPORT).exists()


def test_hr_may_view_and_export_but_not_change(client_for, world):
    scenario = scenario_solve(scenario_id=create(world).pk)
    client = client_for(Role.HR)
    urls = _urls(scenario)
    for name in ["list", "detail"]:
        assert client.get(urls[name]).status_code == 200, name
    for name in ["allocations.csv", "releases.xlsx"]:
        assert client.post(urls[name]).status_code == 200, name
    assert client.get(urls["progress"])["Location"].endswith("#results")  # solved: the results
    page = text(client.get(urls["detail"]))
    assert "2 of 2 posts filled." in page
    for button in ("Solve again", "Change scenario", "Approve scenario", "Close scenario"):
        assert button not in page
    for name in ["new", *EDIT_NAMES]:
        assert client.get(urls[name]).status_code == 403, name
        assert client.post(urls[name], {"version": scenario.version}).status_code == 403, name
    assert client.post(NEW, form_data(world)).status_code == 403
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED
    assert SurgeScenario.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    scenario = create(world)
    for name, url in _urls(scenario).items():
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def test_loan_weeks_is_set_per_line_in_the_editor(client_for, world):
    client = client_for(Role.PLANNER)
    data = form_data(world)
    data["line-0-loan_weeks"] = "0"
    refused = client.post(NEW, data)
    assert "The weeks people stay for line 1 must be 1 or more" in text(refused)
    data["line-0-loan_weeks"] = "26"
    assert client.post(NEW, data).status_code == 302
    assert list(DemandLine.objects.order_by("position").values_list("loan_weeks", flat=True)) == [
        26,
        12,  # left out: the default
    ]
