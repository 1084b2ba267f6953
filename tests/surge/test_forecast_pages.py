"""A line's forecast page (DESIGN 11) and the editor's forecast settings through
Django's test client: who may use the page, pasted and uploaded volumes with their
row errors, every bad input answered with a message (never a 500), a preview that
writes nothing, saving and removing through the service with the version the page
was opened at (a stale one is a 409), frozen scenarios, and an editor save that
keeps each line's forecast."""

import json
import re
from html import unescape

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.urls import reverse

from matching.demand import DemandModel
from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge.forecasts import demand_json
from skills_app.surge.models import DemandLine, ScenarioStatus, SurgeScenario
from skills_app.surge.services import line_forecast_set
from tests.surge.test_surge_views import build_world, create, form_data

pytestmark = pytest.mark.django_db

PASTED = "Week\tClaims\n1\t60,000\n2\t60,000\n3\t60000\n4\t60000\n5\t60000\n6\t60000\n"
# Week 1 by hand: 60,000 arriving + 20,000 / 4 of the backlog = 65,000 claims;
# x 12 minutes = 13,000 hours; / 30 productive hours = 433.3 staff;
# / (1 - 35%) = 666.7 FTE; rounded up: 667 posts. Weeks 5 and 6 have no backlog:
# 12,000 hours / 30 = 400 staff / 0.65 = 615.4 -> 616 posts.
WEEK_1 = (
    "Week 1: 60,000 claims arriving + 5,000 of the backlog = 65,000 claims × 12 min = "
    "13,000 hours; ÷ 30 productive hours = 433.3 staff; ÷ (1 − 35%) = 666.7 → 667 posts"
)


def text(response) -> str:
    page = response.content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def value_of(response, name: str) -> str:
    """The value of the input named ``name``."""
    page = response.content.decode()
    return unescape(re.search(rf'name="{name}"[^>]*value="([^"]*)"', page).group(1))


def summary(response) -> str:
    """The error summary's HTML (empty when there is none)."""
    page = response.content.decode()
    match = re.search(r'<div class="govuk-error-summary".*?</ul>', page, re.S)
    return unescape(match.group(0)) if match else ""


@pytest.fixture
def world():
    return build_world()


@pytest.fixture
def scenario(world):
    # Edited a few times: its version is not its lines', so a page that carried the
    # scenario's version where the line's is due would conflict.
    made = create(world)
    SurgeScenario.objects.filter(pk=made.pk).update(version=5)
    return SurgeScenario.objects.get(pk=made.pk)


def line_of(scenario, position=0) -> DemandLine:
    return scenario.lines.order_by("position")[position]


def url(scenario, line) -> str:
    return reverse("surge:line_forecast", args=[scenario.pk, line.pk])


def data(version, **overrides) -> dict:
    return {
        "volumes": PASTED,
        "item_name": "claims",
        "handling_minutes": "12",
        "productive_hours": "30",
        "shrinkage": "35",
        "backlog": "20,000",
        "clearance_weeks": "4",
        "ramp": "50, 75",
        "version": str(version),
        "action": "preview",
        **overrides,
    }


def model(volumes=(600, 1200)) -> DemandModel:
    return DemandModel(volumes=tuple(volumes), handling_minutes=60, productive_hours=10)


def fresh(scenario) -> SurgeScenario:
    return SurgeScenario.objects.get(pk=scenario.pk)


# --- who may use the page -------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in(client, scenario):
    response = client.get(url(scenario, line_of(scenario)))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


def test_hr_may_view_scenarios_but_not_enter_forecasts(client_for, scenario):
    client = client_for(Role.HR)
    assert client.get(reverse("surge:detail", args=[scenario.pk])).status_code == 200
    line = line_of(scenario)
    assert client.get(url(scenario, line)).status_code == 403
    response = client.post(url(scenario, line), data(line_of(scenario).version, action="save"))
    assert response.status_code == 403
    assert DemandLine.objects.get(pk=line.pk).demand is None


