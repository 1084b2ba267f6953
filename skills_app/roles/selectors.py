from collections.abc import Iterable

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.db.models.functions import Lower
from django.http import Http404

from skills_app.people.models import Clearance, OrgUnit
from skills_app.roles.models import RoleProfile, RoleSource
from skills_app.roles.search import SearchFilters
from taxonomy.models import Occupation


def role_list(*, q: str = "", family: str = "") -> QuerySet[RoleProfile]:
    roles = (
        RoleProfile.objects.select_related("family")
        .annotate(requirement_count=Count("requirements"))
        .order_by("family__name", "role_name", "level_rank", "title")
    )
    if q:
        roles = roles.filter(title__icontains=q)
    if family:
        roles = roles.filter(family__name=family)
    return roles


# --- finding roles by code ---------------------------------------------------------------
# A role code is shown as it was created ("ORACLE-1234") and found whatever the
# case it is given in: every lookup by code goes through the functions below. They
# compare Lower(code), the expression of the unique index
# role_code_unique_ignoring_case, so PostgreSQL answers them from that index.
# Codes are ASCII (services.CODE_FORMAT), so SQL LOWER and str.lower agree.


def code_key(code: str) -> str:
    """What two codes share when they are the same code."""
    return code.lower()


def _with_code(roles: QuerySet[RoleProfile], *keys: str) -> QuerySet[RoleProfile]:
    return roles.alias(code_key=Lower("code")).filter(code_key__in=keys)


def role_find(*, code: str) -> RoleProfile | None:
    """The role with this code in any case, with its requirements; None if none."""
    roles = RoleProfile.objects.select_related("family").prefetch_related("requirements__skill")
    return _with_code(roles, code_key(code)).first()


def role_get(*, code: str) -> RoleProfile:
    """As role_find, or Http404 (a JSON 404 in the API)."""
    role = role_find(code=code)
    if role is None:
        raise Http404(f"No role profile has code {code}.")
    return role


def role_map(*, codes: Iterable[str]) -> dict[str, RoleProfile]:
    """Each of ``codes`` (as given) that names a role -> that role, in one query."""
    codes = set(codes)
    if not codes:
        return {}
    found = {
        code_key(role.code): role
        for role in _with_code(RoleProfile.objects.all(), *{code_key(c) for c in codes})
    }
    return {code: found[code_key(code)] for code in codes if code_key(code) in found}


def role_exists(*, code: str) -> bool:
    return _with_code(RoleProfile.objects.all(), code_key(code)).exists()


def is_ddat_role(*, code: str) -> bool:
    return _with_code(RoleProfile.objects.filter(source=RoleSource.DDAT), code_key(code)).exists()


def ddat_role_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """DDaT role levels grouped by their role, junior to senior, for a select."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, title, role_name in (
        RoleProfile.objects.filter(source=RoleSource.DDAT)
        .order_by("role_name", "level_rank", "title")
        .values_list("code", "title", "role_name")
    ):
        groups.setdefault(role_name or "Other roles", []).append((code, title))
    return list(groups.items())


def occupation_matches(*, q: str, limit: int = 20) -> list[Occupation]:
    """ESCO occupations whose name or an alternative title contains ``q``;
    names that start with it first."""
    found = Occupation.objects.filter(Q(name__icontains=q) | Q(alt_labels__icontains=q)).annotate(
        starts=Case(When(name__istartswith=q, then=Value(0)), default=Value(1))
    )
    return list(found.order_by("starts", "name")[:limit])


def filters_summary(filters: SearchFilters) -> list[dict]:
    """The hard filters in words, one {label, value} per filter in use."""
    rows = []
    if filters.grades:
        rows.append({"label": "Grades", "value": ", ".join(filters.grades)})
    units = dict(
        OrgUnit.objects.filter(
            pk__in=set(filters.org_units) | set(filters.exclude_org_units)
        ).values_list("pk", "path")
    )
    if filters.org_units:
        rows.append(
            {
                "label": "Only in",
                "value": "; ".join(units[u] for u in filters.org_units if u in units),
            }
        )
    if filters.exclude_org_units:
        rows.append(
            {
                "label": "Leaving out",
                "value": "; ".join(units[u] for u in filters.exclude_org_units if u in units),
            }
        )
    if filters.locations:
        rows.append({"label": "Locations", "value": ", ".join(filters.locations)})
    if filters.min_clearance:
        rows.append(
            {
                "label": "Security clearance",
                "value": f"{Clearance(filters.min_clearance).label} or above",
            }
        )
    if filters.available_on:
        day = filters.available_on
        rows.append({"label": "Available by", "value": f"{day.day} {day:%B %Y}"})
    if filters.min_weekly_hours:
        rows.append({"label": "Hours a week", "value": f"At least {filters.min_weekly_hours:g}"})
    if filters.reserve_only:
        rows.append({"label": "Ready reserve", "value": "Only members on call"})
    rows.append(
        {
            "label": "Who",
            "value": "Only people who can be released"
            if filters.redeployable_only
            else "Everyone, including protected people and those who opted out",
        }
    )
    return rows
