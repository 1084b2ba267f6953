"""Authentication and authorisation for every API operation.

Each operation declares ``auth=authorize(Cap.X, ...)``. The capability check
runs inside ninja's authentication step, before the request body is parsed, so
a caller without the capability gets 403 whatever they sent, and an anonymous
caller gets 401. The permission-matrix test fails for any operation that does
not use these classes.
"""

from django.core.exceptions import PermissionDenied
from ninja.errors import HttpError
from ninja.security import HttpBearer, SessionAuth

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.accounts.services import api_token_authenticate


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


# Fetch Metadata: what a browser says about where a request came from. "none" is
# the address bar or a bookmark; clients that are not browsers send nothing.
_OWN_SITE = {"same-origin", "none", ""}


class SessionCapabilityAuth(_CapabilityCheck, SessionAuth):
    """The browser session, with Django's CSRF check on unsafe methods. A request
    another site made the browser send (``Sec-Fetch-Site: cross-site`` or
    ``same-site``) is refused whatever its method: the session cookie goes with a
    cross-site link, so without this a link could run an export or a read of
    someone's profile in the signed-in user's name. Bearer tokens are not sent by
    browsers on their own, so they need neither check."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and request.headers.get("Sec-Fetch-Site", "") not in _OWN_SITE:
            raise HttpError(403, "Requests from other sites are refused: use Muster's own pages.")
        return self._authorize(user)


def authorize(*caps: Cap) -> list:
    """The ``auth=`` value for an operation open to holders of any of ``caps``."""
    required = frozenset(caps)
    return [BearerTokenAuth(required), SessionCapabilityAuth(required)]
