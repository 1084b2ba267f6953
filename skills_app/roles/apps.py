from django.apps import AppConfig


class RolesConfig(AppConfig):
    name = "skills_app.roles"
    label = "roles"
    verbose_name = "Role profiles"
