from django.contrib import admin

from skills_app.admin_site import ReadOnlyAdmin
from skills_app.audit.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only for everyone, administrators included."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_id"]