def test_a_planner_gets_the_form_with_the_defaults(client_for, scenario):
    response = client_for(Role.PLANNER).get(url(scenario, line_of(scenario)))
    assert response.status_code == 200
    page = response.content.decode()
    words = text(response)
    assert "Forecast for line 1: Analyst" in words
    assert "This line has no forecast: it needs 1 post every week." in words
    assert value_of(response, "shrinkage") == "35"
    assert value_of(response, "ramp") == "50, 75"
    assert value_of(response, "backlog") == "0"
    assert value_of(response, "clearance_weeks") == "1"
    assert value_of(response, "version") == str(line_of(scenario).version)
    assert 'enctype="multipart/form-data"' in page
    assert "Remove forecast" not in words  # nothing to remove yet


def test_a_line_of_another_scenario_is_not_found(client_for, world, scenario):
    other = create(world)
    response = client_for(Role.PLANNER).get(url(scenario, line_of(other)))
    assert response.status_code == 404


# --- preview --------------------------------------------------------------------------


def test_preview_shows_the_chart_and_the_arithmetic_and_writes_nothing(client_for, scenario):
    line = line_of(scenario)
    response = client_for(Role.PLANNER).post(url(scenario, line), data(line_of(scenario).version))
    assert response.status_code == 200
    page = response.content.decode()
    words = text(response)
    assert "This forecast needs 667 posts in its busiest week, over 6 weeks." in words
    assert WEEK_1 in words
    assert "615.4 → 616 posts" in words  # week 5: the backlog is cleared
    assert "New starters give 50% of full output in their first week, 75% in week 2" in words
    # The chart: one image named and described, its columns labelled; no inline styles.
    svg = re.search(r'<svg[^>]*id="forecast-chart".*?</svg>', page, re.S).group(0)
    assert 'role="img"' in svg
    assert "Chart: posts needed each week for line 1, Analyst" in svg
    assert "from 616 (week 5) to 667 (week 1)" in svg
    assert svg.count("<rect") == 6
    assert "style=" not in svg
    # The table: every week's figures.
    table = re.search(r'<table class="govuk-table" id="forecast-table">.*?</table>', page, re.S)
    rows = re.findall(r"<tr class=\"govuk-table__row\">", table.group(0))
    assert len(rows) == 7  # header + 6 weeks
    assert "Claims to handle" in table.group(0)
    # Nothing written.
    assert fresh(scenario).version == scenario.version
    assert DemandLine.objects.get(pk=line.pk).demand is None
    # Week 1's date is shown when the scenario has one.
    SurgeScenario.objects.filter(pk=scenario.pk).update(weeks_from="2027-01-04")
    dated = client_for(Role.PLANNER).post(url(scenario, line), data(line_of(scenario).version))
    assert "from 4 Jan 2027" in text(dated) and "from 8 Feb 2027" in text(dated)


def test_weeks_pasted_as_dates_are_read_and_their_start_is_pointed_out(client_for, scenario):
    pasted = "2027-01-04,100\n2027-01-11,200\n"
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)),
        data(line_of(scenario).version, volumes=pasted, backlog="0", clearance_weeks="1"),
    )
    assert response.status_code == 200
    words = text(response)
    assert "over 2 weeks" in words
    assert "Your volumes start with the week of 4 January 2027" in words


def test_no_ramp_means_full_output_at_once(client_for, scenario):
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)), data(line_of(scenario).version, ramp="")
    )
    assert "New starters give full output from their first week." in text(response)


# --- pasted and uploaded volumes --------------------------------------------------------


def test_pasted_rows_that_are_wrong_are_listed_with_their_lines(client_for, scenario):
    pasted = "week,volume\n1,100\n2,abc\n4,50\n"
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)),
        data(line_of(scenario).version, volumes=pasted, backlog="0", clearance_weeks="1"),
    )
    assert response.status_code == 200
    listed = summary(response)
    assert '<a href="#id_volumes">Weeks missing: 2, 3</a>' in listed
    assert '<a href="#id_volumes">Line 3: “abc” is not a volume (a number, 0 or more)</a>' in listed
    assert "govuk-textarea--error" in response.content.decode()
    assert text(response).startswith(" Error: Forecast for line 1")
    assert "Posts needed each week" not in text(response)


def test_many_bad_rows_are_counted_after_the_first_ten(client_for, scenario):
    pasted = "\n".join(f"{week}\tx" for week in range(1, 31))
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)), data(line_of(scenario).version, volumes=pasted)
    )
    listed = summary(response)
    assert listed.count("is not a volume") == 10
    assert "And 20 more problems in the weekly volumes" in listed


