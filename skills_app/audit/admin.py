from django.contrib import admin

from skills_app.audit.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(admin.ModelAdmin):
    """Read-only: the audit trail is append-only for everyone, administrators included."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
