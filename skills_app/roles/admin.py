from django.contrib import admin

from skills_app.admin_site import ReadOnlyAdmin, ReadOnlyInline
from skills_app.roles.models import RoleFamily, RoleProfile, RoleRequirement


class RoleRequirementInline(ReadOnlyInline):
    model = RoleRequirement


@admin.register(RoleProfile)
class RoleProfileAdmin(ReadOnlyAdmin):
    """Shown, never edited here: roles are written by the role builder, the API and
    the imports through ``roles.services``, which keeps framework roles as published."""

    list_display = ["code", "title", "family", "source"]
    list_filter = ["source", "family"]
    search_fields = ["code", "title"]
    inlines = [RoleRequirementInline]


admin.site.register(RoleFamily)
