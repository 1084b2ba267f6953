from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Emails about moves through GOV.UK Notify (DESIGN 10): the queue, the worker's
    sender, the backends and the start-up checks of their settings."""

    name = "skills_app.notify"
    label = "notify"
    verbose_name = "Notifications"

    def ready(self):
        from skills_app.notify import checks  # noqa: F401 - registers the checks