def test_a_csv_file_is_read_and_its_rows_kept_in_the_box(client_for, scenario):
    upload = SimpleUploadedFile(
        "volumes.csv", "\ufeffweek,volume\n1,600\n2,1200\n".encode(), content_type="text/csv"
    )
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)),
        {
            **data(line_of(scenario).version, volumes="", backlog="0", clearance_weeks="1"),
            "volumes_file": upload,
        },
    )
    assert response.status_code == 200, summary(response)
    words = text(response)
    # 1,200 claims x 12 min = 240 hours / 30 = 8 staff / 0.65 = 12.3 -> 13 posts.
    assert "This forecast needs 13 posts in its busiest week, over 2 weeks." in words
    textarea = re.search(
        r'<textarea[^>]*name="volumes"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
    )
    assert "2,1200" in textarea.group(1)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"week,volume\n1,600\n2,lots\n", "Line 3 of the file: “lots” is not a volume"),
        ("1,600\n2,caf\u00e9".encode("latin-1"), "The file must be a CSV file saved as UTF-8"),
        (b"1,600\n" * 50_000, "The file must be smaller than 256 KB"),
        (b"", "No weeks found: give a week and a volume on each line"),
    ],
)
def test_a_bad_file_is_refused_next_to_the_upload(client_for, scenario, content, message):
    upload = SimpleUploadedFile("volumes.csv", content, content_type="text/csv")
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)),
        {**data(line_of(scenario).version, volumes=""), "volumes_file": upload},
    )
    assert response.status_code == 200
    assert f'<a href="#id_volumes_file">{message}' in summary(response)


# --- bad input: a message next to its field, never a 500 --------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"volumes": ""}, "volumes", "Enter the weekly volumes, or upload a CSV file"),
        ({"volumes": " \n \n"}, "volumes", "Enter the weekly volumes, or upload a CSV file"),
        (
            {"volumes": "1\t" + "9" * 400, "clearance_weeks": "1"},
            "volumes",
            "Weekly volumes are numbers of items, 0 or more",
        ),
        (
            {"volumes": "1\t" + "9" * 308, "clearance_weeks": "1", "handling_minutes": "10000"},
            "volumes",
            "These volumes come to more posts than can be counted",
        ),
        (
            {"volumes": "".join(f"{w}\t1\n" for w in range(1, 522))},
            "volumes",
            "Give at most 520 weeks",
        ),
        ({"volumes": "0\t100"}, "volumes", "Line 1: week numbers start at 1"),
        ({"volumes": "1\t-5"}, "volumes", "Line 1: “-5” is not a volume"),
        ({"volumes": "1\tNaN"}, "volumes", "Line 1: “NaN” is not a volume"),
        (
            {"volumes": "1\t1000000000000", "backlog": "0", "clearance_weeks": "1"},
            "volumes",
            "This forecast needs 10,256,410,257 posts in week 1: a line can need at most 100,000",
        ),
        ({"volumes": "x" * 60_001}, "volumes", "The weekly volumes must be 60,000 characters"),
        ({"handling_minutes": ""}, "handling_minutes", "Enter the handling time, for example 12"),
        ({"handling_minutes": "nan"}, "handling_minutes", "The handling time must be a number"),
        ({"handling_minutes": "inf"}, "handling_minutes", "The handling time must be a number"),
        ({"handling_minutes": "1e400"}, "handling_minutes", "The handling time must be"),
        ({"handling_minutes": "-5"}, "handling_minutes", "The handling time must be 0.01 or more"),
        (
            {"handling_minutes": "9" * 40},
            "handling_minutes",
            "The handling time must be 10,000 or less",
        ),
        ({"productive_hours": "0"}, "productive_hours", "The productive hours must be 0.1 or more"),
        (
            {"productive_hours": "169"},
            "productive_hours",
            "The productive hours must be 168 or less",
        ),
        ({"shrinkage": "100"}, "shrinkage", "The shrinkage must be 99 or less"),
        ({"shrinkage": "-1"}, "shrinkage", "The shrinkage must be 0 or more"),
        ({"backlog": "-1"}, "backlog", "The starting backlog must be 0 or more"),
        (
            {"backlog": "12.5"},
            "backlog",
            "The starting backlog must be a whole number, like 20,000",
        ),
        (
            {"clearance_weeks": "0"},
            "clearance_weeks",
            "The weeks to clear the backlog must be 1 or more",
        ),
        (
            {"clearance_weeks": "9999"},
            "clearance_weeks",
            "The weeks to clear the backlog must be 520 or fewer",
        ),
        (
            {"clearance_weeks": "7"},
            "clearance_weeks",
            "The backlog must be cleared within the weeks forecast",
        ),
        ({"ramp": "0, 75"}, "ramp", "Each ramp-up value must be a percentage above 0"),
        ({"ramp": "150"}, "ramp", "Each ramp-up value must be a percentage above 0"),
        ({"ramp": "nan"}, "ramp", "Each ramp-up value must be a percentage above 0"),
        ({"ramp": "fifty"}, "ramp", "Each ramp-up value must be a percentage above 0"),
        ({"ramp": ", ".join(["50"] * 53)}, "ramp", "Give the ramp-up for at most 52 weeks"),
        ({"item_name": "x" * 61}, "item_name", "What is counted must be 60 characters"),
    ],
)
def test_every_bad_input_gets_a_message_by_its_field(
    client_for, scenario, overrides, field, message
):
    line = line_of(scenario)
    for action in ("preview", "save"):
        response = client_for(Role.PLANNER).post(
            url(scenario, line), data(line_of(scenario).version, action=action, **overrides)
        )
        assert response.status_code == 200
        assert f'<a href="#id_{field}">{message}' in summary(response), summary(response)
        assert f'id="id_{field}-error"' in response.content.decode()
    assert fresh(scenario).version == scenario.version
    assert DemandLine.objects.get(pk=line.pk).demand is None


