"""No lost updates on "Your profile".

Two tabs (or a person and HR) open the same row; the first save wins and the
second gets "Someone else changed this ... since you opened it" with the saved
values beside what they entered, and nothing is written. Saving again from
that page (it now carries the current version) is a deliberate overwrite.

The PostgreSQL tests run two real transactions on two connections at once and
show the row lock makes the second wait for the first and then see its
version, rather than both passing the check.
"""

import datetime as dt
import re
import threading
import time

import pytest
from django.db import close_old_connections, connection
from django.urls import reverse
from django.utils import timezone

from skills_app.accounts.permissions import Role
from skills_app.core.concurrency import ConflictError
from skills_app.people import profile_services as services
from skills_app.people.models import EvidenceKind, Person, PersonSkill, Qualification, RoleHistory
from taxonomy.models import Skill
from tests.factories import PersonFactory, PersonSkillFactory

pytestmark = pytest.mark.django_db

CONFLICT = "since you opened it"


def html(response) -> str:
    return response.content.decode()


def conflict_table(page: str) -> dict[str, tuple[str, str]]:
    table = re.search(r'<div class="govuk-inset-text" id="conflict">(.*?)</table>', page, re.S)
    assert table, "no conflict table"
    rows = {}
    for label, yours, saved in re.findall(
        r'<th scope="row"[^>]*>(.*?)</th>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>',
        table.group(1),
        re.S,
    ):
        rows[label.strip()] = (
            re.sub(r"<[^>]+>", "", yours).strip(),
            re.sub(r"<[^>]+>", "", saved).strip(),
        )
    return rows


@pytest.fixture
def me(client, make_user):
    user = make_user(Role.STAFF, username="tabby")
    person = PersonFactory(user=user)
    client.force_login(user)
    return person


@pytest.fixture
def skill(db):
    return Skill.objects.create(name="Budget management", uri="urn:muster:test:budget")


# --- the two-tab case, one request after the other ------------------------------------


def test_stale_skill_change_is_refused_with_the_saved_values(client, me, skill):
    ps = PersonSkillFactory(person=me, skill=skill, level=2, note="Tab zero")
    url = reverse("people:skill_change", args=[ps.pk])
    tab_a = {"version": 1, "level": "3", "in_use": "yes", "note": "From tab A"}
    tab_b = {
        "version": 1,
        "level": "4",
        "in_use": "no",
        "last_used_month": "5",
        "last_used_year": "2023",
        "note": "From tab B",
    }
    assert client.post(url, tab_a).status_code == 302

    response = client.post(url, tab_b)
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this skill since you opened it" in page
    assert '<div class="govuk-error-summary"' in page
    assert conflict_table(page) == {
        "Level": ("4 Expert", "3 Practitioner"),
        "Last used": ("May 2023", "In current use"),
        "Evidence": ("From tab B", "From tab A"),
        "Checked by": ("Self-assessed", "Self-assessed"),
    }
    ps.refresh_from_db()
    assert (ps.level, ps.note, ps.version) == (3, "From tab A", 2)
    # What tab B typed is still in the form, now against the current version...
    assert 'name="version" value="2"' in page
    assert "From tab B</textarea>" in page
    # ...so saving again is a deliberate overwrite.
    assert client.post(url, {**tab_b, "version": 2}).status_code == 302
    ps.refresh_from_db()
    assert (ps.level, ps.note, ps.version) == (4, "From tab B", 3)


def test_change_of_a_skill_removed_meanwhile(client, me, skill):
    ps = PersonSkillFactory(person=me, skill=skill, level=2)
    url = reverse("people:skill_change", args=[ps.pk])
    assert client.get(url).status_code == 200
    # Another tab removes it; then this one saves.
    services.profile_remove_skill(person=me, person_skill_id=ps.pk, expected_version=1)
    response = client.post(url, {"version": 1, "level": "3", "in_use": "yes"})
    assert response.status_code == 409
    page = html(response)
    assert "This skill is no longer on your profile" in page
    assert "your changes have not been saved" in page
    assert reverse("people:skill_add") in page
    # Within the service, a vanished row is a conflict with nothing current.
    with pytest.raises(ConflictError) as caught:
        services.profile_change_skill(
            person=me, person_skill_id=ps.pk, expected_version=1, level=3, last_used=None
        )
    assert caught.value.current is None


