"""The one versioned-edit check every service uses (skills_app.core.concurrency):
a stale version or a vanished row raises ConflictError and a current one hands
back the row, read under a row lock."""

from unittest import mock

import pytest
from django.db import transaction
from django.db.models import QuerySet

from skills_app.core.concurrency import ConflictError, locked_for_edit, save_new_version
from skills_app.people.models import Person, PersonSkill
from tests.factories import PersonFactory, PersonSkillFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moved_on():
    """A skill row someone has saved once since it was created (version 2)."""
    row = PersonSkillFactory()
    PersonSkill.objects.filter(pk=row.pk).update(version=2, level=4)
    return row


def test_stale_version_raises_with_the_row_as_it_now_stands(moved_on):
    with transaction.atomic(), pytest.raises(ConflictError) as caught:
        locked_for_edit(PersonSkill.objects, moved_on.pk, 1)
    assert caught.value.current.pk == moved_on.pk
    assert (caught.value.current.version, caught.value.current.level) == (2, 4)


def test_a_newer_version_than_saved_is_a_conflict_too(moved_on):
    # Not a real editor's state, but "different" rather than "older" is the rule.
    with transaction.atomic(), pytest.raises(ConflictError):
        locked_for_edit(PersonSkill.objects, moved_on.pk, 3)


def test_missing_row_raises_with_no_current_row(moved_on):
    with transaction.atomic(), pytest.raises(ConflictError) as caught:
        locked_for_edit(PersonSkill.objects, moved_on.pk + 1000, 2)
    assert caught.value.current is None


def test_a_row_outside_the_narrowed_queryset_counts_as_gone(moved_on):
    someone_else = PersonFactory()
    with transaction.atomic(), pytest.raises(ConflictError) as caught:
        locked_for_edit(PersonSkill.objects.filter(person=someone_else), moved_on.pk, 2)
    assert caught.value.current is None


def test_current_version_returns_the_row_read_for_update(moved_on):
    # SQLite has no FOR UPDATE to see in the SQL, so watch for the request itself.
    with (
        mock.patch.object(
            QuerySet, "select_for_update", autospec=True, side_effect=QuerySet.select_for_update
        ) as lock,
        transaction.atomic(),
    ):
        row = locked_for_edit(PersonSkill.objects.filter(person=moved_on.person), moved_on.pk, 2)
    assert (row.pk, row.version, row.level) == (moved_on.pk, 2, 4)
    lock.assert_called_once()


def test_save_new_version_moves_the_version_on_and_saves_only_the_fields_named():
    person = PersonFactory(protected=False)
    before = Person.objects.get(pk=person.pk).updated_at
    Person.objects.filter(pk=person.pk).update(location="York")  # someone else's field
    person.protected = True
    save_new_version(person, ["protected"])
    saved = Person.objects.get(pk=person.pk)
    assert (saved.version, saved.protected, saved.location) == (2, True, "York")
    assert saved.updated_at > before  # auto_now fires only for fields being saved
