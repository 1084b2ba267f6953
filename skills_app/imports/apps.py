from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """HR imports have no models of their own (ImportJob lives in people); the app is
    installed for its management commands (``run_worker``, ``reap_import_jobs``)."""

    name = "skills_app.imports"
    label = "imports"
    verbose_name = "Imports"
