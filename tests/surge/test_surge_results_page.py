"""Issue 14 item 1: the surge results page puts the summary and the decision first,
pages its long lists, confirms approval on a page that says what will happen, refuses
approval with nothing filled (page and API alike), tells apart "caps allow no
release" from "caps used up", keeps the training plan's empty state truthful, and
the editor warns before saving a cap that rounds to zero people."""

import re
from html import unescape

import numpy as np
import pytest
from django.urls import reverse

from matching.surge import CAPS_BOUND, CAPS_ZERO, NO_ELIGIBLE, SurgeProblem, solve_optimal
from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.surge.models import ScenarioStatus, SurgeScenario
from skills_app.surge.services import (
    NOTHING_FILLED,
    LineSpec,
    SurgeError,
    scenario_approve,
    scenario_create,
    scenario_solve,
)
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db


def text(response) -> str:
    page = response.content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def teams(sizes: list[int], *, skilled: int | None = None) -> dict:
    """One department of teams (level 1) of the given sizes; in each team the first
    ``skilled`` people (all by default) have Python at level 4."""
    python = SkillFactory(name="Python")
    role = RoleRequirementFactory(skill=python, level=4, role__title="Analyst").role
    dept = OrgUnitFactory(name="Dept")
    for t, size in enumerate(sizes):
        team = OrgUnitFactory(name=f"Team {t:02d}", parent=dept)
        for i in range(size):
            person = PersonFactory(staff_number=f"T{t:02d}P{i:02d}", org_unit=team)
            if skilled is None or i < skilled:
                PersonSkillFactory(person=person, skill=python, level=4)
    return {"role": role}


def solved(world, *, headcount: int, cap: float) -> SurgeScenario:
    scenario = scenario_create(
        actor=None,
        name="Winter surge",
        lines=[LineSpec(world["role"].pk, headcount)],
        release_cap=cap,
        cap_org_depth=1,
    )
    return scenario_solve(scenario_id=scenario.pk)


# --- the reasons, in matching.surge -------------------------------------------------


def problem(headcount, caps, person_unit, pairs) -> SurgeProblem:
    return SurgeProblem(
        headcount=np.array(headcount),
        unit_cap=np.array(caps),
        person_unit=np.array(person_unit),
        pair_person=np.array([p for p, _, _ in pairs], dtype=np.int64),
        pair_line=np.array([line for _, line, _ in pairs], dtype=np.int64),
        pair_score=np.array([s for _, _, s in pairs], dtype=np.float64),
    )


def test_a_cap_of_zero_for_every_eligible_unit_allows_no_release():
    # Three eligible people in two units whose caps round to 0: nothing can be filled,
    # and the reason is the cap, not "used up" and not "too few eligible" (2 posts, 3 people).
    result = solve_optimal(problem([2], [0, 0], [0, 0, 1], [(0, 0, 0.9), (1, 0, 0.9), (2, 0, 0.9)]))
    assert result.posts_filled == 0
    assert result.unfilled_reasons == {0: CAPS_ZERO}


def test_zero_caps_win_over_too_few_eligible_people():
    # One eligible person for two posts, in a unit that may release no one.
    result = solve_optimal(problem([2], [0], [0], [(0, 0, 0.9)]))
    assert result.unfilled_reasons == {0: CAPS_ZERO}


def test_people_left_only_in_zero_cap_units_allow_no_release():
    # Unit 0 (cap 1) gives its one person; the two left sit in unit 1, whose cap is 0.
    result = solve_optimal(problem([3], [1, 0], [0, 1, 1], [(0, 0, 0.9), (1, 0, 0.9), (2, 0, 0.9)]))
    assert result.posts_filled == 1
    assert result.unfilled_reasons == {0: CAPS_ZERO}


def test_a_cap_used_up_is_not_a_cap_of_zero():
    # Unit 0 may release one of its two; the other is held back by a used-up cap.
    result = solve_optimal(problem([2], [1], [0, 0], [(0, 0, 0.9), (1, 0, 0.8)]))
    assert result.unfilled_reasons == {0: CAPS_BOUND}
    # Too few eligible people, with a cap that would release them: not enough people.
    result = solve_optimal(problem([3], [5], [0, 0], [(0, 0, 0.9), (1, 0, 0.8)]))
    assert result.unfilled_reasons == {0: NO_ELIGIBLE}


# --- a 5% cap on teams of about 12 people -------------------------------------------


@pytest.fixture
def zero_world():
    return teams([12, 11, 13])


