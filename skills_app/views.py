"""Site-wide pages: health check, statements, and error pages that leak nothing."""

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache

from skills_app.accounts.permissions import public


@public
@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@public
@never_cache
def healthz_ready(request):
    """Ready for traffic once this process has its workforce index (503 before):
    a load balancer or deploy script waits for 200 before sending searches."""
    from skills_app.index.adapter import index_ready

    if not index_ready():
        return JsonResponse(
            {"status": "starting", "detail": "Loading the workforce index"}, status=503
        )
    return JsonResponse({"status": "ready"})


@public
def accessibility(request):
    return render(request, "pages/accessibility.html")


@public
def cookies(request):
    hours = settings.SESSION_COOKIE_AGE / 3600
    return render(request, "pages/cookies.html", {"session_hours": f"{hours:g}"})


@public
def favicon(request):
    return redirect(static("vendor/govuk-frontend/assets/images/favicon.ico"), permanent=True)


def _error_page(template: str, status: int):
    def view(request, exception=None):
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": _API_DETAIL[status], "errors": []}, status=status)
        return render(request, template, status=status)

    return view


_API_DETAIL = {
    400: "Bad request.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    500: "Something went wrong. The error has been logged.",
}

bad_request = _error_page("errors/400.html", 400)
permission_denied = _error_page("errors/403.html", 403)
page_not_found = _error_page("errors/404.html", 404)
server_error = _error_page("errors/500.html", 500)
