import uuid

from django.db import models

from skills_app.notify.events import CHOICES


class Status(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Gave up"


class Notification(models.Model):
    """One email to one person about one step (DESIGN 10). Written in the caller's
    transaction by ``notify.services.queue_notification`` and sent afterwards by the
    worker (``send_due``), so a rolled-back step sends nothing and a failed send is
    retried, never lost.

    The message carries only ``personalisation`` (the recipient's name and a link
    that names no one); the address is captured when the row is queued so that a
    later change of address does not redirect a message already decided."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.CharField(max_length=32, choices=CHOICES)
    recipient = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="notifications",
    )
    # Blank once retention has forgotten it (notify.services.notify_forget_personal_data).
    email_address = models.EmailField(blank=True)
    personalisation = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The kind of failure only ("HTTP 400 BadRequestError: ..."): never an address or name.
    last_error = models.CharField(max_length=300, blank=True)
    # When a queued or failed row is next due; for a row being sent, when its claim
    # lapses (its worker died mid-send and another may try again).
    next_attempt_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # Which backend sent it ("govuk_notify", "recording") and the id it gave back.
    backend = models.CharField(max_length=32, blank=True)
    provider_id = models.CharField(max_length=64, blank=True)
    # The caller's idempotency key, e.g. "move:42:release_requested:1": one step,
    # one message, however often the step's code runs.
    reference = models.CharField(max_length=200, unique=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="notify_due_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=Status.values), name="notification_status_valid"
            ),
        ]

    def __str__(self):
        # Names no one: the admin and logs show this.
        return f"{self.event} {self.reference}"
