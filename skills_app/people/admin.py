from django.contrib import admin

from skills_app.people.models import OrgUnit, Person, PersonSkill, Qualification, RoleHistory


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


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    list_display = ["path", "kind"]
    search_fields = ["path"]
    raw_id_fields = ["parent"]
