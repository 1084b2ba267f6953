"""Two workers never send one notification twice (PostgreSQL row locks,
``select_for_update(skip_locked=True)``)."""

import threading

import pytest
from django.db import connections, transaction

from skills_app.notify.backends import RecordingBackend
from skills_app.notify.events import Event
from skills_app.notify.models import Notification, Status
from skills_app.notify.services import queue_notification, send_due
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(fn):
    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - inspected by the caller
            outcome["value"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _queue(n):
    person = PersonFactory()
    for i in range(n):
        queue_notification(
            event=Event.START_REMINDER,
            recipient=person,
            link_path="/me/move/",
            reference=f"test:{i}",
        )


def test_a_worker_skips_rows_another_worker_holds(postgres_only):
    _queue(3)
    with transaction.atomic():
        held = list(Notification.objects.select_for_update())
        thread, outcome = _in_thread(send_due)
        thread.join(timeout=10)
        # Not blocked behind the lock, and nothing sent of what the other one holds.
        assert not thread.is_alive()
        assert outcome["value"].tried == 0
    assert len(held) == 3
    assert send_due().sent == 3


@pytest.mark.parametrize("attempt", range(3))
def test_two_workers_at_once_send_each_row_once(postgres_only, attempt):
    _queue(40)
    start = threading.Barrier(2)

    def worker():
        start.wait()
        return send_due(limit=40)

    (a, a_out), (b, b_out) = _in_thread(worker), _in_thread(worker)
    a.join(timeout=60)
    b.join(timeout=60)
    assert a_out["value"].sent + b_out["value"].sent == 40, (a_out, b_out)
    sent = [m.notification_id for m in RecordingBackend.outbox]
    assert len(sent) == len(set(sent)) == 40
    assert set(Notification.objects.values_list("status", flat=True)) == {Status.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
