"""Two line managers deciding the same requests at once (PostgreSQL row locks):
every move is decided exactly once and notified once; the worker's reminders run
from its housekeeping."""

import threading

import pytest
from django.core.management import call_command
from django.db import connections

from skills_app.moves import services
from skills_app.moves.models import Move, MoveStatus
from skills_app.notify.models import Notification
from tests.moves.test_move_services import approved, world  # noqa: F401


def _at_once(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(5)
            outcomes[i] = call()
        except BaseException as exc:  # noqa: BLE001 - inspected below
            outcomes[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("attempt", range(3))
def test_two_bulk_releases_at_once_never_double_count(postgres_only, world, make_user, attempt):  # noqa: F811
    from skills_app.accounts.permissions import Role

    approved(world)
    admin = make_user(Role.ADMIN, username="admin")  # may release anyone, as HR's admin
    decisions = [(str(m.pk), m.version) for m in Move.objects.filter(status="proposed")]
    first, second = _at_once(
        lambda: services.moves_decide_many(
            actor=world["manager"], decisions=decisions, step=MoveStatus.RELEASED
        ),
        lambda: services.moves_decide_many(
            actor=admin, decisions=decisions, step=MoveStatus.RELEASED
        ),
    )
    assert not isinstance(first, BaseException), first
    assert not isinstance(second, BaseException), second
    assert len(first.done) + len(second.done) == len(decisions) == 2
    assert len(first.already) + len(second.already) == 2
    assert Move.objects.filter(status=MoveStatus.RELEASED).count() == 2
    assert Notification.objects.filter(event="move_to_acknowledge").count() == 2


@pytest.mark.django_db
def test_the_worker_queues_reminders(world, settings):  # noqa: F811
    import datetime as dt

    from django.utils import timezone

    assert ("send_move_reminders", 3600) in settings.WORKER_HOUSEKEEPING
    approved(world, start_date=timezone.localdate() + dt.timedelta(days=1))
    move = Move.objects.filter(person=world["A"]).get()
    services.move_release(actor=world["manager"], move_id=move.pk, expected_version=1)
    call_command("send_move_reminders")
    assert Notification.objects.filter(event="start_reminder").count() == 1
