from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "skills_app.people"
    label = "people"
    verbose_name = "People"