def test_numbers_with_thousands_separators_are_read(client_for, scenario):
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)), data(line_of(scenario).version, backlog="20 000")
    )
    assert WEEK_1 in text(response)


# --- save and remove ------------------------------------------------------------------


def test_save_writes_through_the_service_and_bumps_the_version(client_for, scenario):
    line = line_of(scenario)
    client = client_for(Role.PLANNER)
    response = client.post(url(scenario, line), data(line_of(scenario).version, action="save"))
    assert response.status_code == 302
    assert response["Location"] == reverse("surge:detail", args=[scenario.pk])
    saved = DemandLine.objects.get(pk=line.pk)
    assert saved.headcount == 667
    assert saved.demand == demand_json(
        DemandModel(
            volumes=(60000,) * 6,
            handling_minutes=12,
            productive_hours=30,
            shrinkage=0.35,
            backlog=20000,
            clearance_weeks=4,
            ramp=(0.5, 0.75),
            item_name="claims",
        )
    )
    assert fresh(scenario).version == scenario.version + 1
    assert saved.version == line.version + 1
    assert AccessEvent.objects.filter(
        action=Action.ALLOCATE, object_id=str(scenario.pk), parameters__change="forecast set"
    ).exists()
    shown = client.get(response["Location"])
    assert "Forecast saved for line 1, Analyst: 667 posts in the busiest week" in text(shown)
    # The page opens again with the saved forecast.
    again = client.get(url(scenario, line))
    page = again.content.decode()
    assert "1\t60000\n2\t60000" in unescape(page)
    assert value_of(again, "backlog") == "20000"
    assert value_of(again, "item_name") == "claims"
    assert value_of(again, "ramp") == "50, 75"
    assert value_of(again, "shrinkage") == "35"
    assert "This line has a forecast: it needs 667 posts in its busiest week." in text(again)


def test_a_save_without_a_version_is_refused(client_for, scenario):
    line = line_of(scenario)
    response = client_for(Role.PLANNER).post(url(scenario, line), data("", action="save"))
    assert response.status_code == 200
    assert "This form is out of date" in summary(response)
    assert DemandLine.objects.get(pk=line.pk).demand is None


