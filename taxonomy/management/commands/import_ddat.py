"""``manage.py import_ddat [PATH]``: load the DDaT Capability Framework.

The logic lives in taxonomy.importers.ddat; this command only reports.
"""

from django.core.management.base import BaseCommand, CommandError

from taxonomy.importers.ddat import DdatImportError, default_ddat_path, import_ddat

MAX_WARNINGS_SHOWN = 50


class Command(BaseCommand):
    help = (
        "Import the Government Digital and Data Profession Capability Framework from a folder "
        "holding its published roles.csv and skills.csv (default: the copy in data/ddat/). "
        "Safe to re-run: unchanged rows are left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "path",
            nargs="?",
            help=f"folder with roles.csv and skills.csv (default: {default_ddat_path()})",
        )

    def handle(self, *args, path=None, verbosity=1, **options):
        try:
            result = import_ddat(path=path)
        except DdatImportError as exc:
            raise CommandError(f"DDaT import failed: {exc}") from exc
        for warning in result.warnings[:MAX_WARNINGS_SHOWN]:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if len(result.warnings) > MAX_WARNINGS_SHOWN:
            hidden = len(result.warnings) - MAX_WARNINGS_SHOWN
            self.stdout.write(self.style.WARNING(f"... and {hidden} more warning(s)"))
        for line in result.summary_lines():
            self.stdout.write(line)
        if result.changed:
            self.stdout.write(self.style.SUCCESS("DDaT framework imported."))
        else:
            self.stdout.write(self.style.SUCCESS("DDaT framework already up to date: no changes."))