def test_removing_a_skill_that_changed_asks_again(client, me, skill):
    ps = PersonSkillFactory(person=me, skill=skill, level=2)
    url = reverse("people:skill_remove", args=[ps.pk])
    services.profile_change_skill(
        person=me, person_skill_id=ps.pk, expected_version=1, level=4, last_used=None
    )
    response = client.post(url, {"version": 1})
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this skill since you opened it. It has not been removed" in page
    assert "4 Expert" in page and 'name="version" value="2"' in page
    assert PersonSkill.objects.filter(pk=ps.pk).exists()
    assert client.post(url, {"version": 2}).status_code == 302
    assert not PersonSkill.objects.filter(pk=ps.pk).exists()


def test_removing_a_skill_that_vanished_reports_it(client, me, skill, monkeypatch):
    ps = PersonSkillFactory(person=me, skill=skill, level=2)
    url = reverse("people:skill_remove", args=[ps.pk])
    real = services.profile_remove_skill

    def removed_meanwhile(**kwargs):
        PersonSkill.objects.filter(pk=kwargs["person_skill_id"]).delete()
        return real(**kwargs)

    monkeypatch.setattr(services, "profile_remove_skill", removed_meanwhile)
    response = client.post(url, {"version": 1})
    assert response.status_code == 409
    assert "This skill is no longer on your profile" in html(response)
    assert "nothing left to remove" in html(response)


def test_stale_role_change(client, me):
    row = RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2019, 1, 1))
    url = reverse("people:role_change", args=[row.pk])
    base = {"version": 1, "start_month": "1", "start_year": "2019", "current": "yes"}
    assert client.post(url, {**base, "title": "Senior clerk"}).status_code == 302
    response = client.post(
        url, {**base, "title": "Chief clerk", "current": "no", "end_month": "2", "end_year": "2024"}
    )
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this role since you opened it" in page
    table = conflict_table(page)
    assert table["Job title"] == ("Chief clerk", "Senior clerk")
    assert table["Ended"] == ("February 2024", "You still do this role")
    row.refresh_from_db()
    assert (row.title, row.end, row.version) == ("Senior clerk", None, 2)


def test_stale_role_remove(client, me):
    row = RoleHistory.objects.create(person=me, title="Clerk", start=dt.date(2019, 1, 1))
    services.profile_change_role(
        person=me, role_id=row.pk, expected_version=1, title="Clerk II", start=row.start, end=None
    )
    response = client.post(reverse("people:role_remove", args=[row.pk]), {"version": 1})
    assert response.status_code == 409 and "Clerk II" in html(response)
    assert RoleHistory.objects.filter(pk=row.pk).exists()


def test_stale_qualification_change_and_remove(client, me):
    q = Qualification.objects.create(person=me, name="First aid", issuer="St John")
    url = reverse("people:qualification_change", args=[q.pk])
    assert client.post(url, {"version": 1, "name": "First aid at work", "issuer": "St John"})
    response = client.post(url, {"version": 1, "name": "Fire marshal", "issuer": "Council"})
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this qualification since you opened it" in page
    assert conflict_table(page)["Name"] == ("Fire marshal", "First aid at work")
    q.refresh_from_db()
    assert (q.name, q.version) == ("First aid at work", 2)
    response = client.post(reverse("people:qualification_remove", args=[q.pk]), {"version": 1})
    assert response.status_code == 409
    assert Qualification.objects.filter(pk=q.pk).exists()


def test_stale_preferences(client, me):
    data = {"version": 1, "redeployable": "yes", "weekly_hours": "37"}
    assert (
        client.post(reverse("people:preferences"), {**data, "weekly_hours": "30"}).status_code
        == 302
    )
    response = client.post(
        reverse("people:preferences"),
        {**data, "redeployable": "no", "other_locations": "Hull", "weekly_hours": "20"},
    )
    page = html(response)
    assert response.status_code == 409
    assert "Someone else changed this information since you opened it" in page
    table = conflict_table(page)
    assert table["Hours a week"] == ("20 hours", "30 hours")
    assert table["Willing to be redeployed"] == ("No", "Yes")
    assert table["Other places you would work"] == ("Hull", "None")
    me.refresh_from_db()
    assert (me.weekly_hours, me.redeployable, me.version) == (30, True, 2)


def test_an_import_or_manager_change_also_counts(client, me, skill):
    """Anything that moves the version on (HR's import, a manager's verification)
    makes an open form stale, not just another tab."""
    ps = PersonSkillFactory(person=me, skill=skill, level=2)
    PersonSkill.objects.filter(pk=ps.pk).update(
        evidence=EvidenceKind.MANAGER_VERIFIED, verified_at=timezone.now(), version=2
    )
    response = client.post(
        reverse("people:skill_change", args=[ps.pk]),
        {"version": 1, "level": "3", "in_use": "yes"},
    )
    assert response.status_code == 409
    assert conflict_table(html(response))["Checked by"] == ("Self-assessed", "Verified by manager")


