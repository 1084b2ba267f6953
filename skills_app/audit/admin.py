from django.contrib import admin

from skills_app.admin_site import ReadOnlyAdmin
from skills_app.audit.models import AccessEvent


@admin.register(AccessEvent)
class AccessEventAdmin(ReadOnlyAdmin):
    """Read-only: the audit trail is append-only for everyone, administrators included.
    The person a row is about is shown by record id only: their name and staff number
    would be a read of personal data outside the audited services."""

    list_display = ["at", "actor_label", "action", "object_type", "object_id"]
    list_filter = ["action"]
    search_fields = ["actor_label", "object_id"]
    fields = [
        "at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "subject_record",
        "parameters",
    ]
    readonly_fields = fields

    @admin.display(description="Person's record id")
    def subject_record(self, event: AccessEvent):
        return event.subject_id or "–"
