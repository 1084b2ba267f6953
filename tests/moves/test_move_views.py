"""The move pages through Django's test client (DESIGN 10): the line manager's
release requests (one by one, several at once, refusals with a reason), the
person's move and acknowledgement, the planner's tracking page (counts, filling
open posts, chasing, the steps), HR's read-only list, the ready reserve from
offer to a reserve-only search, loans out with consent and the package, and who
is refused each page."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.moves.models import Move, MoveStatus, ReserveMembership
from skills_app.notify.models import Notification
from tests.factories import PersonFactory, PersonSkillFactory
from tests.moves import test_move_services as service_tests
from tests.moves.test_move_services import approved, move_of

# The services tests' department: a manager of A, B and C, a planner and another manager.
world = service_tests.world
pytestmark = pytest.mark.django_db
REQUESTS = reverse("moves:requests")
MY_MOVE = reverse("me:move")
RESERVE = reverse("me:reserve")
ALL = reverse("moves:list")


def text(response) -> str:
    """The page's text with tags dropped and whitespace collapsed."""
    body = response.content.decode()
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def signed_in(client, user):
    client.force_login(user)
    return client


def pair(move) -> str:
    move.refresh_from_db()
    return f"{move.pk}:{move.version}"


# --- release requests ---------------------------------------------------------------


def test_the_manager_sees_only_their_teams_requests(client, world):
    approved(world)
    page = signed_in(client, world["manager"]).get(REQUESTS)
    assert page.status_code == 200
    names = {world["A"].full_name, world["B"].full_name}
    assert all(name in text(page) for name in names)
    assert "2 requests waiting for you" in text(page)
    # Each person shown is audited as seen by the manager.
    seen = set(
        AccessEvent.objects.filter(actor=world["manager"], action=Action.VIEW_SCENARIO).values_list(
            "subject__staff_number", flat=True
        )
    )
    assert seen == {"A", "B"}
    client.logout()
    elsewhere = signed_in(client, world["other_manager"]).get(REQUESTS)
    assert elsewhere.status_code == 200
    assert not any(name in text(elsewhere) for name in names)
    assert "0 requests waiting for you" in text(elsewhere)


@pytest.mark.parametrize("role", [Role.STAFF, Role.PLANNER, Role.HR, Role.STEWARD])
def test_requests_page_refuses_other_roles(client_for, role):
    assert client_for(role).get(REQUESTS).status_code == 403


def test_release_one(client, world):
    approved(world)
    move = move_of(world["A"])
    c = signed_in(client, world["manager"])
    response = c.post(REQUESTS, {"release_one": pair(move)}, follow=True)
    assert f"{world['A'].full_name} released" in text(response)
    move.refresh_from_db()
    assert move.status == MoveStatus.RELEASED
    assert move.released_by == world["manager"]
    # The same click again (a stale page): nothing changes, the page says so.
    again = c.post(REQUESTS, {"release_one": f"{move.pk}:1"})
    assert again.status_code == 409
    assert "There is a problem" in text(again)


def test_another_manager_cannot_release_or_open_the_refusal(client, world):
    approved(world)
    move = move_of(world["A"])
    c = signed_in(client, world["other_manager"])
    assert c.post(REQUESTS, {"release_one": pair(move)}).status_code == 403
    assert c.get(reverse("moves:refuse", args=[move.pk])).status_code == 404
    move.refresh_from_db()
    assert move.status == MoveStatus.PROPOSED


def test_refuse_one_asks_for_a_reason(client, world):
    approved(world)
    move = move_of(world["A"])
    c = signed_in(client, world["manager"])
    url = reverse("moves:refuse", args=[move.pk])
    page = c.get(url)
    assert page.status_code == 200 and world["A"].full_name in text(page)
    missing = c.post(url, {"reason": "  ", "version": move.version})
    assert missing.status_code == 200
    assert "There is a problem" in text(missing)
    assert "Enter why you cannot release this person" in text(missing)
    move.refresh_from_db()
    assert move.status == MoveStatus.PROPOSED
    done = c.post(url, {"reason": "Year-end close", "version": move.version})
    assert done.status_code == 302
    move.refresh_from_db()
    assert (move.status, move.refused_reason) == (MoveStatus.REFUSED, "Year-end close")


def test_release_several_and_the_summary_says_what_happened(client, world):
    approved(world)
    a, b = move_of(world["A"]), move_of(world["B"])
    pairs = [pair(a), pair(b)]
    # Someone else (an administrator, say) released A first.
    c = signed_in(client, world["manager"])
    c.post(REQUESTS, {"release_one": pair(a)})
    response = c.post(REQUESTS, {"action": "release", "moves": pairs}, follow=True)
    assert "1 released; 1 had already been decided by someone else" in text(response)
    b.refresh_from_db()
    assert b.status == MoveStatus.RELEASED


