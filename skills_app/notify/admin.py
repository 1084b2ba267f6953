from django.contrib import admin, messages

from skills_app.admin_site import ReadOnlyAdmin
from skills_app.notify import services
from skills_app.notify.models import Notification, Status


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    """The messages sent, recorded (``backend`` "recording": development and the demo)
    or failing. Read-only: rows are written by ``notify.services`` alone. Failures show
    here: the status filter counts failed (will retry) and dead (gave up) rows, and
    "Retry now" queues them again.

    The recipient is shown by record id only, and neither the address nor the name the
    message carried is shown: reading them here would be an unaudited read of
    personal data. The link names no one, so it is shown."""

    list_display = ["event", "status", "attempts", "created_at", "sent_at", "last_error", "backend"]
    list_filter = ["status", "event", "backend"]
    show_facets = admin.ShowFacets.ALWAYS
    search_fields = ["reference"]
    actions = ["retry_now"]
    fields = [
        "id",
        "event",
        "status",
        "recipient_record",
        "link",
        "template_id",
        "reference",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "sent_at",
        "backend",
        "provider_id",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The address and the name never leave the database on these pages.
        return super().get_queryset(request).defer("email_address")

    def changelist_view(self, request, extra_context=None):
        counts = services.failure_counts()
        if counts[Status.FAILED] or counts[Status.DEAD]:
            self.message_user(
                request,
                f"{counts[Status.FAILED]} failing (will retry), "
                f"{counts[Status.DEAD]} gave up: filter by status to see them.",
                messages.WARNING,
            )
        return super().changelist_view(request, extra_context)

    @admin.display(description="Recipient's record id")
    def recipient_record(self, row: Notification):
        return row.recipient_id or "–"

    @admin.display(description="Link")
    def link(self, row: Notification):
        return row.personalisation.get("link", "")

    @admin.display(description="Template id")
    def template_id(self, row: Notification):
        return services.template_id(row.event) or "–"

    def has_retry_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    @admin.action(description="Retry now (failed or gave up)", permissions=["retry"])
    def retry_now(self, request, queryset):
        count = services.notifications_retry_now(
            list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(request, f"{count} queued again; the worker sends them within a minute.")
