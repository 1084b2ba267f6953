"""Notifications (issue 16 item 3): queued in the caller's transaction, sent by the
worker through the configured backend, retried with backoff, never lost."""

import datetime as dt
import logging
from unittest import mock

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action
from skills_app.notify import services
from skills_app.notify.backends import FAILING, GOVUK_NOTIFY, RecordingBackend
from skills_app.notify.events import Event
from skills_app.notify.models import Notification, Status
from skills_app.notify.services import queue_notification, send_due
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

TEMPLATES = {e.value: f"00000000-0000-4000-8000-00000000000{i}" for i, e in enumerate(Event)}


@pytest.fixture
def person():
    return PersonFactory(full_name="Quentin Quiet", work_email="quentin.quiet@example.gov.uk")


def queue(person, reference="move:1:release_requested:1", event=Event.RELEASE_REQUESTED):
    return queue_notification(
        event=event, recipient=person, link_path="/moves/requests/", reference=reference
    )


def later(minutes):
    return timezone.now() + dt.timedelta(minutes=minutes)


def test_queue_writes_one_row_with_only_the_name_and_a_link(person, settings):
    settings.SITE_URL = "https://muster.example.gov.uk"
    row = queue(person)
    assert row.personalisation == {
        "name": "Quentin Quiet",
        "link": "https://muster.example.gov.uk/moves/requests/",
    }
    assert (row.status, row.attempts, row.email_address) == (
        Status.QUEUED,
        0,
        "quentin.quiet@example.gov.uk",
    )
    assert RecordingBackend.outbox == []  # nothing is sent at queue time


def test_queue_is_part_of_the_callers_transaction(person):
    with pytest.raises(RuntimeError), transaction.atomic():
        queue(person)
        raise RuntimeError("the step failed")
    assert not Notification.objects.exists()


def test_the_same_reference_queues_once(person):
    first = queue(person)
    again = queue(person)
    assert again.pk == first.pk
    assert Notification.objects.count() == 1
    with pytest.raises(ValueError):
        queue(person, event=Event.RELEASE_REFUSED)


@pytest.mark.parametrize(
    "path",
    ["moves/requests/", "//evil.example/", "/moves/?person=3", "/people/S000001/", "/x/P0000001/"],
)
def test_a_link_must_be_a_plain_path_naming_no_one(person, path):
    with pytest.raises(ValueError):
        queue_notification(event=Event.RETURNED, recipient=person, link_path=path, reference="r:1")
    assert not Notification.objects.exists()


def test_the_recording_backend_sends_and_marks_sent(person):
    row = queue(person)
    summary = send_due()
    assert (summary.sent, summary.failed, summary.dead) == (1, 0, 0)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.backend) == (Status.SENT, 1, "recording")
    assert row.sent_at is not None and row.provider_id
    [message] = RecordingBackend.outbox
    assert message.personalisation == row.personalisation
    assert message.reference == row.reference
    assert send_due().tried == 0  # sent once only


def test_a_failing_backend_leaves_the_row_failed_and_a_later_run_sends_it(person, settings):
    row = queue(person)
    settings.NOTIFY_BACKEND = FAILING
    assert send_due().failed == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, 1)
    assert row.next_attempt_at > timezone.now()
    assert "Simulated outage" in row.last_error
    assert send_due().tried == 0  # not due again before its backoff

    settings.NOTIFY_BACKEND = "skills_app.notify.backends.RecordingBackend"
    assert send_due(now=later(2)).sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)
    assert len(RecordingBackend.outbox) == 1


def test_backoff_grows_and_the_row_dies_after_the_last_attempt(person, settings):
    row = queue(person)
    settings.NOTIFY_BACKEND = FAILING
    now = timezone.now()
    waits = []
    for _ in range(services.MAX_ATTEMPTS - 1):
        send_due(now=now)
        row.refresh_from_db()
        assert row.status == Status.FAILED
        waits.append(row.next_attempt_at - now)
        now = row.next_attempt_at
    assert waits == list(services.RETRY_DELAYS)
    assert waits[0] == dt.timedelta(minutes=1) and waits == sorted(waits)
    assert send_due(now=now).dead == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.DEAD, services.MAX_ATTEMPTS)
    assert send_due(now=now + dt.timedelta(days=30)).tried == 0  # dead stays dead...

    # ...until an administrator retries it: kept, never lost.
    settings.NOTIFY_BACKEND = "skills_app.notify.backends.RecordingBackend"
    assert services.notifications_retry_now([row.pk], actor=None) == 1
    assert send_due().sent == 1


