from django.apps import AppConfig


class MovesConfig(AppConfig):
    name = "skills_app.moves"
    label = "moves"
    verbose_name = "Moves (after a surge is approved)"
