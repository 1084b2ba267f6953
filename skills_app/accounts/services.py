import hashlib
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from skills_app.accounts.models import ApiToken
from skills_app.accounts.permissions import Role
from skills_app.audit.models import Action
from skills_app.audit.services import record_event

TOKEN_PREFIX = "mst_"
# Writing last_used_at on every request would turn each API read into a write.
LAST_USED_GRANULARITY = timedelta(minutes=5)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, user, name: str = "") -> tuple[ApiToken, str]:
    """Returns the stored token and the raw secret, which is shown once."""
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_digest=_digest(raw))
    record_event(
        actor=user,
        action=Action.TOKEN,
        object_type="api_token",
        object_id=prefix,
        parameters={"op": "create"},
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, prefix: str, actor=None) -> ApiToken:
    token = ApiToken.objects.select_for_update().get(prefix=prefix)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            actor=actor,
            action=Action.TOKEN,
            object_type="api_token",
            object_id=prefix,
            parameters={"op": "revoke"},
        )
    return token


def api_token_authenticate(raw: str):
    """The active user owning ``raw``, or None."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_digest=_digest(raw), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


@transaction.atomic
def user_create_with_roles(
    *,
    username: str,
    password: str | None,
    roles,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
):
    """Create or update a login with exactly ``roles``; used by seeding and admin tooling."""
    User = get_user_model()
    user, _ = User.objects.get_or_create(username=username)
    user.email, user.first_name, user.last_name = email, first_name, last_name
    user.is_superuser = user.is_staff = Role.ADMIN in roles
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set([Group.objects.get_or_create(name=str(role))[0] for role in roles])
    return user
