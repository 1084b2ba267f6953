"""Authentication, authorisation and the request contract of every API operation.

Each operation declares ``auth=authorize(Cap.X, ...)``. The capability check
runs inside ninja's authentication step, before the request body is parsed, so
a caller without the capability gets 403 whatever they sent, and an anonymous
caller gets 401. The permission-matrix test fails for any operation that does
not use these classes.

Each operation also declares ``response=responses({200: X, ...})``, which adds
the error answers every operation can give, so the OpenAPI schema documents
every status code the API returns (schemathesis checks it in tests).
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from ninja import Field, Schema
from ninja.conf import settings as ninja_settings
from ninja.errors import HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from skills_app.accounts.permissions import Cap, has_cap
from skills_app.accounts.services import api_token_authenticate
from skills_app.api_inputs import CONTROL_CHARACTER_MESSAGE, ErrorOut, has_control_characters
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


CSRF_FAILED = (
    "CSRF check failed: a signed-in browser session must send the X-CSRFToken header "
    "with the csrftoken cookie's value (or use a bearer token)."
)


class SessionCapabilityAuth(_CapabilityCheck, SessionAuth):
    """The browser session, with Django's CSRF check on unsafe methods.

    ninja checks CSRF before it looks at the session, so an anonymous POST was
    told "CSRF check Failed" (403) instead of "sign in" (401). Here an anonymous
    request is simply not authenticated by this method (so 401), and only a
    signed-in session has its CSRF token checked (403 JSON when it is wrong)."""

    def _get_key(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise HttpError(403, CSRF_FAILED)
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            refuse_other_sites(request)  # a cross-site link carries the session cookie
        return self._authorize(user)


def authorize(*caps: Cap) -> list:
    """The ``auth=`` value for an operation open to holders of any of ``caps``."""
    required = frozenset(caps)
    return [BearerTokenAuth(required), SessionCapabilityAuth(required)]


# --- The answers every operation can give -------------------------------------

# 400: a body that is not JSON, malformed multipart, a path with control
# characters; 401: not signed in; 403: no permission, or a session without its
# CSRF token; 422: a parameter or body field that is not valid.
COMMON_ERRORS = (400, 401, 403, 422)


def responses(
    answers: dict[int, Any], *, body: bool = False, throttled: bool = False
) -> dict[int, Any]:
    """``answers`` plus an ``ErrorOut`` for each error every operation can give.

    ``body``: the operation reads a request body, which may be too large (413).
    ``throttled``: the operation is rate-limited per user (429, ``Retry-After``).
    """
    codes = [*COMMON_ERRORS]
    if body:
        codes.append(413)
    if throttled:
        codes.append(429)
    return {**dict.fromkeys(codes, ErrorOut), **answers}


FILE = {"type": "string", "format": "binary"}
CSV = {"text/csv": {"schema": FILE}}
XLSX = {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": FILE}}


def json_content(schema: type[Schema] | dict) -> dict:
    if isinstance(schema, dict):
        return {"application/json": {"schema": schema}}
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema.__name__}"}}}


def download_content(*contents: dict) -> dict:
    """``openapi_extra`` documenting a 200 answer in several formats: the JSON
    answer (``json_content``) and file downloads (``CSV``, ``XLSX``)."""
    merged = {media: spec for content in contents for media, spec in content.items()}
    return {"responses": {200: {"description": "OK", "content": merged}}}


# --- Parameters ----------------------------------------------------------------

MAX_OFFSET = 1_000_000_000


class PageParams(Schema):
    """``limit`` and ``offset`` of a paginated list. Bounded, so that a huge offset
    is a 422 rather than a number the database cannot hold (a 500)."""

    limit: int = Field(
        ninja_settings.PAGINATION_PER_PAGE, ge=1, le=ninja_settings.PAGINATION_MAX_LIMIT
    )
    offset: int = Field(0, ge=0, le=MAX_OFFSET)


class BoundedLimitOffsetPagination(LimitOffsetPagination):
    Input = PageParams


class GuardedParser(Parser):
    """Refuses query-string and form values (and uploaded file names) holding
    control characters with a 422 naming the parameter. It runs after
    authentication, like the rest of the request's reading; JSON bodies are
    checked by ``StrictSchema``."""

    def parse_querydict(self, data, list_fields, request):
        if data is request.FILES:
            location = "file"
            values = (
                (key, upload.name or "") for key, uploads in data.lists() for upload in uploads
            )
        else:
            location = "form" if data is request.POST else "query"
            values = ((key, value) for key, items in data.lists() for value in items)
        errors = [
            {"loc": [location, key], "msg": CONTROL_CHARACTER_MESSAGE, "type": "control_character"}
            for key, value in values
            if has_control_characters(key) or has_control_characters(value)
        ]
        if errors:
            raise NinjaValidationError(errors)
        return super().parse_querydict(data, list_fields, request)
