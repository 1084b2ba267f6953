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


class ReadOnlyMixin:
    """For models whose writes belong to a service (DESIGN 2, one write path): the
    service holds the invariants, writes the audit row and declares the index
    change, so the admin may show these rows but never add, change or delete them."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """A model admin that lists and shows rows only."""


class ReadOnlyInline(ReadOnlyMixin, admin.TabularInline):
    extra = 0
