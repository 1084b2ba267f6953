"""Sign-in lockout (django-axes, skills_app/accounts/lockout.py): per username and
address, and per address across usernames against password spraying (issue 13
item 6)."""

import pytest
from django.test import Client, override_settings

from skills_app.accounts.permissions import Role
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LOGIN_URL = "/accounts/login/"
SPRAYER, OFFICE = "203.0.113.7", "198.51.100.20"
ADDRESS_LIMIT = 4


def sign_in(username: str, password: str, address: str):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN_URL, {"username": username, "password": password})
    return response, "_auth_user_id" in client.session


def spray(count: int, address: str = SPRAYER, start: int = 0):
    for n in range(start, start + count):
        _, signed_in = sign_in(f"guess-{n}", "Summer2026!", address)
        assert not signed_in


@override_settings(AXES_ADDRESS_USERNAME_LIMIT=ADDRESS_LIMIT)
def test_spraying_many_usernames_from_one_address_locks_the_address(make_user):
    make_user(Role.STAFF, username="alice")
    spray(ADDRESS_LIMIT - 1)
    _, signed_in = sign_in("alice", PASSWORD, SPRAYER)
    assert signed_in  # below the limit: a right password still works
    spray(1, start=ADDRESS_LIMIT)
    response, signed_in = sign_in("alice", PASSWORD, SPRAYER)
    assert response.status_code == 429 and not signed_in
    page = response.content.decode()
    assert "Signing in is paused on this network" in page
    assert "alice" not in page
    # Another address is not affected.
    _, signed_in = sign_in("alice", PASSWORD, OFFICE)
    assert signed_in


@override_settings(AXES_ADDRESS_USERNAME_LIMIT=ADDRESS_LIMIT)
def test_a_sprayer_cannot_reset_the_address_by_signing_in_with_their_own_account(make_user):
    make_user(Role.STAFF, username="mallory")
    make_user(Role.STAFF, username="alice")
    spray(ADDRESS_LIMIT - 2)
    sign_in("mallory", "wrong", SPRAYER)  # one of their own failures, then a success,
    _, signed_in = sign_in("mallory", PASSWORD, SPRAYER)  # which clears only their own
    assert signed_in
    spray(2, start=100)  # the earlier guesses still count
    response, signed_in = sign_in("alice", PASSWORD, SPRAYER)
    assert response.status_code == 429 and not signed_in


@override_settings(AXES_ADDRESS_USERNAME_LIMIT=ADDRESS_LIMIT)
def test_one_persons_mistakes_do_not_lock_the_address(make_user, settings):
    make_user(Role.STAFF, username="alice")
    make_user(Role.STAFF, username="bob")
    for _ in range(settings.AXES_USERNAME_FAILURE_LIMIT * 2):
        sign_in("alice", "wrong", OFFICE)
    _, signed_in = sign_in("bob", PASSWORD, OFFICE)
    assert signed_in


def test_one_username_is_still_locked_after_its_own_failures(make_user, settings):
    make_user(Role.STAFF, username="alice")
    for _ in range(settings.AXES_USERNAME_FAILURE_LIMIT):
        sign_in("alice", "wrong", SPRAYER)
    response, signed_in = sign_in("alice", PASSWORD, SPRAYER)
    assert response.status_code == 429 and not signed_in
    assert "Your account is locked" in response.content.decode()
    # Only at that address: a stranger cannot lock Alice out from her own desk.
    _, signed_in = sign_in("alice", PASSWORD, OFFICE)
    assert signed_in


def test_the_address_limit_is_higher_than_the_username_limit(settings):
    assert settings.AXES_ADDRESS_USERNAME_LIMIT > settings.AXES_USERNAME_FAILURE_LIMIT