def test_a_cap_that_rounds_to_zero_says_so_everywhere_and_cannot_be_approved(
    client_for, zero_world
):
    scenario = solved(zero_world, headcount=3, cap=0.05)
    assert scenario.result["filled"] == 0
    assert scenario.result["lines"][0]["reason"] == "caps_allow_no_release"
    assert scenario.result["zero_cap_units"] == scenario.result["cap_units"] == 3
    client = client_for(Role.PLANNER)
    response = client.get(reverse("surge:detail", args=[scenario.pk]))
    words = text(response)
    assert (
        "0 of 3 posts filled. Neither the optimum nor taking the top names role by role fills "
        "any post." in words
    )
    assert (
        "Line 1: Analyst 3 of 3 posts unfilled. Caps allow no release: the release cap rounds "
        "down to 0 people in the units that hold the eligible people." in words
    )
    assert "Release caps bound" not in words and "Caps used up" not in words
    assert "The 5% release cap rounds down to 0 people in all 3 units at this level" in words
    assert "No unit releases anyone: the 5% release cap rounds down to 0 people in every unit" in (
        words
    )
    # The training plan does not claim that the (nobody) allocated meet their roles.
    assert "There is no training plan: no one was allocated." in words
    assert "No training needed" not in words
    # Approval is refused on the page, on its confirmation page, on POST and in the API.
    assert "You cannot approve this scenario. " + NOTHING_FILLED in words
    assert f'href="{reverse("surge:approve", args=[scenario.pk])}"' not in response.content.decode()
    confirm = client.get(reverse("surge:approve", args=[scenario.pk]))
    assert confirm.status_code == 200
    assert "You cannot approve this scenario " + NOTHING_FILLED in text(confirm)
    assert "Approve scenario" not in text(confirm)
    posted = client.post(
        reverse("surge:approve", args=[scenario.pk]), {"version": scenario.version}
    )
    assert posted.status_code == 409
    assert NOTHING_FILLED in text(posted)
    api = client.post(
        f"/api/v1/surges/{scenario.pk}/approve",
        {"expected_version": scenario.version},
        content_type="application/json",
    )
    assert api.status_code == 409
    assert api.json() == {"detail": NOTHING_FILLED, "errors": []}
    with pytest.raises(SurgeError, match="Nothing was filled"):
        scenario_approve(actor=None, scenario_id=scenario.pk, expected_version=scenario.version)
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED


def test_a_cap_that_rounds_to_zero_in_some_units_names_how_many(client_for):
    # 20% of 12 is 2; 20% of 3 and of 4 is 0.
    world = teams([12, 3, 4])
    scenario = solved(world, headcount=2, cap=0.2)
    words = text(client_for(Role.PLANNER).get(reverse("surge:detail", args=[scenario.pk])))
    assert "2 of 2 posts filled." in words
    assert "The 20% release cap rounds down to 0 people in 2 of the 3 units at this level" in words


# --- the editor's warning -----------------------------------------------------------


def editor_data(world, **overrides) -> dict:
    return {
        "name": "Winter surge",
        "description": "",
        "release_cap": "5",
        "cap_org_depth": "1",
        "version": "",
        "line_count": "1",
        "action": "save",
        "line-0-role": str(world["role"].pk),
        "line-0-headcount": "3",
        "line-0-location": "",
        "line-0-start_day": "",
        "line-0-start_month": "",
        "line-0-start_year": "",
        "line-0-min_score": "80",
        **overrides,
    }


def test_the_editor_warns_before_saving_a_cap_that_rounds_to_zero(client_for, zero_world):
    client = client_for(Role.PLANNER)
    new = reverse("surge:new")
    first = client.post(new, editor_data(zero_world))
    assert first.status_code == 200
    assert not SurgeScenario.objects.exists()  # nothing saved yet
    words = text(first)
    assert (
        "A 5% release cap rounds down to 0 people in all 3 units at the team level: no one "
        "can be released and no post can be filled." in words
    )
    assert "Nothing has been saved yet." in words
    assert "Save scenario with this cap" in words
    assert "There is a problem" not in words  # a warning, not an error
    assert 'name="cap_checked" value="0.05@1"' in first.content.decode()

    # A different cap that still rounds to zero warns again.
    again = client.post(new, editor_data(zero_world, release_cap="6", cap_checked="0.05@1"))
    assert again.status_code == 200 and not SurgeScenario.objects.exists()
    assert "A 6% release cap rounds down to 0 people in all 3 units" in text(again)

    # Saving again with the cap it warned about keeps it.
    saved = client.post(new, editor_data(zero_world, cap_checked="0.05@1"))
    assert saved.status_code == 302
    scenario = SurgeScenario.objects.get()
    # Opening the saved scenario shows the warning at once.
    edit = text(client.get(reverse("surge:edit", args=[scenario.pk])))
    assert "A 5% release cap rounds down to 0 people in all 3 units" in edit


