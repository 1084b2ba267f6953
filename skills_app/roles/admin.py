from django.contrib import admin

from skills_app.roles.models import RoleFamily, RoleProfile, RoleRequirement


class RoleRequirementInline(admin.TabularInline):
    model = RoleRequirement
    raw_id_fields = ["skill"]
    extra = 0


@admin.register(RoleProfile)
class RoleProfileAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "family", "source"]
    list_filter = ["source", "family"]
    search_fields = ["code", "title"]
    inlines = [RoleRequirementInline]


admin.site.register(RoleFamily)
