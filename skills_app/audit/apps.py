from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "skills_app.audit"
    label = "audit"
    verbose_name = "Audit"
