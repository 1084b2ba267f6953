"""Authentication and authorisation for every API operation.

Each operation declares ``auth=authorize(Cap.X, ...)``. The capability check
runs inside ninja's authentication step, before the request body is parsed, so
a caller without the capability gets 403 whatever they sent, and an anonymous
caller gets 401. The permission-matrix test fails for any operation that does
not use these classes.
"""

from django.core.exceptions import PermissionDenied
from ninja.security import HttpBearer, SessionAuth

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.accounts.services import api_token_authenticate
from skills_app.core.fetch_metadata import refuse_other_sites


class _CapabilityCheck:
    def __init__(self, caps: frozenset[Cap], **kwargs):
        super().__init__(**kwargs)
        self.caps = caps

    def _authorize(self, user):
        if user is None:
            return None
        if not has_cap(user, *self.caps):
            raise PermissionDenied
        return user


class BearerTokenAuth(_CapabilityCheck, HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token):
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return self._authorize(user)


class SessionCapabilityAuth(_CapabilityCheck, SessionAuth):
    """The browser session, with Django's CSRF check on unsafe methods."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            refuse_other_sites(request)  # a cross-site link carries the session cookie
        return self._authorize(user)


def authorize(*caps: Cap) -> list:
    """The ``auth=`` value for an operation open to holders of any of ``caps``."""
    required = frozenset(caps)
    return [BearerTokenAuth(required), SessionCapabilityAuth(required)]
