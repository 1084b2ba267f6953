"""Where a notification goes: the ``NOTIFY_BACKEND`` setting names one of these.

A backend's ``send`` returns the provider's id for the message, raises
``PermanentFailure`` when trying again cannot help (an invalid template id, a
refused address: the row gives up at once and waits for an administrator's "retry
now"), and raises anything else for a failure worth retrying later.
"""

from __future__ import annotations

import abc
import re
import uuid
from dataclasses import dataclass
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GOVUK_NOTIFY = "skills_app.notify.backends.GovNotifyBackend"
RECORDING = "skills_app.notify.backends.RecordingBackend"
FAILING = "skills_app.notify.backends.FailingBackend"


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: uuid.UUID
    event: str
    email_address: str
    template_id: str
    personalisation: dict
    reference: str


class SendFailure(Exception):
    """A failure whose message is safe to store and show: it names no one."""


class PermanentFailure(SendFailure):
    """Sending again will not help until someone changes something."""


class BaseBackend(abc.ABC):
    name: ClassVar[str] = ""

    @abc.abstractmethod
    def send(self, message: OutgoingMessage) -> str:
        """Send ``message``; return the provider's id for it, or raise SendFailure."""


class RecordingBackend(BaseBackend):
    """Development, tests and the demo: nothing leaves the machine. The row itself is
    the record (marked sent, ``backend="recording"``, listed in the admin); ``outbox``
    also keeps the messages in this process for tests to read, like Django's
    ``mail.outbox``."""

    name = "recording"
    outbox: ClassVar[list[OutgoingMessage]] = []

    def send(self, message: OutgoingMessage) -> str:
        type(self).outbox.append(message)
        return f"recorded-{message.notification_id}"


class FailingBackend(BaseBackend):
    """Tests and drills: every send fails as an outage would, so the retry path and
    the admin's view of failures can be seen without a real provider."""

    name = "failing"

    def send(self, message: OutgoingMessage) -> str:
        raise SendFailure("Simulated outage (FailingBackend)")


# Statuses that retrying cannot fix: a malformed request (bad template id, bad
# address, missing personalisation) or a key refused. 429 and 5xx are retried.
_PERMANENT_STATUSES = {400, 403}
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+")


def _notify_error_text(exc) -> str:
    """Notify's error codes and messages, with anything shaped like an address
    masked: the messages describe the request, not the person, but Notify's wording
    is not ours to trust."""
    detail = exc.message
    if isinstance(detail, list):
        detail = "; ".join(
            f"{item.get('error', '')}: {item.get('message', '')}"
            for item in detail
            if isinstance(item, dict)
        )
    return _EMAIL.sub("[address]", f"HTTP {exc.status_code} {detail}")[:300]


class GovNotifyBackend(BaseBackend):
    """GOV.UK Notify through ``notifications-python-client``: one template per event
    (``NOTIFY_TEMPLATES``), the key from ``NOTIFY_API_KEY``."""

    name = "govuk_notify"

    def __init__(self):
        from notifications_python_client import NotificationsAPIClient

        if not settings.NOTIFY_API_KEY:
            raise ImproperlyConfigured("NOTIFY_API_KEY must be set to send through GOV.UK Notify")
        self.client = NotificationsAPIClient(settings.NOTIFY_API_KEY)

    def send(self, message: OutgoingMessage) -> str:
        from notifications_python_client.errors import APIError

        if not message.template_id:
            raise PermanentFailure(f"No template id for {message.event} (NOTIFY_TEMPLATES)")
        try:
            response = self.client.send_email_notification(
                email_address=message.email_address,
                template_id=message.template_id,
                personalisation=message.personalisation,
                reference=message.reference,
            )
        except APIError as exc:
            failure = PermanentFailure if exc.status_code in _PERMANENT_STATUSES else SendFailure
            raise failure(_notify_error_text(exc)) from None
        return str(response.get("id", ""))