def test_select_nothing_is_an_error(client, world):
    approved(world)
    response = signed_in(client, world["manager"]).post(REQUESTS, {"action": "release"})
    assert "Select at least one person" in text(response)


def test_refuse_several_with_one_reason(client, world):
    approved(world)
    pairs = [pair(move_of(world["A"])), pair(move_of(world["B"]))]
    c = signed_in(client, world["manager"])
    ask = c.post(REQUESTS, {"action": "refuse", "moves": pairs})
    assert ask.status_code == 200
    assert "Refuse release of 2 people" in text(ask)
    blank = c.post(REQUESTS, {"action": "refuse", "moves": pairs, "reason": ""})
    assert "Enter why you cannot release these people" in text(blank)
    assert Move.objects.filter(status=MoveStatus.REFUSED).count() == 0
    done = c.post(REQUESTS, {"action": "refuse", "moves": pairs, "reason": "Busy"}, follow=True)
    assert "2 refused" in text(done)
    assert set(
        Move.objects.filter(status=MoveStatus.REFUSED).values_list("refused_reason", flat=True)
    ) == {"Busy"}


def test_release_all_on_every_page(client, world):
    approved(world)
    response = signed_in(client, world["manager"]).post(
        REQUESTS, {"action": "release", "all": "yes"}, follow=True
    )
    assert "2 released" in text(response)
    assert Move.objects.filter(status=MoveStatus.RELEASED).count() == 2


# --- the person's move --------------------------------------------------------------


def test_the_person_acknowledges_their_move(client, world):
    approved(world)
    move = move_of(world["A"])
    c = signed_in(client, world["A"].user)
    waiting = c.get(MY_MOVE)
    assert "Your line manager has been asked to release you" in text(waiting)
    assert "Acknowledge" not in text(waiting)
    from skills_app.moves import services

    services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    home = c.get(reverse("home"))
    assert "Acknowledge your move" in text(home)
    page = c.get(MY_MOVE)
    assert "Acknowledge" in text(page)
    move.refresh_from_db()
    done = c.post(
        MY_MOVE,
        {"action": "acknowledge", "move": str(move.pk), "version": move.version},
        follow=True,
    )
    assert "Move acknowledged" in text(done)
    move.refresh_from_db()
    assert move.status == MoveStatus.ACKNOWLEDGED


def test_nobody_acknowledges_someone_elses_move(client, world):
    approved(world)
    move = move_of(world["A"])
    from skills_app.moves import services

    services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    move.refresh_from_db()
    # B has a live move of their own; posting A's id is refused.
    response = signed_in(client, world["B"].user).post(
        MY_MOVE, {"action": "acknowledge", "move": str(move.pk), "version": move.version}
    )
    assert response.status_code == 409
    move.refresh_from_db()
    assert move.status == MoveStatus.RELEASED


def test_my_move_without_a_staff_record(client_for):
    response = client_for(Role.STAFF).get(MY_MOVE)
    assert response.status_code == 200
    assert "not linked to a staff record" in text(response)


# --- the planner's tracking page ------------------------------------------------------


def test_tracking_counts_and_roles(client, world, make_user):
    scenario = approved(world)
    move = move_of(world["A"])
    from skills_app.moves import services

    services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    url = reverse("surge:moves", args=[scenario.pk])
    page = signed_in(client, world["planner"]).get(url)
    assert page.status_code == 200
    body = text(page)
    assert "Waiting for the line manager: 1; Released: 1; Refused: 0" in body
    assert "Record start" not in body  # released, not acknowledged: nothing to start yet
    assert reverse("moves:step", args=[move.pk, "cancel"]) in page.content.decode()
    assert "Fill open posts" in body
    detail = signed_in(client, world["planner"]).get(reverse("surge:detail", args=[scenario.pk]))
    assert url in detail.content.decode()
    client.logout()
    hr = make_user(Role.HR, username="hr")
    read_only = signed_in(client, hr).get(url)
    assert read_only.status_code == 200
    assert "Fill open posts" not in text(read_only)
    assert "/cancel/" not in read_only.content.decode()
    assert signed_in(client, hr).post(url, {"action": "chase"}).status_code == 403
    # Filling open posts checks nobody in its service: the page refuses HR itself.
    assert signed_in(client, hr).post(url, {"action": "fill"}).status_code == 403
    client.logout()
    assert signed_in(client, world["A"].user).get(url).status_code == 403