def test_a_stale_save_is_a_conflict_and_writes_nothing(client_for, scenario):
    line = line_of(scenario)
    opened = line.version
    line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=opened,
        demand=model(),
    )
    client = client_for(Role.PLANNER)
    response = client.post(url(scenario, line), data(opened, action="save"))
    assert response.status_code == 409
    words = text(response)
    assert "Someone else changed this line since you opened this page" in words
    assert "What you entered and what is saved now" in words
    assert "6 weeks of claims, 12 minutes each: 667 posts in the busiest week" in words
    assert "2 weeks of items, 60 minutes each: 185 posts in the busiest week" in words
    assert DemandLine.objects.get(pk=line.pk).demand == demand_json(model())
    current = DemandLine.objects.get(pk=line.pk).version
    assert current == opened + 1
    assert f'name="version" value="{current}"' in response.content.decode()
    # Saving again from the conflict page is a deliberate overwrite.
    again = client.post(url(scenario, line), data(current, action="save"))
    assert again.status_code == 302
    assert DemandLine.objects.get(pk=line.pk).headcount == 667


def test_remove_takes_the_forecast_away_and_keeps_its_peak(client_for, scenario):
    line = line_of(scenario)
    saved = line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=line.version,
        demand=model(),
    )
    client = client_for(Role.PLANNER)
    page = client.get(url(scenario, line))
    assert "Remove forecast" in text(page)
    stale = client.post(url(scenario, line), {"action": "remove", "version": line.version})
    assert stale.status_code == 409
    assert "The forecast has not been removed" in text(stale)
    assert DemandLine.objects.get(pk=line.pk).demand is not None
    missing = client.post(url(scenario, line), {"action": "remove", "version": ""})
    assert "This form is out of date" in summary(missing)
    assert DemandLine.objects.get(pk=line.pk).demand is not None
    assert value_of(stale, "version") == str(line.version + 1)  # the saved line's
    response = client.post(url(scenario, line), {"action": "remove", "version": line.version + 1})
    assert response.status_code == 302
    removed = DemandLine.objects.get(pk=line.pk)
    assert removed.demand is None and removed.headcount == 185
    assert fresh(scenario).version == saved.version + 1
    assert "Forecast removed from line 1, Analyst: it now needs 185 posts every week" in text(
        client.get(response["Location"])
    )


@pytest.mark.parametrize("status", [ScenarioStatus.APPROVED, ScenarioStatus.CLOSED])
def test_a_frozen_scenario_refuses_forecasts(client_for, scenario, status):
    SurgeScenario.objects.filter(pk=scenario.pk).update(status=status)
    line = line_of(scenario)
    client = client_for(Role.PLANNER)
    opened = client.get(url(scenario, line), follow=True)
    assert opened.redirect_chain[-1][0] == reverse("surge:detail", args=[scenario.pk])
    assert f"This scenario is {status.label.lower()}: its forecasts cannot change" in text(opened)
    for action in ("preview", "save", "remove"):
        response = client.post(url(scenario, line), data(line_of(scenario).version, action=action))
        assert response.status_code == 409
        assert "its forecasts cannot change" in summary(response)
        assert "Save forecast" not in text(response)
    assert DemandLine.objects.get(pk=line.pk).demand is None
    assert fresh(scenario).version == scenario.version


# --- the links to the page ----------------------------------------------------------------


def test_the_link_include_names_the_line_and_hides_from_those_who_cannot_edit(scenario):
    line = line_of(scenario)
    shown = render_to_string(
        "surge/_line_forecast_link.html",
        {"scenario": scenario, "line": line, "number": 1, "can_edit": True},
    )
    assert f'href="{url(scenario, line)}"' in shown
    assert "Add a forecast" in shown and "for line 1" in shown
    line.demand = demand_json(model())
    assert "Change forecast" in render_to_string(
        "surge/_line_forecast_link.html",
        {"scenario": scenario, "line": line, "number": 1, "can_edit": True},
    )
    hidden = render_to_string(
        "surge/_line_forecast_link.html",
        {"scenario": scenario, "line": line, "number": 1, "can_edit": False},
    )
    assert hidden.strip() == ""


# --- the editor: forecast settings and keeping each line's forecast ---------------------


def test_the_editor_links_each_saved_line_to_its_forecast(client_for, scenario):
    response = client_for(Role.PLANNER).get(reverse("surge:edit", args=[scenario.pk]))
    page = response.content.decode()
    for line in scenario.lines.all():
        assert f'href="{url(scenario, line)}"' in page
    new = client_for(Role.PLANNER).get(reverse("surge:new"))
    assert "/forecast/" not in new.content.decode()
    assert value_of(new, "training_days_per_level") == "2"


