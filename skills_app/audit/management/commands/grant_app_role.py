from django.core.management.base import BaseCommand, CommandError

from skills_app.audit.privileges import PrivilegeError, grant_app_role


class Command(BaseCommand):
    help = (
        "Grant the web app's and worker's PostgreSQL role its privileges: reads and "
        "writes on every table, but only SELECT and INSERT on the audit trail. Run as "
        "the owner (MIGRATION_DATABASE_URL) after every migrate."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", help="the app role, e.g. muster_app")

    def handle(self, *args, role, **options):
        try:
            statements = grant_app_role(role=role)
        except PrivilegeError as error:
            raise CommandError(str(error)) from error
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(self.style.SUCCESS(f"Granted {role} the app's privileges"))
