from django.core.management.base import BaseCommand, CommandError

from skills_app.accounts.models import ApiToken
from skills_app.accounts.services import TOKEN_PREFIX, api_token_revoke


class Command(BaseCommand):
    help = "Revoke an API token, given the token itself or its 8-character prefix."

    def add_arguments(self, parser):
        parser.add_argument("token_or_prefix")

    def handle(self, token_or_prefix, **options):
        prefix = token_or_prefix
        if prefix.startswith(TOKEN_PREFIX):
            prefix = prefix[len(TOKEN_PREFIX) :].split("_", 1)[0]
        try:
            api_token_revoke(prefix=prefix)
        except ApiToken.DoesNotExist as exc:
            raise CommandError("No such token") from exc
        self.stdout.write(f"Revoked token {prefix}")