def test_an_edit_keeps_the_forecast_and_saves_the_forecast_settings(client_for, world, scenario):
    line = line_of(scenario)
    saved = line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=line.version,
        demand=model(),
    )
    client = client_for(Role.PLANNER)
    edit = reverse("surge:edit", args=[scenario.pk])
    page = client.get(edit)
    assert "Posts from its forecast (peak 185)" in text(page)
    hidden = re.search(r'name="line-0-demand" value="([^"]*)"', page.content.decode()).group(1)
    assert json.loads(unescape(hidden)) == demand_json(model())
    posted = form_data(
        world,
        name="Renamed",
        version=str(saved.version),
        weeks_from_day="4",
        weeks_from_month="1",
        weeks_from_year="2027",
        training_days_per_level="3.5",
    )
    posted["line-0-demand"] = unescape(hidden)
    posted["line-0-headcount"] = ""  # the forecast gives the posts
    response = client.post(edit, posted)
    assert response.status_code == 302, summary(response)
    scenario = fresh(scenario)
    assert scenario.name == "Renamed"
    assert str(scenario.weeks_from) == "2027-01-04"
    assert float(scenario.training_days_per_level) == 3.5
    first, second = scenario.lines.order_by("position")
    assert first.demand == demand_json(model()) and first.headcount == 185
    assert second.demand is None and second.headcount == 1
    again = client.get(edit)
    assert value_of(again, "weeks_from_day") == "4"
    assert value_of(again, "training_days_per_level") == "3.5"


def test_a_line_with_neither_posts_nor_a_forecast_is_refused(client_for, world, scenario):
    posted = form_data(world, version=str(scenario.version))
    posted["line-1-headcount"] = ""
    response = client_for(Role.PLANNER).post(reverse("surge:edit", args=[scenario.pk]), posted)
    assert response.status_code == 200
    assert '<a href="#id_line-1-headcount">Enter the number of posts to fill for line 2</a>' in (
        summary(response)
    )


@pytest.mark.parametrize(
    "demand",
    [
        "not json",
        "[1, 2]",
        json.dumps({"volumes": [1], "handling_minutes": 1}),
        json.dumps({"volumes": ["NaN"], "handling_minutes": 1, "productive_hours": 1}),
        json.dumps({"volumes": [1e308], "handling_minutes": 1e300, "productive_hours": 1}),
        json.dumps({"volumes": [1e12], "handling_minutes": 60, "productive_hours": 1}),
        json.dumps(
            {"volumes": [1], "handling_minutes": 1, "productive_hours": 1, "item_name": [1]}
        ),
        json.dumps({"volumes": [1], "handling_minutes": 1, "productive_hours": 1, "x": 1}),
        "[" * 100_000,
    ],
)
def test_a_tampered_forecast_is_refused_and_dropped(client_for, world, scenario, demand):
    posted = form_data(world, name="Tampered", version=str(scenario.version))
    posted["line-0-demand"] = demand
    response = client_for(Role.PLANNER).post(reverse("surge:edit", args=[scenario.pk]), posted)
    assert response.status_code == 200
    listed = summary(response)
    assert ("The forecast for line 1 could not be read" in listed) or (
        "The forecast for line 1 is too long" in listed
    )
    assert 'name="line-0-demand"' not in response.content.decode()  # dropped: posts typed
    assert fresh(scenario).name == "Flood response"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"weeks_from_day": "31", "weeks_from_month": "2", "weeks_from_year": "2027"},
         "weeks_from_day", "The date week 1 starts must be a real date"),
        ({"weeks_from_month": "2", "weeks_from_year": "2027"},
         "weeks_from_day", "The date week 1 starts must include a day"),
        ({"training_days_per_level": "101"}, "training_days_per_level",
         "Training days per level of gap must be 100 or less"),
        ({"training_days_per_level": "-1"}, "training_days_per_level",
         "Training days per level of gap must be 0 or more"),
        ({"training_days_per_level": "nan"}, "training_days_per_level",
         "Training days per level of gap must be a number"),
    ],
)  # fmt: skip
def test_bad_forecast_settings_are_refused(client_for, world, overrides, field, message):
    response = client_for(Role.PLANNER).post(reverse("surge:new"), form_data(world, **overrides))
    assert response.status_code == 200
    assert f'<a href="#id_{field}">{message}' in summary(response)
    assert not SurgeScenario.objects.exists()


