"""``manage.py import_esco [PATH]``: load ESCO v1.1.1 (see taxonomy.importers.esco)."""

import time

from django.core.management.base import BaseCommand, CommandError

from taxonomy.importers.esco import EscoImportError, default_esco_path, import_esco


class Command(BaseCommand):
    help = (
        "Import ESCO v1.1.1 skills, labels, groups, relations and occupations from a folder of "
        "its English CSV files, plain or .xz (default: the copy in data/esco/). Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", nargs="?", help=f"default: {default_esco_path()}")

    def handle(self, *args, path=None, verbosity=1, **options):
        started = time.perf_counter()
        try:
            result = import_esco(path=path)
        except EscoImportError as exc:
            raise CommandError(f"ESCO import failed: {exc}") from exc
        # ESCO's own files leave a few dozen links dangling; the summary counts them
        # ("rows not joined"), and -v 2 lists each one.
        if verbosity >= 2:
            for warning in result.warnings:
                self.stdout.write(self.style.WARNING(f"Not joined: {warning}"))
        if verbosity >= 1:
            for line in result.summary_lines():
                self.stdout.write(line)
            if result.warnings and verbosity < 2:
                self.stdout.write("(Run with -v 2 to list the rows not joined.)")
        elapsed = time.perf_counter() - started
        verdict = "imported" if result.changed else "already up to date: no changes"
        self.stdout.write(self.style.SUCCESS(f"ESCO {verdict} in {elapsed:.1f} s."))
