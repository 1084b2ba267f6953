"""The release-list download follows DESIGN.md section 8 (issue 13 item 9): a line
manager's identity is a full-profile field, so planners (match fields only) get
the list with the two line-manager columns empty; HR and administrators get them."""

import pytest
from django.urls import reverse

from skills_app.accounts.permissions import Role
from skills_app.surge.exports import NO_MANAGER, RELEASE_COLUMNS
from skills_app.surge.services import scenario_solve
from tests.surge.test_surge_views import _csv_rows, _xlsx_rows, build_world, create

pytestmark = pytest.mark.django_db


@pytest.fixture
def scenario():
    world = build_world()
    return scenario_solve(scenario_id=create(world).pk)


def releases(client, scenario, fmt):
    response = client.post(reverse("surge:export_releases", args=[scenario.pk, fmt]))
    assert response.status_code == 200
    return _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)


@pytest.mark.parametrize("role", [Role.HR, Role.ADMIN])
def test_hr_and_administrators_see_who_manages_each_person(client_for, scenario, role):
    client = client_for(role)
    rows = releases(client, scenario, "csv")
    assert rows[0] == RELEASE_COLUMNS
    assert [r[:4] for r in rows[1:]] == [
        ["Mary Manager", "M1", "A", "Alice Allrounder"],
        [NO_MANAGER, "", "B", '\'=HYPERLINK("x")'],
    ]
    assert releases(client, scenario, "xlsx")[1][:4] == (
        "Mary Manager",
        "M1",
        "A",
        "Alice Allrounder",
    )


def test_planners_get_the_list_without_line_manager_identities(client_for, scenario):
    client = client_for(Role.PLANNER)
    rows = releases(client, scenario, "csv")
    assert rows[0] == RELEASE_COLUMNS  # the same columns, so files read the same way
    assert [r[:4] for r in rows[1:]] == [
        ["", "", "A", "Alice Allrounder"],
        [NO_MANAGER, "", "B", '\'=HYPERLINK("x")'],
    ]
    assert rows[1][6:8] == ["2", "Database administrator"]  # where they go is still there
    flat = " ".join(" ".join(r) for r in rows)
    assert "Mary" not in flat and "M1" not in flat
    workbook = releases(client, scenario, "xlsx")
    assert workbook[1][:4] == (None, None, "A", "Alice Allrounder")
    assert not any(
        value in ("Mary Manager", "M1") for row in workbook for value in row if value is not None
    )


def test_the_planners_profile_view_hides_the_line_manager_too(client_for, scenario):
    """The rule the download follows: a planner's view of a profile has no line manager."""
    from skills_app.people.models import Person

    alice = Person.objects.get(staff_number="A")
    page = client_for(Role.PLANNER).get(reverse("team:person", args=[alice.public_id]))
    assert page.status_code == 200
    assert "Mary Manager" not in page.content.decode()
