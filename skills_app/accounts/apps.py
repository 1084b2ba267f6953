from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "skills_app.accounts"
    label = "accounts"
    verbose_name = "Accounts"