def test_the_editor_names_how_many_units_and_is_quiet_when_no_cap_is_zero(client_for):
    world = teams([12, 3, 4])
    client = client_for(Role.PLANNER)
    partial = client.post(reverse("surge:new"), editor_data(world, release_cap="20"))
    assert partial.status_code == 200 and not SurgeScenario.objects.exists()
    assert (
        "A 20% release cap rounds down to 0 people in 2 of the 3 units at the team level: "
        "those units release no one." in text(partial)
    )
    # 50% of 3 is 1: no unit rounds to zero, so it saves at once with no warning.
    fine = client.post(reverse("surge:new"), editor_data(world, release_cap="50"))
    assert fine.status_code == 302
    assert SurgeScenario.objects.count() == 1


def test_adding_a_line_shows_the_warning_without_saving(client_for, zero_world):
    client = client_for(Role.PLANNER)
    response = client.post(reverse("surge:new"), editor_data(zero_world, action="add"))
    assert response.status_code == 200
    assert "A 5% release cap rounds down to 0 people in all 3 units" in text(response)
    assert "Nothing has been saved yet." not in text(response)


# --- approval confirms what it does ---------------------------------------------------


def test_the_approval_page_states_who_is_released_and_what_stays_unfilled(client_for):
    # Teams of 10 at a 20% cap release 2 each: 3 teams fill 6 of 8 posts.
    world = teams([10, 10, 10])
    scenario = solved(world, headcount=8, cap=0.2)
    client = client_for(Role.PLANNER)
    detail = text(client.get(reverse("surge:detail", args=[scenario.pk])))
    assert "Approving releases 6 people from 3 units and leaves 2 posts unfilled." in detail
    response = client.get(reverse("surge:approve", args=[scenario.pk]))
    assert response.status_code == 200
    words = text(response)
    assert "6 people are released from 3 units to fill 6 of 8 posts" in words
    assert "2 posts are left unfilled" in words
    assert "the 6 allocated people become unavailable to every other scenario" in words
    assert f'name="version" value="{scenario.version}"' in response.content.decode()
    # Looking at the confirmation page approves nothing; posting it does.
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.SOLVED
    client.post(reverse("surge:approve", args=[scenario.pk]), {"version": scenario.version})
    scenario.refresh_from_db()
    assert scenario.status == ScenarioStatus.APPROVED


# --- paging ----------------------------------------------------------------------------


def test_allocations_and_releases_are_paged_after_the_decision(client_for):
    # 30 teams of 5 at a 40% cap: each releases 2, so 60 posts fill from 30 units:
    # 60 allocations (50 a page) and 30 releasing units (25 a page).
    world = teams([5] * 30)
    scenario = solved(world, headcount=60, cap=0.4)
    assert scenario.result["filled"] == 60
    client = client_for(Role.PLANNER)
    url = reverse("surge:detail", args=[scenario.pk])
    first = client.get(url)
    page, words = first.content.decode(), text(first)
    assert page.count('<tr class="govuk-table__row">', page.index('id="allocations-table"')) == 51
    assert "Allocations 1 to 50 of 60, line by line, best match first" in words
    assert "30 units release people in the optimum or the greedy baseline: showing 1 to 25" in (
        words
    )
    releases = page[page.index('id="releases-table"') : page.index('id="allocations"')]
    assert releases.count("Dept/Team ") == 25
    assert 'aria-label="Pages of allocations"' in page
    assert 'aria-label="Pages of releases by unit"' in page
    assert "?allocations_page=2" in page and "?units_page=2" in page
    # Everything the decision needs comes before the long lists.
    approve = page.index(f'href="{reverse("surge:approve", args=[scenario.pk])}"')
    assert approve < page.index('id="releases-table"') < page.index('id="allocations-table"')
    # The audit row says how many allocations this page listed.
    viewed = AccessEvent.objects.filter(
        action=Action.VIEW_SCENARIO, object_type="scenario", object_id=str(scenario.pk)
    ).latest("pk")
    assert viewed.parameters["allocations"] == 50

    second = client.get(url, {"allocations_page": 2, "units_page": 2})
    page, words = second.content.decode(), text(second)
    assert "Allocations 51 to 60 of 60" in words
    assert page.count('<tr class="govuk-table__row">', page.index('id="allocations-table"')) == 11
    releases = page[page.index('id="releases-table"') : page.index('id="allocations"')]
    assert releases.count("Dept/Team ") == 5
    # A page number out of range shows the last page, never an error.
    assert client.get(url, {"allocations_page": "99"}).status_code == 200
    assert client.get(url, {"units_page": "x"}).status_code == 200
