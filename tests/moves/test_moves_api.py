"""The moves API (issue 16 item 7): each step checks the caller's role and
relationship, answers 409 on a stale version and 422 on bad input, and the
lists show each caller only what they may see."""

import pytest
from django.test import Client

from skills_app.moves.models import Move, MoveStatus
from tests.moves.test_move_services import approved, move_of, world  # noqa: F401

pytestmark = pytest.mark.django_db


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def step(user, move, name, **body):
    return client(user).post(
        f"/api/v1/moves/{move.pk}/{name}", body, content_type="application/json"
    )


def test_the_path_through_the_api(world):  # noqa: F811
    approved(world)
    move = move_of(world["A"])
    assert step(world["planner"], move, "release", version=1).status_code == 403
    assert step(world["manager"], move, "release", version=9).status_code == 409
    released = step(world["manager"], move, "release", version=1)
    assert released.status_code == 200
    assert released.json()["status"] == "released"
    version = released.json()["version"]
    assert step(world["manager"], move, "start", version=version).status_code == 403
    acknowledged = step(world["A"].user, move, "acknowledge", version=version)
    assert acknowledged.json()["status"] == "acknowledged"
    started = step(world["planner"], move, "start", version=acknowledged.json()["version"])
    ended = step(world["planner"], move, "end", version=started.json()["version"])
    assert ended.json()["status"] == "ended"
    assert step(world["planner"], move, "end", version=ended.json()["version"]).status_code == 409


def test_a_refusal_needs_a_reason(world):  # noqa: F811
    approved(world)
    move = move_of(world["A"])
    assert step(world["manager"], move, "refuse", version=1, reason="").status_code == 422
    refused = step(world["manager"], move, "refuse", version=1, reason="Year-end close")
    assert (refused.status_code, refused.json()["status"]) == (200, "refused")
    assert refused.json()["refused_reason"] == "Year-end close"


def test_extending_needs_a_later_end(world):  # noqa: F811
    approved(world)
    move = move_of(world["A"])
    for user, name in ((world["manager"], "release"), (world["A"].user, "acknowledge")):
        move = Move.objects.get(pk=move.pk)
        step(user, move, name, version=move.version)
    move = Move.objects.get(pk=move.pk)
    step(world["planner"], move, "start", version=move.version)
    move = Move.objects.get(pk=move.pk)
    early = step(world["planner"], move, "extend", version=move.version, end=str(move.start_date))
    assert early.status_code == 422
    later = move.end_date.replace(year=move.end_date.year + 1)
    extended = step(world["planner"], move, "extend", version=move.version, end=str(later))
    assert (extended.json()["status"], extended.json()["end_date"]) == ("extended", str(later))


def test_lists_show_each_caller_what_they_may_see(world):  # noqa: F811
    scenario = approved(world)
    everyone = client(world["planner"]).get(f"/api/v1/moves?scenario={scenario.pk}").json()
    assert len(everyone["items"]) == 2
    mine = client(world["A"].user).get("/api/v1/me/moves").json()
    assert [m["staff_number"] for m in mine] == ["A"]
    as_staff = client(world["A"].user).get("/api/v1/moves").json()
    assert [m["staff_number"] for m in as_staff["items"]] == ["A"]
    elsewhere = client(world["other_manager"]).get("/api/v1/moves").json()
    assert elsewhere["items"] == []
    proposed = client(world["manager"]).get("/api/v1/moves?status=proposed").json()
    assert {m["staff_number"] for m in proposed["items"]} == {"A", "B"}
    assert client(world["manager"]).get("/api/v1/moves?status=nonsense").status_code == 422
    other = move_of(world["A"])
    assert step(world["other_manager"], other, "release", version=1).status_code == 404
    assert Move.objects.get(pk=other.pk).status == MoveStatus.PROPOSED
