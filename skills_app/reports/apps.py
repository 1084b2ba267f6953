from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "skills_app.reports"
    label = "reports"
    verbose_name = "Reports"
