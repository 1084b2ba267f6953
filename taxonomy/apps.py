from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "taxonomy"
    verbose_name = "Skills taxonomy"

    def ready(self):
        from taxonomy import signals  # noqa: F401  (connects the receivers)
