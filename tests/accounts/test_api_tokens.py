import io

import pytest
from django.core.management import CommandError, call_command

from skills_app.accounts.models import ApiToken
from skills_app.accounts.permissions import Role
from skills_app.audit.models import AccessEvent

pytestmark = pytest.mark.django_db


def create_token(username) -> str:
    out = io.StringIO()
    call_command("create_api_token", username, stdout=out)
    return out.getvalue().strip()


def test_command_prints_a_token_that_authenticates(client, make_user):
    make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    assert raw.startswith("mst_")
    response = client.get("/api/v1/roles", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200


def test_token_is_stored_hashed(make_user):
    make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    stored = ApiToken.objects.get()
    assert raw not in (stored.key_digest, stored.prefix)
    assert raw.split("_")[2] not in stored.key_digest


def test_revoked_token_is_refused(client, make_user):
    make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    call_command("revoke_api_token", raw, stdout=io.StringIO())
    response = client.get("/api/v1/roles", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 401


def test_wrong_and_malformed_tokens_are_refused(client, make_user):
    make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    for header in [f"Bearer {raw}x", "Bearer ", "Bearer mst_abc", f"Token {raw}"]:
        assert client.get("/api/v1/roles", HTTP_AUTHORIZATION=header).status_code == 401


def test_token_of_a_deactivated_user_is_refused(client, make_user):
    user = make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    user.is_active = False
    user.save()
    assert client.get("/api/v1/roles", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_token_carries_its_users_permissions_only(client, make_user):
    make_user(username="nobody")  # in no group: holds no capability
    raw = create_token("nobody")
    response = client.get("/api/v1/roles", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 403


def test_unknown_user_is_a_clear_command_error(db):
    with pytest.raises(CommandError, match="No user called"):
        create_token("ghost")


def test_creating_and_revoking_are_audited(make_user):
    make_user(Role.STAFF, username="alice")
    raw = create_token("alice")
    call_command("revoke_api_token", raw, stdout=io.StringIO())
    ops = list(AccessEvent.objects.filter(action="api_token").values_list("parameters", flat=True))
    assert {p["op"] for p in ops} == {"create", "revoke"}
    assert all(raw not in str(p) for p in ops)