def test_a_row_whose_worker_died_mid_send_is_taken_up_after_its_lease(person):
    row = queue(person)
    claimed = services._claim(limit=10, now=timezone.now())
    assert [r.pk for r in claimed] == [row.pk]
    assert send_due().tried == 0  # claimed: no one else sends it meanwhile
    assert send_due(now=later(6)).sent == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 2)


def test_a_row_whose_worker_dies_every_time_gives_up(person):
    row = queue(person)
    now = timezone.now()
    for _ in range(services.MAX_ATTEMPTS):
        services._claim(limit=10, now=now)
        now += services.SENDING_LEASE
    assert send_due(now=now).dead == 1
    row.refresh_from_db()
    assert row.status == Status.DEAD and "worker stopped" in row.last_error
    assert RecordingBackend.outbox == []


def test_a_backend_that_cannot_start_claims_nothing(person, settings):
    row = queue(person)
    settings.NOTIFY_BACKEND, settings.NOTIFY_API_KEY = GOVUK_NOTIFY, ""
    with pytest.raises(ImproperlyConfigured):
        send_due()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 0)


def test_nothing_is_logged_that_names_the_recipient(person, settings, caplog):
    caplog.set_level(logging.INFO, logger="skills_app.notify")
    queue(person)
    settings.NOTIFY_BACKEND = FAILING
    send_due()
    text = caplog.text
    assert caplog.records and "Quentin" not in text and "quentin.quiet" not in text


def test_the_notify_backend_sends_with_the_template_id_from_settings(person, settings):
    settings.NOTIFY_BACKEND = GOVUK_NOTIFY
    settings.NOTIFY_API_KEY = "key-name-" + "1" * 36 + "-" + "2" * 36
    settings.NOTIFY_TEMPLATES = TEMPLATES
    row = queue(person, event=Event.MOVE_TO_ACKNOWLEDGE)
    with mock.patch("notifications_python_client.NotificationsAPIClient") as client_class:
        client_class.return_value.send_email_notification.return_value = {"id": "notify-id-1"}
        assert send_due().sent == 1
    client_class.assert_called_once_with(settings.NOTIFY_API_KEY)
    client_class.return_value.send_email_notification.assert_called_once_with(
        email_address="quentin.quiet@example.gov.uk",
        template_id=TEMPLATES["move_to_acknowledge"],
        personalisation={"name": "Quentin Quiet", "link": row.personalisation["link"]},
        reference=row.reference,
    )
    row.refresh_from_db()
    assert (row.status, row.backend, row.provider_id) == (
        Status.SENT,
        "govuk_notify",
        "notify-id-1",
    )


def _notify_error(status, message):
    from notifications_python_client.errors import HTTPError

    response = mock.Mock(status_code=status)
    response.json.return_value = {"status_code": status, "errors": message}
    return HTTPError(response)


@pytest.mark.parametrize(
    ("status", "outcome"), [(400, Status.DEAD), (429, Status.FAILED), (503, Status.FAILED)]
)
def test_notify_errors_a_retry_cannot_fix_give_up_at_once(person, settings, status, outcome):
    settings.NOTIFY_BACKEND = GOVUK_NOTIFY
    settings.NOTIFY_API_KEY = "key-name-" + "1" * 36 + "-" + "2" * 36
    settings.NOTIFY_TEMPLATES = TEMPLATES
    row = queue(person)
    error = _notify_error(
        status, [{"error": "SomeError", "message": "quentin.quiet@example.gov.uk is wrong"}]
    )
    with mock.patch("notifications_python_client.NotificationsAPIClient") as client_class:
        client_class.return_value.send_email_notification.side_effect = error
        send_due()
    row.refresh_from_db()
    assert row.status == outcome
    assert f"HTTP {status} SomeError" in row.last_error
    assert "quentin" not in row.last_error


def test_send_notifications_command_sends_what_is_due(person):
    queue(person)
    call_command("send_notifications", verbosity=0)
    assert Notification.objects.get().status == Status.SENT