def test_fill_open_posts_from_the_page(client, world):
    scenario = approved(world)
    from skills_app.moves import services

    move = move_of(world["A"])
    services.move_refuse(
        actor=world["manager"], move_id=move.pk, expected_version=1, reason="Needed here"
    )
    url = reverse("surge:moves", args=[scenario.pk])
    c = signed_in(client, world["planner"])
    assert "1 open post." in text(c.get(url))
    response = c.post(url, {"action": "fill"}, follow=True)
    assert "1 of 1 open post filled" in text(response)
    assert move_of(world["C"]).status == MoveStatus.PROPOSED
    again = c.post(url, {"action": "fill"}, follow=True)
    assert "Every post is filled" in text(again)


def test_chase_from_the_page(client, world):
    scenario = approved(world)
    url = reverse("surge:moves", args=[scenario.pk])
    before = Notification.objects.filter(event="release_requested").count()
    response = signed_in(client, world["planner"]).post(url, {"action": "chase"}, follow=True)
    assert "2 reminders sent" in text(response)
    assert Notification.objects.filter(event="release_requested").count() == before + 2


def test_planner_steps_start_extend_end(client, world):
    approved(world)
    from skills_app.moves import services

    move = move_of(world["A"])
    move = services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    move = services.move_acknowledge(
        actor=world["A"].user, move_id=move.pk, expected_version=move.version
    )
    c = signed_in(client, world["planner"])
    start = reverse("moves:step", args=[move.pk, "start"])
    assert c.post(start, {"version": move.version}).status_code == 302
    move.refresh_from_db()
    assert move.status == MoveStatus.STARTED
    extend = reverse("moves:step", args=[move.pk, "extend"])
    earlier = move.end_date - dt.timedelta(days=1)
    bad = c.post(
        extend,
        {
            "version": move.version,
            "end_day": earlier.day,
            "end_month": earlier.month,
            "end_year": earlier.year,
        },
    )
    assert "The new end date must be after the current one" in text(bad)
    assert "There is a problem" in text(bad)
    later = move.end_date + dt.timedelta(weeks=2)
    ok = c.post(
        extend,
        {
            "version": move.version,
            "end_day": later.day,
            "end_month": later.month,
            "end_year": later.year,
        },
    )
    assert ok.status_code == 302
    move.refresh_from_db()
    assert (move.status, move.end_date) == (MoveStatus.EXTENDED, later)
    end = reverse("moves:step", args=[move.pk, "end"])
    assert c.post(end, {"version": move.version}).status_code == 302
    move.refresh_from_db()
    assert move.status == MoveStatus.ENDED
    # A step the status does not allow is explained, not taken.
    cancel = reverse("moves:step", args=[move.pk, "cancel"])
    assert "it cannot take this step now" in text(c.get(cancel))
    refused = c.post(cancel, {"version": move.version, "reason": "x"})
    assert refused.status_code == 409


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.HR])
def test_steps_refuse_non_planners(client_for, world, role):
    approved(world)
    move = move_of(world["A"])
    url = reverse("moves:step", args=[move.pk, "cancel"])
    assert client_for(role).post(url, {"version": 1, "reason": "x"}).status_code == 403
    move.refresh_from_db()
    assert move.status == MoveStatus.PROPOSED


def test_all_moves_for_hr_is_read_only_and_filtered(client, world, make_user):
    approved(world)
    from skills_app.moves import services

    services.move_release(
        actor=world["manager"], move_id=move_of(world["A"]).pk, expected_version=1
    )
    hr = make_user(Role.HR, username="hr")
    c = signed_in(client, hr)
    page = c.get(ALL)
    assert page.status_code == 200
    assert "2 moves" in text(page) and "/cancel/" not in page.content.decode()
    released = c.get(ALL, {"status": "released"})
    assert "1 move " in text(released) and world["A"].full_name in text(released)
    assert world["B"].full_name not in text(released)
    client.logout()
    assert signed_in(client, world["manager"]).get(ALL).status_code == 403


# --- the ready reserve ------------------------------------------------------------------


