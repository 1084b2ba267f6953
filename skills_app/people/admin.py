from django.contrib import admin

from skills_app.index.changes import workforce_changed
from skills_app.people.models import (
    ChangeScope,
    OrgUnit,
    Person,
    PersonSkill,
    Qualification,
    RoleHistory,
)


class PersonSkillInline(admin.TabularInline):
    model = PersonSkill
    raw_id_fields = ["skill", "verified_by"]
    extra = 0


class RoleHistoryInline(admin.TabularInline):
    model = RoleHistory
    raw_id_fields = ["role_profile"]
    extra = 0


class QualificationInline(admin.TabularInline):
    model = Qualification
    extra = 0


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ["staff_number", "full_name", "grade", "org_unit", "location"]
    list_filter = ["grade", "clearance", "redeployable", "protected"]
    search_fields = ["staff_number", "full_name", "work_email"]
    raw_id_fields = ["org_unit", "line_manager", "user"]
    inlines = [PersonSkillInline, RoleHistoryInline, QualificationInline]

    # Deleting people bypasses the change signals (see people.signals).
    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        workforce_changed(ChangeScope.ALL)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        workforce_changed(ChangeScope.ALL)


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["path", "kind"]
    search_fields = ["path"]
    raw_id_fields = ["parent"]
