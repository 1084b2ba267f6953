from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


def admin_login(request, extra_context=None):
    """One sign-in page for the whole service (with axes lockout): the admin's
    own login form is never shown. Signed-in users who are not administrators
    get a plain 403 instead of a redirect loop."""
    if request.user.is_authenticated:
        raise PermissionDenied
    return redirect_to_login(request.get_full_path())


admin.site.login = admin_login