def test_a_new_scenario_takes_the_default_training_days(client_for, world):
    response = client_for(Role.PLANNER).post(reverse("surge:new"), form_data(world))
    assert response.status_code == 302
    created = SurgeScenario.objects.get()
    assert float(created.training_days_per_level) == 2.0 and created.weeks_from is None


# --- the API refuses what the database cannot hold ---------------------------------------


@pytest.mark.parametrize(
    ("volumes", "handling"),
    [([1e12], 60), ([1e308], 1e300)],
)
def test_the_api_refuses_a_forecast_too_big_to_count(client_for, world, volumes, handling):
    body = {
        "name": "Huge",
        "lines": [
            {
                "role": world["analyst"].code,
                "demand": {"volumes": volumes, "handling_minutes": handling, "productive_hours": 1},
            }
        ],
    }
    response = client_for(Role.PLANNER).post(
        "/api/v1/surges", body, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    assert not SurgeScenario.objects.exists()


def test_adding_and_removing_lines_in_the_editor_keeps_each_forecast_with_its_row(
    client_for, world, scenario
):
    second = line_of(scenario, 1)
    line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=second.pk,
        expected_version=second.version,
        demand=model(),
    )
    version = fresh(scenario).version
    client = client_for(Role.PLANNER)
    edit = reverse("surge:edit", args=[scenario.pk])
    posted = form_data(world, version=str(version), action="add")
    posted["line-1-demand"] = json.dumps(demand_json(model()))
    added = client.post(edit, posted)
    assert added.status_code == 200
    assert re.search(r'id="line-1-forecast".*?peak 185', added.content.decode(), re.S)
    assert 'name="line-2-demand"' not in added.content.decode()  # the new third row has none
    assert 'id="line-0-forecast"' not in added.content.decode()
    assert "Save the scenario to change the forecast." in text(added)  # rows may have moved
    posted["action"] = "remove-1"
    removed = client.post(edit, posted)
    page = removed.content.decode()
    # Line 2 moved up to line 1 with its forecast; the analyst row is gone.
    assert re.search(r'id="line-0-forecast".*?peak 185', page, re.S)
    assert json.loads(value_of(removed, "line-0-demand")) == demand_json(model())
    assert value_of(removed, "line_count") == "1"


def test_a_ten_year_forecast_previews_with_a_readable_chart(client_for, scenario):
    pasted = "\n".join(f"{week}\t{1000 + week}" for week in range(1, 521))
    response = client_for(Role.PLANNER).post(
        url(scenario, line_of(scenario)),
        data(line_of(scenario).version, volumes=pasted, backlog="0", clearance_weeks="1"),
    )
    assert response.status_code == 200, summary(response)
    page = response.content.decode()
    svg = re.search(r'<svg[^>]*id="forecast-chart".*?</svg>', page, re.S).group(0)
    assert svg.count("<rect") == 520
    # Too many columns to label each: the weeks are labelled every 40 (13 labels).
    assert len(re.findall(r'font-size="12">\d+</text>', svg)) == 13
    assert "from 11 (week 1) to 16 (week 463)" in svg
    assert "over 520 weeks" in text(response)


def editor_lines(world, scenario, changes=None) -> list[dict]:
    """The editor's rows for the saved lines, each carrying its line id as the page
    does; ``changes`` maps a position to the fields typed over it."""
    roles = {world["analyst"].pk, world["dba"].pk}
    rows = []
    for position, line in enumerate(scenario.lines.order_by("position")):
        assert line.role_profile_id in roles
        row = {"role": line.role_profile_id, "headcount": line.headcount, "line_id": line.pk}
        rows.append({**row, **(changes or {}).get(position, {})})
    return rows


