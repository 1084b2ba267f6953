from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from skills_app.roles.models import RoleProfile


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


def role_get(*, code: str) -> RoleProfile:
    return get_object_or_404(
        RoleProfile.objects.select_related("family").prefetch_related("requirements__skill"),
        code=code,
    )


def role_exists(*, code: str) -> bool:
    return RoleProfile.objects.filter(code=code).exists()