def test_the_worker_sends_notifications_every_thirty_seconds(settings):
    assert ("send_notifications", 30) in settings.WORKER_HOUSEKEEPING


def test_an_anonymised_leaver_is_not_notified_and_their_rows_forget_them(person):
    from skills_app.people.services import people_anonymise_leavers

    row = queue(person)
    person.left_on = dt.date(2020, 1, 1)
    person.save()
    assert people_anonymise_leavers() == 1
    row.refresh_from_db()
    assert (row.status, row.email_address, row.personalisation["name"]) == (Status.DEAD, "", "")
    person.refresh_from_db()
    assert queue(person, reference="another") is None


def test_retention_forgets_the_address_of_old_sent_rows(person):
    old, recent = queue(person, reference="old"), queue(person, reference="recent")
    send_due()
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=31))
    assert services.notify_forget_personal_data() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.email_address, old.personalisation["name"]) == ("", "")
    assert old.personalisation["link"] and recent.email_address


# --- The admin -------------------------------------------------------------------------


def test_the_admin_lists_notifications_read_only_and_names_no_one(person, client_for, settings):
    row = queue(person)
    settings.NOTIFY_BACKEND = FAILING
    send_due()
    client = client_for(Role.ADMIN)
    listing = client.get("/admin/notify/notification/")
    page = client.get(f"/admin/notify/notification/{row.pk}/change/")
    for response in (listing, page):
        assert response.status_code == 200
        text = response.content.decode()
        assert "Quentin" not in text and "quentin.quiet" not in text
        assert person.staff_number not in text
    assert "Simulated outage" in listing.content.decode()
    assert "1 failing (will retry), 0 gave up" in listing.content.decode()
    assert "Recipient&#x27;s record id" in page.content.decode()
    assert "/moves/requests/" in page.content.decode()
    assert client.get("/admin/notify/notification/add/").status_code == 403
    assert client.post(f"/admin/notify/notification/{row.pk}/change/", {}).status_code == 403
    assert client.get(f"/admin/notify/notification/{row.pk}/delete/").status_code == 403


def test_the_admin_retries_failed_rows_now(person, client_for, settings):
    row = queue(person)
    settings.NOTIFY_BACKEND = FAILING
    send_due()
    client = client_for(Role.ADMIN)
    response = client.post(
        "/admin/notify/notification/",
        {"action": "retry_now", "_selected_action": [str(row.pk)]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.QUEUED, 0)
    assert row.next_attempt_at <= timezone.now()
    (event,) = AccessEvent.objects.filter(action=Action.NOTIFY_RETRY)
    assert event.actor.groups.filter(name=Role.ADMIN.value).exists()
    assert event.parameters == {"count": 1, "ids": [str(row.pk)]}


def test_retry_now_writes_one_audit_row_of_ids_and_count_only(person, make_user, settings):
    admin = make_user(Role.ADMIN)
    settings.NOTIFY_BACKEND = FAILING
    failing = [queue(person, reference=f"move:{n}:release_requested:1") for n in range(3)]
    send_due()
    Notification.objects.filter(pk=failing[2].pk).update(status=Status.DEAD)
    sent = queue(person, reference="move:9:release_requested:1")
    Notification.objects.filter(pk=sent.pk).update(status=Status.SENT)
    forgotten = failing[1]
    Notification.objects.filter(pk=forgotten.pk).update(email_address="")

    ids = [row.pk for row in (*failing, sent)]
    assert services.notifications_retry_now(ids, actor=admin) == 2
    (event,) = AccessEvent.objects.all()
    assert (event.actor, event.action, event.object_type, event.subject) == (
        admin,
        Action.NOTIFY_RETRY,
        "notification",
        None,
    )
    assert event.parameters == {
        "count": 2,
        "ids": sorted(str(row.pk) for row in (failing[0], failing[2])),
    }
    assert "quentin" not in str(event.parameters).lower()

    # Nothing left to retry (queued, sent, or no address): nothing queued, nothing audited.
    assert services.notifications_retry_now(ids, actor=admin) == 0
    assert AccessEvent.objects.count() == 1


@pytest.mark.parametrize("role", [Role.STAFF, Role.HR, Role.PLANNER])
def test_other_roles_do_not_reach_the_notifications_admin(client_for, role):
    assert client_for(role).get("/admin/notify/notification/").status_code in {302, 403}