def test_a_page_opened_before_an_unrelated_editor_save_still_saves(client_for, world, scenario):
    line = line_of(scenario)
    client = client_for(Role.PLANNER)
    opened = value_of(client.get(url(scenario, line)), "version")
    # Someone renames the scenario and changes line 2 in the editor meanwhile.
    edit = reverse("surge:edit", args=[scenario.pk])
    posted = form_data(
        world,
        name="Renamed",
        version=str(scenario.version),
        lines=editor_lines(world, scenario, {1: {"headcount": 4}}),
    )
    assert client.post(edit, posted).status_code == 302
    assert fresh(scenario).name == "Renamed"
    assert line_of(fresh(scenario), 1).headcount == 4
    response = client.post(url(scenario, line), data(opened, action="save"))
    assert response.status_code == 302, summary(response)
    saved = DemandLine.objects.get(pk=line.pk)
    assert saved.headcount == 667 and saved.demand["item_name"] == "claims"


def test_a_page_opened_before_the_editor_changed_its_line_is_a_conflict(
    client_for, world, scenario
):
    line = line_of(scenario)
    client = client_for(Role.PLANNER)
    opened = value_of(client.get(url(scenario, line)), "version")
    edit = reverse("surge:edit", args=[scenario.pk])
    posted = form_data(
        world,
        version=str(scenario.version),
        lines=editor_lines(world, scenario, {0: {"headcount": 9}}),
    )
    assert client.post(edit, posted).status_code == 302
    response = client.post(url(scenario, line), data(opened, action="save"))
    assert response.status_code == 409
    assert "Someone else changed this line since you opened this page" in text(response)
    saved = DemandLine.objects.get(pk=line.pk)
    assert saved.demand is None and saved.headcount == 9


def test_two_pages_saving_the_same_line_conflict(client_for, scenario):
    line = line_of(scenario)
    first, second = client_for(Role.PLANNER), client_for(Role.PLANNER)
    opened = value_of(first.get(url(scenario, line)), "version")
    assert value_of(second.get(url(scenario, line)), "version") == opened
    assert first.post(url(scenario, line), data(opened, action="save")).status_code == 302
    response = second.post(
        url(scenario, line),
        data(opened, action="save", volumes="1\t600\n2\t1200\n", backlog="0", clearance_weeks="1"),
    )
    assert response.status_code == 409
    assert DemandLine.objects.get(pk=line.pk).headcount == 667  # the first save stands


def test_a_page_opened_before_its_line_was_removed_writes_nothing(client_for, world, scenario):
    line = line_of(scenario)
    client = client_for(Role.PLANNER)
    opened = line.version
    # Someone removes line 1 in the editor: only line 2 is kept, with its id.
    edit = reverse("surge:edit", args=[scenario.pk])
    kept = editor_lines(world, scenario)[1:]
    posted = form_data(world, version=str(scenario.version), lines=kept)
    assert client.post(edit, posted).status_code == 302
    assert not DemandLine.objects.filter(pk=line.pk).exists()
    assert list(fresh(scenario).lines.values_list("pk", flat=True)) == [kept[0]["line_id"]]
    assert client.get(url(scenario, line)).status_code == 404
    response = client.post(url(scenario, line), data(opened, action="save"))
    assert response.status_code == 409
    assert "This line was removed from the scenario since you opened this page" in summary(response)
    assert "60,000" in text(response)  # what was typed, to copy
    assert not DemandLine.objects.filter(scenario=scenario, demand__isnull=False).exists()


def test_a_stale_save_of_an_uploaded_file_keeps_its_rows(client_for, scenario):
    line = line_of(scenario)
    opened = line.version
    line_forecast_set(
        actor=None,
        scenario_id=scenario.pk,
        line_id=line.pk,
        expected_version=opened,
        demand=model(),
    )
    upload = SimpleUploadedFile("volumes.csv", b"1,600\n2,1200\n", content_type="text/csv")
    response = client_for(Role.PLANNER).post(
        url(scenario, line),
        {
            **data(opened, action="save", volumes="", backlog="0", clearance_weeks="1"),
            "volumes_file": upload,
        },
    )
    assert response.status_code == 409
    assert "Enter the weekly volumes" not in summary(response)
    assert "2,1200" in unescape(response.content.decode())


def test_the_scenario_page_links_each_line_to_its_forecast_for_planners_only(client_for, scenario):
    line = line_of(scenario)
    detail = reverse("surge:detail", args=[scenario.pk])
    page = client_for(Role.PLANNER).get(detail).content.decode()
    assert f'href="{url(scenario, line)}"' in page
    assert "Add a forecast" in page
    assert url(scenario, line) not in client_for(Role.HR).get(detail).content.decode()
