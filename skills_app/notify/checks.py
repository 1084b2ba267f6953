"""Start-up checks of the notification settings (run by ``manage.py check``,
``runserver``, ``migrate`` and the worker): a misconfigured sender fails at start,
not at the first message."""

import uuid
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.utils.module_loading import import_string

from skills_app.notify.backends import GovNotifyBackend, RecordingBackend
from skills_app.notify.events import Event, template_setting_name


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (TypeError, ValueError):
        return False
    return True


@register()
def check_notify_settings(app_configs, **kwargs):
    errors = []
    try:
        backend = import_string(settings.NOTIFY_BACKEND)
    except ImportError:
        return [
            Error(
                f"NOTIFY_BACKEND {settings.NOTIFY_BACKEND!r} cannot be imported",
                hint="Leave it unset: GOV.UK Notify with NOTIFY_API_KEY, else recording.",
                id="notify.E001",
            )
        ]
    if issubclass(backend, GovNotifyBackend):
        if not settings.NOTIFY_API_KEY:
            errors.append(
                Error(
                    "NOTIFY_BACKEND is GOV.UK Notify but NOTIFY_API_KEY is not set",
                    hint="Set NOTIFY_API_KEY to the service's API key (README "
                    "'Notifications (GOV.UK Notify)'), or unset NOTIFY_BACKEND to record "
                    "messages without sending them.",
                    id="notify.E002",
                )
            )
        missing = [
            template_setting_name(e)
            for e in Event
            if not _is_uuid(settings.NOTIFY_TEMPLATES.get(e.value, ""))
        ]
        if missing:
            errors.append(
                Error(
                    "GOV.UK Notify needs a template id (a UUID) for every event; missing or "
                    f"malformed: {', '.join(missing)}",
                    id="notify.E003",
                )
            )
    site = urlsplit(settings.SITE_URL)
    if site.scheme not in {"http", "https"} or not site.netloc or site.path not in {"", "/"}:
        errors.append(
            Error(
                f"SITE_URL must be this service's address, like https://muster.example.gov.uk "
                f"(got {settings.SITE_URL!r})",
                id="notify.E004",
            )
        )
    return errors


@register(Tags.security, deploy=True)
def check_notify_deployment(app_configs, **kwargs):
    warnings = []
    try:
        recording = issubclass(import_string(settings.NOTIFY_BACKEND), RecordingBackend)
    except ImportError:
        recording = False  # notify.E001 says so
    if recording:
        warnings.append(
            Warning(
                "Notifications are recorded, not sent: NOTIFY_API_KEY is not set",
                hint="Set NOTIFY_API_KEY and the NOTIFY_TEMPLATE_* ids.",
                id="notify.W001",
            )
        )
    if urlsplit(settings.SITE_URL).scheme != "https":
        warnings.append(
            Warning("SITE_URL should be the service's https:// address", id="notify.W002")
        )
    return warnings
