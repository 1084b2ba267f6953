from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "skills_app.people"
    label = "people"
    verbose_name = "People"

    def ready(self):
        from skills_app.people import signals  # noqa: F401  (connects the receivers)