# --- two real transactions at once (PostgreSQL) ---------------------------------------


def _race(first, second, *, hold: float = 0.6):
    """Run ``first`` in a transaction that holds its locks for ``hold`` seconds
    after writing, and start ``second`` (its own connection) while it does.
    Returns (first's result or exception, second's, seconds second waited)."""
    from django.db import transaction

    results: dict[str, object] = {}
    written = threading.Event()

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                written.set()
                time.sleep(hold)
        except Exception as exc:  # noqa: BLE001
            results["first"] = exc
            written.set()
        finally:
            connection.close()

    def run_second():
        written.wait(10)
        started = time.monotonic()
        try:
            results["second"] = second()
        except Exception as exc:  # noqa: BLE001
            results["second"] = exc
        finally:
            results["waited"] = time.monotonic() - started
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    close_old_connections()
    return results["first"], results["second"], results["waited"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_skill_saves_on_postgres(postgres_only):
    person = PersonFactory()
    skill = Skill.objects.create(name="Negotiation", uri="urn:muster:test:negotiation")
    ps = PersonSkillFactory(person=person, skill=skill, level=1)

    def save(level):
        return lambda: services.profile_change_skill(
            person=person, person_skill_id=ps.pk, expected_version=1, level=level, last_used=None
        )

    first, second, waited = _race(save(3), save(4))
    assert isinstance(first, PersonSkill)
    assert isinstance(second, ConflictError), second
    assert second.current.level == 3 and second.current.version == 2
    assert waited >= 0.4, "the second save should have waited for the first's row lock"
    ps.refresh_from_db()
    assert (ps.level, ps.version) == (3, 2)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_preference_saves_on_postgres(postgres_only):
    person = PersonFactory()

    def save(hours):
        return lambda: services.profile_update_preferences(
            person=person,
            expected_version=1,
            redeployable=True,
            preferred_locations=[],
            weekly_hours=hours,
            available_from=None,
        )

    first, second, waited = _race(save(30), save(20))
    assert isinstance(first, Person)
    assert isinstance(second, ConflictError), second
    assert waited >= 0.4
    person.refresh_from_db()
    assert (person.weekly_hours, person.version) == (30, 2)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_remove_and_change_on_postgres(postgres_only):
    person = PersonFactory()
    row = RoleHistory.objects.create(person=person, title="Clerk", start=dt.date(2019, 1, 1))
    first, second, _ = _race(
        lambda: services.profile_remove_role(person=person, role_id=row.pk, expected_version=1),
        lambda: services.profile_change_role(
            person=person,
            role_id=row.pk,
            expected_version=1,
            title="Senior clerk",
            start=row.start,
            end=None,
        ),
    )
    assert first is None
    assert isinstance(second, ConflictError) and second.current is None
    assert not RoleHistory.objects.filter(pk=row.pk).exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_of_one_skill_on_postgres(postgres_only):
    person = PersonFactory()
    skill = Skill.objects.create(name="Negotiation", uri="urn:muster:test:negotiation2")

    def add(level):
        return lambda: services.profile_add_skill(
            person=person, skill=skill, level=level, last_used=None
        )

    first, second, _ = _race(add(2), add(3))
    assert isinstance(first, PersonSkill)
    from django.core.exceptions import ValidationError

    assert isinstance(second, ValidationError), second
    assert PersonSkill.objects.get(person=person, skill=skill).level == 2


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_api_replacements_on_postgres(postgres_only):
    person = PersonFactory()
    sql = Skill.objects.create(name="SQL", uri="urn:muster:test:sql-race")
    python = Skill.objects.create(name="Python", uri="urn:muster:test:python-race")

    def replace(skill):
        return lambda: services.profile_replace_skills(
            person=person,
            claims=[services.SkillClaim(skill=skill, level=2)],
            actor=None,
            as_owner=True,
            expected_version=1,
        )

    first, second, waited = _race(replace(sql), replace(python))
    assert isinstance(first, services.ReplaceResult)
    assert isinstance(second, ConflictError) and second.current.version == 2
    assert waited >= 0.4
    assert [ps.skill for ps in PersonSkill.objects.filter(person=person)] == [sql]