def test_reserve_offer_agree_and_reserve_only_search(client, world, make_user):
    today = timezone.localdate()
    until = today + dt.timedelta(days=90)
    c = signed_in(client, world["C"].user)
    blank = c.post(RESERVE, {"action": "offer"})
    assert "Select how much notice you need" in text(blank)
    assert "Enter the first day you are available" in text(blank)
    offered = c.post(
        RESERVE,
        {
            "action": "offer",
            "notice": "1w",
            "available_from_day": today.day,
            "available_from_month": today.month,
            "available_from_year": today.year,
            "available_until_day": until.day,
            "available_until_month": until.month,
            "available_until_year": until.year,
        },
        follow=True,
    )
    assert "Waiting for your line manager" in text(offered)
    membership = ReserveMembership.objects.get(person=world["C"])
    client.logout()
    # Another manager neither sees nor can agree to the offer.
    other = signed_in(client, world["other_manager"])
    assert world["C"].full_name not in text(other.get(REQUESTS))
    assert (
        other.post(REQUESTS, {"agree": f"{membership.pk}:{membership.version}"}).status_code == 403
    )
    client.logout()
    m = signed_in(client, world["manager"])
    assert world["C"].full_name in text(m.get(REQUESTS))
    agreed = m.post(REQUESTS, {"agree": f"{membership.pk}:{membership.version}"}, follow=True)
    assert "joining the ready reserve" in text(agreed)
    membership.refresh_from_db()
    assert membership.agreed_at is not None
    client.logout()
    assert "Agreed" in text(signed_in(client, world["C"].user).get(RESERVE))
    client.logout()
    # A planner's search with "Ready reserve only" finds C and nobody else.
    search = reverse("roles:search", args=[world["role"].code])
    params = {"filtered": "1", "threshold": "70", "prior": "yes", "redeployable": "yes"}
    p = signed_in(client, world["planner"])
    everyone = text(p.get(search, params))
    assert world["A"].full_name in everyone and world["C"].full_name in everyone
    reserve_only = text(p.get(search, {**params, "reserve_only": "on"}))
    assert world["C"].full_name in reserve_only
    assert world["A"].full_name not in reserve_only
    assert "Only members on call" in reserve_only


def test_withdraw_the_offer(client, world):
    today = timezone.localdate()
    from skills_app.moves import services

    membership = services.reserve_join(
        actor=world["C"].user,
        person=world["C"],
        notice="24h",
        available_from=today,
        available_until=today + dt.timedelta(days=30),
    )
    response = signed_in(client, world["C"].user).post(
        RESERVE, {"action": "withdraw", "version": membership.version}, follow=True
    )
    assert "You have left the ready reserve" in text(response)
    membership.refresh_from_db()
    assert membership.withdrawn_at is not None


def test_reserve_report(client, world, make_user):
    today = timezone.localdate()
    from skills_app.moves import services

    membership = services.reserve_join(
        actor=world["A"].user,
        person=world["A"],
        notice="1w",
        available_from=today,
        available_until=today + dt.timedelta(days=30),
    )
    services.reserve_agree(
        actor=world["manager"], membership_id=membership.pk, expected_version=membership.version
    )
    # An offer not agreed yet does not count.
    services.reserve_join(
        actor=world["B"].user,
        person=world["B"],
        notice="24h",
        available_from=today,
        available_until=today + dt.timedelta(days=30),
    )
    hr = make_user(Role.HR, username="hr")
    page = signed_in(client, hr).get(reverse("reports:reserve"))
    assert page.status_code == 200
    body = text(page)
    assert "1 member , 1 on call today" in body
    assert "1 week 1" in body and "24 hours 0" in body
    assert "Python 1 1" in body
    grouped = text(signed_in(client, hr).get(reverse("reports:reserve"), {"depth": "0"}))
    assert "Dept 1 1" in grouped
    client.logout()
    assert signed_in(client, world["manager"]).get(reverse("reports:reserve")).status_code == 403


# --- loans out and the package ------------------------------------------------------------


def loan_form(person, **extra):
    start = timezone.localdate() + dt.timedelta(days=7)
    end = start + dt.timedelta(weeks=8)
    return {
        "staff_number": person.staff_number,
        "host": "Department for Education",
        "start_day": start.day,
        "start_month": start.month,
        "start_year": start.year,
        "end_day": end.day,
        "end_month": end.month,
        "end_year": end.year,
        "cost_note": "Host pays salary",
        **extra,
    }


