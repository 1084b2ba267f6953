"""Mark import jobs whose worker stopped reporting as failed (deleting their files),
and let go of checked files kept past their hour. ``run_worker`` runs it every minute;
run it by hand after a crash if no worker is running."""

from datetime import timedelta

from django.core.management.base import BaseCommand

from skills_app.imports.service import purge_kept_files, reap_stale_jobs


class Command(BaseCommand):
    help = "Fail import jobs whose worker stopped reporting; delete expired checked files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--stale-after",
            type=int,
            default=None,
            metavar="SECONDS",
            help="A running job with no heartbeat for this long is reaped "
            "(default: the IMPORT_JOB_STALE_SECONDS setting).",
        )

    def handle(self, *args, stale_after=None, **options):
        reaped = reap_stale_jobs(
            stale_after=None if stale_after is None else timedelta(seconds=max(0, stale_after))
        )
        purged = purge_kept_files()
        if options["verbosity"] >= 1:
            self.stdout.write(f"Reaped {reaped} import jobs; deleted {purged} kept files.")
