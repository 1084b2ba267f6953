"""Who may do what: DESIGN.md section 8 as data, and the helpers every view and
API handler uses to enforce it.

A user's roles are the names of their Django groups (plus ``admin`` for
superusers). Capabilities are granted per role; a user holds the union. A user in
no group holds nothing, so a forgotten group assignment fails closed.
"""

from collections.abc import Callable
from enum import StrEnum
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied


class Role(StrEnum):
    STAFF = "staff"
    LINE_MANAGER = "line_manager"
    PLANNER = "planner"
    HR = "hr"
    STEWARD = "steward"
    ADMIN = "admin"


ROLE_LABELS = {
    Role.STAFF: "Staff member",
    Role.LINE_MANAGER: "Line manager",
    Role.PLANNER: "Workforce planner",
    Role.HR: "HR and analyst",
    Role.STEWARD: "Taxonomy steward",
    Role.ADMIN: "Administrator",
}


class Cap(StrEnum):
    PROFILE_EDIT_OWN = "profile.edit_own"
    PROFILE_VIEW_TEAM = "profile.view_team"
    PROFILE_VIEW_MATCH_FIELDS = "profile.view_match_fields"
    PROFILE_VIEW_ALL = "profile.view_all"
    SKILL_VERIFY_TEAM = "skill.verify_team"
    ROLE_VIEW = "role.view"
    ROLE_EDIT = "role.edit"
    SEARCH_RUN = "search.run"
    SURGE_EDIT = "surge.edit"
    SURGE_VIEW = "surge.view"
    REPORT_TEAM = "report.team"
    REPORT_SCENARIO = "report.scenario"
    REPORT_ALL = "report.all"
    TAXONOMY_VIEW = "taxonomy.view"
    TAXONOMY_PROPOSE = "taxonomy.propose"
    TAXONOMY_EDIT = "taxonomy.edit"
    IMPORT_HR = "import.hr"
    IMPORT_TAXONOMY = "import.taxonomy"
    ADMINISTER = "administer"


_EVERYONE = {Cap.PROFILE_EDIT_OWN, Cap.ROLE_VIEW, Cap.TAXONOMY_VIEW, Cap.TAXONOMY_PROPOSE}

ROLE_CAPABILITIES: dict[Role, frozenset[Cap]] = {
    Role.STAFF: frozenset(_EVERYONE),
    Role.LINE_MANAGER: frozenset(
        _EVERYONE | {Cap.PROFILE_VIEW_TEAM, Cap.SKILL_VERIFY_TEAM, Cap.REPORT_TEAM}
    ),
    Role.PLANNER: frozenset(
        _EVERYONE
        | {
            Cap.PROFILE_VIEW_MATCH_FIELDS,
            Cap.ROLE_EDIT,
            Cap.SEARCH_RUN,
            Cap.SURGE_EDIT,
            Cap.SURGE_VIEW,
            Cap.REPORT_SCENARIO,
        }
    ),
    Role.HR: frozenset(
        _EVERYONE
        | {Cap.PROFILE_VIEW_ALL, Cap.SEARCH_RUN, Cap.SURGE_VIEW, Cap.REPORT_ALL, Cap.IMPORT_HR}
    ),
    Role.STEWARD: frozenset(_EVERYONE | {Cap.TAXONOMY_EDIT, Cap.IMPORT_TAXONOMY}),
    Role.ADMIN: frozenset(Cap),
}


def user_roles(user) -> frozenset[Role]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return frozenset()
    cached = getattr(user, "_muster_roles", None)
    if cached is None:
        names = set(user.groups.values_list("name", flat=True))
        roles = {role for role in Role if role.value in names}
        if user.is_superuser:
            roles.add(Role.ADMIN)
        cached = frozenset(roles)
        user._muster_roles = cached
    return cached


def user_capabilities(user) -> frozenset[Cap]:
    caps: set[Cap] = set()
    for role in user_roles(user):
        caps |= ROLE_CAPABILITIES[role]
    return frozenset(caps)


def has_cap(user, *caps: Cap) -> bool:
    """True when the user holds any one of ``caps``."""
    held = user_capabilities(user)
    return any(cap in held for cap in caps)


def requires(*caps: Cap) -> Callable:
    """View decorator: anonymous users go to login, authenticated users without
    one of ``caps`` get 403. Records the capabilities on the view so the
    permission-matrix test can prove no route is left unprotected."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_cap(request.user, *caps):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.required_capabilities = frozenset(caps)
        return wrapped

    return decorator


def public(view):
    """Marks a view as deliberately open to anonymous visitors."""
    view.public_view = True
    return view
