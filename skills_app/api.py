"""The API root: /api/v1/, django-ninja, OpenAPI at /api/v1/openapi.json.

Authentication is a browser session (CSRF-checked) or ``Authorization: Bearer``.
Every error is JSON ``{"detail": ..., "errors": [...]}`` with a 4xx status.
"""

from functools import wraps

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import Http404, JsonResponse
from django.http.multipartparser import MultiPartParserError
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from skills_app.accounts.permissions import Cap, requires
from skills_app.accounts.services import api_token_authenticate
from skills_app.api_support import GuardedParser, authorize


def docs_access(view):
    """The OpenAPI schema and docs pages: for any signed-in user, by session or
    by bearer token (so API clients can fetch the schema they code against)."""
    protected = requires(Cap.ROLE_VIEW)(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            user = api_token_authenticate(header.removeprefix("Bearer ").strip())
            if user is None:
                return JsonResponse(
                    {"detail": "Invalid or revoked token.", "errors": []}, status=401
                )
            request.user = user
        return protected(request, *args, **kwargs)

    wrapped.required_capabilities = protected.required_capabilities
    return wrapped


api = NinjaAPI(
    title="Muster API",
    version="1",
    description="Skills inventory and surge redeployment. See the README for the scoring rules.",
    # Operations must declare their own auth=authorize(...); this default lets
    # no one in, so a forgotten declaration fails closed.
    auth=authorize(),
    urls_namespace="api",
    docs_decorator=docs_access,
    parser=GuardedParser(),
)


def _error(request, status: int, detail: str, errors: list | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _message(err: dict) -> str:
    # Pydantic says "Extra inputs are not permitted" without naming the input; the
    # caller needs the name to find the misspelt or unsupported field.
    if err.get("type") == "extra_forbidden" and err.get("loc"):
        return f"Unknown field: {err['loc'][-1]}"
    return err.get("msg", "Invalid value")


@api.exception_handler(ValidationError)
def on_validation_error(request, exc: ValidationError):
    errors = [
        {
            "loc": [str(part) for part in err.get("loc", [])],
            "message": _message(err),
            "type": err.get("type", "value_error"),
        }
        for err in exc.errors
    ]
    return _error(request, 422, "The request is not valid.", errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request, exc):
    response = _error(request, 401, "Authentication required: sign in or send a bearer token.")
    response["WWW-Authenticate"] = "Bearer"
    return response


@api.exception_handler(PermissionDenied)
def on_permission_denied(request, exc):
    return _error(request, 403, "You do not have permission to do this.")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, str(exc) or "Not found.")


@api.exception_handler(RequestDataTooBig)
def on_body_too_big(request, exc):
    return _error(
        request,
        413,
        f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE:,} bytes.",
    )


@api.exception_handler(MultiPartParserError)
@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
@api.exception_handler(BadRequest)
@api.exception_handler(SuspiciousOperation)
def on_malformed_request(request, exc):
    # Django answers these with a 400 page when DEBUG is off but ninja, in
    # development, turned them into a 500 with a traceback.
    return _error(request, 400, "The request could not be read: check its body and headers.")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


from skills_app.roles.api import router as roles_router  # noqa: E402
from taxonomy.api import router as taxonomy_router  # noqa: E402

api.add_router("/roles", roles_router)

from skills_app.roles.api_match import router as match_router  # noqa: E402

api.add_router("", match_router)

from skills_app.surge.api import router as surge_router  # noqa: E402

api.add_router("/surges", surge_router)
api.add_router("", taxonomy_router)

from skills_app.people.api import router as people_router  # noqa: E402

api.add_router("/people", people_router)

from skills_app.people.api_profile import router as profile_router  # noqa: E402

api.add_router("/people", profile_router)

from skills_app.people.api_drafts import drafts_router, person_drafts_router  # noqa: E402

api.add_router("/people", person_drafts_router)
api.add_router("/drafts", drafts_router)

from skills_app.people.api_me import router as me_router  # noqa: E402

api.add_router("/me", me_router)

from skills_app.imports.api import router as imports_router  # noqa: E402

api.add_router("/imports", imports_router)

from skills_app.reports.api import router as reports_router  # noqa: E402

api.add_router("/reports", reports_router)

from skills_app.moves.api import me_router as my_moves_router  # noqa: E402
from skills_app.moves.api import router as moves_router  # noqa: E402

api.add_router("/moves", moves_router)
api.add_router("/me", my_moves_router)
