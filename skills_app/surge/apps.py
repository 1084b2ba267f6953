from django.apps import AppConfig


class SurgeConfig(AppConfig):
    name = "skills_app.surge"
    label = "surge"
    verbose_name = "Surge scenarios"
