"""Moves over the real database (DESIGN 10): approve → requests → release or
refuse → re-solve of open posts → acknowledge → start → end, with who may take
each step, the notices each step queues and what the index sees."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.core.concurrency import ConflictError
from skills_app.index.adapter import current_index
from skills_app.moves import services
from skills_app.moves.models import Move, MoveStatus, ReserveMembership
from skills_app.notify.models import Notification
from skills_app.people.models import EvidenceKind, PersonSkill
from skills_app.roles.search import RequirementSpec, SearchFilters, SearchQuery, search
from skills_app.surge.models import Allocation, AllocationStatus
from skills_app.surge.services import (
    LineSpec,
    open_posts,
    scenario_approve,
    scenario_close,
    scenario_create,
    scenario_solve,
    scenario_solve_open,
)
from tests.factories import (
    OrgUnitFactory,
    PersonFactory,
    PersonSkillFactory,
    RoleRequirementFactory,
    SkillFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(make_user):
    python = SkillFactory(name="Python")
    # A and B hold Python 4 (100%); C holds 3 (75%): eligible at 70% but never first.
    role = RoleRequirementFactory(skill=python, level=4).role
    dept = OrgUnitFactory(name="Dept")
    team = OrgUnitFactory(name="Team", parent=dept)
    manager_user = make_user(Role.LINE_MANAGER, username="manager")
    manager = PersonFactory(staff_number="M", org_unit=team, user=manager_user)
    people = {}
    for name in ("A", "B", "C"):
        user = make_user(Role.STAFF, username=f"staff{name}")
        people[name] = PersonFactory(
            staff_number=name, org_unit=team, line_manager=manager, user=user
        )
        PersonSkillFactory(person=people[name], skill=python, level=4 if name != "C" else 3)
    for i in range(6):  # room under the cap
        PersonFactory(staff_number=f"T{i}", org_unit=team)
    planner = make_user(Role.PLANNER, username="planner")
    PersonFactory(staff_number="P", org_unit=dept, user=planner)
    other_manager = make_user(Role.LINE_MANAGER, username="elsewhere")
    PersonFactory(staff_number="X", org_unit=dept, user=other_manager)
    return {
        "role": role,
        "python": python,
        "manager": manager_user,
        "planner": planner,
        "other_manager": other_manager,
        **people,
    }


def approved(world, headcount=2, **line):
    scenario = scenario_create(
        actor=world["planner"],
        name="Surge",
        release_cap=0.5,
        cap_org_depth=1,
        lines=[LineSpec(world["role"].pk, headcount, min_score=0.7, **line)],
    )
    scenario = scenario_solve(scenario_id=scenario.pk)
    return scenario_approve(
        actor=world["planner"], scenario_id=scenario.pk, expected_version=scenario.version
    )


def move_of(person):
    return Move.objects.get(person=person, status__in=sorted(services.ACTIVE))


def test_approval_creates_a_proposed_loan_per_allocation_and_asks_the_manager(world):
    start = timezone.localdate() + dt.timedelta(days=14)
    scenario = approved(world, start_date=start)
    moves = Move.objects.filter(scenario=scenario)
    assert moves.count() == 2
    for move in moves:
        assert move.status == MoveStatus.PROPOSED
        assert (move.start_date, move.end_date) == (start, start + dt.timedelta(weeks=12))
    requests = Notification.objects.filter(event="release_requested")
    assert requests.count() == 2
    assert {n.recipient.staff_number for n in requests} == {"M"}
    assert all(set(n.personalisation) == {"name", "link"} for n in requests)


def test_the_full_path_to_return(world):
    approved(world)
    move = move_of(world["A"])
    move = services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    assert Notification.objects.filter(event="move_to_acknowledge", recipient=world["A"]).exists()
    me = world["A"].user
    move = services.move_acknowledge(actor=me, move_id=move.pk, expected_version=move.version)
    move = services.move_start(
        actor=world["planner"], move_id=move.pk, expected_version=move.version
    )
    later = move.end_date + dt.timedelta(weeks=4)
    move = services.move_extend(
        actor=world["planner"], move_id=move.pk, expected_version=move.version, end_date=later
    )
    assert (move.status, move.end_date) == (MoveStatus.EXTENDED, later)
    move = services.move_end(actor=world["planner"], move_id=move.pk, expected_version=move.version)
    assert move.status == MoveStatus.ENDED
    assert Allocation.objects.get(pk=move.allocation_id).status == AllocationStatus.RELEASED
    # The person returns free, and is asked to confirm the skills the line used.
    assert not current_index().workforce.people.allocated[
        current_index().position_of(world["A"].pk)
    ]
    assert Notification.objects.filter(event="returned", recipient=world["A"]).exists()
    steps = list(move.steps.values_list("to_status", flat=True))
    assert steps == ["proposed", "released", "acknowledged", "started", "extended", "ended"]
    assert AccessEvent.objects.filter(action=Action.MOVE, subject=world["A"]).count() == 6


def test_a_returner_is_asked_to_confirm_the_skills_the_line_used(world):
    other = SkillFactory(name="Casework")
    RoleRequirementFactory(role=world["role"], skill=other, level=2, weight=0.1)
    approved(world)
    move = move_of(world["A"])
    for step in (services.move_release,):
        move = step(actor=world["manager"], move_id=move.pk, expected_version=move.version)
    move = services.move_acknowledge(
        actor=world["A"].user, move_id=move.pk, expected_version=move.version
    )
    move = services.move_start(
        actor=world["planner"], move_id=move.pk, expected_version=move.version
    )
    services.move_end(actor=world["planner"], move_id=move.pk, expected_version=move.version)
    draft = PersonSkill.objects.get(person=world["A"], skill=other)
    assert (draft.evidence, draft.level, draft.source) == (EvidenceKind.INFERRED, 2, "move")
    # Python was already confirmed at 4: a draft never touches it.
    assert PersonSkill.objects.get(person=world["A"], skill=world["python"]).level == 4


def test_each_step_checks_who_is_taking_it(world):
    approved(world)
    move = move_of(world["A"])
    for actor in (world["A"].user, world["other_manager"], world["planner"]):
        with pytest.raises(PermissionDenied):
            services.move_release(actor=actor, move_id=move.pk, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.move_start(actor=world["manager"], move_id=move.pk, expected_version=1)
    move = services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    with pytest.raises(PermissionDenied):
        services.move_acknowledge(
            actor=world["B"].user, move_id=move.pk, expected_version=move.version
        )


def test_steps_out_of_order_and_stale_versions_are_refused(world):
    approved(world)
    move = move_of(world["A"])
    with pytest.raises(services.MoveError):
        services.move_start(actor=world["planner"], move_id=move.pk, expected_version=1)
    with pytest.raises(ConflictError):
        services.move_release(actor=world["manager"], move_id=move.pk, expected_version=7)


def test_a_refusal_frees_exactly_one_post_and_the_person(world):
    scenario = approved(world)
    move = move_of(world["A"])
    with pytest.raises(ValidationError):
        services.move_refuse(actor=world["manager"], move_id=move.pk, expected_version=1, reason="")
    services.move_refuse(
        actor=world["manager"], move_id=move.pk, expected_version=1, reason="Year-end close"
    )
    assert open_posts(scenario) == {scenario.lines.get().pk: 1}
    assert Notification.objects.filter(event="release_refused").count() == 1
    index = current_index()
    assert not index.workforce.people.allocated[index.position_of(world["A"].pk)]
    assert index.workforce.people.allocated[index.position_of(world["B"].pk)]


def test_refilling_open_posts_keeps_everyone_released_and_skips_the_refuser(world):
    scenario = approved(world)
    released = move_of(world["B"])
    services.move_release(actor=world["manager"], move_id=released.pk, expected_version=1)
    refused = move_of(world["A"])
    services.move_refuse(
        actor=world["manager"], move_id=refused.pk, expected_version=1, reason="Needed here"
    )
    outcome = scenario_solve_open(actor=world["planner"], scenario_id=scenario.pk)
    assert outcome == {"open": 1, "filled": 1}
    # B keeps the post; the refused A is not asked for again: C (75%) is.
    assert move_of(world["B"]).status == MoveStatus.RELEASED
    live = Move.objects.filter(scenario=scenario, status=MoveStatus.PROPOSED)
    assert [m.person.staff_number for m in live] == ["C"]
    assert open_posts(scenario) == {scenario.lines.get().pk: 0}


def test_two_managers_releasing_at_once_never_double_count(world, make_user):
    approved(world)
    moves = list(Move.objects.filter(status=MoveStatus.PROPOSED))
    decisions = [(str(m.pk), m.version) for m in moves]
    first = services.moves_decide_many(
        actor=world["manager"], decisions=decisions, step=MoveStatus.RELEASED
    )
    second = services.moves_decide_many(
        actor=world["manager"], decisions=decisions, step=MoveStatus.RELEASED
    )
    assert (len(first.done), len(first.already)) == (2, 0)
    assert (len(second.done), len(second.already)) == (0, 2)
    assert Notification.objects.filter(event="move_to_acknowledge").count() == 2


def test_closing_cancels_unstarted_moves_and_refuses_while_people_are_away(world):
    scenario = approved(world)
    move = move_of(world["A"])
    move = services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    move = services.move_acknowledge(
        actor=world["A"].user, move_id=move.pk, expected_version=move.version
    )
    move = services.move_start(
        actor=world["planner"], move_id=move.pk, expected_version=move.version
    )
    scenario.refresh_from_db()
    with pytest.raises(services.MoveError):
        scenario_close(
            actor=world["planner"], scenario_id=scenario.pk, expected_version=scenario.version
        )
    services.move_end(actor=world["planner"], move_id=move.pk, expected_version=move.version)
    scenario.refresh_from_db()
    scenario_close(
        actor=world["planner"], scenario_id=scenario.pk, expected_version=scenario.version
    )
    assert move_of_any(world["B"]).status == MoveStatus.CANCELLED


def move_of_any(person):
    return Move.objects.filter(person=person).latest("created_at")


def test_reminders_are_sent_once(world):
    start = timezone.localdate() + dt.timedelta(days=1)
    approved(world, start_date=start)
    move = move_of(world["A"])
    services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    assert services.moves_send_reminders() == 1
    assert services.moves_send_reminders() == 0
    assert Notification.objects.filter(event="start_reminder").count() == 1


def test_a_reserve_member_needs_no_release_and_their_manager_is_told(world):
    person = world["A"]
    today = timezone.localdate()
    membership = services.reserve_join(
        actor=person.user,
        person=person,
        notice="24h",
        available_from=today,
        available_until=today + dt.timedelta(days=90),
    )
    with pytest.raises(PermissionDenied):
        services.reserve_agree(
            actor=world["other_manager"], membership_id=membership.pk, expected_version=1
        )
    services.reserve_agree(actor=world["manager"], membership_id=membership.pk, expected_version=1)
    approved(world)
    move = move_of(person)
    assert (move.status, move.reserve) == (MoveStatus.RELEASED, True)
    assert Notification.objects.filter(event="reserve_called").count() == 1


def test_the_reserve_only_search(world):
    person = world["B"]
    today = timezone.localdate()
    membership = services.reserve_join(
        actor=person.user,
        person=person,
        notice="1w",
        available_from=today,
        available_until=today + dt.timedelta(days=30),
    )
    need = (RequirementSpec(world["python"].pk, 3),)
    reserve_only = SearchQuery(requirements=need, filters=SearchFilters(reserve_only=True))
    assert search(reserve_only).hits == []  # offered, not yet agreed
    services.reserve_agree(actor=world["manager"], membership_id=membership.pk, expected_version=1)
    assert [h.staff_number for h in search(reserve_only).hits] == ["B"]
    later = SearchFilters(reserve_only=True, available_on=today + dt.timedelta(days=60))
    assert search(SearchQuery(requirements=need, filters=later)).hits == []
    assert ReserveMembership.objects.get(pk=membership.pk).agreed_by == world["manager"]


def test_every_notice_links_to_a_page_that_exists(world, client):
    from django.urls import Resolver404, resolve

    approved(world)
    move = move_of(world["A"])
    move = services.move_refuse(
        actor=world["manager"], move_id=move.pk, expected_version=1, reason="Busy"
    )
    other = move_of(world["B"])
    other = services.move_release(actor=world["manager"], move_id=other.pk, expected_version=1)
    other = services.move_acknowledge(
        actor=world["B"].user, move_id=other.pk, expected_version=other.version
    )
    other = services.move_start(
        actor=world["planner"], move_id=other.pk, expected_version=other.version
    )
    services.move_end(actor=world["planner"], move_id=other.pk, expected_version=other.version)
    links = {n.event: n.personalisation["link"] for n in Notification.objects.all()}
    assert set(links) >= {"release_requested", "release_refused", "move_to_acknowledge", "returned"}
    for link in links.values():
        path = "/" + link.split("://", 1)[1].split("/", 1)[1]
        try:
            resolve(path)
        except Resolver404:
            pytest.fail(f"a notice links to {path}, which is no page")


def test_only_a_planner_fills_open_posts(world, make_user):
    scenario = approved(world)
    with pytest.raises(PermissionDenied):
        scenario_solve_open(actor=make_user(Role.HR, username="hr"), scenario_id=scenario.pk)