def test_loan_consent_and_package(client, world):
    PersonSkillFactory(person=world["C"], skill__name="SQL", level=2)
    c = signed_in(client, world["planner"])
    bad = c.post(reverse("moves:loan_new"), loan_form(world["C"], staff_number="NOPE", host=""))
    assert "No one has this staff number" in text(bad)
    assert "Enter the organisation the person is loaned to" in text(bad)
    created = c.post(reverse("moves:loan_new"), loan_form(world["C"]))
    assert created.status_code == 302
    loan = Move.objects.get(person=world["C"])
    assert (loan.status, loan.host_organisation) == (
        MoveStatus.PROPOSED,
        "Department for Education",
    )
    assert Notification.objects.filter(
        event="release_requested", reference__contains=str(loan.pk)
    ).exists()
    package_url = reverse("moves:package", args=[loan.pk])
    # No package before the person agrees.
    refused = c.post(package_url, follow=True)
    assert refused["Content-Type"].startswith("text/html")
    assert "has not agreed to share their profile yet" in text(refused)
    assert not AccessEvent.objects.filter(action=Action.EXPORT, object_id=str(loan.pk)).exists()
    client.logout()
    person = signed_in(client, world["C"].user)
    page = person.get(MY_MOVE)
    assert "Loan to Department for Education" in text(page)
    person.post(MY_MOVE, {"action": "consent", "move": str(loan.pk), "version": loan.version})
    loan.refresh_from_db()
    assert loan.package_consent_at is not None
    client.logout()
    c = signed_in(client, world["planner"])
    response = c.post(package_url)
    assert response.status_code == 200
    disposition = response["Content-Disposition"]
    assert disposition == f'attachment; filename="move-package-{loan.pk}.json"'
    assert world["C"].staff_number not in disposition
    data = json.loads(response.content)
    assert data["person"] == {"name": world["C"].full_name}
    skills = {s["skill"]: s for s in data["skills"]}
    assert skills["Python"]["level"] == 3 and skills["Python"]["uri"] == world["python"].uri
    assert set(skills["SQL"]) == {"skill", "uri", "level", "last_used", "evidence"}
    assert world["C"].work_email not in response.content.decode()
    assert AccessEvent.objects.filter(
        action=Action.EXPORT, object_id=str(loan.pk), subject=world["C"]
    ).exists()


@pytest.mark.parametrize("role", [Role.STAFF, Role.LINE_MANAGER, Role.STEWARD])
def test_loans_and_packages_refuse_other_roles(client_for, role):
    client = client_for(role)
    assert client.get(reverse("moves:loan_new")).status_code == 403
    person = PersonFactory()
    move = Move.objects.create(
        person=person,
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(weeks=4),
        host_organisation="Elsewhere",
        package_consent_at=timezone.now(),
    )
    assert client.post(reverse("moves:package", args=[move.pk])).status_code == 403


def test_only_the_person_consents(client, world):
    loan = Move.objects.create(
        person=world["C"],
        start_date=timezone.localdate(),
        end_date=timezone.localdate() + dt.timedelta(weeks=4),
        host_organisation="Elsewhere",
    )
    response = signed_in(client, world["A"].user).post(
        MY_MOVE, {"action": "consent", "move": str(loan.pk), "version": loan.version}
    )
    assert response.status_code == 409
    loan.refresh_from_db()
    assert loan.package_consent_at is None


# --- the API list (a page's worth, filtered) -------------------------------------------


def test_api_lists_moves_filtered_and_your_own(client, world):
    scenario = approved(world)
    from skills_app.moves import services

    services.move_release(
        actor=world["manager"], move_id=move_of(world["A"]).pk, expected_version=1
    )
    c = signed_in(client, world["planner"])
    response = c.get("/api/v1/moves", {"scenario": scenario.pk, "status": "released"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["items"][0]["staff_number"] == "A"
    assert c.get("/api/v1/moves", {"status": "nonsense"}).status_code == 422
    client.logout()
    mine = signed_in(client, world["B"].user).get("/api/v1/me/moves").json()
    assert [m["staff_number"] for m in mine] == ["B"]


def test_loan_services_check_who_acts(world):
    from django.core.exceptions import PermissionDenied

    from skills_app.moves import services

    start = timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.move_create_loan(
            actor=world["manager"],
            person=world["C"],
            host="Elsewhere",
            start=start,
            end=start + dt.timedelta(weeks=4),
        )
    loan = services.move_create_loan(
        actor=world["planner"],
        person=world["C"],
        host="Elsewhere",
        start=start,
        end=start + dt.timedelta(weeks=4),
    )
    with pytest.raises(PermissionDenied):
        services.move_record_consent(
            actor=world["A"].user, move_id=loan.pk, expected_version=loan.version
        )
    with pytest.raises(PermissionDenied):
        services.move_package(actor=world["manager"], move_id=loan.pk)
    # A second loan for someone already on one is refused.
    with pytest.raises(services.MoveError):
        services.move_create_loan(
            actor=world["planner"],
            person=world["C"],
            host="Another",
            start=start,
            end=start + dt.timedelta(weeks=4),
        )
