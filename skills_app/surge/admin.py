from django.contrib import admin

from skills_app.admin_site import ReadOnlyAdmin, ReadOnlyInline
from skills_app.surge.models import DemandLine, SurgeScenario


class DemandLineInline(ReadOnlyInline):
    model = DemandLine


@admin.register(SurgeScenario)
class SurgeScenarioAdmin(ReadOnlyAdmin):
    """Shown, never edited here: scenarios change only through ``surge.services``
    (versions, solve state, approval clashes, audit). Allocations name people, so
    the admin does not list them."""

    list_display = ["name", "status", "release_cap", "created_at"]
    list_filter = ["status"]
    inlines = [DemandLineInline]
