from django.contrib import admin
from django.contrib.admin.views.main import SEARCH_VAR
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect


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


class PostSearchMixin:
    """The changelist's search box posts its words (with the CSRF token) and they are
    kept in the session, so a name or username searched for never travels in a URL
    (browser history, proxy and access logs). A search in a URL (an old bookmark) is
    dropped with a redirect to the same list without it."""

    change_list_template = "admin/post_search_change_list.html"
    SEARCH_MAX = 200

    def _search_key(self) -> str:
        return f"admin-search:{self.opts.label_lower}"

    def changelist_view(self, request, extra_context=None):
        if request.method == "POST" and "_search" in request.POST:
            words = " ".join(request.POST.get(SEARCH_VAR, "").split())[: self.SEARCH_MAX]
            request.session[self._search_key()] = words
            return HttpResponseRedirect(request.path)
        if SEARCH_VAR in request.GET:
            params = request.GET.copy()
            params.pop(SEARCH_VAR)
            query = params.urlencode()
            return HttpResponseRedirect(f"{request.path}?{query}" if query else request.path)
        context = {"post_search_term": request.session.get(self._search_key(), "")}
        return super().changelist_view(request, extra_context={**(extra_context or {}), **context})

    def get_search_results(self, request, queryset, search_term):
        term = request.session.get(self._search_key(), "")
        return super().get_search_results(request, queryset, term)


def search_by_post(site) -> None:
    """Give every registered model admin with a search box the POSTed search
    (Django's own User admin and axes' sign-in records included). Called from the
    URL configuration, once every app has registered its admins."""
    for model, model_admin in list(site._registry.items()):
        current = type(model_admin)
        if not model_admin.search_fields or issubclass(current, PostSearchMixin):
            continue
        site.unregister(model)
        site.register(model, type(f"PostSearch{current.__name__}", (PostSearchMixin, current), {}))
