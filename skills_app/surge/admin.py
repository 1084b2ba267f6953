from django.contrib import admin

from skills_app.surge.models import Allocation, DemandLine, SurgeScenario


class DemandLineInline(admin.TabularInline):
    model = DemandLine
    raw_id_fields = ["role_profile"]
    extra = 0


@admin.register(SurgeScenario)
class SurgeScenarioAdmin(admin.ModelAdmin):
    list_display = ["name", "status", "release_cap", "created_at"]
    list_filter = ["status"]
    inlines = [DemandLineInline]


@admin.register(Allocation)
class AllocationAdmin(admin.ModelAdmin):
    list_display = ["scenario", "line", "person", "score", "status"]
    list_filter = ["status"]
    raw_id_fields = ["scenario", "line", "person"]
