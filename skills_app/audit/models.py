"""Append-only audit trail of access to personal data (DESIGN.md section 8).

The application can only insert: saving an existing row, deleting a row or a
bulk update/delete through the ORM raises. On PostgreSQL a trigger also refuses
UPDATE and DELETE from any client, so the guarantee does not rest on Python.
"""

from django.conf import settings
from django.db import models


class AppendOnlyError(RuntimeError):
    pass


class AccessEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("Access events cannot be changed")

    def delete(self):
        raise AppendOnlyError("Access events cannot be deleted")


class Action(models.TextChoices):
    VIEW_PROFILE = "view_profile", "Viewed a profile"
    SEARCH = "search", "Ran a search"
    VIEW_EXPLANATION = "view_explanation", "Opened a match explanation"
    EXPORT = "export", "Exported data"
    ALLOCATE = "allocate", "Allocated to a surge role"
    VIEW_SCENARIO = "view_scenario", "Viewed a surge scenario's allocations"
    IMPORT = "import", "Imported a file"
    MERGE = "merge", "Merged skills"
    VERIFY = "verify", "Verified a skill"
    EDIT_PROFILE = "edit_profile", "Changed a profile"
    DRAFT = "draft", "Drafted skills for a profile"
    MOVE = "move", "Took a step in a person's move"
    TOKEN = "api_token", "Managed an API token"
    QUALIFICATION_MAP = "qualification_map", "Changed the qualification-to-skills table"
    NOTIFY_RETRY = "notify_retry", "Retried notifications"


class AccessEvent(models.Model):
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    # Snapshot of who it was, so the row stays meaningful if the account is renamed.
    actor_label = models.CharField(max_length=150)
    action = models.CharField(max_length=32, choices=Action.choices, db_index=True)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    # The person whose data was touched; lets staff see who viewed or allocated them.
    subject = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    parameters = models.JSONField(default=dict, blank=True)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["subject", "-at"], name="accessevent_subject_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Access events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Access events cannot be deleted")
