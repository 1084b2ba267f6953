from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from skills_app.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API bearer token for USERNAME and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="A label to recognise the token by")

    def handle(self, username, name, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"No user called {username!r}") from exc
        if not user.is_active:
            raise CommandError(f"User {username!r} is inactive")
        _, raw = api_token_create(user=user, name=name)
        self.stdout.write(raw)
