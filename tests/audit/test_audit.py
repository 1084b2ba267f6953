import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent, Action, AppendOnlyError
from skills_app.audit.services import record_event, record_events_for_subjects
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


def test_record_event_keeps_who_what_and_whom(make_user):
    planner = make_user(Role.PLANNER)
    person = PersonFactory()
    event = record_event(
        actor=planner,
        action=Action.VIEW_PROFILE,
        object_type="person",
        object_id=person.pk,
        subject=person,
        parameters={"fields": "match"},
    )
    event.refresh_from_db()
    assert (event.actor, event.actor_label, event.subject) == (planner, planner.username, person)
    assert event.object_id == str(person.pk)
    assert event.at is not None


def test_events_cannot_be_changed_or_deleted_through_the_orm(make_user):
    event = record_event(actor=make_user(Role.HR), action=Action.EXPORT)
    event.action = Action.SEARCH
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.filter(pk=event.pk).update(action=Action.SEARCH)
    with pytest.raises(AppendOnlyError):
        AccessEvent.objects.all().delete()
    assert AccessEvent.objects.get(pk=event.pk).action == Action.EXPORT


def test_postgresql_refuses_raw_updates_and_deletes(postgres_only, make_user):
    event = record_event(actor=make_user(Role.HR), action=Action.EXPORT)
    for sql in (
        "UPDATE audit_accessevent SET action = 'search' WHERE id = %s",
        "DELETE FROM audit_accessevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])
    assert AccessEvent.objects.filter(pk=event.pk, action="export").exists()


def test_one_row_per_person_in_a_result(make_user):
    people = PersonFactory.create_batch(3)
    count = record_events_for_subjects(
        actor=make_user(Role.PLANNER),
        action=Action.SEARCH,
        subjects=people,
        parameters={"role": "x"},
    )
    assert count == 3
    assert set(AccessEvent.objects.values_list("subject", flat=True)) == {p.pk for p in people}


def test_admin_shows_events_read_only(client_for, make_user):
    record_event(actor=make_user(Role.HR), action=Action.EXPORT)
    client = client_for(Role.ADMIN)
    assert client.get("/admin/audit/accessevent/").status_code == 200
    event = AccessEvent.objects.get()
    assert (
        client.post(f"/admin/audit/accessevent/{event.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AccessEvent.objects.filter(pk=event.pk).exists()
